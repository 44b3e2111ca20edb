"""Pseudonymised tables: every person in an update replaced by a keyed hash before its columns are read.

With PSEUDONYMIZE=1 the ETL rewrites each update (`Pseudonymizer.update`) before the column
readers see it, so every column and the `payload` JSON are built from the same rewritten update:

- **User ids become pseudonyms**: HMAC-SHA256 of the id under the secret key, cut to a number from
  2**62 to 2**63 - 1. That is a `bigint` like the id it replaces, positive like user ids, and
  never a real Telegram id (those have at most 52 bits), so a pseudonym cannot pass for an id.
  The same id under the same key always gives the same pseudonym, in every table and every run:
  joins, distinct counts and groupings are unchanged. Without the key, a pseudonym cannot be
  turned back into the id (nor an id into its pseudonym).
- **A private chat is its user**: its id is the user's id, so it becomes the same pseudonym, and
  its names go. Groups and channels keep their ids, titles and usernames.
- **Names and contact fields are dropped**: a person's first and last name, username and photo, a
  shared contact's phone number, names and vCard, a join request's bio, an anonymous forward's
  sender name, signatures, tags and custom titles, order and shipping details, passport data.
- **Bots are not people**: a bot's id becomes a pseudonym like any user id (a column holds one
  kind of value), but its name and username stay.
- **Content stays**: text, captions, quotes, mentions (`@username` as written), poll questions,
  file names, locations. A person named in someone's text is still named there.

Where a person is: a User is recognised by its field name (`from`, `user`, `new_chat_members`, ...,
every field of type User in Bot API 10.1, and the legacy `new_chat_participant`) or by its
`is_bot`; a Chat by its field name or by `"type": "private"`. The rules look at names, not paths,
so they hold wherever Telegram nests a person (a reply's sender, a text mention, a poll option's
author) and in update types added later. tests/unit/test_pseudonym.py checks them against the
spec: a field of type User or Chat, or named like a person's detail, that these rules miss fails.

The key never leaves this object: it is not kept as text, and `repr` shows its fingerprint only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from tgpipe.aws import ssm
from tgpipe.config import NO_PSEUDONYM_KEY, Settings
from tgpipe.errors import ConfigError
from tgpipe.telegram import shape

#: Shortest key accepted, in characters (PSEUDONYMIZE_KEY, or the SSM parameter's value).
MIN_KEY_CHARS = 32
#: What replaces an id that is not a 64-bit integer: text, which no id column reads.
WITHHELD = "withheld"
#: Pseudonyms are from PSEUDONYM_MIN to 2**63 - 1 (see the module's docstring).
PSEUDONYM_MIN = 2**62
_LOW_BITS = PSEUDONYM_MIN - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: What is hashed, before the id in decimal: a version, so another scheme could never collide.
_ID_LABEL = b"tgpipe pseudonym v1: user "
_FINGERPRINT_LABEL = b"tgpipe pseudonym v1: key fingerprint"
#: Pseudonyms kept in memory per key: a day's users are few, so nearly every id is hashed once.
_CACHE_SIZE = 1_000_000

# ---- what pseudonymisation does to a column (the `pseudonymized` attribute of schema.Column) ---------

HASHED = "hashed"
"""A user id: its pseudonym."""
HASHED_EACH = "each id hashed"
"""A list of user ids: each one's pseudonym."""
HASHED_IF_PRIVATE = "hashed for a private chat (whose id is the user's)"
"""A chat id: a private chat's becomes its user's pseudonym; a group's or channel's stays."""
HASHED_IF_USER = "hashed when a user's id (a group's or channel's stays)"
"""A user's or a chat's id: a user's becomes its pseudonym, a group's or channel's (negative) stays."""
DROPPED = "NULL"
"""A person's name or detail: dropped."""
DROPPED_IF_PERSON = "NULL for a person; a bot's, group's or channel's name stays"
"""A name: dropped where it is a person's (a user who is not a bot, a private chat)."""
REWRITTEN = "the update with every person pseudonymised by the same rules"
"""The payload: the JSON of the rewritten update."""


