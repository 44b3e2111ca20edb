"""The settings a store's keys depend on, recorded in the store by its first write.

An update's raw key holds its day in TIMEZONE, and update ids are unique per bot only. The same
updates ingested with another TIMEZONE would land under other days (and count twice), a day
rebuilt with another TIMEZONE would mix two calendars, and another bot's update 42 would be
taken for this bot's. So the first command that writes a store records TIMEZONE (and the bot's
id, where it is known: polling knows it from the token), and every command that writes it
later, with other settings, refuses with one error that says how to proceed. This holds for
folders and `s3://` stores alike (`_tgpipe/settings.json`, see `tgpipe.store.layout`).

An enriched store also records whether its tables are pseudonymised, by the fingerprint of the key
(`tgpipe.build.pseudonym`): days built plain and days built pseudonymised, or under two keys, would not
join, so a run that would mix them refuses too.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, replace

from tgpipe import __version__
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.store import layout
from tgpipe.store.base import Store


@dataclass(frozen=True)
class StoreSettings:
    """What a store records: the settings its keys depend on."""

    timezone: str
    bot_id: int | None = None
    written_by: str = f"tgpipe {__version__}"
    pseudonym_key: str | None = None
    """An enriched store's: the fingerprint of the key its tables were pseudonymised with; None if plain."""
    live_capture: bool | None = None
    """A raw store's: whether a live capture (the webhook, `tgpipe serve`, `tgpipe poll`) has written
    it, so that a silence means something (`tgpipe status`); False when only files did (`tgpipe
    ingest FILE`, `tgpipe import`); None in a record from before tgpipe kept it."""

    @classmethod
    def from_json(cls, data: bytes) -> StoreSettings:
        record = json.loads(data)
        live = record.get("live_capture")
        return cls(
            record["timezone"],
            record.get("bot_id"),
            record.get("written_by", ""),
            record.get("pseudonym_key"),
            live if type(live) is bool else None,
        )

    def to_json(self) -> bytes:
        record = asdict(self)
        for key in ("pseudonym_key", "live_capture"):  # a plain enriched store's record is as it always was
            if record[key] is None:
                del record[key]
        return (json.dumps(record, indent=1) + "\n").encode()


_checked: set[tuple[str, str, int | None, str | None]] = set()
_lock = threading.Lock()


def recorded(store: Store) -> StoreSettings | None:
    """Return the settings `store` recorded, or None if it has recorded none yet."""
    try:
        return StoreSettings.from_json(store.get(layout.SETTINGS_KEY))
    except NotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{store}: {layout.SETTINGS_KEY} is not a settings record tgpipe wrote") from None


def require(
    store: Store,
    settings: Settings,
    bot_id: int | None = None,
    role: str = "store",
    pseudonym_key: str | None = None,
    live: bool | None = None,
) -> StoreSettings:
    """Check that `store` was written with these settings; record them if it has none yet.

    Checked once per process for the same store and settings (the ingest path calls this for
    every update). `role` names the store in the error ("raw store"). `pseudonym_key` is the
    fingerprint of the key the caller pseudonymises tables with (None: it writes them plain).
    `live`: the caller stores updates into a raw store as they come (True: the webhook, serve,
    poll) or from files (False); recorded as `live_capture`, True once any live capture wrote.

    Raises:
        ConfigError: the store was set up with another TIMEZONE, for another bot, or with tables
            pseudonymised otherwise (see `_check_pseudonyms`).
    """
    timezone = settings.timezone.key
    check = (store.uri, timezone, bot_id, pseudonym_key, live)
    if check in _checked:
        return StoreSettings(timezone, bot_id, pseudonym_key=pseudonym_key, live_capture=live)
    with _lock:
        found = recorded(store)
        if found is None:
            if pseudonym_key is not None and _has_tables(store):
                raise ConfigError(
                    f"the {role} {store} holds tables but records no settings, so they were built before tgpipe "
                    "recorded whether tables are pseudonymised: build the pseudonymised tables into a new store "
                    "(tgpipe etl --all --pseudonymize --enriched NEW)"
                )
            first = StoreSettings(timezone, bot_id, pseudonym_key=pseudonym_key, live_capture=live)
            store.put_new(layout.SETTINGS_KEY, first.to_json())
            found = recorded(store)  # ours, or a concurrent first writer's
        if found.timezone != timezone:
            raise ConfigError(
                f"the {role} {store} keeps its days in TIMEZONE={found.timezone}, not {timezone}: run with "
                f"TIMEZONE={found.timezone} (or --timezone {found.timezone}), or use a new store for another time zone"
            )
        if bot_id is not None and found.bot_id not in (None, bot_id):
            raise ConfigError(
                f"the {role} {store} holds the updates of bot {found.bot_id}, and TELEGRAM_BOT_TOKEN is bot "
                f"{bot_id}'s: update ids are unique per bot only, so use a new store for this bot"
            )
        _check_pseudonyms(store, role, found.pseudonym_key, pseudonym_key)
        more_bot = bot_id is not None and found.bot_id is None
        more_live = live and found.live_capture is False  # a live capture now writes a store files fed
        if more_bot or more_live:
            found = replace(
                found, bot_id=found.bot_id if bot_id is None else bot_id, live_capture=found.live_capture or live
            )
            store.put(layout.SETTINGS_KEY, found.to_json())
        _checked.add(check)
        return found


def _check_pseudonyms(store: Store, role: str, recorded_key: str | None, key: str | None) -> None:
    """Refuse to write tables plain into a pseudonymised store, pseudonymised into a plain one, or
    under another key: the pseudonyms of the days would not match (see `tgpipe.build.pseudonym`).

    Raises:
        ConfigError: one of those; the message names key fingerprints only.
    """
    if recorded_key == key:
        return
    rebuild = "tgpipe etl --all --pseudonymize --enriched NEW"
    if key is None:
        raise ConfigError(
            f"the {role} {store} holds pseudonymised tables (key fingerprint {recorded_key}): run with "
            "PSEUDONYMIZE=1 (or --pseudonymize) and that key, or use a new store for tables that are not pseudonymised"
        )
    if recorded_key is None:
        raise ConfigError(
            f"the {role} {store} holds tables that are not pseudonymised, and days of both kinds would not join: "
            f"build the pseudonymised tables into a new store ({rebuild}), or run without PSEUDONYMIZE"
        )
    raise ConfigError(
        f"the {role} {store} was pseudonymised with another key (fingerprint {recorded_key}; this key's is {key}), "
        f"whose pseudonyms would not match: use the key it was built with, or rebuild every day into a new store "
        f"with this one ({rebuild})"
    )


def _has_tables(store: Store) -> bool:
    return any(store.list_folders(layout.table_prefix(table)) for table in layout.TABLE_NAMES)


def is_pseudonymized(store: Store) -> bool:
    """Whether `store` records pseudonymised tables."""
    found = recorded(store)
    return found is not None and found.pseudonym_key is not None
