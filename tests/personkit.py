"""Updates that carry a person in every place the Bot API puts one, for the pseudonymisation tests.

Person n is user `5_000_000_000 + n`, named `Firstname<n> Lastname<n>`, `@username<n>`; every other
detail that names or reaches a person (phone numbers, e-mails, a bio, signatures, tags, an
address) is a string in SECRETS. Texts hold none of them: `TEXTS_MENTION` is the one update whose
text names someone, for the rule that text stays. Bots, groups and channels have names that must
stay (KEPT_NAMES).
"""

from __future__ import annotations

NOON = 1763899200  # 2025-11-23 12:00 UTC
FIRST_UPDATE_ID = 900_000_000


def person(n: int) -> dict:
    return {
        "id": 5_000_000_000 + n,
        "is_bot": False,
        "first_name": f"Firstname{n}",
        "last_name": f"Lastname{n}",
        "username": f"username{n}",
        "language_code": "pt-br",
    }


def private_chat(n: int) -> dict:
    p = person(n)
    return {"id": p["id"], "type": "private", **{k: p[k] for k in ("first_name", "last_name", "username")}}


BOT = {"id": 6_000_000_001, "is_bot": True, "first_name": "HelperBot", "username": "helper_bot"}
OTHER_BOT = {"id": 6_000_000_002, "is_bot": True, "first_name": "MadeBot", "username": "made_bot"}
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Public Group", "username": "public_group"}
OTHER_GROUP = {"id": -1007777777777, "type": "supergroup", "title": "Other Group"}
CHANNEL = {"id": -1005555555555, "type": "channel", "title": "News Channel", "username": "news_channel"}
KEPT_NAMES = ("HelperBot", "helper_bot", "MadeBot", "Public Group", "public_group", "Other Group", "News Channel")

PHONE = "+55 11 99999-0004"
SECRETS = (
    PHONE,
    "BEGIN:VCARD Firstname4",
    "Hiddenname6",
    "Signature7",
    "Signature8",
    "Tag11",
    "Street20",
    "Ordername21",
    "mail21@example.com",
    "+55 11 98888-0021",
    "Title24",
    "Tag24",
    "Bio26",
    "+55 11 97777-0034",
    "passport34@example.com",
    "Oldsignature48",
    "Oldhidden49",
    "Hidden55",
)
SHARED_PHOTO = "AgACAgSharedUserPhoto12"


def message(n: int, chat: dict | None = None, **content) -> dict:
    """A message from person n (in GROUP unless `chat` says)."""
    return {"message_id": 100 + n, "from": person(n), "chat": chat or GROUP, "date": NOON + n, **content}


