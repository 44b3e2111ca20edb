"""Process-wide boto3 clients, and what a failed AWS call means.

Clients are created on first use, not at import, so commands and handlers that do not call a
service do not pay for importing boto3. They honour `AWS_ENDPOINT_URL` (moto in tests, LocalStack)
and the usual credential chain.

`failure` is the one place that turns an AWS error into a `TgpipeError`: codes that retrying
cannot fix (a missing bucket or parameter, refused credentials, no region) are terminal, with a
hint on what to check; anything else (throttling, 5xx, the network) is the caller's transient
kind.
"""

from __future__ import annotations

import functools

from tgpipe.errors import ConfigError, NotFoundError, TgpipeError

#: Connections the S3 client keeps open; concurrent writers should not exceed it.
S3_MAX_POOL_CONNECTIONS = 64

_CLIENT_CONFIG = {
    "s3": {
        "max_pool_connections": S3_MAX_POOL_CONNECTIONS,
        "retries": {"mode": "standard", "max_attempts": 5},
        "connect_timeout": 5,
        "read_timeout": 30,
    },
    # The webhook waits on PutRecord: a few quick tries within the function's timeout, then 503.
    "firehose": {"retries": {"mode": "standard", "max_attempts": 3}, "connect_timeout": 2, "read_timeout": 3},
}
_DEFAULT_CONFIG = {"retries": {"mode": "standard", "max_attempts": 8}}


@functools.cache
def client(service: str):
    """Return the process-wide boto3 client of `service`.

    Raises:
        ConfigError: boto3 cannot make one (no region configured).
    """
    import boto3
    from botocore.config import Config

    config = Config(**_CLIENT_CONFIG.get(service, _DEFAULT_CONFIG))
    try:
        return boto3.session.Session().client(service, config=config)
    except Exception as e:
        raise failure(f"cannot use AWS {service}", e, ConfigError) from None


def error_code(error: Exception) -> str:
    """Return the AWS error code of a botocore error, or the exception's class name."""
    return getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__


#: Codes of things that do not exist: retrying finds them missing again.
_MISSING = {
    "NoSuchBucket": "check the bucket name",
    "ParameterNotFound": "check the parameter name",
    "ParameterVersionNotFound": "check the parameter version",
    "EntityNotFoundException": "check the database and table names (terraform output)",
    "ResourceNotFoundException": "check the name (terraform output)",
}
#: Codes of refused or missing credentials and settings.
_REFUSED = {
    "AccessDenied": "check credentials and the IAM policy",
    "AccessDeniedException": "check credentials and the IAM policy",
    "InvalidAccessKeyId": "check credentials",
    "SignatureDoesNotMatch": "check credentials",
    "UnrecognizedClientException": "check credentials",
    "ExpiredToken": "refresh credentials",
    "ExpiredTokenException": "refresh credentials",
    "InvalidBucketName": "check the bucket name",
    "ValidationException": "check the name",
    "InvalidRequestException": "check the workgroup and database names",  # Athena's, in every protocol
    "NoCredentialsError": "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run on AWS",
    "NoRegionError": "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)",
}


def failure(what: str, error: Exception | str, transient: type[TgpipeError]) -> TgpipeError:
    """Return the error to raise when `what` (e.g. "cannot read s3://b/k") failed with `error`.

    `error` is the exception, or its code when the caller has worked it out; `transient` is the
    kind to raise when a retry may help.
    """
    if isinstance(error, TgpipeError):  # said already (a client that could not be made)
        return error
    code = error if isinstance(error, str) else error_code(error)
    if code in _MISSING:
        return NotFoundError(f"{what}: {code} ({_MISSING[code]})")
    if code in _REFUSED:
        return ConfigError(f"{what}: {code} ({_REFUSED[code]})")
    return transient(f"{what}: {code} (retry later)")
