"""Messages in several scripts for the search tests, and what a query should find among them,
worked out here in plain Python (NFKD, casefold, a token per word or spaceless character) and not
with the rules of `tgpipe.search.text`: the index's answers are checked against this one."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tgpipe.search.index import Message

FIRST_DAY = date(2025, 11, 20)
CHATS = {-1001: ("Dados ☕", "dados_cafe"), -1002: ("Группа", None), 42: (None, None)}
SENDERS = (7, 8, 9, -1005)  # -1005: a channel posting as itself (sent_as_chat_id)
KINDS = ("text", "text", "photo", "text", "video")

TEXTS = [
    "Você está bem? Bom dia!",
    "voce viu o jogo ontem",
    "Ação e reação na estação",
    "Bom dia, pessoal! ☀️",
    "Καλημέρα σε όλους",
    "καλημερα φιλε μου",
    "ЁЛКА в парке",
    "елка зеленая и ёжик",
    "Привет, как дела?",
    "كَتَبَ الطالب الدرس",
    "العـــربية جميلة",
    "مرحبا بكم في القناة",
    "Straße gesperrt",
    "STRASSE frei heute",
    "İstanbul çok güzel",
    "ılık su",
    "我喜欢中国菜，你呢？",
    "东京和中国",
    "東京でラーメンを食べた",
    "สวัสดีครับ วันนี้อากาศดี",
    "हिन्दी भाषा बहुत सुंदर है",
    "Chúng tôi đẹp",
    "ok👍🏽 festa 🎉🎉",
    "data pipeline database datum",
    "the quick brown fox jumps",
    "quick fox",
    "שָׁלוֹם עולם",
    "کتاب فارسی",
    'o\'neil said "hi" to the data team',
    "SELECT * FROM telegram -- NEAR(a b)",
    "dados: https://duckdb.org",
    "Café ☕ + SQL = felicidade",
    "cafe com leite e pão",
    "naïve façade",
    "Ελληνικά και English μαζί",
    "Cafe\u0301 em NFD, e\u0301 assim",
    "ﬁle with a ligature and ＦＵＬＬ width",
    "pipeline broke again, database down",
    "SQL é vida",
    "서울에서 만나요",
]

QUERIES = [
    "voce",
    "VOCÊ",
    "bom dia",
    '"bom dia"',
    '"dia bom"',
    "dat*",
    "datab*",
    "da*",
    "quick -brown",
    "fox OR pipeline",
    "quick fox OR pipeline",
    'pipeline -"data pipeline"',
    "καλημερα",
    "ёлка",
    "елка",
    "привет",
    "كتب",
    "العربية",
    "strasse",
    "istanbul",
    "ilik",
    "中国",
    "东京",
    "ラーメン",
    "อากาศ",
    "हिन्दी",
    "dep",
    "👍",
    "☕",
    "שלום",
    "كتاب",
    "cafe",
    "café",
    "naive facade",
    '"pipeline database"',
    "acao OR felicidade",
    "sql -cafe",
    "o'neil",
    "near(a",
    "file full",
    "ελληνικα english",
    "data OR dados -pipeline",
    "서울*",
    "서*",
]


@dataclass(frozen=True)
class Row:
    """A message of the corpus: where it is and what the index takes."""

    day: date
    message: Message


def corpus(days: int = 3) -> list[Row]:
    """Every text, on `days` days, in the chats, topics, senders and kinds above (deterministic)."""
    rows = []
    n = 0
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        for i, body in enumerate(TEXTS):
            n += 1
            chat = list(CHATS)[(i + d) % len(CHATS)]
            sender = SENDERS[(i * 7 + d) % len(SENDERS)]
            title, username = CHATS[chat]
            rows.append(
                Row(
                    day,
                    Message(
                        date=start + 600 * i + d,
                        chat_id=chat,
                        message_id=1000 * d + i,
                        date_local=start + 600 * i + d - 3 * 3600,
                        user_id=sender if sender > 0 else None,
                        sent_as_chat_id=sender if sender < 0 else None,
                        thread_id=(i % 3 + 1) if chat == -1001 else None,
                        kind=KINDS[i % len(KINDS)],
                        has_link="https://" in body or i % 4 == 0,
                        sender=f"person {sender}" if sender > 0 else "the channel",
                        text=body,
                        chat_title=title,
                        chat_username=username,
                    ),
                )
            )
    return rows


# ---- the answer in plain Python ------------------------------------------------------------

_LETTERS = str.maketrans(
    {
        "đ": "d",
        "ł": "l",
        "ø": "o",
        "ı": "i",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ـ": "",
        "\ufe0e": "",
        "\ufe0f": "",
    }
)
#: Marks that are accents: Latin, Greek and Cyrillic ones (after NFKD), Hebrew points, Arabic vowels.
_ACCENTS = ((0x0300, 0x036F), (0x0591, 0x05C7), (0x064B, 0x065F), (0x0670, 0x0670), (0x1F3FB, 0x1F3FF))


def _accent(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Sk") and any(lo <= ord(char) <= hi for lo, hi in _ACCENTS)


def _spaceless(char: str) -> bool:
    """A character that is a word by itself: CJK, kana, Thai, and symbols such as emoji."""
    code = ord(char)
    spaceless = (0x0E00, 0x0EFF), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF66, 0xFF9F)
    return unicodedata.category(char) == "So" or any(low <= code <= high for low, high in spaceless)


def tokens(text: str) -> list[str]:
    """The words of `text`: compatibility forms decomposed, accents dropped, case folded; a mark
    stays with its letter (a Hindi or Thai vowel sign is part of the word)."""
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    text = unicodedata.normalize("NFC", "".join(c for c in text if not _accent(c)))
    text = text.casefold().translate(_LETTERS)
    words, word, after_spaceless = [], "", False
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "M" and after_spaceless:
            words[-1] += char
            continue
        after_spaceless = _spaceless(char) and category[0] != "M"
        if after_spaceless:
            words += [word, char] if word else [char]
            word = ""
        elif category[0] in "LNM" or category == "Co":
            word += char
        elif word:
            words.append(word)
            word = ""
    return [w for w in [*words, word] if w]


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    prefix: bool

    def found_in(self, text: list[str]) -> bool:
        n = len(self.words)
        for start in range(len(text) - n + 1):
            head, last = text[start : start + n - 1], text[start + n - 1]
            if list(head) == list(self.words[:-1]) and (
                last.startswith(self.words[-1]) if self.prefix else last == self.words[-1]
            ):
                return True
        return False


def _phrase(raw: str, prefix: bool) -> Phrase | None:
    words = tokens(raw)
    if not words:
        return None
    hangul = sum(1 for c in words[-1] if "\uac00" <= c <= "\ud7a3")  # a syllable is two letters or more
    return Phrase(tuple(words), prefix and len(words[-1]) + hangul >= 3)


def expected(query: str, rows: list[Row], keep=lambda row: True) -> list[int]:
    """The message ids `query` finds among the `rows` that `keep`, newest first: words, "phrases",
    word* (3 letters at least), -exclusions and OR, as docs/search.md defines them."""
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    parts, i, pending_or = [], 0, False
    while i < len(query):
        if query[i].isspace():
            i += 1
            continue
        negated = query[i] == "-" and i + 1 < len(query) and not query[i + 1].isspace()
        i += negated
        if query[i] == '"':
            end = query.find('"', i + 1)
            end = len(query) if end < 0 else end
            raw, i = query[i + 1 : end], end + 1
            prefix = query[i : i + 1] == "*"
            i += prefix
            parts.append((negated, raw, prefix, False))
        else:
            end = i
            while end < len(query) and not query[end].isspace():
                end += 1
            raw, i = query[i:end], end
            parts.append((negated, raw.rstrip("*"), raw.endswith("*"), raw == "OR" and not negated))
    for negated, raw, prefix, is_or in parts:
        if is_or:
            pending_or = bool(groups)
            continue
        phrase = _phrase(raw, prefix)
        if phrase is None:
            continue
        if negated:
            excluded.append(phrase)
        elif pending_or:
            groups[-1].append(phrase)
        else:
            groups.append([phrase])
        pending_or = False
    found = []
    for row in rows:
        words = tokens(row.message.text)
        if (
            keep(row)
            and groups
            and all(any(p.found_in(words) for p in group) for group in groups)
            and not any(p.found_in(words) for p in excluded)
        ):
            found.append(row)
    found.sort(key=lambda r: (r.day, r.message.date, r.message.chat_id, r.message.message_id), reverse=True)
    return [r.message.message_id for r in found]


# ---- the corpus as a store's tables ----------------------------------------------------------


def table_of(rows: list[Row], drop: tuple[str, ...] = ()):
    """The `telegram` table of `rows` (one day's file), with every column of the schema (NULL
    where the corpus says nothing) except `drop` (a file written before those columns existed)."""
    import pyarrow as pa

    from tgpipe.build import schema

    def value(row: Row, name: str):
        m = row.message
        captioned = m.kind != "text"
        return {
            "message_id": m.message_id,
            "user_id": m.user_id,
            "chat_id": m.chat_id,
            "chat_type": "private" if m.chat_id > 0 else "supergroup",
            "text": None if captioned else m.text,
            "caption": m.text if captioned else None,
            "date": m.date,
            "message_type": m.kind,
            "date_utc": datetime.fromtimestamp(m.date, UTC).replace(tzinfo=None),
            "date_local": datetime.fromtimestamp(m.date_local, UTC).replace(tzinfo=None),
            "chat_title": m.chat_title,
            "chat_username": m.chat_username,
            "message_thread_id": m.thread_id,
            "urls": ["https://example.org"] if m.has_link else None,
            "sender_name": m.sender,
            "sent_as_chat_id": m.sent_as_chat_id,
            "source": "bot",
        }.get(name)

    columns = [c for c in schema.MESSAGE_COLUMNS if c.name not in drop]
    arrow = schema.arrow_schema(tuple(columns))
    return pa.table({c.name: [value(r, c.name) for r in rows] for c in columns}, schema=arrow)


def write_days(enriched, rows: list[Row], drop: tuple[str, ...] = ()) -> None:
    """Write each day of `rows` as the ETL does: `telegram/context_date=D/part-00000.parquet`."""
    import io

    import pyarrow.parquet as pq

    from tgpipe.store import layout

    for day in sorted({r.day for r in rows}):
        buffer = io.BytesIO()
        pq.write_table(table_of([r for r in rows if r.day == day], drop), buffer)
        enriched.put(layout.table_file_key("telegram", day), buffer.getvalue())
