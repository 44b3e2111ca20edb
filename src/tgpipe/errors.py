"""One root exception; every concrete error says whether retrying can help.

Callers decide what to do with a failure by its type, never by its name or text: the CLI prints
any `TgpipeError` as one line; the webhook answers 5xx only for a `Transient` one, so Telegram
retries exactly what may succeed later; the scheduled Lambda functions re-raise a `Transient` one
(Lambda retries it) and send a `Terminal` one to the dead-letter queue once (`tgpipe.aws.scheduled`).

A class that is neither (a base others derive from) is declared `abstract=True` and cannot be
raised itself; declaring a concrete error without one of the two fails at import.
"""

from __future__ import annotations


class Transient:
    """Retrying the same call later may succeed (network, throttling, a storage outage)."""


class Terminal:
    """Retrying the same call cannot succeed (bad input, bad configuration)."""


class TgpipeError(Exception):
    """Something tgpipe can explain in one line."""

    _abstract = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._abstract = abstract
        if not abstract and issubclass(cls, Transient) == issubclass(cls, Terminal):
            raise TypeError(f"{cls.__name__} must derive from exactly one of Transient and Terminal")

    def __new__(cls, *args, **kwargs):
        if cls._abstract:
            raise TypeError(f"{cls.__name__} is abstract: raise one of its transient or terminal kinds")
        return super().__new__(cls, *args, **kwargs)


def is_transient(error: BaseException) -> bool:
    """Whether retrying what raised `error` may succeed."""
    return isinstance(error, Transient)


class ConfigError(TgpipeError, Terminal):
    """A setting is missing or malformed."""


class InvalidRequest(TgpipeError, Terminal):
    """What was asked contradicts itself or is malformed (options, a Lambda event, a range of days)."""


class StoreError(TgpipeError, Transient):
    """Reading from or writing to a store failed (a disk, a permission, the network: retry later)."""


class StoreRefused(TgpipeError, Terminal):
    """The store cannot hold this object under this key (a name too long for it, a key taken by
    something that is not a file): retrying the same write cannot succeed."""


class NotFoundError(TgpipeError, Terminal):
    """A store, object, file or named query does not exist."""


class InvalidUpdate(TgpipeError, Terminal):
    """A body is not a Telegram update (see `telegram.parse_update`); `reason` names why, in one word."""

    def __init__(self, message: str, reason: str = "not_an_update"):
        super().__init__(message)
        self.reason = reason


class SecretUnavailable(TgpipeError, Transient):
    """A secret could not be fetched from its store (SSM) right now."""


class InvalidExport(TgpipeError, Terminal):
    """A file given as a Telegram Desktop export is not one, or is broken (not JSON, truncated)."""
