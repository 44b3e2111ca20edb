"""Generate a realistic group chat as Telegram Bot API updates, for the demo, tests and benchmarks.

A seeded generator, so the same arguments give the same updates. The chat has users with very
uneven activity (and names in several scripts, right-to-left ones included), a daily rhythm that
is quieter at weekends, text with emoji, accents, hashtags, mentions, links and bot commands,
media of every common kind (albums, venues, files without a size), replies, forwards (old and
new style), edits, reactions, members joining and leaving, pins, forum topics, a channel with
edited posts, the bot's private conversations (commands, the buttons pressed after them, inline
queries), a few updates of a type tgpipe does not know, and a few duplicate deliveries, as
Telegram makes when a webhook answer is lost.

The richer parts draw from their own random stream (`ChatSimulator.extra`), so adding one does
not reshuffle the rest of the chat.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

#: The zone the chat's members live in: it shapes the daily rhythm, not the stored data.
CHAT_ZONE = ZoneInfo("America/Sao_Paulo")
FIRST_UPDATE_ID = 870_000_000
#: How big a chat `generate` makes unless told: about 3,000 updates over six weeks.
DEFAULT_UPDATES = 3000
DEFAULT_DAYS = 42
DEFAULT_SEED = 7


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    weight: float
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user


USERS = (
    User(111_000_001, "Ana", "Souza", "ana_souza", "pt-br", 30),
    User(111_000_002, "João Pedro", "Araújo", "jp_araujo", "pt-br", 18),
    User(111_000_003, "Zoë", None, "zoe", "en", 12),
    User(111_000_004, "محمد", "الأحمد", None, "ar", 8),
    User(111_000_005, "Chloé", "Lefèvre", "chloe_l", "fr", 7),
    User(111_000_006, "Priya 🌸", None, "priya", "en", 6),
    User(111_000_007, "Björn", "Ångström", "bjorn", "sv", 5),
    User(111_000_008, "李雷", None, None, "zh-hans", 4),
    User(111_000_009, "דוד", "כהן", "david_k", "he", 3),
    User(111_000_010, "Олег", None, "oleg", "ru", 2),
    User(111_000_011, "Ngozi", "Okafor", "ngozi", "en", 1.5),
    User(111_000_012, "Kai", None, None, None, 0.5),
    User(111_000_099, "StatsBot", None, "stats_bot", None, 1, is_bot=True),
)

MAIN_GROUP = {"id": -1001234567890, "title": "Dados & Café ☕", "type": "supergroup", "username": "dados_cafe"}
SIDE_GROUP = {"id": -1009876543210, "title": "Trilhas de fim de semana 🏔️", "type": "supergroup", "is_forum": True}
#: The forum's topics, created at the start (their ids are their creation messages'), and the new name
#: the second is given later.
FORUM_TOPICS = ("Serra do Mar 🌿", "Equipamento", "Caronas 🚗")
RENAMED_TOPIC = "Equipamento e roupas"
VENUES = (
    ("Café Girondino", "R. Boa Vista, 365 - Centro, São Paulo", -23.5458, -46.6339),
    ("Parque Ibirapuera", "Av. Pedro Álvares Cabral, São Paulo", -23.5874, -46.6576),
    ("Biblioteca Mário de Andrade", "R. da Consolação, 94, São Paulo", -23.5469, -46.6436),
)
CHANNEL = {"id": -1005555555555, "title": "tgpipe news 📣", "type": "channel", "username": "tgpipe_news"}

PHRASES = (
    "Bom dia, pessoal! ☀️",
    "Alguém já usou DuckDB com Parquet particionado?",
    "Acabei de rodar a query e deu certo 🎉",
    "Não entendi a parte do Athena, pode explicar?",
    "Reunião às 15h, ok?",
    "Olha esse gráfico 📈 ficou ótimo",
    "Café ☕ + SQL = felicidade",
    "kkkkk verdade 😂",
    "Obrigado! 🙏",
    "Qual é a diferença entre Glue e Athena?",
    "Essa análise está incrível, parabéns! 👏👏",
    "Good morning everyone 👋",
    "Has anyone benchmarked zstd vs snappy?",
    "Merci beaucoup, c'est très utile ! 🇫🇷",
    "Ça marche 👍",
    "مرحبا بالجميع",
    "שלום לכולם",
    "Привет всем!",
    "大家好 🐼",
    "Hej! Vad händer? 🇸🇪",
    "Vou compartilhar o notebook depois da aula",
    "A partição por data ajudou muito na performance 🚀",
    "Quem vem no encontro de sábado? 🍕",
    "Cuidado com o fuso horário nas consultas ⏰",
    "👍",
    "❤️",
    "🔥🔥🔥",
    "Família 👨‍👩‍👧‍👦 reunida no fim de semana",
    "Ótima ideia! Também acho que é melhor começar pelo básico.",
)
# Added for what people talk about (issue 26): longer messages in more languages, with words worth
# finding; the TRENDING ones are said more and more as the days go by (the report's rising terms).
TALK = (
    "Alguém conseguiu configurar o particionamento por data no Athena? A consulta está lenta demais",
    "O painel de vendas ficou lento de novo, precisamos revisar os índices do banco",
    "Amanhã tem reunião de planejamento da sprint, tragam as estimativas das tarefas",
    "Has anyone compared the dashboard numbers with the finance spreadsheet this week?",
    "The dashboard query timed out again, we should cache the daily aggregates",
    "¿Alguien sabe cómo exportar el informe de ventas a Parquet desde la consola?",
    "El informe semanal de ventas ya está listo, revisad los gráficos por favor",
    "Kann jemand das Dashboard prüfen? Die Zahlen vom Vertrieb stimmen nicht",
    "Подскажите, как настроить отчёт по продажам в дашборде? Цифры не сходятся",
    "Le tableau de bord des ventes est enfin à jour, merci pour votre patience",
)
TRENDING = (
    "Começamos a migração das tabelas para Iceberg, a primeira partição já foi convertida 🚀",
    "A migração para Iceberg reduziu o custo das consultas pela metade 📉",
    "The Iceberg migration is almost done, snapshots and time travel work fine",
    "¿Ya probasteis las tablas Iceberg? La migración fue más fácil de lo esperado",
)
HASHTAGS = ("#dados", "#sql", "#python", "#aws", "#duckdb", "#parquet", "#café")
LINKS = ("https://duckdb.org/docs", "https://core.telegram.org/bots/api", "https://arrow.apache.org")
COMMANDS = ("/stats", "/help", "/start")

# Message kinds and their share of messages (text takes the rest).
MEDIA_SHARE = (
    ("photo", 0.08),
    ("sticker", 0.06),
    ("voice", 0.03),
    ("document", 0.02),
    ("video", 0.02),
    ("animation", 0.02),
    ("video_note", 0.005),
    ("audio", 0.005),
    ("location", 0.005),
    ("poll", 0.004),
    ("dice", 0.004),
    ("contact", 0.002),
)


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class ChatSimulator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.extra = random.Random(seed * 7919 + 1)
        self.update_id = FIRST_UPDATE_ID
        self.message_ids: dict[int, int] = {}
        self.recent: dict[int, list[dict[str, Any]]] = {}
        self.members = set(u.id for u in USERS[:8])
        self.topics: dict[int, dict[str, Any]] = {}
        """The forum's topics: id -> the topic's creation message."""
        self.talk = random.Random(seed * 104729 + 3)  # its own stream: the other choices stay as they were
        self.first_when: int | None = None
        self.bot = random.Random(seed * 104_729 + 3)
        """The stream of the bot's private conversations (`bot_session`): the chats stay as they were."""
        self.bot_since: int | None = None
        """When the first person talked to the bot."""

    def next_update_id(self) -> int:
        self.update_id += self.rng.choice((1, 1, 1, 2))  # Telegram's ids grow, with gaps
        return self.update_id

    def next_message_id(self, chat: dict[str, Any]) -> int:
        self.message_ids[chat["id"]] = self.message_ids.get(chat["id"], 4000) + 1
        return self.message_ids[chat["id"]]

    def file(self, prefix: str, size: int) -> dict[str, Any]:
        token = f"{self.rng.getrandbits(64):016x}"
        return {"file_id": f"{prefix}{token}AgADBAAD", "file_unique_id": f"AQAD{token[:10]}", "file_size": size}

    def text_with_entities(self) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        text = rng.choice(PHRASES)
        entities: list[dict[str, Any]] = []

        def append(piece: str, kind: str | None) -> None:
            nonlocal text
            text += " "
            if kind:
                entities.append({"offset": utf16_len(text), "length": utf16_len(piece), "type": kind})
            text += piece

        if rng.random() < 0.15:
            append(rng.choice(HASHTAGS), "hashtag")
            if rng.random() < 0.3:
                append(rng.choice(HASHTAGS), "hashtag")
        if rng.random() < 0.06:
            user = rng.choice([u for u in USERS if u.username and not u.is_bot])
            append(f"@{user.username}", "mention")
        if rng.random() < 0.05:
            append(rng.choice(LINKS), "url")
        if rng.random() < 0.03:
            command = rng.choice(COMMANDS)
            text = command
            entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return text, entities

    def content(self, kind: str) -> dict[str, Any]:
        rng = self.rng
        if kind == "text":
            text, entities = self.text_with_entities()
            return {"text": text, **({"entities": entities} if entities else {})}
        if kind == "photo":
            sizes = [(90, 67), (320, 240), (1280, 960)]
            photo = [{**self.file("AgACAgEAAx", w * h // 8), "width": w, "height": h} for w, h in sizes]
            extra = {"caption": rng.choice(PHRASES)} if rng.random() < 0.4 else {}
            return {"photo": photo, **extra}
        if kind == "sticker":
            return {
                "sticker": {
                    **self.file("CAACAgIAAx", 24_000),
                    "width": 512,
                    "height": 512,
                    "emoji": rng.choice("😀😂👍🔥❤🎉🐼"),
                    "set_name": "HotCherry",
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            }
        if kind == "voice":
            seconds = rng.randint(2, 90)
            return {"voice": {**self.file("AwACAgEAAx", seconds * 2000), "duration": seconds, "mime_type": "audio/ogg"}}
        if kind == "audio":
            return {
                "audio": {
                    **self.file("CQACAgEAAx", 4_200_000),
                    "duration": 215,
                    "mime_type": "audio/mpeg",
                    "title": "Samba de uma nota só",
                    "performer": "Tom Jobim",
                    "file_name": "samba.mp3",
                }
            }
        if kind == "document":
            name = rng.choice(("relatório.pdf", "notebook.ipynb", "dados_2025.csv", "slides-aula-3.pptx"))
            mime = {
                "pdf": "application/pdf",
                "ipynb": "application/x-ipynb+json",
                "csv": "text/csv",
                "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
            return {
                "document": {
                    **self.file("BQACAgEAAx", rng.randint(10_000, 5_000_000)),
                    "file_name": name,
                    "mime_type": mime[name.rsplit(".", 1)[1]],
                }
            }
        if kind == "video":
            return {
                "video": {
                    **self.file("BAACAgEAAx", rng.randint(500_000, 20_000_000)),
                    "duration": rng.randint(5, 120),
                    "width": 1280,
                    "height": 720,
                    "mime_type": "video/mp4",
                }
            }
        if kind == "animation":
            animation = {
                **self.file("CgACAgQAAx", 350_000),
                "duration": 3,
                "width": 480,
                "height": 270,
                "file_name": "mp4.mp4",
                "mime_type": "video/mp4",
            }
            return {
                "animation": animation,
                "document": {
                    k: animation[k] for k in ("file_id", "file_unique_id", "file_size", "file_name", "mime_type")
                },
            }
        if kind == "video_note":
            return {"video_note": {**self.file("DQACAgEAAx", 800_000), "duration": 12, "length": 240}}
        if kind == "location":
            return {
                "location": {
                    "latitude": -23.5505 + rng.uniform(-0.1, 0.1),
                    "longitude": -46.6333 + rng.uniform(-0.1, 0.1),
                }
            }
        if kind == "poll":
            options = ["Terça", "Quarta", "Quinta"]
            return {
                "poll": {
                    "id": str(rng.getrandbits(60)),
                    "question": "Melhor dia para o encontro?",
                    "options": [{"text": o, "voter_count": 0} for o in options],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": False,
                    "type": "regular",
                    "allows_multiple_answers": False,
                }
            }
        if kind == "dice":
            return {"dice": {"emoji": "🎲", "value": rng.randint(1, 6)}}
        if kind == "contact":
            user = rng.choice(USERS[:6])
            return {"contact": {"phone_number": "+5511999990000", "first_name": user.first_name, "user_id": user.id}}
        raise ValueError(kind)

    def enrich(self, message: dict[str, Any], kind: str, chat: dict[str, Any]) -> None:
        """Add the rarer features to a message, from the `extra` random stream."""
        extra = self.extra
        if kind == "location" and extra.random() < 0.5:
            title, address, latitude, longitude = extra.choice(VENUES)
            location = {"latitude": latitude, "longitude": longitude}
            message.update(location=location, venue={"location": location, "title": title, "address": address})
        if kind == "photo" and extra.random() < 0.3:
            message["media_group_id"] = str(13_500_000_000_000_000 + extra.randrange(10**6))
        if kind == "document" and extra.random() < 0.1:
            del message["document"]["file_size"]  # Telegram leaves it out for some large files
        if kind == "text" and extra.random() < 0.03:
            link = extra.choice(LINKS)
            offset = utf16_len(message["text"]) + 1
            message["text"] += " docs"
            message.setdefault("entities", []).append({"offset": offset, "length": 4, "type": "text_link", "url": link})
        if chat.get("is_forum") and extra.random() < 0.7 and self.topics:
            message["message_thread_id"] = extra.choice(sorted(self.topics))
            message["is_topic_message"] = True
        if "from" in message and extra.random() < 0.04:
            roll = extra.random()
            when = message["date"] - extra.randint(600, 30 * 86400)
            if roll < 0.5:
                origin = {"type": "channel", "chat": dict(CHANNEL), "message_id": extra.randint(1, 400), "date": when}
                message["forward_origin"] = origin
            elif roll < 0.8:
                user = extra.choice(USERS[:8])
                message["forward_origin"] = {"type": "user", "sender_user": user.to_api(), "date": when}
                message.update(forward_from=user.to_api(), forward_date=when)  # as Bot API 7 still sends
            else:
                message.update(forward_sender_name="Maria S.", forward_date=when)  # stored before Bot API 7

    def pick_kind(self) -> str:
        roll = self.rng.random()
        for kind, share in MEDIA_SHARE:
            if roll < share:
                return kind
            roll -= share
        return "text"

    def message(self, when: int, chat: dict[str, Any], sender: User | None) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": self.next_message_id(chat)}
        if sender is not None:
            message["from"] = sender.to_api()
        else:
            message["sender_chat"] = dict(chat)
        message["chat"] = dict(chat)
        message["date"] = when
        kind = self.pick_kind()
        message.update(self.content(kind))
        self.vary_talk(message, when)
        self.enrich(message, kind, chat)
        recent = self.recent.setdefault(chat["id"], [])
        if recent and self.rng.random() < 0.2:
            target = self.rng.choice(recent[-20:])
            message["reply_to_message"] = {
                k: target[k] for k in ("message_id", "from", "chat", "date", "text") if k in target
            }
        elif message.get("is_topic_message"):  # in a topic: Telegram makes its creation message the reply
            message["reply_to_message"] = self.topics[message["message_thread_id"]]
        recent.append(message)
        del recent[:-50]
        return message

    def vary_talk(self, message: dict[str, Any], when: int) -> None:
        """Give a plain text message (no entities) one of the longer TALK texts now and then, or a
        TRENDING one, from the fourth week on, more often as the days go by (half of them by the sixth)."""
        self.first_when = when if self.first_when is None else min(self.first_when, when)
        if "text" not in message or "entities" in message or self.talk.random() >= 0.35:
            return
        trending = min(0.5, max(0.0, (when - self.first_when) / 86400 - 21) / 40)
        message["text"] = self.talk.choice(TRENDING if self.talk.random() < trending else TALK)


def _moments(rng: random.Random, days: list[date], count: int) -> list[int]:
    """Spread `count` unix times over `days`: busier on weekdays, growing, with a daily rhythm."""
    weights = []
    for n, day in enumerate(days):
        weekday_factor = 0.45 if day.weekday() >= 5 else 1.0
        trend = 0.7 + 0.6 * n / max(1, len(days) - 1)
        weights.append(weekday_factor * trend * rng.uniform(0.7, 1.3))
    hours = [0.3 + math.exp(-((h - 10.5) ** 2) / 6) + 1.3 * math.exp(-((h - 21) ** 2) / 5) for h in range(24)]
    moments = []
    for day in rng.choices(days, weights, k=count):
        hour = rng.choices(range(24), hours)[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), CHAT_ZONE)
        moments.append(int(local.timestamp()))
    return sorted(moments)


def generate(
    updates: int = DEFAULT_UPDATES, days: int = DEFAULT_DAYS, end: date | None = None, seed: int = DEFAULT_SEED
) -> list[dict]:
    """Return about `updates` updates in delivery order, over `days` days ending with `end`.

    `end` defaults to yesterday. Duplicate deliveries appear as repeated items.
    """
    rng = random.Random(seed)
    sim = ChatSimulator(seed)
    end = end or (date.today() - timedelta(days=1))
    day_list = [end - timedelta(days=days - 1 - n) for n in range(days)]
    humans = [u for u in USERS if not u.is_bot]
    out: list[dict[str, Any]] = []

    def emit(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": sim.next_update_id(), kind: payload}
        out.append(update)
        if rng.random() < 0.006:
            out.append(update)  # the same delivery again
        return update

    def emit_extra(kind: str, payload: dict[str, Any]) -> None:
        sim.update_id += 1
        out.append({"update_id": sim.update_id, kind: payload})

    moments = _moments(rng, day_list, int(updates * 0.86))
    # What follows a message (an edit, a reaction) stays within the last day: the chat is the period's.
    first_second = int(datetime.combine(day_list[0], time(0), CHAT_ZONE).timestamp())
    last_second = int(datetime.combine(end + timedelta(days=1), time(0), CHAT_ZONE).timestamp()) - 1

    def later(when: int, seconds: int) -> int:
        return min(when + seconds, last_second)

    for name in FORUM_TOPICS:  # the forum's topics, created just before the first moment
        topic_id = sim.next_message_id(SIDE_GROUP)
        created = {
            "message_id": topic_id,
            "from": USERS[1].to_api(),
            "chat": dict(SIDE_GROUP),
            "date": max(moments[0] - 60, first_second),
        }
        created.update(message_thread_id=topic_id, is_topic_message=True, forum_topic_created={"name": name})
        created["forum_topic_created"]["icon_color"] = 7322096
        sim.topics[topic_id] = created
        emit_extra("message", created)
    for when in moments:
        roll = rng.random()
        if roll < 0.02:
            post = sim.message(when, CHANNEL, None)
            emit("channel_post", post)
            if "text" in post and sim.extra.random() < 0.15:
                edited = dict(post, text=post["text"] + " ✏️", edit_date=later(when, sim.extra.randint(60, 7200)))
                edited.pop("entities", None)
                emit_extra("edited_channel_post", edited)
            continue
        extra_events(sim, emit_extra, when)
        bot_session(sim, emit_extra, when)
        chat = SIDE_GROUP if roll < 0.10 else MAIN_GROUP
        if rng.random() < 0.004:
            outsider = rng.choice([u for u in humans if u.id not in sim.members] or humans)
            if outsider.id in sim.members:
                sim.members.discard(outsider.id)
                service = {"left_chat_member": outsider.to_api(), "left_chat_participant": outsider.to_api()}
            else:
                sim.members.add(outsider.id)
                service = {
                    "new_chat_members": [outsider.to_api()],
                    "new_chat_member": outsider.to_api(),
                    "new_chat_participant": outsider.to_api(),
                }
            message = {
                "message_id": sim.next_message_id(chat),
                "from": outsider.to_api(),
                "chat": dict(chat),
                "date": when,
                **service,
            }
            emit("message", message)
            joined = outsider.id in sim.members
            old, new = ("left", "member") if joined else ("member", "left")
            member = {
                "chat": dict(chat),
                "from": outsider.to_api(),
                "date": when,
                "old_chat_member": {"status": old, "user": outsider.to_api()},
                "new_chat_member": {"status": new, "user": outsider.to_api()},
            }
            emit_extra("chat_member", member)
            continue
        sender = rng.choices(USERS, [u.weight for u in USERS])[0]
        message = sim.message(when, chat, sender)
        emit("message", message)
        reply_thread(sim, emit_extra, message, last_second)
        if "text" in message and not sender.is_bot and rng.random() < 0.04:
            edited = dict(message, text=message["text"] + " (editado)", edit_date=later(when, rng.randint(20, 900)))
            edited.pop("entities", None)
            emit("edited_message", edited)
        if rng.random() < 0.06:
            reactor = rng.choice(humans)
            emit(
                "message_reaction",
                {
                    "chat": dict(chat),
                    "message_id": message["message_id"],
                    "user": reactor.to_api(),
                    "date": later(when, rng.randint(5, 3600)),
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": rng.choice("👍❤🔥🎉😂")}],
                },
            )
        if rng.random() < 0.01:
            emit(
                "callback_query",
                {
                    "id": str(rng.getrandbits(63)),
                    "from": sender.to_api(),
                    "chat_instance": "-42",
                    "message": {k: message[k] for k in ("message_id", "chat", "date")},
                    "data": "stats:week",
                },
            )
    return out


def extra_events(sim: ChatSimulator, emit: Any, when: int) -> None:
    """Emit the rare events of a moment: pins, forum topics, and update types tgpipe does not know."""
    extra = sim.extra
    roll = extra.random()
    if roll < 0.003:
        chat = MAIN_GROUP
        pinned = extra.choice(sim.recent.get(chat["id"]) or [None])
        if pinned is not None:
            admin = USERS[0]
            pin = {k: pinned[k] for k in ("message_id", "chat", "date") if k in pinned}
            message = {"message_id": sim.next_message_id(chat), "from": admin.to_api(), "chat": dict(chat)}
            emit("message", {**message, "date": when, "pinned_message": pin})
    elif roll < 0.004:
        chat = SIDE_GROUP
        extra.random()  # the draw that chose a topic: the rest of the chat stays as it was
        thread = next(t for t, m in sim.topics.items() if m["forum_topic_created"]["name"] == FORUM_TOPICS[1])
        message = {"message_id": sim.next_message_id(chat), "from": USERS[1].to_api(), "chat": dict(chat)}
        message.update(date=when, message_thread_id=thread, is_topic_message=True)
        message.update(reply_to_message=sim.topics[thread], forum_topic_edited={"name": RENAMED_TOPIC})
        emit("message", message)
    elif roll < 0.005:
        # A type from a Bot API newer than tgpipe: it must still reach telegram_updates.
        emit("future_update_type", {"chat": dict(MAIN_GROUP), "date": when, "payload": {"novel": [1, 2, 3]}})
    elif roll < 0.006:
        # A message kind no one has modelled yet: message_type "other", kept whole in the payload.
        chat = MAIN_GROUP
        sender = USERS[2]
        message = {"message_id": sim.next_message_id(chat), "from": sender.to_api(), "chat": dict(chat)}
        emit("message", {**message, "date": when, "holographic_note": {"id": "h1", "duration": 4}})


#: The bot (the users' private chats are with it) and what its private chats hold: a command, then the
#: buttons of its answer pressed (callback_data), until the person stops.
BOT = USERS[-1]
BOT_COMMANDS = (("/start", 5), ("/stats", 4), ("/help", 2), ("/report", 1))
BUTTONS = {
    "/start": ("menu:stats", "menu:help", "lang:pt", "lang:en"),
    "/stats": ("period:week", "period:month", "chart:hours", "chart:people"),
    "/help": ("help:commands", "help:privacy"),
    "/report": ("report:send", "report:cancel"),
    "menu:stats": ("period:week", "period:month"),
    "period:week": ("chart:hours", "chart:people", "back"),
    "period:month": ("chart:hours", "back"),
}
INLINE_QUERIES = ("sql", "duckdb parquet", "gráfico", "café", "")


def bot_session(sim: ChatSimulator, emit: Any, when: int) -> None:
    """Now and then, a person talks to the bot in private: a command, the buttons of its answer pressed
    one after another (each a callback_query, which carries no time), and sometimes an inline query
    (@stats_bot in another chat) and the result chosen. People come to the bot at different times and
    some come back, so its daily and weekly users, new and returning, and its cohorts have content."""
    rng = sim.bot
    roll = rng.random()
    first = sim.bot_since = sim.bot_since or when
    # Two more people find the bot each week; the first two keep coming, the others stay a few weeks.
    week = (when - first) // (7 * 86400)
    humans = [
        u
        for n, u in enumerate(u for u in USERS if not u.is_bot)
        if n // 2 <= week and (n < 2 or week < n // 2 + 1 + n % 4)
    ]
    person = rng.choices(humans, [1 / (n + 2) for n in range(len(humans))])[0]
    if roll < 0.012:
        query = {"id": str(rng.getrandbits(63)), "from": person.to_api(), "query": rng.choice(INLINE_QUERIES)}
        emit("inline_query", {**query, "offset": "", "chat_type": "supergroup"})
        if rng.random() < 0.6:
            emit(
                "chosen_inline_result",
                {"result_id": f"r{rng.randrange(5)}", "from": person.to_api(), "query": query["query"]},
            )
        return
    if roll > 0.06:
        return
    chat = {"id": person.id, "type": "private", "first_name": person.first_name}
    command = rng.choices([c for c, _ in BOT_COMMANDS], [w for _, w in BOT_COMMANDS])[0]
    entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    message = {"message_id": sim.next_message_id(chat), "from": person.to_api(), "chat": dict(chat), "date": when}
    emit("message", {**message, "text": command, "entities": entities})
    answer = {"message_id": sim.next_message_id(chat), "from": BOT.to_api(), "chat": dict(chat), "date": when + 1}
    answer["text"] = f"{command[1:]} ⬇️"
    step = command
    while step in BUTTONS and rng.random() < 0.7:
        step = rng.choice(BUTTONS[step])
        press = {"id": str(rng.getrandbits(63)), "from": person.to_api(), "chat_instance": str(person.id * 7)}
        emit("callback_query", {**press, "message": answer, "data": step})
    if rng.random() < 0.15:  # a question typed to the bot, after the buttons
        question = {"message_id": sim.next_message_id(chat), "from": person.to_api(), "chat": dict(chat)}
        emit("message", {**question, "date": when + rng.randint(20, 300), "text": "e o gráfico de ontem?"})


ANSWERS = ("sim, já vi 👍", "acho que não", "amanhã às 10h", "no canal #dados", "boa pergunta!", "sim", "نعم", "对")


def reply_thread(sim: ChatSimulator, emit: Any, message: dict[str, Any], last_second: int) -> None:
    """A regular's question in a group is often answered within minutes by another regular, and the
    asker answers back: a thread of replies, each to the one before (its own random stream,
    `ChatSimulator.bot`)."""
    rng = sim.bot
    text = message.get("text", "")
    if "from" not in message or "?" not in text or rng.random() > 0.45:
        return
    humans = [u for u in USERS if not u.is_bot and u.weight >= 1]  # the chat's regulars talk in threads
    asker = message["from"]["id"]
    if asker not in {u.id for u in humans}:
        return
    previous, when = message, message["date"]
    for turn in range(rng.choice((1, 1, 2, 3))):
        when += rng.randint(15, 900) * (turn + 1)
        if when > last_second:
            return
        others = [u for u in humans if u.id != asker]
        sender = asker if turn % 2 else rng.choices(others, [u.weight for u in others])[0].id  # the chat's usual voices
        person = next(u for u in USERS if u.id == sender)
        chat = message["chat"]
        reply = {"message_id": sim.next_message_id(chat), "from": person.to_api(), "chat": dict(chat), "date": when}
        reply["text"] = rng.choice(ANSWERS)
        if turn == 0 and not message["from"].get("username"):  # someone without a username: a text_mention
            word = "você"  # the mention's text is any text linked to the user (not their name here)
            reply["text"] = f"{word}, {reply['text']}"
            mention = {"type": "text_mention", "offset": 0, "length": utf16_len(word), "user": message["from"]}
            reply["entities"] = [mention]
        reply["reply_to_message"] = {
            k: previous[k] for k in ("message_id", "from", "chat", "date", "text") if k in previous
        }
        if "message_thread_id" in message:
            reply.update(message_thread_id=message["message_thread_id"], is_topic_message=True)
        emit("message", reply)
        previous = reply


def write_jsonl(updates: Iterable[dict[str, Any]], path: Path) -> int:
    """Write updates as JSON lines (compact, UTF-8, as Telegram sends them); return the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for update in updates:
            f.write(json.dumps(update, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count
