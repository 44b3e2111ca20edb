"""The ETL with PSEUDONYMIZE=1: an enriched store is pseudonymised under one key or plain, never a mix;
imported history still matches the bot's rows; the key reaches no log line; `tgpipe run`'s nightly
ETL follows the environment."""

import json
import logging
from datetime import UTC, datetime, time, timedelta

import pytest

import personkit
from helpers import to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.build.pseudonym import Pseudonymizer, is_pseudonym
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import ConfigError
from tgpipe.logs import JsonFormatter
from tgpipe.ops.daemon import NightlyEtl
from tgpipe.query.local import run_sql
from tgpipe.store import layout
from tgpipe.store import settings as store_settings
from tgpipe.store.local import LocalStore

KEY = "unit-pseudonym-key-" + "q" * 21
OTHER_KEY = "other-pseudonym-key-" + "w" * 20
DAY = datetime.fromtimestamp(personkit.NOON, UTC).date()


def settings(key: str | None = KEY, **env) -> Settings:
    return Settings.from_env({"PSEUDONYMIZE": "1", "PSEUDONYMIZE_KEY": key, **env} if key else env)


@pytest.fixture
def raw(tmp_path):
    store = LocalStore(tmp_path / "raw", private=True)
    ingest.store_updates([to_bytes(u) for u in personkit.UPDATES], store, Settings())
    return store


def build(raw, enriched, with_settings):
    """Build every day (updates with no time of their own are filed under the day they arrived)."""
    return etl.run_etl(raw, enriched, raw_days(raw), with_settings)


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and KEY not in text and OTHER_KEY not in text
    return text


def test_a_store_built_pseudonymised_refuses_plain_days_and_another_key(raw, tmp_path):
    enriched = LocalStore(tmp_path / "enriched")
    first = build(raw, enriched, settings())
    assert first.updates == len(personkit.UPDATES)
    assert build(raw, enriched, settings()).updates == first.updates  # the same key: rebuilt as before
    fingerprint = Pseudonymizer(KEY).fingerprint
    with pytest.raises(ConfigError) as plain:
        build(raw, enriched, Settings())
    assert one_line(plain.value) == (
        f"the enriched store {enriched} holds pseudonymised tables (key fingerprint {fingerprint}): run with "
        "PSEUDONYMIZE=1 (or --pseudonymize) and that key, or use a new store for tables that are not pseudonymised"
    )
    with pytest.raises(ConfigError) as other:
        build(raw, enriched, settings(OTHER_KEY))
    assert f"was pseudonymised with another key (fingerprint {fingerprint}; this key's is " in one_line(other.value)
    assert "tgpipe etl --all --pseudonymize --enriched NEW" in str(other.value)


def test_a_plain_store_refuses_pseudonymised_days(raw, tmp_path):
    enriched = LocalStore(tmp_path / "enriched")
    build(raw, enriched, Settings())
    assert "pseudonym_key" not in json.loads(enriched.get(layout.SETTINGS_KEY))  # as plain records always were
    with pytest.raises(ConfigError) as refused:
        build(raw, enriched, settings())
    assert "holds tables that are not pseudonymised, and days of both kinds would not join" in one_line(refused.value)
    # Tables from before stores recorded settings: pseudonymised days cannot tell, so they refuse too.
    enriched.delete([layout.SETTINGS_KEY])
    store_settings._checked.clear()
    with pytest.raises(ConfigError, match="holds tables but records no settings"):
        build(raw, enriched, settings())
    assert not list(enriched.list("_tgpipe/settings"))


def test_the_raw_store_is_the_same_plain_or_pseudonymised(raw, tmp_path):
    before = {o.key: raw.get(o.key) for o in raw.list("telegram/")}
    build(raw, LocalStore(tmp_path / "plain"), Settings())
    build(raw, LocalStore(tmp_path / "pseudonymised"), settings())
    assert {o.key: raw.get(o.key) for o in raw.list("telegram/")} == before
    assert b"Firstname1" in before[layout.raw_key(personkit.FIRST_UPDATE_ID, DAY)]  # as received


