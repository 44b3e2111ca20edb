"""The report's sections on conversations and the bot's traffic: replies and response times,
conversations, who talks to whom, the bot's commands, buttons, private users and sessions, and
retention cohorts.

Each section appears only when its answer has something to show (a store without a bot's private
chats has no bot sections); `SECTIONS` lists them in page order after `sections.SECTIONS`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from tgpipe.query.params import parameters
from tgpipe.report import charts
from tgpipe.report.sections import WEEKDAYS, Answers, Section, _bars, _listing, plural, short

#: People the "who talks to whom" matrix shows: the most active senders of the pairs.
MATRIX_PEOPLE = 8
#: Weeks after the first that a cohort chart shows.
COHORT_WEEKS = 8
#: A person's reply delay is ranked only with this many replies or more.
MIN_REPLIES = 3


def duration(seconds: float | None) -> str:
    """A span of time, short enough for a bar's value: `45 s`, `12 min`, `3.5 h`, `2.1 d` (days)."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def chat_label(r: dict) -> str:
    """A chat's title; a private chat (the bot's, with no title) by its id."""
    return r.get("chat_title") or f"private chat {r['chat_id']}"


def person_label(name: str | None, person_id: int | None) -> str:
    return name or f"person {person_id}"


def gap_minutes(a: Answers, name: str) -> str:
    seconds = parameters(a.queries[name].sql).get("gap_seconds", 0)
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


# ---- replies and response time ------------------------------------------------------------------


def response_times(a: Answers) -> Section | None:
    name, key, title = "response_times_per_chat", "response-times", "Replies and response time"
    rows = [r for r in a.records(name) if r["replied_message_amount"] or r["question_amount"]]
    if not any(r["replied_message_amount"] for r in rows):
        return None
    answered = [r for r in rows if r["median_first_reply_seconds"] is not None]
    within = parameters(a.queries[name].sql)["answer_within_seconds"]
    groups = [r for r in rows if r["chat_id"] < 0]  # a private chat's id is its user's (positive)
    questions = sum(r["question_amount"] for r in groups)
    unanswered = sum(r["unanswered_question_amount"] for r in groups)
    summary = (
        f"Bar chart of the median time to the first reply from someone else, per chat: "
        f"{_listing([(chat_label(r), duration(r['median_first_reply_seconds'])) for r in answered[:4]])}. "
        f"In groups and channels, {plural(questions, 'question')} asked, {unanswered:,} left without an answer "
        f"within {duration(within)}."
    )
    drawing = charts.bar_chart(
        [(chat_label(r), r["median_first_reply_seconds"]) for r in answered[:15]],
        "chart-" + key,
        title,
        summary,
        duration,
    )
    note = (
        "A message is answered when someone else replies to it (Telegram's reply, in the same chat); the time "
        "is to the first such reply; p90 in the table is the time within which 90% of answered messages got one. "
        "A question is a message whose text or caption has a question mark (?, ؟, ？ and their other forms) that "
        "ends it or is followed by a space or punctuation, not by a letter, a digit or a link's characters: "
        f"it is answered when a reply from someone else comes within {duration(within)}, and too recent to tell "
        "(pending) when the data ends sooner. A bot's private chat has no answers from the bot: Telegram never "
        "sends a bot its own messages. `tgpipe query response_times_per_chat --param answer_within_seconds=N` "
        "sets the time."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note, wide=True)


def reply_delays(a: Answers) -> Section | None:
    name, key, title = "response_times_per_person", "reply-delays", "Who answers, and how fast"
    rows = a.records(name)
    people = [r for r in rows if r["sender_kind"] == "person" and r["reply_amount"] >= MIN_REPLIES]
    if not people:
        return None
    people.sort(key=lambda r: (-r["reply_amount"], r["sender_id"]))
    return _bars(
        a,
        name,
        key,
        title,
        "people's median reply delay (the most replying first)",
        [(person_label(r["sender_name"], r["sender_id"]), r["median_reply_seconds"]) for r in people],
        duration,
        note=f"Each bar is a person's median time between a message and their reply to it, for people with "
        f"{MIN_REPLIES} replies to others or more, the most replying first (reply_amount in the table). The table "
        "also has the 90th percentile, how soon their own messages were answered and their questions left "
        "unanswered.",
    )


# ---- conversations ------------------------------------------------------------------------------


