"""`tgpipe etl --pseudonymize` and `tgpipe report --pseudonymize`: one Error: line for each refusal,
and the key in no output."""

import personkit
from helpers import to_bytes
from tgpipe.build.pseudonym import Pseudonymizer
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.store.local import LocalStore

KEY = "cli-pseudonym-key-" + "r" * 22


def stored(tmp_path) -> LocalStore:
    raw = LocalStore(tmp_path / "raw", private=True)
    ingest.store_updates([to_bytes(u) for u in personkit.UPDATES], raw, Settings())
    return raw


def test_etl_pseudonymize_writes_pseudonyms_and_never_shows_the_key(tgpipe, tmp_path, monkeypatch):
    stored(tmp_path)
    monkeypatch.setenv("PSEUDONYMIZE_KEY", KEY)
    run = tgpipe("etl", "--data-dir", tmp_path, "--all", "--pseudonymize")
    assert run.code == 0, run.err
    assert KEY not in run.out + run.err
    enriched = LocalStore(tmp_path / "enriched")
    (user,) = run_sql(enriched, f"SELECT user_id FROM telegram WHERE update_id = {personkit.FIRST_UPDATE_ID}").rows[0]
    assert user == Pseudonymizer(KEY).pseudonym(personkit.person(1)["id"])
    run = tgpipe("report", "--data-dir", tmp_path, "--out", tmp_path / "report.html", "--pseudonymize")
    assert run.code == 0, run.err
    assert "Firstname1" not in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_pseudonymize_from_the_environment_and_without_a_key(tgpipe, tmp_path, monkeypatch):
    stored(tmp_path)
    run = tgpipe("etl", "--data-dir", tmp_path, "--all", "--pseudonymize")
    assert run.code == 1 and run.err.startswith("Error: PSEUDONYMIZE=1 needs a key: set PSEUDONYMIZE_KEY")
    assert len(run.err.splitlines()) == 1
    monkeypatch.setenv("PSEUDONYMIZE", "1")
    monkeypatch.setenv("PSEUDONYMIZE_KEY", "short-" + "s" * 10)
    run = tgpipe("etl", "--data-dir", tmp_path, "--all")
    assert run.err == "Error: PSEUDONYMIZE_KEY must hold at least 32 characters: a shorter key is refused\n"
    monkeypatch.setenv("PSEUDONYMIZE_KEY", KEY)
    assert tgpipe("etl", "--data-dir", tmp_path, "--all").code == 0  # PSEUDONYMIZE=1 alone is enough
    monkeypatch.delenv("PSEUDONYMIZE")
    run = tgpipe("etl", "--data-dir", tmp_path, "--all")
    assert run.code == 1 and "holds pseudonymised tables (key fingerprint " in run.err
    assert len(run.err.splitlines()) == 1 and KEY not in run.err


def test_report_pseudonymize_refuses_a_store_with_names(tgpipe, tmp_path):
    stored(tmp_path)
    assert tgpipe("etl", "--data-dir", tmp_path, "--all").code == 0
    run = tgpipe("report", "--data-dir", tmp_path, "--out", tmp_path / "report.html", "--pseudonymize")
    assert run.code == 1 and len(run.err.splitlines()) == 1
    assert run.err.startswith(f"Error: the tables of {tmp_path / 'enriched'} are not pseudonymised")
    assert not (tmp_path / "report.html").exists()
