"""Process-wide boto3 clients for the AWS services besides S3 (Glue, Athena, SSM).

Created on first use, not at import, so commands and handlers that do not call a service do not
pay for importing boto3. They honour `AWS_ENDPOINT_URL` (moto in tests, LocalStack) and the usual
credential chain.
"""

from __future__ import annotations

import functools


@functools.cache
def client(service: str):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(service, config=Config(retries={"mode": "standard", "max_attempts": 8}))


def error_code(error: Exception) -> str:
    """Return the AWS error code of a botocore error, or the exception's class name."""
    return getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
