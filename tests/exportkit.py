"""Telegram Desktop exports written by the tests, as Desktop writes them (the project's own
fixtures: nothing here comes from a real export)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

T0 = 1727567989  # 2024-09-28 23:59:49 UTC (00:59:49 in Algiers, where the test exports are made)
GROUP_ID = 2482670091  # bare MTProto id of the test supergroup
GROUP = -(10**12 + GROUP_ID)


def local(unix: int, zone: str = "Africa/Algiers") -> str:
    """`date` as Desktop writes it: the exporting computer's wall-clock time, no offset."""
    return datetime.fromtimestamp(unix, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")


def message(mid: int, text="oi", sender="user7", name="Zoë Araújo", when: int | None = None, **fields) -> dict:
    when = T0 + (mid % 10**6) * 60 if when is None else when
    out = {"id": mid, "type": "message", "date": local(when), "date_unixtime": str(when)}
    if sender is not None:
        out.update({"from": name, "from_id": sender})
    out["text"] = text
    out["text_entities"] = entities_of(text)
    out.update(fields)
    return out


def service(mid: int, action: str | None, actor="user7", actor_name="Zoë Araújo", **fields) -> dict:
    when = T0 + (mid % 10**6) * 60
    out = {"id": mid, "type": "service", "date": local(when), "date_unixtime": str(when)}
    if actor is not None:
        out.update({"actor": actor_name, "actor_id": actor})
    if action is not None:
        out["action"] = action
    out.update(fields)
    out.update({"text": "", "text_entities": []})
    return out


def entities_of(text) -> list:
    if isinstance(text, str):
        return [{"type": "plain", "text": text}] if text else []
    return [{"type": "plain", "text": p} if isinstance(p, str) else p for p in text]


def chat(messages, type_="private_supergroup", id_=GROUP_ID, name="Dados ☕") -> dict:
    out = {} if name is None else {"name": name}
    out.update({"type": type_, "id": id_, "messages": messages})
    return out


def account(chats, left=(), user_id=42, first_name="Eu") -> dict:
    return {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": user_id, "first_name": first_name, "last_name": "", "phone_number": "+1"},
        "contacts": {"about": "...", "list": [{"first_name": "A", "phone_number": "+2", "date": "x"}]},
        "chats": {"about": "This page lists all chats from this export.", "list": list(chats)},
        "left_chats": {"about": "...", "list": list(left)},
    }


def dump(obj) -> bytes:
    """JSON as Desktop writes it: indented by one space, non-ASCII as UTF-8."""
    return json.dumps(obj, ensure_ascii=False, indent=1).encode()
