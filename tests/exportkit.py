"""Telegram Desktop exports written by the tests, as Desktop writes them (the project's own
fixtures: nothing here comes from a real export)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
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


def group_seen_by_both(folder: Path) -> tuple[dict, Path]:
    """A basic group (4242) whose message the bot captured (update 901: message 77 of Zoë, user 7,
    five minutes after T0), and its export, written to `folder`/result.json: message 4 before it,
    and the same message as 5 in the exporting account's numbering."""
    when = T0 + 5 * 60
    bot = {
        "update_id": 901,
        "message": {"message_id": 77, "date": when, "text": "oi", "chat": {"id": -4242, "type": "group", "title": "G"},
                    "from": {"id": 7, "is_bot": False, "first_name": "Zoë"}},
    }  # fmt: skip
    export = folder / "result.json"
    export.write_bytes(dump(chat([message(4, "antes"), message(5, "oi", when=when)], "private_group", 4242)))
    return bot, export


# ---- a history written as an export, and what its rows must read ------------------------------
#
# `history()` makes chats (a forum supergroup, a basic group, a channel and, for a store that the bot
# also captured, the sample's main group) with text, hashtags, links, media, replies, forum topics,
# anonymous admins, channel posts, joins, leaves, pins, edits and reactions. Each message is written
# twice, from one description: as Telegram Desktop writes it (the export), and as the Bot API
# message the tables should read it as (`HistoryMessage.api`), with what an export lacks left out
# (usernames, file ids, whether a sender is a bot). The parity tests compute their answers from the
# second and import the first: nothing here calls tgpipe.

ZONE = "Africa/Algiers"  # the exporting computer's zone: UTC+1 all year, so local times read back exactly
FILE_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CUSTOM_EMOJI = "5368324170671202286"
HISTORY_PEOPLE = (
    (111_000_001, "Ana"),
    (111_000_002, "João Pedro"),
    (111_000_003, "Zoë"),
    (111_000_004, "محمد"),
    (111_000_005, "Chloé"),
    (222_000_001, "Olu"),
    (222_000_002, "Mei 🌸"),
    (222_000_003, "Tomás"),
    (222_000_004, "Wilhelmina Mwangi-Wambui"),  # wide letters: a chart must not cut its name off
)


@dataclass(frozen=True)
class HistoryChat:
    bare: int
    export_type: str
    name: str

    @property
    def type(self) -> str:
        return {"private_group": "group", "public_channel": "channel"}.get(self.export_type, "supergroup")

    @property
    def id(self) -> int:
        return -self.bare if self.type == "group" else -(10**12 + self.bare)

    def api(self) -> dict:
        return {"id": self.id, "type": self.type, "title": self.name}


FORUM = HistoryChat(3_100_000_001, "private_supergroup", "Fórum de dados 🧪")
FAMILY = HistoryChat(4_242, "private_group", "Família Souza")
NEWS = HistoryChat(3_200_000_002, "public_channel", "Notícias 📣")
MAIN = HistoryChat(1_234_567_890, "public_supergroup", "Dados & Café ☕")  # the sample's main group


@dataclass
class HistoryMessage:
    chat: HistoryChat
    raw: dict
    """As Telegram Desktop writes it."""
    api: dict
    """The Bot API message the tables should read it as."""
    tallies: list = field(default_factory=list)
    """(reaction, count) of each reaction the export counts on it."""
    people: list = field(default_factory=list)
    """(user_id, reaction, unix time) of each person the export names as having reacted."""


@dataclass
class History:
    messages: list[HistoryMessage]
    chats: list[HistoryChat]

    def export(self) -> dict:
        return account(
            [chat([m.raw for m in self.messages if m.chat == c], c.export_type, c.bare, c.name) for c in self.chats]
        )


def _parts_and_entities(pieces: list) -> tuple[list | str, str, list]:
    """Text parts as Desktop writes them, and the text and entities (UTF-16 offsets) the Bot API has."""
    text, entities = "", []
    for piece in pieces:
        if isinstance(piece, str):
            text += piece
            continue
        offset, length = len(text.encode("utf-16-le")) // 2, len(piece["text"].encode("utf-16-le")) // 2
        kind = {"link": "url"}.get(piece["type"], piece["type"])
        entity = {"type": kind, "offset": offset, "length": length}
        if piece["type"] == "text_link":
            entity["url"] = piece["href"]
        entities.append(entity)
        text += piece["text"]
    parts = pieces[0] if len(pieces) == 1 and isinstance(pieces[0], str) else pieces
    return parts, text, entities


