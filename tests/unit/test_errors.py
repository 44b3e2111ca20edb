"""Every error says whether retrying can help, and callers decide by that alone."""

import importlib
import pkgutil

import pytest

import tgpipe
from tgpipe.errors import Terminal, TgpipeError, Transient, is_transient


def every_error_class():
    for module in pkgutil.iter_modules(tgpipe.__path__):
        importlib.import_module(f"tgpipe.{module.name}")
    found, pending = [], [TgpipeError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_concrete_error_is_either_transient_or_terminal():
    classes = every_error_class()
    assert len(classes) > 15
    for cls in classes:
        if cls._abstract:
            with pytest.raises(TypeError, match="is abstract"):
                cls("x")
        else:
            assert issubclass(cls, Transient) != issubclass(cls, Terminal), cls
            assert is_transient(cls.__new__(cls, "x")) == issubclass(cls, Transient)


def test_an_error_that_says_neither_cannot_be_declared():
    with pytest.raises(TypeError, match="must derive from exactly one of Transient and Terminal"):

        class Vague(TgpipeError):
            pass

    with pytest.raises(TypeError, match="exactly one"):

        class Both(TgpipeError, Transient, Terminal):
            pass
