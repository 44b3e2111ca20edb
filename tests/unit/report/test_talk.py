"""tgpipe.report.talk: the sections on conversations and the bot's traffic, on hand-made answers."""

import pytest

from tgpipe.query.named import named_query
from tgpipe.query.results import QueryResult
from tgpipe.report import talk
from tgpipe.report.sections import Answers


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0 s"), (89, "89 s"), (90, "2 min"), (5399, "90 min"), (5400, "1.5 h"), (200_000, "2.3 d")],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert talk.duration(seconds) == text


def answers(**rows: list[dict]) -> Answers:
    names = {n for _, ns in talk.SECTIONS for n in ns}
    results = {}
    for name in names:
        found = rows.get(name, [])
        columns = list(found[0]) if found else ["x"]
        results[name] = QueryResult(columns, [tuple(r.values()) for r in found])
    return Answers({n: named_query(n) for n in names}, results, None, None, None)


def test_no_section_appears_without_its_data():
    empty = answers()
    assert [build(empty) for build, _ in talk.SECTIONS] == [None] * len(talk.SECTIONS)


def test_a_cohort_seen_for_one_week_only_has_nothing_to_retain():
    first_week = {"population": "people", "cohort_week": "2025-11-17", "cohort_size": 3, "week_number": 0}
    first_week |= {"active_amount": 3, "active_percent": 100.0}
    assert talk.retention_people(answers(retention_cohorts=[first_week])) is None
    later = first_week | {"week_number": 1, "active_amount": 1, "active_percent": 33.3}
    section = talk.retention_people(answers(retention_cohorts=[first_week, later]))
    assert "on average 33% came back the week after their first" in section.summary
    assert talk.retention_bot_users(answers(retention_cohorts=[first_week, later])) is None


def test_the_matrix_names_its_people_in_a_key():
    pair = {"chat_id": -1, "from_id": 1, "from_name": "Ana", "to_id": 2, "to_name": None}
    pair |= {"reply_amount": 3, "mention_amount": 1, "interaction_amount": 4}
    back = pair | {"from_id": 2, "from_name": None, "to_id": 1, "to_name": "Ana", "interaction_amount": 2}
    section = talk.talk_matrix(answers(talk_pairs=[pair, back]))
    assert "Strongest pairs: \u2068Ana ↔ person 2\u2069 (6)" in section.summary
    assert "Key: 1 \u2068Ana\u2069, 2 \u2068person 2\u2069." in section.summary