def _updates() -> list[dict]:
    found = [
        {"message": message(1, text="hello", entities=[{"type": "text_mention", "offset": 0, "length": 5,
                                                         "user": person(3)}])},
        {"message": message(2, private_chat(2), text="in private",
                            reply_to_message={"message_id": 1, "from": BOT, "chat": private_chat(2), "date": NOON,
                                              "text": "welcome"})},
        {"message": message(4, contact={"phone_number": PHONE, "first_name": "Firstname4", "last_name": "Lastname4",
                                        "user_id": person(4)["id"], "vcard": "BEGIN:VCARD Firstname4"})},
        {"message": message(5, text="fwd", forward_origin={"type": "user", "sender_user": person(50), "date": NOON},
                            forward_from=person(50), forward_date=NOON)},
        {"message": message(6, text="fwd", forward_origin={"type": "hidden_user", "sender_user_name": "Hiddenname6",
                                                           "date": NOON})},
        {"channel_post": {"message_id": 7, "chat": CHANNEL, "sender_chat": CHANNEL, "date": NOON, "text": "post",
                          "author_signature": "Signature7"}},
        {"message": message(8, text="fwd", forward_origin={"type": "chat", "sender_chat": OTHER_GROUP, "date": NOON,
                                                           "author_signature": "Signature8"})},
        {"message": message(9, new_chat_members=[person(90), BOT], new_chat_member=person(90),
                            new_chat_participant=person(90))},
        {"message": message(10, left_chat_member=person(100), left_chat_participant=person(100))},
        {"message": message(11, text="via", via_bot=BOT, sender_tag="Tag11")},
        {"message": message(12, users_shared={"request_id": 1, "users": [
            {"user_id": person(120)["id"], "first_name": "Firstname120", "last_name": "Lastname120",
             "username": "username120", "photo": [{"file_id": SHARED_PHOTO, "file_unique_id": "u", "width": 1,
                                                   "height": 1}]}]})},
        {"message": message(13, chat_shared={"request_id": 2, "chat_id": -1008888888888, "title": "Other Group"})},
        {"edited_message": {**message(14, private_chat(14), text="edited"), "edit_date": NOON + 60}},
        {"message_reaction": {"chat": GROUP, "message_id": 101, "user": person(15), "date": NOON,
                              "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        {"message_reaction": {"chat": CHANNEL, "message_id": 7, "actor_chat": CHANNEL, "date": NOON,
                              "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "🔥"}]}},
        {"poll_answer": {"poll_id": "p1", "user": person(16), "option_ids": [0]}},
        {"poll": {"id": "p1", "question": "when?", "total_voter_count": 1, "is_closed": False,
                  "options": [{"text": "now", "voter_count": 1}, {"text": "later", "voter_count": 0,
                                                                  "added_by_user": person(17)}]}},
        {"callback_query": {"id": "c1", "from": person(18), "chat_instance": "ci", "data": "vote:yes",
                            "message": {"message_id": 3, "chat": private_chat(18), "date": NOON, "from": BOT,
                                        "text": "vote?"}}},
        {"inline_query": {"id": "i1", "from": person(19), "query": "cats", "offset": "",
                          "location": {"latitude": -23.5, "longitude": -46.6}}},
        {"chosen_inline_result": {"result_id": "r1", "from": person(190), "query": "cats"}},
        {"shipping_query": {"id": "s1", "from": person(20), "invoice_payload": "order-20",
                            "shipping_address": {"country_code": "BR", "state": "SP", "city": "São Paulo",
                                                 "street_line1": "Street20", "street_line2": "", "post_code": "1"}}},
        {"pre_checkout_query": {"id": "q1", "from": person(21), "currency": "XTR", "total_amount": 5,
                                "invoice_payload": "order-21",
                                "order_info": {"name": "Ordername21", "phone_number": "+55 11 98888-0021",
                                               "email": "mail21@example.com"}}},
        {"message": message(22, successful_payment={"currency": "XTR", "total_amount": 5, "invoice_payload": "o",
                                                    "telegram_payment_charge_id": "ch",
                                                    "provider_payment_charge_id": "p",
                                                    "order_info": {"name": "Ordername21"}})},
        {"chat_member": {"chat": GROUP, "from": person(23), "date": NOON,
                         "old_chat_member": {"status": "member", "user": person(24), "tag": "Tag24"},
                         "new_chat_member": {"status": "administrator", "user": person(24),
                                             "custom_title": "Title24"},
                         "invite_link": {"invite_link": "https://t.me/+x", "creator": person(23), "name": "link"}}},
        {"my_chat_member": {"chat": GROUP, "from": person(25), "date": NOON,
                            "old_chat_member": {"status": "left", "user": BOT},
                            "new_chat_member": {"status": "member", "user": BOT}}},
        {"chat_join_request": {"chat": GROUP, "from": person(26), "user_chat_id": person(26)["id"], "date": NOON,
                               "bio": "Bio26", "invite_link": {"invite_link": "https://t.me/+y",
                                                               "creator": person(23)}}},
        {"chat_boost": {"chat": CHANNEL, "boost": {"boost_id": "b1", "add_date": NOON, "expiration_date": NOON + 9,
                                                   "source": {"source": "premium", "user": person(27)}}}},
        {"removed_chat_boost": {"chat": CHANNEL, "boost_id": "b1", "remove_date": NOON,
                                "source": {"source": "gift_code", "user": person(28)}}},
        {"business_connection": {"id": "bc1", "user": person(29), "user_chat_id": person(29)["id"], "date": NOON,
                                 "is_enabled": True}},
        {"business_message": {**message(30, private_chat(30), text="biz"), "business_connection_id": "bc1"}},
        {"deleted_business_messages": {"business_connection_id": "bc1", "chat": private_chat(30),
                                       "message_ids": [130]}},
        {"purchased_paid_media": {"from": person(31), "paid_media_payload": "media-31"}},
        {"managed_bot": {"user": person(32), "bot": OTHER_BOT}},
        {"message": message(34, passport_data={"data": [{"type": "phone_number", "phone_number": "+55 11 97777-0034",
                                                         "hash": "h"},
                                                        {"type": "email", "email": "passport34@example.com",
                                                         "hash": "h"}],
                                               "credentials": {"data": "d", "hash": "h", "secret": "s"}})},
        {"message": message(35, giveaway_winners={"chat": CHANNEL, "giveaway_message_id": 1, "winners_selection_date":
                                                  NOON, "winner_count": 1, "winners": [person(350)]})},
        {"message": message(36, proximity_alert_triggered={"traveler": person(360), "watcher": person(361),
                                                           "distance": 10})},
        {"message": message(37, video_chat_participants_invited={"users": [person(370)]})},
        {"message": message(38, checklist={"title": "todo", "tasks": [{"id": 1, "text": "a",
                                                                       "completed_by_user": person(380),
                                                                       "completion_date": NOON}]})},
        {"message": message(39, text="re story", reply_to_story={"chat": private_chat(390), "id": 5})},
        {"message": message(40, text="re", external_reply={"origin": {"type": "user", "sender_user": person(400),
                                                                      "date": NOON}, "chat": GROUP,
                                                           "message_id": 9})},
        {"guest_message": {**message(41, text="@helper_bot hi"), "guest_query_id": "g1",
                           "guest_bot_caller_user": person(410)}},
        {"message": message(42, text="topic", direct_messages_topic={"topic_id": 1, "user": person(420)})},
        {"message": message(43, text="quoted", quote={"text": "hello", "position": 0,
                                                      "entities": [{"type": "text_mention", "offset": 0, "length": 5,
                                                                    "user": person(430)}]})},
        # Forged or malformed: an id as text, a sender without is_bot, an update type from the future.
        {"message": {"message_id": 44, "from": {"id": "5000000044", "first_name": "Firstname44"}, "chat": GROUP,
                     "date": NOON, "text": "forged"}},
        {"future_update": {"user": person(45), "chat": private_chat(45), "date": NOON}},
        {"message": message(46, chat_owner_changed={"new_owner": person(460)})},
        {"message": message(47, text="from a bot", sender_business_bot=BOT)},
        {"message": message(48, text="old", forward_from_chat=CHANNEL, forward_signature="Oldsignature48",
                            forward_date=NOON)},
        {"message": message(49, text="old", forward_sender_name="Oldhidden49", forward_date=NOON)},
        # Forged: persons where Telegram puts only chats and bots; the rules hold there too.
        {"message": message(52, {**private_chat(52), "title": "Firstname52"}, text="forged chats",
                            sender_chat={**private_chat(53), "title": "Firstname53"},
                            forward_origin={"type": "chat", "sender_chat": private_chat(54), "date": NOON},
                            external_reply={"origin": {"type": "hidden_user", "sender_user_name": "Hidden55",
                                                       "date": NOON}, "chat": private_chat(55), "message_id": 1},
                            via_bot=person(56))},
    ]  # fmt: skip
    return [{"update_id": FIRST_UPDATE_ID + n, **u} for n, u in enumerate(found)]


UPDATES = _updates()
#: A message whose text names people: text and mentions stay as written.
TEXTS_MENTION = {
    "update_id": FIRST_UPDATE_ID - 1,
    "message": message(51, text="thanks @username2 and Firstname3", entities=[
        {"type": "mention", "offset": 7, "length": 10}]),
}  # fmt: skip


def people() -> list[dict]:
    """Every person (a user who is not a bot, a private chat) of UPDATES, found by walking them."""
    found: dict[int, dict] = {}

    def walk(value):
        if isinstance(value, dict):
            if (value.get("is_bot") is False or value.get("type") == "private") and isinstance(value.get("id"), int):
                found.setdefault(value["id"], {}).update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk([*UPDATES, TEXTS_MENTION])
    return list(found.values())


def person_ids() -> set[int]:
    """The ids of every person, as users and as private chats."""
    return {p["id"] for p in people()}


def person_strings() -> set[str]:
    """Every string that names or reaches a person: names, usernames, SECRETS."""
    names = {p[k] for p in people() for k in ("first_name", "last_name", "username") if k in p}
    return names | {"Firstname44", "Firstname120", "Lastname120", "username120", SHARED_PHOTO, *SECRETS}