def history(
    chats=(FORUM, FAMILY, NEWS),
    first: str = "2025-09-01",
    days: int = 60,
    per_chat: int = 120,
    seed: int = 5,
    captured: list | None = None,
) -> History:
    """Chats of messages over `days` days from `first` (see the section above). `captured`: the bot's
    messages (Bot API) to write into the export too, copies of what the bot already has."""
    rng = random.Random(seed)
    start = int(datetime.fromisoformat(first).replace(tzinfo=ZoneInfo("UTC")).timestamp())
    out: list[HistoryMessage] = []
    for c in chats:
        out.extend(_chat_history(rng, c, start, days, per_chat))
    for m in captured or ():
        out.append(_captured_copy(m))
    return History(out, list(chats) + ([MAIN] if captured and MAIN not in chats else []))


def _chat_history(rng: random.Random, c: HistoryChat, start: int, days: int, count: int) -> list[HistoryMessage]:
    times = sorted(start + rng.randrange(days * 86400) for _ in range(count))
    out: list[HistoryMessage] = []
    topics: dict[int, str] = {}
    content: list[HistoryMessage] = []
    for n, when in enumerate(times, start=1):
        person = rng.choices(HISTORY_PEOPLE, (5, 4, 3, 3, 2, 2, 1, 0.1, 1))[0]  # Tomás says little
        roll = rng.random()
        if c.type == "supergroup" and c == FORUM and n <= 3:
            out.append(_service(c, n, when, person, "topic_created", title=("Dúvidas", "Vagas 💼", "Eventos")[n - 1]))
            topics[n] = out[-1].api["forum_topic_created"]["name"]
            continue
        if c.type != "channel" and roll < 0.12:
            action = rng.choice(("join_group_by_link", "invite_members", "remove_members", "pin_message"))
            if action == "pin_message" and not content:
                action = "join_group_by_link"
            if action == "pin_message":
                out.append(_service(c, n, when, person, action, message_id=rng.choice(content).api["message_id"]))
            elif action == "invite_members":
                out.append(_service(c, n, when, person, action, members=[rng.choice(HISTORY_PEOPLE)[1], "Vó Lúcia"]))
            elif action == "remove_members":
                out.append(_service(c, n, when, person, action, members=[person[1]]))
            else:
                out.append(_service(c, n, when, person, action))
            continue
        if c.type == "supergroup" and n == 40:
            out.append(_service(c, n, when, person, "edit_group_title", title=c.name + " 2025"))
            continue
        message = _content(rng, c, n, when, person)
        thread = None
        if c == FORUM and rng.random() < 0.75:
            thread = rng.choice(sorted(topics))
        same = [m for m in content[-30:] if m.api.get("message_thread_id") == thread]
        if same and rng.random() < 0.2:  # a real reply, in the same topic
            target = rng.choice(same).api["message_id"]
            message.raw["reply_to_message_id"] = target
            message.api["reply_to_message"] = {"message_id": target}
        elif thread is not None:  # in a topic: Telegram makes the topic's creation message its reply
            message.raw["reply_to_message_id"] = thread
            message.api["reply_to_message"] = {"message_id": thread}
        if thread is not None:
            message.api.update(message_thread_id=thread, is_topic_message=True)
        if rng.random() < 0.2:
            _react(rng, message, c, when)
        out.append(message)
        content.append(message)
    return out


def _base(c: HistoryChat, n: int, when: int, kind: str) -> tuple[dict, dict]:
    raw = {"id": n, "type": kind, "date": local(when, ZONE), "date_unixtime": str(when)}
    return raw, {"message_id": n, "date": when, "chat": c.api()}


def _service(c: HistoryChat, n: int, when: int, person: tuple, action: str, **fields) -> HistoryMessage:
    raw, api = _base(c, n, when, "service")
    user = {"id": person[0], "first_name": person[1]}
    raw.update({"actor": person[1], "actor_id": f"user{person[0]}", "action": action, **fields})
    raw.update({"text": "", "text_entities": []})
    api["from"] = user
    if action == "join_group_by_link":
        api["new_chat_members"] = [user]
    elif action == "invite_members":
        api["new_chat_members"] = [{"first_name": name} for name in fields["members"]]
    elif action == "remove_members":
        api["left_chat_member"] = user
    elif action == "pin_message":
        api["pinned_message"] = {"message_id": fields["message_id"]}
    elif action == "topic_created":
        api.update(forum_topic_created={"name": fields["title"]}, message_thread_id=n, is_topic_message=True)
    elif action == "edit_group_title":
        api["new_chat_title"] = fields["title"]
    return HistoryMessage(c, raw, api)


