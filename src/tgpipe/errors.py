"""One root exception; mix-ins say whether retrying can help.

Callers decide what to do with a failure by type: the CLI prints any `TgpipeError` as one line,
the webhook turns a `Transient` one into a 5xx so Telegram retries, and the ETL Lambda re-raises it
so Lambda retries.
"""


class TgpipeError(Exception):
    """Something tgpipe can explain in one line."""


class Transient:
    """Retrying the same call later may succeed (network, throttling, a storage outage)."""


class Terminal:
    """Retrying the same call cannot succeed (bad input, bad configuration)."""


class ConfigError(TgpipeError, Terminal):
    """A setting is missing or malformed."""


class StoreError(TgpipeError, Transient):
    """Reading from or writing to a store failed."""


class NotFoundError(TgpipeError, Terminal):
    """A store, object, file or named query does not exist."""


class InvalidUpdate(TgpipeError, Terminal):
    """A body is not a Telegram update (not JSON, not an object, or no integer update_id)."""


class SecretUnavailable(TgpipeError, Transient):
    """A secret could not be fetched from its store (SSM) right now."""
