"""Thin gateways over AWS: one class per service, botocore errors turned into DeployErrors."""
