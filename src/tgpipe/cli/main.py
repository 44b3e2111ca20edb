"""The `tgpipe` command: each command parses its options, calls one core function and prints.

Any `TgpipeError` (and any usage error) becomes one `Error: ...` line on stderr and exit code 1
(2 for usage errors), never a traceback. `tgpipe status` exits 3 when what it found needs attention.
The commands live in this package's modules, one per group; this one puts them together.
"""

from __future__ import annotations

import logging
import os

import click

from tgpipe import __version__
from tgpipe.cli import analysis, build, capture, history, ops, privacy, search
from tgpipe.errors import TgpipeError


class _Warnings(logging.Handler):
    """tgpipe's warnings on stderr, one line each with their details (`warning: skipping a raw file
    whose name is not an update id (key=...)`), where no command set logging up; a command that
    does (poll, serve, run: JSON lines on the root logger) gets only those."""

    _PLAIN = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def __init__(self):
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:
            return
        details = ", ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in self._PLAIN)
        line = f"{record.levelname.lower()}: {record.getMessage()}" + (f" ({details})" if details else "")
        click.echo(one_line(line), err=True)


#: Keeps Python from printing tgpipe's log records bare on stderr (its last resort) in commands
#: that set no logging up.
_SILENT = _Warnings()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tgpipe")
def cli():
    """tgpipe: Telegram updates kept raw, turned into Parquet tables, queried with SQL.

    Example: tgpipe sample --out updates.jsonl --end 2025-11-30 && tgpipe ingest updates.jsonl && tgpipe etl --all
    """


for command in (
    capture.ingest,
    history.import_command,
    build.etl,
    analysis.query,
    analysis.report,
    search.search,
    capture.sample_command,
    capture.poll,
    capture.serve,
    ops.run,
    ops.status,
    ops.repair,
    privacy.forget,
    privacy.prune,
    capture.webhook,
    capture.bot,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return its exit code (errors are one line on stderr).

    A command says what it did in its own lines; tgpipe's warnings reach stderr as one line each
    with their details (`_Warnings`), or as JSON lines where a command sets logging up (poll, serve,
    run), never as Python's bare last-resort lines.
    """
    logging.getLogger("tgpipe").addHandler(_SILENT)
    try:
        code = cli.main(args=argv, prog_name="tgpipe", standalone_mode=False)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as e:
        click.echo(f"Error: {e.format_message()}", err=True)
        return e.exit_code
    except TgpipeError as e:
        click.echo(f"Error: {one_line(str(e))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except OSError as e:  # a file the command was given or writes (the report's --out, stdin)
        where = f": {e.filename}" if e.filename else ""
        click.echo(f"Error: {one_line(e.strerror or str(e))}{where}", err=True)
        return 1
    except Exception as e:
        if os.environ.get("TGPIPE_TRACEBACK"):
            raise
        click.echo(
            f"Error: unexpected {type(e).__name__}: {one_line(str(e))} "
            "(a bug in tgpipe: please report it; TGPIPE_TRACEBACK=1 shows where it happened)",
            err=True,
        )
        return 1
    return code if isinstance(code, int) else 0


def one_line(text: str) -> str:
    """An error's text as one line, without anything shaped like a bot token."""
    from tgpipe.logs import redact

    return redact(" ".join(text.split()))[:2000]
