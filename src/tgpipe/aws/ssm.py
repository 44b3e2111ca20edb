"""Secrets kept in SSM Parameter Store (SecureStrings), each read once per process.

The settings (`tgpipe.config.Settings`) name the parameters; the values are read here, on first
use, so a command or a Lambda container that never needs a secret never calls SSM. A value is
never logged nor put in an error message.
"""

from __future__ import annotations

import functools

from tgpipe.aws.clients import client, failure
from tgpipe.config import SECRET_PATTERN, Settings, check_pseudonym_key
from tgpipe.errors import ConfigError, SecretUnavailable


def parameter_value(name: str, variable: str) -> str:
    """Return the SSM SecureString `name` (`name[:version]`) decrypted; `variable` names the setting
    that gave it, for errors.

    Raises:
        ConfigError, NotFoundError: the parameter does not exist or cannot be read.
        SecretUnavailable: SSM could not be reached or throttled (retrying may help).
    """
    try:
        return client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as e:
        raise failure(f"cannot read SSM parameter {name} ({variable})", e, SecretUnavailable) from None


@functools.cache
def secret_from_parameter(name: str) -> str:
    """Return the webhook secret held in the SSM SecureString `name` (`name[:version]`), decrypted.

    Fetched once per process (a Lambda container) and cached; failures are not cached.

    Raises:
        ConfigError, NotFoundError: the parameter does not exist, cannot be read, or holds no valid secret.
        SecretUnavailable: SSM could not be reached or throttled (retrying may help).
    """
    value = parameter_value(name, "TELEGRAM_WEBHOOK_SECRET_PARAMETER")
    if not SECRET_PATTERN.fullmatch(value):
        raise ConfigError(f"SSM parameter {name} must hold 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return value


def webhook_secret(settings: Settings) -> str | None:
    """Return the webhook secret: the configured value, else its SSM parameter's (cached), else None.

    Raises:
        ConfigError: the parameter cannot be read or holds no valid secret.
        SecretUnavailable: SSM could not be reached.
    """
    if settings.webhook_secret is not None:
        return settings.webhook_secret
    if settings.webhook_secret_parameter:
        return secret_from_parameter(settings.webhook_secret_parameter)
    return None


@functools.cache
def bot_token_from_parameter(name: str) -> str:
    """Return the bot token held in the SSM SecureString `name`, read once per process (cached).

    Raises:
        ConfigError, NotFoundError, SecretUnavailable: as `parameter_value`.
    """
    return parameter_value(name, "TELEGRAM_BOT_TOKEN_PARAMETER")


@functools.cache
def pseudonym_key_from_parameter(name: str) -> str:
    """Return the pseudonym key held in the SSM SecureString `name` (`name[:version]`), read once per
    process (cached; failures are not).

    Raises:
        ConfigError, NotFoundError, SecretUnavailable: as `parameter_value`, or the value is too short.
    """
    value = parameter_value(name, "PSEUDONYMIZE_KEY_PARAMETER")
    check_pseudonym_key(value, f"SSM parameter {name} (PSEUDONYMIZE_KEY_PARAMETER)")
    return value


def pseudonym_key(settings: Settings) -> str | None:
    """Return the pseudonym key: PSEUDONYMIZE_KEY, else its SSM parameter's (cached), else None.

    Raises:
        ConfigError: the key is too short.
        NotFoundError, SecretUnavailable: the SSM parameter cannot be read.
    """
    key = check_pseudonym_key(settings.pseudonymize_key)
    if key is None and settings.pseudonymize_key_parameter:
        key = pseudonym_key_from_parameter(settings.pseudonymize_key_parameter)
    return key