def _content(rng: random.Random, c: HistoryChat, n: int, when: int, person: tuple) -> HistoryMessage:
    raw, api = _base(c, n, when, "message")
    if c.type == "channel":
        raw.update({"from": c.name, "from_id": f"channel{c.bare}"})
        api["sender_chat"] = c.api()
    elif c.type == "supergroup" and rng.random() < 0.1:  # an anonymous admin: the group itself
        raw.update({"from": c.name, "from_id": f"channel{c.bare}"})
        api.update({"from": dict(ANONYMOUS_ADMIN), "sender_chat": c.api()})
    else:
        raw.update({"from": person[1], "from_id": f"user{person[0]}"})
        api["from"] = {"id": person[0], "first_name": person[1]}
    roll = rng.random()
    pieces: list = [rng.choice(("Bom dia! ☀️", "Alguém viu isso?", "Reunião às 15h", "👍", "Obrigado 🙏", "مرحبا"))]
    if rng.random() < 0.25:
        pieces += [" ", {"type": "hashtag", "text": rng.choice(("#dados", "#SQL", "#vagas", "#café"))}]
    if rng.random() < 0.12:
        pieces += [" ", {"type": "link", "text": rng.choice(("https://duckdb.org", "https://trino.io/docs"))}]
    if rng.random() < 0.05:
        pieces += [" ", {"type": "text_link", "text": "aqui", "href": "https://example.com/artigo"}]
    if roll < 0.12:
        size = rng.randrange(20_000, 900_000)
        raw.update({"photo": FILE_NOT_INCLUDED, "photo_file_size": size, "width": 1280, "height": 960})
        api["photo"] = [{"width": 1280, "height": 960, "file_size": size}]
        text_key = "caption" if rng.random() < 0.5 else None
    elif roll < 0.18:
        size = rng.randrange(5_000, 3_000_000)
        raw.update({"file": FILE_NOT_INCLUDED, "file_name": "relatório.pdf", "file_size": size})
        raw["mime_type"] = "application/pdf"
        api["document"] = {"file_name": "relatório.pdf", "mime_type": "application/pdf", "file_size": size}
        text_key = "caption" if rng.random() < 0.3 else None
    elif roll < 0.23:
        raw.update({"file": FILE_NOT_INCLUDED, "media_type": "sticker", "sticker_emoji": "😂", "width": 512})
        raw.update({"height": 512, "file_size": 24_000, "mime_type": "image/webp"})
        api["sticker"] = {"width": 512, "height": 512, "emoji": "😂", "file_size": 24_000}
        text_key = None
    elif roll < 0.27:
        seconds = rng.randrange(2, 60)
        raw.update({"file": FILE_NOT_INCLUDED, "media_type": "voice_message", "mime_type": "audio/ogg"})
        raw.update({"duration_seconds": seconds, "file_size": seconds * 2000})
        api["voice"] = {"duration": seconds, "mime_type": "audio/ogg", "file_size": seconds * 2000}
        text_key = None
    else:
        text_key = "text"
    if text_key is None:
        raw.update({"text": "", "text_entities": []})
    else:
        if text_key == "text" and rng.random() < 0.1:  # edited: the export holds the text after the last edit
            edited = when + rng.randrange(30, 7200)
            raw.update({"edited": local(edited, ZONE), "edited_unixtime": str(edited)})
            api["edit_date"] = edited
            pieces = [*pieces, " (editado)"]
        parts, text, entities = _parts_and_entities(pieces)
        raw.update({"text": parts, "text_entities": entities_of(parts)})
        api[text_key] = text
        if entities:
            api["entities" if text_key == "text" else "caption_entities"] = entities
    return HistoryMessage(c, raw, api)


def _react(rng: random.Random, m: HistoryMessage, c: HistoryChat, when: int) -> None:
    """Reactions as Desktop 5.5.7+ writes them: per reaction its count and, in groups, recent people."""
    kinds = rng.sample(
        [("emoji", "❤"), ("emoji", "👍"), ("emoji", "🔥"), ("custom_emoji", CUSTOM_EMOJI), ("paid", "")], 2
    )
    items = []
    for kind, value in kinds:
        count = rng.randrange(1, 40)
        item = {"type": kind, "count": count}
        name = value if kind == "emoji" else f"custom_emoji:{value}" if kind == "custom_emoji" else "paid"
        if kind == "emoji":
            item["emoji"] = value
        elif kind == "custom_emoji":
            item["document_id"] = value
        m.tallies.append((name, count))
        if c.type != "channel":
            recent = []
            for person in rng.sample(HISTORY_PEOPLE, min(count, rng.randrange(0, 4))):
                at = when + rng.randrange(60, 5 * 86400)
                recent.append({"from": person[1], "from_id": f"user{person[0]}", "date": local(at, ZONE)})
                m.people.append((person[0], name, at))
            if recent:
                item["recent"] = recent
        items.append(item)
    m.raw["reactions"] = items


def _captured_copy(bot_message: dict) -> HistoryMessage:
    """A message the bot captured as an export holds it (same id and time, the text as edited since):
    the bot's row is kept, so it is expected nowhere."""
    when = bot_message["date"]
    raw, api = _base(MAIN, bot_message["message_id"], when, "message")
    sender = bot_message.get("from", {})
    raw.update({"from": sender.get("first_name"), "from_id": f"user{sender.get('id')}"})
    raw.update({"text": "copy in the export", "text_entities": entities_of("copy in the export")})
    return HistoryMessage(MAIN, raw, None)
