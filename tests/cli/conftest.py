import pytest

from tgpipe.cli import main


class Run:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def tgpipe(capsys, monkeypatch):
    """Run the CLI in-process like the installed command; return its code, stdout and stderr."""
    for name in (
        "TIMEZONE",
        "TELEGRAM_ALLOWED_CHAT_IDS",
        "RAW_STORE",
        "ENRICHED_STORE",
        "TGPIPE_DATA_DIR",
        "ETL_LATE_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