def kept(reason: str) -> str:
    """A column whose name sounds personal that stays as it is, and why (`kept (<reason>)`)."""
    return f"kept ({reason})"


# ---- where persons are, in an update ---------------------------------------------------------

#: Fields whose value is a User, or a list of them (every one of Bot API 10.1, and legacy ones Telegram
#: still sends). A ChatMember (`new_chat_member` of a chat_member update) is read as one too: it has
#: no id or name of its own, and its `user` is one.
USER_FIELDS = frozenset(
    (
        *("from", "user", "users", "sender_user", "forward_from", "via_bot", "sender_business_bot"),
        *("guest_bot_caller_user", "new_chat_members", "left_chat_member", "new_chat_member"),
        *("new_chat_participant", "left_chat_participant", "new_owner", "traveler", "watcher", "winners"),
        *("added_by_user", "completed_by_user", "creator", "bot", "guard_bot", "added_users"),
        *("affiliate_user", "sponsor_user"),
    )
)
#: Fields whose value is a Chat, or a list of them: only a private one is a person.
CHAT_FIELDS = frozenset(
    (
        *("chat", "chats", "sender_chat", "forward_from_chat", "actor_chat", "voter_chat"),
        *("guest_bot_caller_chat", "added_by_chat", "completed_by_chat", "publisher_chat"),
        *("affiliate_chat", "personal_chat", "parent_chat"),
    )
)
_KIND_OF_FIELD = {**dict.fromkeys(USER_FIELDS, "user"), **dict.fromkeys(CHAT_FIELDS, "chat")}
#: Fields that hold a user id by themselves (a contact's, a shared user's, the private chat with a
#: user: its id is the user's), wherever they are.
ID_FIELDS = frozenset(("user_id", "user_chat_id"))
#: Fields dropped (set to null) wherever they are: they name or reach a person.
DROPPED_FIELDS = frozenset(
    (
        *("phone_number", "vcard", "email", "bio", "sender_user_name", "forward_sender_name"),
        *("author_signature", "forward_signature", "sender_tag", "tag", "custom_title"),
        *("order_info", "shipping_address"),
    )
)
#: Names dropped wherever they are (a contact's too), except in a bot.
NAME_FIELDS = frozenset(("first_name", "last_name"))
#: What else is dropped from a person (a user who is not a bot, a private chat, a shared user).
PERSON_FIELDS = frozenset(("username", "photo", "title", "active_usernames"))
#: Fields emptied to `{}`: the message keeps its kind (`passport_data`), not its content.
EMPTIED_FIELDS = frozenset(("passport_data",))

_DROP, _DROP_NAME, _DROP_PERSONAL, _HASH, _EMPTY = "drop", "drop name", "drop personal", "hash", "empty"
#: What to do with a field, by its name (the fields not here are kept, and searched if they hold more).
_ACTIONS = {
    **dict.fromkeys(PERSON_FIELDS, _DROP_PERSONAL),
    **dict.fromkeys(NAME_FIELDS, _DROP_NAME),
    **dict.fromkeys(DROPPED_FIELDS, _DROP),
    **dict.fromkeys(ID_FIELDS, _HASH),
    **dict.fromkeys(EMPTIED_FIELDS, _EMPTY),
}


