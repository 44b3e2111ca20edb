"""A chat for the privacy tests (the project's own synthetic data): Zoë (user 42) is the person to
forget, Ana (7) and Bruno (8) stay. Everything Zoë wrote holds the marker ZOE-SECRET, so a test can
look for it in every byte and every table cell; what the others wrote holds ANA- or BRUNO-."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import exportkit
from exportkit import GROUP, T0
from helpers import to_bytes

ZOE, ANA, BRUNO = 42, 7, 8
SECRET = b"ZOE-SECRET"
PRIVATE = ZOE  # the private chat of Zoë with the bot: its id is hers
#: Zoë as a sender or actor in a raw update's bytes (ids come first in the test's user objects).
SENT_BY_ZOE = re.compile(rb'"(?:from|user)":\s*\{"id":\s*42[,}]')
DAY_SECONDS = 86_400
#: The first day of the bot's updates (2024-09-30 in UTC): the export's messages come the day before.
START = T0 + DAY_SECONDS


def user(uid):
    names = {ZOE: "Zoë", ANA: "Ana", BRUNO: "Bruno"}
    return {"id": uid, "is_bot": False, "first_name": names[uid]}


CHAT = {"id": GROUP, "type": "supergroup", "title": "Dados ☕"}


def message(mid, sender, text, when, chat=CHAT, **extra):
    return {"message_id": mid, "from": user(sender), "chat": chat, "date": when, "text": text, **extra}


def updates(start: int = START) -> list[dict]:
    """Three days of updates of the group (and one private chat), Zoë's among them."""
    zoe_first = message(11, ZOE, "ZOE-SECRET-1 my first message", start + 60)
    out = []
    for day in range(3):
        t = start + day * DAY_SECONDS
        uid = 1000 + day * 100
        zoe = message(11 + day * 100, ZOE, f"ZOE-SECRET-{day} on day {day}", t + 60)
        out += [
            {"update_id": uid + 1, "message": message(10 + day * 100, ANA, f"ANA-{day} good morning", t)},
            {"update_id": uid + 2, "message": zoe},
            {
                "update_id": uid + 3,
                "message": message(
                    12 + day * 100,
                    BRUNO,
                    f"BRUNO-{day} replying to Zoë",
                    t + 120,
                    reply_to_message=zoe,
                    quote={"text": f"ZOE-SECRET-{day}", "position": 0},
                ),
            },
            {
                "update_id": uid + 4,
                "edited_message": {**zoe, "text": f"ZOE-SECRET-{day} edited", "edit_date": t + 180},
            },
            {
                "update_id": uid + 5,
                "message_reaction": {
                    "chat": CHAT,
                    "message_id": 10 + day * 100,
                    "user": user(ZOE),
                    "date": t + 200,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                },
            },
            {
                "update_id": uid + 6,
                "message_reaction": {
                    "chat": CHAT,
                    "message_id": 11 + day * 100,
                    "user": user(ANA),
                    "date": t + 210,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "❤"}],
                },
            },
            {
                "update_id": uid + 7,
                "message": message(13 + day * 100, BRUNO, f"BRUNO-{day} hi @zoe", t + 240),
            },
        ]
    out += [
        {
            "update_id": 2001,
            "message": {
                "message_id": 400,
                "from": user(ANA),
                "chat": CHAT,
                "date": start + 300,
                "pinned_message": zoe_first,
            },
        },
        {
            "update_id": 2002,
            "callback_query": {
                "id": "cb1",
                "from": user(ZOE),
                "chat_instance": "ci",
                "data": "ZOE-SECRET-button",
                "message": {"message_id": 401, "chat": CHAT, "date": start + 310, "text": "press"},
            },
        },
        {"update_id": 2003, "poll_answer": {"poll_id": "p1", "user": user(ZOE), "option_ids": [1]}},
        {
            "update_id": 2004,
            "message": message(
                1, ZOE, "ZOE-SECRET-private to the bot", start + 400, chat={"id": PRIVATE, "type": "private"}
            ),
        },
        {
            "update_id": 2005,
            "message": message(
                402,
                BRUNO,
                "a forward of what Zoë said",
                start + 500,
                forward_origin={"type": "user", "sender_user": user(ZOE), "date": start},
            ),
        },
    ]
    return out


