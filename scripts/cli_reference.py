"""Write docs/cli.md: every tgpipe command's --help, generated so it cannot drift.

python scripts/cli_reference.py           # rewrite docs/cli.md
python scripts/cli_reference.py --check   # fail if docs/cli.md is out of date (a test runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tgpipe.cli.main import cli  # noqa: E402

TARGET = ROOT / "docs" / "cli.md"


def commands(group: click.Group, path: list[str]):
    """Yield (name path, command) for `group` and everything under it, in alphabetical order."""
    yield path, group
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from commands(command, [*path, name])
        else:
            yield [*path, name], command


def help_text(path: list[str], command: click.Command) -> str:
    # The CLI's own settings (help option names, width), as a subcommand inherits them from `cli`.
    settings = {**cli.context_settings, "terminal_width": 100, "max_content_width": 100}
    context = click.Context(command, info_name=" ".join(path), **settings)
    return command.get_help(context)


def reference() -> str:
    parts = [
        "# Command line reference\n",
        "Generated from `--help` by `scripts/cli_reference.py`; do not edit by hand.\n",
    ]
    for path, command in commands(cli, ["tgpipe"]):
        parts.append(f"## `{' '.join(path)}`\n\n```\n{help_text(path, command).rstrip()}\n```\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    text = reference()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
