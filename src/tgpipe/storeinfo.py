"""The settings a store's keys depend on, recorded in the store by its first write.

An update's raw key holds its day in TIMEZONE, and update ids are unique per bot only. The same
updates ingested with another TIMEZONE would land under other days (and count twice), a day
rebuilt with another TIMEZONE would mix two calendars, and another bot's update 42 would be
taken for this bot's. So the first command that writes a store records TIMEZONE (and the bot's
id, where it is known: polling knows it from the token), and every command that writes it
later, with other settings, refuses with one error that says how to proceed. This holds for
folders and `s3://` stores alike (`_tgpipe/settings.json`, see `tgpipe.layout`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass

from tgpipe import __version__, layout
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.stores import Store


@dataclass(frozen=True)
class StoreSettings:
    """What a store records: the settings its keys depend on."""

    timezone: str
    bot_id: int | None = None
    written_by: str = f"tgpipe {__version__}"

    @classmethod
    def from_json(cls, data: bytes) -> StoreSettings:
        record = json.loads(data)
        return cls(record["timezone"], record.get("bot_id"), record.get("written_by", ""))

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=1) + "\n").encode()


_checked: set[tuple[str, str, int | None]] = set()
_lock = threading.Lock()


def recorded(store: Store) -> StoreSettings | None:
    """Return the settings `store` recorded, or None if it has recorded none yet."""
    try:
        return StoreSettings.from_json(store.get(layout.SETTINGS_KEY))
    except NotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{store}: {layout.SETTINGS_KEY} is not a settings record tgpipe wrote") from None


def require(store: Store, settings: Settings, bot_id: int | None = None, role: str = "store") -> StoreSettings:
    """Check that `store` was written with these settings; record them if it has none yet.

    Checked once per process for the same store and settings (the ingest path calls this for
    every update). `role` names the store in the error ("raw store").

    Raises:
        ConfigError: the store was set up with another TIMEZONE or for another bot.
    """
    timezone = settings.timezone.key
    check = (store.uri, timezone, bot_id)
    if check in _checked:
        return StoreSettings(timezone, bot_id)
    with _lock:
        found = recorded(store)
        if found is None:
            store.put_new(layout.SETTINGS_KEY, StoreSettings(timezone, bot_id).to_json())
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
        if bot_id is not None and found.bot_id is None:
            found = StoreSettings(timezone, bot_id)
            store.put(layout.SETTINGS_KEY, found.to_json())
        _checked.add(check)
        return found
