"""An exported message's reactions as the Bot API updates that would say them.

Telegram Desktop (since 5.5.7) writes a message's reactions as a list, one item per reaction: its
`type` (`emoji`, `custom_emoji`, `paid`), `count` (how many people added it), the `emoji` or the
custom emoji's `document_id`, and `recent`: the people Telegram lists as having added it lately,
each with `from`, `from_id` and `date` (`export_output_json.cpp`, `SerializeMessage`;
`export_data_types.cpp`, `ParseReactions`). Telegram lists such people for small chats only, a
few per reaction, so `recent` is a part of `count`, often none of it.

They become, besides the message:

- one `message_reaction_count` (the Bot API's update for a message's anonymous counts) with every
  reaction and its count: the counts as of the export. It carries no `date`: the export does not
  say when it was made.
- one `message_reaction` per person `recent` names, as if they had just added that reaction: the
  person (`user`, or `actor_chat` for a chat reacting as itself) and when.

Desktop writes a `recent` reaction's `date` in the exporting computer's local time, with no zone
and no unix time. It is read in `--export-timezone` when given, else with the UTC offset the
message's own `date` and `date_unixtime` show, which is exact unless the clock changed (DST)
between the message and the reaction: an hour at most.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tgpipe.history.mapping.context import ChatContext
from tgpipe.history.mapping.ids import CHANNEL, USER, bot_api_id, parse_peer
from tgpipe.history.mapping.senders import user
from tgpipe.telegram.shape import IMPORTED_REACTION_COUNT_KEY, IMPORTED_REACTIONS_KEY


def reaction_type(item: dict[str, Any]) -> dict[str, Any] | None:
    """The Bot API ReactionType of an exported reaction, or None for an empty or unknown one."""
    kind = item.get("type")
    if kind == "emoji" and type(item.get("emoji")) is str:
        return {"type": "emoji", "emoji": item["emoji"]}
    if kind == "custom_emoji" and type(item.get("document_id")) in (str, int):
        return {"type": "custom_emoji", "custom_emoji_id": str(item["document_id"])}
    if kind == "paid":
        return {"type": "paid"}
    return None


def exported_reactions(raw: dict[str, Any], msg: dict[str, Any], ctx: ChatContext) -> dict[str, Any] | None:
    """Return the line keys (`shape.IMPORTED_REACTION_COUNT_KEY`, `IMPORTED_REACTIONS_KEY`) that say
    the reactions of the exported message `raw`, mapped to `msg`; None when it has none."""
    items = raw.get("reactions")
    if type(items) is not list or not items:
        return None
    where = {"chat": dict(ctx.chat), "message_id": msg["message_id"]}
    counts, people = [], []
    offset = None
    for item in items:
        if type(item) is not dict or (kind := reaction_type(item)) is None:
            continue
        count = item.get("count")
        if type(count) is int and count > 0:
            counts.append({"type": kind, "total_count": count})
        for recent in item.get("recent") or ():
            if type(recent) is not dict:
                continue
            if offset is None:
                offset = _offset(raw, msg)
            person = _reaction(recent, kind, where, ctx, offset)
            if person is not None:
                people.append(person)
    found: dict[str, Any] = {}
    if counts:
        found[IMPORTED_REACTION_COUNT_KEY] = {**where, "reactions": counts}
    if people:
        found[IMPORTED_REACTIONS_KEY] = people
    return found or None


def _reaction(
    recent: dict[str, Any], kind: dict[str, Any], where: dict[str, Any], ctx: ChatContext, offset: int | None
) -> dict[str, Any] | None:
    """One person's reaction (`message_reaction` body), or None when the export does not say who."""
    peer = parse_peer(recent.get("from_id"))
    if peer is None:
        return None
    body: dict[str, Any] = {**where, "chat": dict(where["chat"])}
    if peer[0] == USER:
        body["user"] = user(peer[1], recent.get("from"), ctx)
        body["user"].setdefault("is_bot", False)
    else:
        actor = {"id": bot_api_id(*peer), "type": "channel" if peer[0] == CHANNEL else "group"}
        if type(recent.get("from")) is str:
            actor["title"] = recent["from"]
        body["actor_chat"] = actor
    when = _local_time(recent.get("date"), ctx, offset)
    if when is not None:
        body["date"] = when
    body["old_reaction"] = []
    body["new_reaction"] = [kind]
    return body


def _offset(raw: dict[str, Any], msg: dict[str, Any]) -> int | None:
    """Seconds the exporting computer's clock was ahead of UTC at the message's time, from its
    local `date` and its unix time; None when the export has no local time to compare."""
    local = _wall_clock(raw.get("date"))
    return None if local is None else local - msg["date"]


def _local_time(value: Any, ctx: ChatContext, offset: int | None) -> int | None:
    """A `recent` reaction's local `date` as unix seconds (see the module), or None."""
    if ctx.tz is not None:
        try:
            return int(datetime.fromisoformat(value).replace(tzinfo=ctx.tz).timestamp())
        except (TypeError, ValueError):
            return None
    local = _wall_clock(value)
    return None if local is None or offset is None else local - offset


def _wall_clock(value: Any) -> int | None:
    """A local time without a zone (`2024-10-25T09:18:25`) as seconds since 1970-01-01 on that
    clock, or None when it is not one."""
    if type(value) is not str:
        return None
    try:
        return int((datetime.fromisoformat(value) - datetime(1970, 1, 1)).total_seconds())
    except (TypeError, ValueError):
        return None
