"""The README's examples over `make demo` data answer with something: the commands as written there."""

import re
import shlex

import click
import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow


def makefile_variable(name: str) -> str:
    return re.search(rf"^{name} \?= (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).strip()


def readme_commands(prefix: str) -> list[list[str]]:
    """The README's commands that run `tgpipe` over the demo data, as argument lists."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith(prefix) and "--data-dir demo-data" in line]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The data `make demo` makes, made the way its recipe does (the same commands, in-process)."""
    from tgpipe.cli.main import main

    recipe = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    sample_args = shlex.split(re.search(r"\$\(TGPIPE\) (sample .+)", recipe).group(1))
    data = tmp_path_factory.mktemp("demo-data")
    end, zone = makefile_variable("DEMO_END"), makefile_variable("DEMO_TIMEZONE")
    steps = [
        [a.replace("$(DEMO_DIR)", str(data)).replace("$(DEMO_END)", end) for a in sample_args],
        ["ingest", "--timezone", zone, "--data-dir", str(data), f"{data}/updates.jsonl"],
        ["etl", "--timezone", zone, "--data-dir", str(data), "--all"],
    ]
    for step in steps:
        assert main(step) == 0, step
    return data


def test_the_demo_recipe_is_the_one_this_test_follows():
    recipe = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "--end $(DEMO_END)" in recipe and "TIMEZONE=$(DEMO_TIMEZONE)" in recipe


def test_the_readme_report_example_draws_a_report_with_messages(demo, tgpipe, tmp_path):
    (example,) = [c for c in readme_commands("tgpipe report") if "--from" in c]
    args = [str(demo) if a == "demo-data" else a for a in example]
    args[args.index("--out") + 1] = str(tmp_path / "report.html")
    run = tgpipe(*args)
    assert run.code == 0, run.err
    messages = int(run.out.split("report: ")[1].split(" messages")[0].replace(",", ""))
    assert messages > 100
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_readme_query_example_answers_with_rows(demo, tgpipe):
    (example,) = readme_commands(".venv/bin/tgpipe query")
    run = tgpipe(*[str(demo) if a == "demo-data" else a for a in example], "--format", "json")
    assert run.code == 0, run.err
    assert '"message_type": "text"' in run.out


def test_the_demo_covers_its_fixed_period_and_status_finds_all_well(demo, tgpipe):
    """The demo's button presses have no time of their own: they are filed under the time of the
    update before them, so the demo's days are its period's whatever day it runs, and `tgpipe
    status` on it (no live capture, no gap in its ids) needs no attention."""
    from datetime import date, timedelta

    from tgpipe.build.plan import raw_days
    from tgpipe.store.local import LocalStore

    end = date.fromisoformat(makefile_variable("DEMO_END"))
    raw = LocalStore(demo / "raw")
    assert raw_days(raw) == [end - timedelta(days=41 - n) for n in range(42)]
    presses = [o for o in raw.list("telegram/") if b'"callback_query"' in raw.get(o.key)]
    assert len(presses) > 10  # there to be counted (issue 27 counts them)
    run = tgpipe("status", "--data-dir", demo)
    assert run.code == 0, run.out
    assert run.out.rstrip().endswith("all well")


#: What the README's command table's placeholders stand for, to parse its forms.
PLACEHOLDERS = {
    "DIR": "data", "FILE": "result.json", "ID": "-1001234567890", "T": "4001", "ZONE": "Europe/Berlin",
    "D": "2025-11-01", "D1": "2025-11-01", "D2": "2025-11-30", "NAME": "messages_per_day", "W": "primary",
    "DB": "tgpipe", "s3://…": "s3://bucket/enriched", "H": "127.0.0.1", "P": "8080", "F": "cert.pem",
    "K": "key.pem", "HH:MM": "03:30", "N": "90", "C": "-1001234567890", "URL": "https://bot.example.com/hook",
    "TYPE": "text",
}  # fmt: skip


def table_forms() -> list[tuple[str, list[str], list[str]]]:
    """Each form of the README's command table: (form, its words without the optional parts, with all)."""
    forms = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^\| `(tgpipe [^`]+)` \|", line)
        if not found:
            continue
        form = found[1].replace("\\|", "|")
        words = re.sub(r"(\w+)\|\w+", r"\1", form)  # one of a choice of values: `table|json`
        bare = re.sub(r"\s*\[[^\[\]]*(\[[^\[\]]*\][^\[\]]*)*\]", "", words)
        full = re.sub(r"\[([^\[\]|]*?)(?: \|[^\[\]]*)?\]", r"\1", words)
        full = re.sub(r"\[([^\[\]|]*?)(?: \|[^\[\]]*)?\]", r"\1", full)  # nested brackets
        forms.append((form, *(shlex.split(f)[1:] for f in (bare, full))))
    return forms


@pytest.mark.parametrize(("form", "bare", "full"), table_forms(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_form_of_the_readme_s_command_table_is_what_the_cli_takes(form, bare, full):
    """Every option a form shows is the command's, and a form without its optional parts has all
    the command needs: it parses, nothing missing."""
    from tgpipe.cli.main import cli

    for words in (bare, full):
        command, args = cli, [PLACEHOLDERS.get(w, w) for w in words]
        while isinstance(command, click.Group):
            command = command.commands[args.pop(0)]
        command.make_context(command.name, args).close()


def test_the_readme_s_prune_runs_as_written(demo, tgpipe):
    (form,) = [f for f, _, _ in table_forms() if f.startswith("tgpipe prune")]
    words = [PLACEHOLDERS.get(w, w) for w in shlex.split(re.sub(r"\s*\[[^\]]*\]", "", form))]
    args = [str(demo) if w == "data" else w for w in words[1:]]
    run = tgpipe(*args, "--dry-run")
    assert run.code == 0, run.err
    assert "would remove" in run.out
