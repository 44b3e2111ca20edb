"""queries/13_media_volume.sql gives the answer computed independently, in Python, from the updates."""

from collections import defaultdict

# In the order Telegram's fields decide the kind: an animation also carries a document, a live photo
# a photo.
MEDIA = ("animation", "audio", "document", "live_photo", "photo", "sticker", "video", "video_note", "voice")


def media_file(message):
    """Return (kind, file) of a media message, the largest size for a photo; None otherwise."""
    if "text" in message:
        return None
    for kind in MEDIA:
        if kind in message:
            value = message[kind]
            if kind == "photo":
                value = max(value, key=lambda size: size["width"] * size["height"])
            return kind, value
    return None


def test_media_volume(answers, messages):
    groups = defaultdict(lambda: {"messages": 0, "files": set(), "bytes": 0, "unsized": 0})
    for m in (m for m in messages if m["content"]):
        found = media_file(m["message"])
        if found is None:
            continue
        kind, file = found
        group = groups[(m["day"], kind)]
        group["messages"] += 1
        if "file_unique_id" in file:  # an export has no file ids: count(DISTINCT NULL) is 0
            group["files"].add(file["file_unique_id"])
        group["bytes"] += file.get("file_size", 0)
        group["unsized"] += "file_size" not in file
    expected = [
        {
            "context_date": day,
            "media_type": kind,
            "message_amount": g["messages"],
            "distinct_files": len(g["files"]),
            "media_bytes": g["bytes"],
            "files_without_size": g["unsized"],
        }
        for (day, kind), g in groups.items()
    ]
    expected.sort(key=lambda r: r["media_type"])
    expected.sort(key=lambda r: (r["context_date"], r["media_bytes"]), reverse=True)
    assert answers["media_volume"] == expected


def test_the_stores_have_media_kinds_and_files_without_size(case, messages):
    kinds = {found[0] for m in messages if (found := media_file(m["message"]))}
    if case.name == "import":  # exportkit writes photos, files, stickers and voice notes
        assert kinds == {"document", "photo", "sticker", "voice"}
        return
    assert kinds == set(MEDIA) - {"live_photo"}  # newer than the sample; tests/unit/test_columns.py has one
    assert any("file_size" not in m["message"].get("document", {"file_size": 0}) for m in messages)