class Pseudonymizer:
    """Turns user ids into pseudonyms under one key, and rewrites updates (see the module's docstring).

    Raises:
        ValueError: the key is shorter than MIN_KEY_CHARS (the message never shows it).
    """

    def __init__(self, key: str):
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"a pseudonym key needs at least {MIN_KEY_CHARS} characters")
        secret = key.encode("utf-8")
        self.fingerprint = hmac.new(secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]
        """Names the key without revealing it: recorded by the enriched store, shown in errors."""
        self._mac = hmac.new(secret, _ID_LABEL, hashlib.sha256)
        self._cache: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"Pseudonymizer(fingerprint={self.fingerprint!r})"

    def pseudonym(self, user_id: int) -> int:
        """Return the pseudonym of `user_id` (an integer; see PSEUDONYM_MIN)."""
        found = self._cache.get(user_id)
        if found is None:
            mac = self._mac.copy()
            mac.update(b"%d" % user_id)
            found = PSEUDONYM_MIN | (int.from_bytes(mac.digest()[:8], "big") & _LOW_BITS)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[user_id] = found
        return found

    def update(self, update: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Rewrite `update` in place; return it with its JSON text, the payload (`shape.encode_update`)."""
        self.rewrite(update)
        return shape.encode_update(update).decode("utf-8"), update

    def rewrite(self, obj: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
        """Pseudonymise every person in `obj` in place and return it; `kind` is "user" or "chat" when
        the field that holds `obj` says what it is.

        A dropped field is set to null rather than removed, so that what depends on a field being
        there (an old-style anonymous forward is one by its `forward_sender_name`) stays as it was.
        """
        if kind is None:
            kind = "user" if "is_bot" in obj else "chat" if obj.get("type") == "private" else None
        person = keep_names = False
        if kind == "user":
            keep_names = obj.get("is_bot") is True
            person = not keep_names
            if "id" in obj:
                obj["id"] = self._pseudonym_of(obj["id"])
        elif kind == "chat":
            chat_id = obj.get("id")
            if obj.get("type") == "private" or (type(chat_id) is int and chat_id > 0):
                person = True
                if "id" in obj:
                    obj["id"] = self._pseudonym_of(chat_id)
        for key, value in obj.items():  # values are replaced while iterating, never keys
            action = _ACTIONS.get(key)
            if action is None:
                if type(value) is dict:
                    self.rewrite(value, _KIND_OF_FIELD.get(key))
                elif type(value) is list:
                    self._rewrite_list(value, _KIND_OF_FIELD.get(key))
            elif action is _DROP or (action is _DROP_NAME and not keep_names) or (action is _DROP_PERSONAL and person):
                obj[key] = None
            elif action is _HASH:
                obj[key] = self._pseudonym_of(value)
            elif action is _EMPTY:
                obj[key] = {}
            elif type(value) is dict:  # a field of a user or chat that is kept: it may hold more
                self.rewrite(value, _KIND_OF_FIELD.get(key))
        return obj

    def _rewrite_list(self, values: list, kind: str | None) -> None:
        for item in values:
            if type(item) is dict:
                self.rewrite(item, kind)
            elif type(item) is list:
                self._rewrite_list(item, None)

    def _pseudonym_of(self, value: Any) -> Any:
        """The pseudonym of an id. What is not a 64-bit integer (an id written as a string, say) is
        WITHHELD: no column reads it as an id, as none read it before."""
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            return self.pseudonym(value)
        return None if value is None else WITHHELD


def from_settings(settings: Settings) -> Pseudonymizer | None:
    """Return what pseudonymises the tables under the configured key, or None when they are plain
    (PSEUDONYMIZE off). The key comes from PSEUDONYMIZE_KEY or, read once, its SSM parameter.

    Raises:
        ConfigError: pseudonymising with no key, or with one that is too short.
        NotFoundError, SecretUnavailable: the SSM parameter cannot be read.
    """
    if not settings.pseudonymize:
        return None
    key = ssm.pseudonym_key(settings)
    if key is None:
        raise ConfigError(NO_PSEUDONYM_KEY)
    return pseudonymizer(key)


@functools.lru_cache(maxsize=4)
def pseudonymizer(key: str) -> Pseudonymizer:
    """Return the Pseudonymizer of `key`, made once per process (its pseudonyms are cached in it).

    Raises:
        ValueError: as Pseudonymizer.
    """
    return Pseudonymizer(key)


def label(pseudonym: int) -> str:
    """A short name for a person known by pseudonym only, as the report shows them: `person 9f3a61c2`."""
    return f"person {pseudonym & 0xFFFFFFFF:08x}"


def is_pseudonym(value: Any) -> bool:
    """Whether `value` is in the range of pseudonyms (a real Telegram id never is)."""
    return type(value) is int and PSEUDONYM_MIN <= value <= _INT64_MAX
