import logging

import pytest

from tgpipe import logs
from tgpipe.errors import ConfigError


@pytest.mark.parametrize(("name", "level"), [("debug", "DEBUG"), ("Info", "INFO"), (" WARNING ", "WARNING")])
def test_a_log_level_may_be_written_in_any_case(name, level):
    assert logs.parse_level(name) == level


def test_an_unknown_log_level_is_one_clear_error():
    with pytest.raises(ConfigError, match="LOG_LEVEL 'loud' is not a log level"):
        logs.parse_level("loud")


def test_configure_takes_a_lower_case_level(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    root = logging.getLogger()
    before, handlers = root.level, list(root.handlers)
    try:
        logs.configure()
        assert root.level == logging.DEBUG
        assert logging.getLogger("botocore").level == logging.INFO  # libraries never log their requests
    finally:
        root.setLevel(before)
        for handler in set(root.handlers) - set(handlers):
            root.removeHandler(handler)
