"""The disa_init_process Lambda function (entry point: handler.lambda_handler)."""
