"""The disa_process Lambda function (entry point: handler.lambda_handler)."""
