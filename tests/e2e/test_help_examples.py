"""Every command's `--help` example, run as written, in order, in a fresh folder, gives an answer:
rows, charts, what was stored, built or found; never `(0 rows)` or `0 charts` (as
test_readme_examples.py does for the README's).

The commands that run until stopped (poll, serve, run) and the one that needs AWS (repair) are not
run here: their examples must parse, and their own tests run them. Those that talk to Telegram run
against the fake Bot API, with the token in the environment, as their help says they need.
"""

import re
import shlex

import click
import pytest

import exportkit
from fake_telegram import TOKEN, FakeTelegram
from tgpipe.cli.main import cli

#: The order a newcomer runs the examples in: the group's own (""), then the data's path.
IN_ORDER = ("", "sample", "ingest", "import", "etl", "query", "search", "report", "status", "forget", "prune")
TELEGRAM = ("bot check", "webhook info", "webhook set", "webhook delete")
NOT_RUN = {"poll": "runs until stopped", "serve": "runs until stopped", "run": "runs until stopped", "repair": "AWS"}


def commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    """Every command by its name as typed (`webhook set`), the group itself as ""."""
    found = {prefix.strip(): group}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def example(command: click.Command) -> list[tuple[dict[str, str], list[str]]]:
    """The command's help example as (environment, arguments) per command it chains with `&&`."""
    (line,) = re.findall(r"^\s*Example: (.+)$", command.help, flags=re.M)
    steps = []
    for part in line.split("&&"):
        words = shlex.split(part)
        env = {}
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        assert words[0] == "tgpipe", line
        steps.append((env, words[1:]))
    return steps


def test_every_command_has_one_example_and_a_place_here():
    found = commands()
    for command in found.values():
        example(command)
    groups = [name for name, c in found.items() if isinstance(c, click.Group) and name]
    assert sorted(found) == sorted([*IN_ORDER, *TELEGRAM, *NOT_RUN, *groups])


def test_the_examples_run_in_order_in_a_fresh_folder_and_answer(tgpipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # The export the import example names, as a newcomer would have it (a month of three chats).
    export = tmp_path / "ChatExport_2025-11-30" / "result.json"
    export.parent.mkdir()
    export.write_bytes(exportkit.dump(exportkit.history(first="2025-11-01", days=29, per_chat=60).export()))
    found = commands()
    answers = {}
    for name in IN_ORDER:
        for env, args in example(found[name]):
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            run = tgpipe(*args)
            assert run.code == 0, (args, run.err)
            assert run.out.strip(), args
            answers[args[0]] = run.out
    assert "stored 0," not in answers["ingest"] or "duplicates" in answers["ingest"]
    assert "now in the tables" in answers["import"]
    assert not re.search(r"\b0 messages\b", answers["etl"])
    assert "(0 rows)" not in answers["query"] and re.search(r"\((\d+) rows\)", answers["query"])
    assert "[Bom dia]" in answers["search"] and re.search(r"\((\d+) rows\)", answers["search"])
    charts = int(re.search(r"(\d+) charts ->", answers["report"])[1])
    messages = int(re.search(r"report: ([\d,]+) messages", answers["report"])[1].replace(",", ""))
    assert charts > 10 and messages > 1000
    assert answers["status"].rstrip().endswith("all well")
    assert "nothing" not in answers["forget"].splitlines()[0], answers["forget"]
    assert "would remove" in answers["prune"] or "removed" in answers["prune"], answers["prune"]


@pytest.mark.parametrize("name", TELEGRAM)
def test_the_telegram_examples_answer_with_the_token_their_help_asks_for(tgpipe, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with FakeTelegram() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
        ((env, args),) = example(commands()[name])
        run = tgpipe(*args)
    assert run.code == 0, run.err
    assert run.out.strip()


@pytest.mark.parametrize("name", sorted(NOT_RUN))
def test_the_examples_not_run_here_parse(name):
    command = commands()[name]
    ((env, args),) = example(command)
    assert args[0] == name
    with command.make_context(name, args[1:]) as context:  # parses every option, runs nothing
        assert context.params