def export_file(tmp: Path) -> Path:
    """A Telegram Desktop export of the group with Zoë's and Ana's messages of the day before, and
    the reactions to Ana's (Zoë's among the people it names)."""
    reactors = [(ZOE, "Zoë"), (BRUNO, "Bruno")]  # Zoë's reaction must go, Bruno's and the count stay
    recent = [{"from": name, "from_id": f"user{uid}", "date": exportkit.local(T0 + 900)} for uid, name in reactors]
    reactions = [{"type": "emoji", "count": 5, "emoji": "👍", "recent": recent}]
    messages = [
        exportkit.message(1, "ANA-export hello", sender=f"user{ANA}", name="Ana", reactions=reactions),
        exportkit.message(2, "ZOE-SECRET-export old message", sender=f"user{ZOE}", name="Zoë"),
        exportkit.message(3, "ANA-export answer", sender=f"user{ANA}", name="Ana", reply_to_message_id=2),
    ]
    path = tmp / "result.json"
    path.write_bytes(exportkit.dump(exportkit.chat(messages)))
    return path


#: A body that is not an update (no update_id), sent by Zoë: it is quarantined.
QUARANTINED = to_bytes({"message": message(9, ZOE, "ZOE-SECRET-quarantined", START)})


def bodies() -> list[bytes]:
    return [to_bytes(u) for u in updates()] + [QUARANTINED]


# ---- looking for Zoë ----------------------------------------------------------------------


def table_strings(table: pa.Table):
    """Every string value of a table (lists of strings included)."""
    for column in table.columns:
        kind = column.type
        values = column.to_pylist()
        if pa.types.is_string(kind):
            yield from (v for v in values if v is not None)
        elif pa.types.is_list(kind) and pa.types.is_string(kind.value_type):
            yield from (s for v in values if v for s in v if s is not None)


def zoe_in_parquet(data: bytes) -> list[str]:
    """What of Zoë a Parquet file holds: her marker in a string cell, her id in a sender column."""
    table = pq.read_table(io.BytesIO(data))
    found = [s for s in table_strings(table) if "ZOE-SECRET" in s or SENT_BY_ZOE.search(s.encode())]
    for name in ("user_id", "reply_to_user_id"):
        if name in table.column_names and ZOE in table[name].to_pylist():
            found.append(f"{name} {ZOE}")
    return found


def zoe_in_bytes(name: str, data: bytes) -> list[str]:
    """What of Zoë a stored object holds (a Parquet file's cells, any other file's bytes)."""
    if name.endswith(".parquet"):
        return zoe_in_parquet(data)
    found = []
    if SECRET in data:
        found.append("ZOE-SECRET")
    if SENT_BY_ZOE.search(data):
        found.append("sent by 42")
    return found


def zoe_in_folder(root: Path) -> dict[str, list[str]]:
    """Every file under `root` (tgpipe's own `_tgpipe/` files included) that holds something of Zoë."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and (hits := zoe_in_bytes(path.name, path.read_bytes())):
            found[str(path.relative_to(root))] = hits
    return found


def table_rows(root: Path, table: str) -> list[dict]:
    """Every row of a table in a local enriched store, with its day, in key order."""
    rows = []
    for path in sorted((root / table).glob("context_date=*/*.parquet")):
        day = path.parent.name.split("=")[1]
        rows += [{"day": day, **r} for r in pq.read_table(path).to_pylist()]
    return rows


def payload(row: dict) -> dict:
    return json.loads(row["payload"])
