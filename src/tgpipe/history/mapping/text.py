"""An exported message's text (plain, or a list of typed parts) as the Bot API's text and entities,
with offsets in UTF-16 code units as Telegram counts them.
"""

from __future__ import annotations

from typing import Any

#: Desktop's text part types with a Bot API entity of their own (others keep their text only:
#: plain, bank_card, unknown).
_SIMPLE_ENTITIES = {
    "link": "url",
    "mention": "mention",
    "hashtag": "hashtag",
    "cashtag": "cashtag",
    "bot_command": "bot_command",
    "email": "email",
    "phone": "phone_number",
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strikethrough": "strikethrough",
    "code": "code",
    "spoiler": "spoiler",
}


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) >> 1


def _entity(kind: Any, part: dict[str, Any], offset: int, length: int) -> dict[str, Any] | None:
    simple = _SIMPLE_ENTITIES.get(kind)
    if simple is not None:
        return {"type": simple, "offset": offset, "length": length}
    if kind == "text_link":
        entity = {"type": "text_link", "offset": offset, "length": length}
        if type(part.get("href")) is str:
            entity["url"] = part["href"]
        return entity
    if kind == "mention_name":
        entity = {"type": "text_mention", "offset": offset, "length": length}
        if type(part.get("user_id")) is int:
            entity["user"] = {"id": part["user_id"]}
        return entity
    if kind == "pre":
        entity = {"type": "pre", "offset": offset, "length": length}
        if type(part.get("language")) is str and part["language"]:
            entity["language"] = part["language"]
        return entity
    if kind == "custom_emoji":
        entity = {"type": "custom_emoji", "offset": offset, "length": length}
        document_id = part.get("document_id")
        if type(document_id) is int or (type(document_id) is str and document_id.isdigit()):
            entity["custom_emoji_id"] = str(document_id)
        return entity
    if kind == "blockquote":
        collapsed = part.get("collapsed")
        expandable = collapsed is True or collapsed == 1
        return {"type": "expandable_blockquote" if expandable else "blockquote", "offset": offset, "length": length}
    return None


def text_and_entities(value: Any) -> tuple[str, list[dict[str, Any]] | None]:
    """Return the plain text of an export `text` (a string, or a list of strings and parts) and
    its Bot API entities, offsets and lengths in UTF-16 code units (None if there are none)."""
    if type(value) is str:
        return value, None
    if type(value) is not list:
        return "", None
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for part in value:
        if type(part) is str:
            pieces.append(part)
            offset += len(part) if part.isascii() else len(part.encode("utf-16-le", "surrogatepass")) >> 1
            continue
        if type(part) is not dict:
            continue
        text = part.get("text")
        if type(text) is not str:
            continue
        length = _utf16_len(text)
        if length:
            entity = _entity(part.get("type"), part, offset, length)
            if entity is not None:
                entities.append(entity)
        pieces.append(text)
        offset += length
    return "".join(pieces), entities or None


def plain_text(value: Any) -> str | None:
    """Return the text of a string-or-parts value (poll questions, answers, gift texts), or None."""
    text, _ = text_and_entities(value)
    return text if type(value) in (str, list) else None