def test_pseudonymised_and_plain_tables_have_the_same_rows(raw, tmp_path):
    plain, pseudonymised = LocalStore(tmp_path / "plain"), LocalStore(tmp_path / "pseudonymised")
    build(raw, plain, Settings())
    build(raw, pseudonymised, settings())
    count = (
        "SELECT update_type, count(*), count(DISTINCT user_id), count(DISTINCT chat_id) FROM {} GROUP BY 1 ORDER BY 1"
    )
    for table in layout.TABLE_NAMES:
        assert run_sql(plain, count.format(table)).rows == run_sql(pseudonymised, count.format(table)).rows
    users = run_sql(pseudonymised, "SELECT DISTINCT user_id FROM telegram_updates WHERE user_id IS NOT NULL")
    assert all(is_pseudonym(u) for (u,) in users.rows)


def test_imported_history_matches_the_bot_s_rows_under_pseudonyms(tmp_path):
    """In a basic group an imported message is the bot's by chat, second, sender and kind: both sides
    are pseudonymised before they are compared."""
    from exportkit import group_seen_by_both
    from tgpipe.history import importer

    bot, export = group_seen_by_both(tmp_path)
    found = {}
    for name, with_settings in (("plain", Settings()), ("pseudonymised", settings())):
        raw, enriched = LocalStore(tmp_path / name / "raw", private=True), LocalStore(tmp_path / name / "enriched")
        ingest.store_updates([to_bytes(bot)], raw, with_settings)
        importer.import_export(export, raw, enriched, with_settings)
        sql = "SELECT source, text, user_id FROM telegram ORDER BY date, source"
        found[name] = run_sql(enriched, sql).rows
    assert [r[:2] for r in found["plain"]] == [("desktop_export", "antes"), ("bot", "oi")]  # message 5 is the bot's
    assert [r[:2] for r in found["pseudonymised"]] == [r[:2] for r in found["plain"]]
    assert {r[2] for r in found["pseudonymised"]} == {Pseudonymizer(KEY).pseudonym(7)}


def test_the_key_reaches_no_log_line(raw, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    build(raw, LocalStore(tmp_path / "enriched"), settings())
    with pytest.raises(ConfigError):
        build(raw, LocalStore(tmp_path / "enriched"), settings(OTHER_KEY))
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any('"etl run done"' in line for line in lines)
    assert not [line for line in lines if KEY in line or OTHER_KEY in line]


def test_an_update_that_cannot_be_rewritten_is_quarantined_and_the_day_goes_on(raw, tmp_path, monkeypatch):
    rewrite = Pseudonymizer.update

    def failing(self, update):  # as a RecursionError would, on an update nested too deeply
        if update["update_id"] == personkit.FIRST_UPDATE_ID:
            raise RecursionError("maximum recursion depth exceeded")
        return rewrite(self, update)

    monkeypatch.setattr(Pseudonymizer, "update", failing)
    result = build(raw, LocalStore(tmp_path / "enriched"), settings())
    assert (result.updates, sum(d.quarantined for d in result.days)) == (len(personkit.UPDATES) - 1, 1)
    (reason,) = [o.key for o in raw.list("quarantine/") if o.key.endswith(".reason")]
    assert b"unreadable_columns" in raw.get(reason)


def test_the_nightly_etl_of_tgpipe_run_follows_pseudonymize(tmp_path):
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    update = personkit.message(1, text="oi")
    update["date"] = int(yesterday.timestamp())
    ingest.store_update(to_bytes({"update_id": 5, "message": update}), raw, Settings())
    nightly = NightlyEtl(raw, enriched, settings(), time(0, 30))
    nightly.run_once()
    assert (nightly.runs, nightly.failures) == (1, 0)
    (user,) = run_sql(enriched, "SELECT user_id FROM telegram").rows[0]
    assert user == Pseudonymizer(KEY).pseudonym(personkit.person(1)["id"])
