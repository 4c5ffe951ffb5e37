"""The disa_retry Lambda function (entry point: handler.lambda_handler)."""
