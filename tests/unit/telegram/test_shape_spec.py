"""Staying current with the Bot API is a test: the spec says which update types and message kinds exist.

`../shared/testdata/botapi-spec/api.json` (beside the repository) is a machine-readable copy of the
Bot API spec (PROVENANCE.md beside it says which version). These tests fail when the spec has an
`Update` field that tgpipe does not ask Telegram for (`shape.UPDATE_TYPES`, the `allowed_updates`
list), or a `Message` field that is neither a kind (`shape.MESSAGE_KINDS`) nor one of the fields
that describe a message (`shape.MESSAGE_METADATA_FIELDS`). A field a later spec adds is in
neither, so it fails here until someone decides what it is. Where the spec is absent (a plain
clone), they skip.
"""

import json
import re

import pytest

from helpers import ROOT
from tgpipe.telegram import shape

SPEC = ROOT.parent / "shared" / "testdata" / "botapi-spec" / "api.json"


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC.is_file():
        pytest.skip(f"no Bot API spec at {SPEC} (it is beside the repository, in ../shared/testdata)")
    return json.loads(SPEC.read_text(encoding="utf-8"))


def fields(spec: dict, type_name: str) -> list[dict]:
    return spec["types"][type_name]["fields"]


def test_every_update_type_of_the_spec_is_asked_for_in_its_order(spec):
    update_types = [f["name"] for f in fields(spec, "Update") if f["name"] != "update_id"]
    missing = [t for t in update_types if t not in shape.UPDATE_TYPES]
    extra = [t for t in shape.UPDATE_TYPES if t not in update_types]
    assert (missing, extra) == ([], []), f"{spec['version']}: not asked for {missing}; not in the spec {extra}"
    assert list(shape.UPDATE_TYPES) == update_types


def test_every_update_whose_body_is_a_message_is_read_as_one(spec):
    """A Message body has text, media and a kind; one that is not a new version of a message or
    post (an edit: "New version of a message ...", "New version of a channel post ...") is a row of
    the messages table."""
    bodies = [f for f in fields(spec, "Update") if f["types"] == ["Message"]]
    assert sorted(shape.MESSAGE_BODY_TYPES) == sorted(f["name"] for f in bodies)
    first_posted = [f["name"] for f in bodies if not f["description"].startswith("Optional. New version of")]
    assert sorted(shape.MESSAGE_UPDATE_TYPES) == sorted(first_posted)
    assert "guest_message" in first_posted


def test_every_message_field_is_a_kind_or_describes_the_message(spec):
    names = [f["name"] for f in fields(spec, "Message")]
    kinds, metadata = set(shape.MESSAGE_KINDS), shape.MESSAGE_METADATA_FIELDS
    unclassified = [n for n in names if n not in kinds and n not in metadata]
    assert unclassified == [], f"{spec['version']}: Message fields neither typed nor metadata: {unclassified}"
    assert not kinds & metadata
    assert sorted(kinds | metadata) == sorted(names), "a kind or metadata field the spec no longer has"
    assert len(shape.MESSAGE_KINDS) == len(kinds) == 75


def test_fields_the_spec_calls_content_or_service_messages_are_kinds(spec):
    """The spec's own words mark most kinds ("Message is ...", "Service message: ..."): none of those
    may hide among the metadata."""
    marked = re.compile(r"^Optional\. (Message is|Message contains|The message is|Service message)")
    said = [f["name"] for f in fields(spec, "Message") if marked.match(f["description"])]
    assert len(said) > 60
    assert [n for n in said if n not in shape.MESSAGE_KINDS] == []


def test_a_kind_that_also_sets_another_comes_before_it(spec):
    """'For backward compatibility, when this field is set, the X field will also be set': the
    field that says so must win, so it comes first in the precedence."""
    pairs = []
    for f in fields(spec, "Message"):
        found = re.search(r"when this field is set, the (\w+) field will also be set", f["description"])
        if found:
            pairs.append((f["name"], found.group(1)))
    assert sorted(pairs) == [("animation", "document"), ("live_photo", "photo"), ("venue", "location")]
    order = shape.MESSAGE_KINDS.index
    assert all(order(kind) < order(also) for kind, also in pairs)
    for kind, also in pairs:
        assert shape.message_type({kind: {}, also: [{}] if also == "photo" else {}}) == kind