def conversations(a: Answers) -> Section | None:
    name, key, title = "conversations_per_day", "conversations", "Conversations"
    rows = a.records(name)
    if not rows:
        return None
    per_day: dict[date, int] = defaultdict(int)
    for r in rows:
        per_day[date.fromisoformat(r["context_date"])] += r["conversation_amount"]
    days = sorted(per_day)
    total = sum(per_day.values())
    together = sum(r["multi_sender_conversation_amount"] for r in rows)
    longest = max(rows, key=lambda r: (r["max_message_amount"], r["context_date"]))
    gap, daily = gap_minutes(a, name), charts.amount(round(total / len(days), 1))
    summary = (
        f"Columns of conversations started per day: {total:,} conversations ({daily} "
        f"a day on the days with any), {together:,} of them with two people or more; the longest had "
        f"{plural(longest['max_message_amount'], 'message')} ({longest['context_date']}, {short(chat_label(longest))})."
    )
    drawing = charts.stacked_columns(
        days, [("conversations", [per_day[d] for d in days])], "chart-" + key, title, summary
    )
    note = (
        f"A conversation is a run of a chat's messages with no silence longer than {gap} between two (service "
        "events aside), counted on the day it started. The table has, per chat and day, the median and largest "
        "number of messages, the median length in time, and the average number of people. `tgpipe report --gap "
        "MINUTES` and `tgpipe query conversations_per_day --param gap_seconds=N` set the gap."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def conversation_starters(a: Answers) -> Section | None:
    name = "conversation_starters"
    rows = [r for r in a.records(name) if r["sender_kind"] == "person"]
    if not rows:
        return None
    return _bars(
        a,
        name,
        "conversation-starters",
        "Who starts conversations",
        "people by conversations they started",
        [(person_label(r["sender_name"], r["sender_id"]), r["started_amount"]) for r in rows],
        charts.amount,
        note="A person starts a conversation by sending its first message and ends it by sending its last; "
        "“started and answered” counts those someone else joined. Conversations as in Conversations.",
    )


# ---- who talks to whom --------------------------------------------------------------------------


def talk_matrix(a: Answers) -> Section | None:
    name, key, title = "talk_pairs", "talk-pairs", "Who talks to whom"
    rows = a.records(name)
    if not rows:
        return None
    names: dict[int, str] = {}
    activity: dict[int, int] = defaultdict(int)
    cells: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        names.setdefault(r["from_id"], person_label(r["from_name"], r["from_id"]))
        names.setdefault(r["to_id"], person_label(r["to_name"], r["to_id"]))
        activity[r["from_id"]] += r["interaction_amount"]
        activity[r["to_id"]] += r["interaction_amount"]
        cells[(r["from_id"], r["to_id"])] += r["interaction_amount"]
    people = sorted(activity, key=lambda p: (-activity[p], p))[:MATRIX_PEOPLE]
    grid = [[cells.get((f, t), 0) for t in people] for f in people]
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    for (f, t), n in cells.items():
        pairs[(min(f, t), max(f, t))] += n
    strongest = sorted(pairs.items(), key=lambda p: (-p[1], p[0]))[:3]
    summary = (
        f"Matrix of replies and mentions between the {len(people)} most involved people: row is who replied or "
        f"mentioned, column whom. Strongest pairs: "
        + _listing([(f"{names[x]} ↔ {names[y]}", f"{n:,}") for (x, y), n in strongest])
        + ". Key: "
        + ", ".join(f"{k + 1} {charts.isolate(short(names[p]))}" for k, p in enumerate(people))
        + "."
    )

    def tip(r: int, c: int, value: int) -> str:
        who, whom = (charts.isolate(short(names[people[k]])) for k in (r, c))
        return f"{who} → {whom}: {plural(value, 'reply or mention', 'replies and mentions')}"

    labels = [str(k + 1) for k in range(len(people))]
    drawing = charts.heatmap(grid, labels, labels, "chart-" + key, title, summary, tip)
    note = (
        "Replies count each reply to the other's message; mentions count each message that mentions the other "
        "once, by @username (the person seen in the chat with that username latest) or by a mention that names "
        "the user (people without a username). People only, each pair per chat; the table lists every pair "
        "both ways. Numbers in the matrix stand for the names in the key."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


# ---- the bot's traffic ------------------------------------------------------------------------


def bot_usage(a: Answers) -> Section | None:
    name, key, title = "bot_usage_per_day", "bot-usage", "The bot's commands and buttons"
    rows = a.records(name)
    if not rows:
        return None
    uses: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        uses[(r["kind"], r["name"])][0] += r["use_amount"]
        uses[(r["kind"], r["name"])][1] += r["new_person_amount"]
    ranked = sorted(uses.items(), key=lambda u: (-u[1][0], u[0]))
    people = _listing([(label, plural(n, "person", "people")) for (_, label), (_, n) in ranked[:5]])
    return _bars(
        a,
        name,
        key,
        title,
        "commands and buttons (callback_data) by uses",
        [(label, n) for (_, label), (n, _) in ranked],
        charts.amount,
        note=f"People who used the most used: {people}. Commands are the bot commands in messages (/stats@bot "
        "counts as /stats, once per message), in any chat; buttons are the presses of inline keyboard buttons, by "
        "their callback_data. The table has each per day, with the people using it and those using it for the "
        "first time in the period (added up over the days, everyone who used it).",
        label_chars=charts.LABEL_CHARS * 3,
        labels_above=True,
    )


BOT_KINDS = {"command": "commands", "button": "button presses", "inline_query": "inline queries"}


def bot_hours(a: Answers) -> Section | None:
    name, key, title = "bot_traffic_per_hour_weekday", "bot-hours", "The bot's traffic by hour and weekday"
    rows = a.records(name)
    if not rows:
        return None
    grid = [[0] * 24 for _ in WEEKDAYS]
    kinds: dict[str, int] = defaultdict(int)
    for r in rows:
        grid[r["weekday"] - 1][r["hour"]] += r["event_amount"]
        kinds[r["kind"]] += r["event_amount"]
    peak_day, peak_hour = max(
        ((d, h) for d in range(7) for h in range(24)), key=lambda p: (grid[p[0]][p[1]], -p[0], -p[1])
    )
    summary = (
        "Heatmap of the bot's commands, button presses and inline queries by local hour (columns) and weekday "
        f"(rows): {', '.join(f'{n:,} {BOT_KINDS.get(k, k)}' for k, n in sorted(kinds.items()))}; the busiest hour was "
        f"{WEEKDAYS[peak_day]} {peak_hour:02d}:00 with {grid[peak_day][peak_hour]:,}."
    )

    def tip(r: int, c: int, value: int) -> str:
        return f"{WEEKDAYS[r]} {c:02d}:00–{c:02d}:59: {value:,}"

    hours = [f"{h}" if h % 3 == 0 else "" for h in range(24)]
    drawing = charts.heatmap(grid, [d[:3] for d in WEEKDAYS], hours, "chart-" + key, title, summary, tip)
    note = (
        "A button press or an inline query carries no time: it is placed at the latest time of the updates "
        "before it that day (event_date), which is when it came at the earliest and close to it while the bot "
        "is busy. The table splits the three kinds."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def bot_users(a: Answers) -> Section | None:
    name, key, title = "bot_private_users", "bot-users", "People talking to the bot in private"
    rows = a.records(name)
    weeks = sorted((r for r in rows if r["period"] == "week"), key=lambda r: r["period_start"])
    if not weeks:
        return None
    days = [r for r in rows if r["period"] == "day"]
    labels = charts.day_labels([date.fromisoformat(r["period_start"]) for r in weeks])
    series = [
        ("new", [r["new_person_amount"] for r in weeks]),
        ("returning", [r["returning_person_amount"] for r in weeks]),
    ]
    everyone = sum(r["new_person_amount"] for r in weeks)
    daily = sum(r["active_person_amount"] for r in days) / len(days)
    summary = (
        f"Stacked columns of the people who talked to the bot in private each week, new and returning: "
        f"{plural(everyone, 'person', 'people')} in all, {charts.amount(round(daily, 1))} a day on the days with "
        f"any; the latest week had {plural(weeks[-1]['active_person_amount'], 'person', 'people')} "
        f"({weeks[-1]['returning_person_amount']:,} returning)."
    )
    drawing = charts.columns(labels, series, "chart-" + key, title, summary, "people")
    note = (
        "Active is any update in a person's private chat with the bot (a message, a command, a button pressed), "
        "a block or unblock aside. New means first seen within this report's period; the table has each day "
        "(daily active) and each week (weekly active), new and returning."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def bot_sessions(a: Answers) -> Section | None:
    name, key, title = "bot_session_paths", "bot-sessions", "Bot sessions: paths and where people stop"
    rows = a.records(name)
    if not rows:
        return None
    stops: dict[str, int] = defaultdict(int)
    for r in rows:
        stops[r["last_step"]] += r["session_amount"]
    sessions = sum(stops.values())
    where = sorted(stops.items(), key=lambda s: (-s[1], s[0]))[:3]
    note = (
        f"A session is a command in a private chat with the bot and the buttons pressed after it, until the next "
        f"command or a silence longer than {gap_minutes(a, name)}; a path shows its first 6 steps (… for more). "
        f"Where people stop is a path's last step: most often {_listing([(s, f'{n:,}') for s, n in where])}."
    )
    return _bars(
        a,
        name,
        key,
        title,
        f"the most common paths of {plural(sessions, 'session')}",
        [(r["path"], r["session_amount"]) for r in rows],
        charts.amount,
        label_chars=charts.LABEL_CHARS * 3,
        labels_above=True,
        note=note,
    )


# ---- retention ----------------------------------------------------------------------------------

POPULATIONS = {"people": "people", "bot_users": "the bot's private users"}


def _retention(a: Answers, population: str, key: str, title: str) -> Section | None:
    name = "retention_cohorts"
    rows = [r for r in a.records(name) if r["population"] == population]
    if not rows or max(r["week_number"] for r in rows) < 1:
        return None
    cohorts = sorted({r["cohort_week"] for r in rows})
    sizes = {r["cohort_week"]: r["cohort_size"] for r in rows}
    shares = {(r["cohort_week"], r["week_number"]): r for r in rows}
    weeks = min(COHORT_WEEKS, max(r["week_number"] for r in rows)) + 1
    grid = [
        [round((shares[(c, w)]["active_percent"]) if (c, w) in shares else 0) for w in range(weeks)] for c in cohorts
    ]
    later = [r for r in rows if r["week_number"] == 1]
    kept = sum(r["active_amount"] for r in later) * 100 / max(1, sum(sizes[r["cohort_week"]] for r in later))
    summary = (
        f"Cohort table of {POPULATIONS[population]} by the week first seen (rows, with the cohort's size) and the "
        f"weeks after it (columns, 0 = the first): each cell is the share of the cohort active that week. "
        f"{plural(len(cohorts), 'cohort')}; on average {kept:.0f}% came back the week after their first."
    )

    def tip(r: int, c: int, value: int) -> str:
        found = shares.get((cohorts[r], c))
        active = found["active_amount"] if found else 0
        return f"week of {cohorts[r]}, week {c}: {active:,} of {sizes[cohorts[r]]:,} ({value}%)"

    labels = [
        f"{day} ({sizes[c]})"
        for day, c in zip(charts.day_labels([date.fromisoformat(c) for c in cohorts]), cohorts, strict=True)
    ]
    drawing = charts.heatmap(grid, labels, [str(w) for w in range(weeks)], "chart-" + key, title, summary, tip, 84)
    note = (
        "Weeks start on Monday. A cohort is everyone first seen in this report's period in the same week, so the "
        "first cohort holds everyone already active then. Cells are percentages; the table has the counts, of "
        "people and of the bot's private users. "
        + (
            "People are senders who are persons (bots and chats aside)."
            if population == "people"
            else "The bot's private users are the people with any update in their private chat with the bot."
        )
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def retention_people(a: Answers) -> Section | None:
    return _retention(a, "people", "retention-people", "Retention of people")


def retention_bot_users(a: Answers) -> Section | None:
    return _retention(a, "bot_users", "retention-bot-users", "Retention of the bot's private users")


#: The sections in page order, and the named queries each reads; a section that returns None is left out.
SECTIONS: tuple[tuple[Callable[[Answers], Section | None], tuple[str, ...]], ...] = (
    (response_times, ("response_times_per_chat",)),
    (reply_delays, ("response_times_per_person",)),
    (conversations, ("conversations_per_day",)),
    (conversation_starters, ("conversation_starters",)),
    (talk_matrix, ("talk_pairs",)),
    (bot_usage, ("bot_usage_per_day",)),
    (bot_hours, ("bot_traffic_per_hour_weekday",)),
    (bot_users, ("bot_private_users",)),
    (bot_sessions, ("bot_session_paths",)),
    (retention_people, ("retention_cohorts",)),
    (retention_bot_users, ("retention_cohorts",)),
)
