"""Measure importing a Telegram Desktop export (`tgpipe import`), against the parse limit.

In one run, on an export of N messages this bench generates (a forum supergroup's history as
Telegram Desktop writes it: indented JSON, text as strings and as parts with entities and emoji,
photos, videos, voice notes, stickers and files with the "(File not included ...)" placeholders,
replies into topics, forwards, edits, reactions, joins, pins, new topics):
1. Speed: messages/s of `json.load` of the file (the parse limit: the whole file into Python
   objects at once) and of `read_export` consuming every message (parsed, mapped to Bot API
   messages), run in turns `--repeat` times each so a busy moment hits both. Target: read_export
   within 3x of json.load.
2. Memory: peak RSS (VmHWM) of read_export in a fresh process, for the N-message single-chat
   file and for a full-account export twice as big (two chats of N messages): streamed, it should
   not grow with the file. Target: under 400 MB whatever the file's size.
3. The whole import (`importer.import_export`, what `tgpipe import` does: read, store the export
   and its messages per day in a raw folder, build the days' Parquet tables, by default two at a
   time in worker processes), in a fresh process, for both files: messages/s against json.load's
   (and CPU seconds, the workers' included), and peak RSS, at most the import's own plus each
   worker at the largest one's peak. Targets: within 3x of json.load, under 400 MB.

Run: .venv/bin/python bench/import.py [--messages 1000000] [--repeat 2] [--workdir DIR]
The figures end in a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ijson

from tgpipe.history.desktop_export import read_export

T0 = 1_700_000_000
GROUP_ID = 2_482_670_091
NAMES = ["Zoë Araújo", "李雷", "Анна Каренина", "Mohammed Ali", "José", "Ngozi 🌻", "Ana", "Björk Guðmundsdóttir"]
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
WORDS = [
    "bom",
    "dia",
    "pessoal",
    "olha",
    "isso",
    "aqui",
    "amanhã",
    "reunião",
    "dados",
    "consulta",
    "café",
    "☕",
    "ótimo",
    "😀",
    "👍",
    "vamos",
    "lá",
]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))


def _parts(rng: random.Random) -> list:
    parts: list = [_text(rng) + " "]
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.3:
            parts.append({"type": "hashtag", "text": rng.choice(["#dados", "#python", "#café"])})
        elif kind < 0.5:
            parts.append({"type": "link", "text": "https://duckdb.org/docs"})
        elif kind < 0.7:
            parts.append({"type": "text_link", "text": "aqui 👉", "href": "https://example.org/a?b=1"})
        elif kind < 0.85:
            parts.append({"type": "bold", "text": _text(rng)})
        else:
            parts.append({"type": "mention", "text": "@zoe_a"})
        parts.append(" " + _text(rng))
    return parts


#: Stand-ins for the values that change from message to message, filled in by str.format.
_ID, _UNIX, _EDIT, _REPLY, _PIN, _WHO = (
    987654321987,
    "8765432187",
    "7654321876",
    876543218765,
    765432187654,
    654321876543,
)
_LOCAL = "1999-12-31T23:59:59"
TEMPLATES = 4000


def _message(rng: random.Random, topic: bool = False) -> dict:
    """One message with stand-in ids and times (see _render)."""
    msg: dict = {"id": _ID, "type": "message", "date": _LOCAL, "date_unixtime": _UNIX}
    if topic:
        return _service("topic_created", title=f"Tópico {rng.randint(1, 99)} 🧪")
    r = rng.random()
    if r < 0.06:
        return _service("join_group_by_link", actor=f"user{_WHO}", inviter="Ana")
    if r < 0.07:
        return _service("pin_message", message_id=_PIN)
    if rng.random() < 0.1:
        msg["edited"] = _LOCAL
        msg["edited_unixtime"] = _EDIT
    if rng.random() < 0.2:
        msg.update({"from": "Dados ☕", "from_id": f"channel{GROUP_ID}"})  # an anonymous admin
    else:
        msg.update({"from": rng.choice(NAMES), "from_id": f"user{_WHO}"})
    if rng.random() < 0.8:
        msg["reply_to_message_id"] = _REPLY
    if rng.random() < 0.05:
        msg.update({"forwarded_from": "Canal 📣", "forwarded_from_id": "channel1878264527"})
    media = rng.random()
    if media < 0.15:
        msg.update(photo=PLACEHOLDER, photo_file_size=rng.randint(10_000, 900_000), width=1280, height=960)
    elif media < 0.20:
        msg.update(file=PLACEHOLDER, file_name=f"video_{rng.randint(1, 999)}.mp4", file_size=rng.randint(10**5, 10**8))
        msg.update(thumbnail=PLACEHOLDER, thumbnail_file_size=9000, media_type="video_file", mime_type="video/mp4")
        msg.update(duration_seconds=rng.randint(1, 600), width=1920, height=1080)
    elif media < 0.23:
        msg.update(file=PLACEHOLDER, file_size=rng.randint(10**4, 10**6), media_type="voice_message")
        msg.update(mime_type="audio/ogg", duration_seconds=rng.randint(1, 120))
    elif media < 0.25:
        msg.update(file=PLACEHOLDER, file_size=30_000, thumbnail=PLACEHOLDER, thumbnail_file_size=5000)
        msg.update(media_type="sticker", sticker_emoji="😂", mime_type="image/webp", width=512, height=512)
    elif media < 0.27:
        msg.update(file=PLACEHOLDER, file_name="relatório final.pdf", file_size=2_000_000, mime_type="application/pdf")
    has_media = media < 0.27
    text: str | list = "" if has_media and rng.random() < 0.6 else (_parts(rng) if rng.random() < 0.4 else _text(rng))
    msg["text"] = text
    if isinstance(text, str):
        msg["text_entities"] = [{"type": "plain", "text": text}] if text else []
    else:
        msg["text_entities"] = [{"type": "plain", "text": p} if isinstance(p, str) else p for p in text]
    if rng.random() < 0.25:
        msg["reactions"] = [{"type": "emoji", "count": rng.randint(1, 9), "emoji": "👍"}]
    return msg


def _service(action: str, actor: str = "user7", **fields) -> dict:
    msg = {"id": _ID, "type": "service", "date": _LOCAL, "date_unixtime": _UNIX, "actor": "Zoë Araújo"}
    msg.update(actor_id=actor, action=action, **fields)
    msg.update(text="", text_entities=[])
    return msg


def _render(msg: dict, indent: str) -> str:
    """The message as Desktop indents it, as a str.format template of its id, times and targets."""
    text = indent + json.dumps(msg, ensure_ascii=False, indent=1).replace("\n", "\n" + indent)
    text = text.replace("{", "{{").replace("}", "}}")
    for stand_in, field in ((_ID, "id"), (_UNIX, "unix"), (_EDIT, "edit"), (_REPLY, "reply"), (_PIN, "pin")):
        text = text.replace(str(stand_in), "{" + field + "}")
    return text.replace(_LOCAL, "{local}").replace(str(_WHO), "{who}")


def write_chat(out, messages: int, seed: int, indent: str, chat_id: int) -> None:
    rng = random.Random(seed)
    inner = indent + " "
    templates = [_render(_message(rng), inner + " ") for _ in range(TEMPLATES)]
    topic = _render(_message(rng, topic=True), inner + " ")
    out.write(f'{indent}{{\n{inner}"name": "Dados ☕",\n{inner}"type": "private_supergroup",\n')
    out.write(f'{inner}"id": {chat_id},\n{inner}"messages": [\n')
    topics = [1]
    choice, randint = rng.choice, rng.randint
    for i in range(1, messages + 1):
        when = T0 + i * 17
        if i % 5000 == 1:
            template = topic
            topics.append(i)
        else:
            template = choice(templates)
        reply = choice(topics) if randint(0, 9) < 7 else max(1, i - randint(1, 30))
        out.write(
            template.format(
                id=i,
                unix=when,
                edit=when + 60,
                local=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when + 3600)),
                reply=reply,
                pin=max(1, i - randint(1, 50)),
                who=randint(1, 5000),
            )
        )
        out.write(",\n" if i < messages else "\n")
    out.write(f"{inner}]\n{indent}}}")


def write_export(path: Path, messages: int, chats: int = 1, seed: int = 13) -> int:
    """Write an export of `messages` messages per chat: a single-chat file, or a full-account one."""
    with path.open("w", encoding="utf-8") as out:
        if chats == 1:
            write_chat(out, messages, seed, "", GROUP_ID)
            out.write("\n")
        else:
            out.write('{\n "about": "Here is the data you requested.",\n')
            out.write(' "personal_information": {\n  "user_id": 42,\n  "first_name": "Eu"\n },\n')
            out.write(' "chats": {\n  "about": "This page lists all chats from this export.",\n  "list": [\n')
            for n in range(chats):
                write_chat(out, messages, seed + n, "   ", GROUP_ID + n)
                out.write(",\n" if n < chats - 1 else "\n")
            out.write("  ]\n },\n" + ' "left_chats": {\n  "about": "...",\n  "list": []\n }\n}\n')
    return path.stat().st_size


def time_json_load(path: Path) -> tuple[int, float, float]:
    """Return the messages, and the wall and CPU seconds of json.load of the file."""
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as f:
        data = json.load(f)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = len(data["messages"])
    del data
    gc.collect()
    return count, elapsed, cpu


def time_read_export(path: Path) -> tuple[int, float, float]:
    """Return the messages, and the wall and CPU seconds of reading (and mapping) every one."""
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for _ in read_export(path):
        count += 1
    return count, time.perf_counter() - started, time.process_time() - cpu


def peak_memory(path: Path, child: str = "--memory-child") -> dict:
    out = subprocess.run([sys.executable, __file__, child, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def import_child(path: Path) -> None:
    """Import `path` into new folders next to it, as `tgpipe import` does (its days built in
    `importer.default_jobs` worker processes); print the messages, seconds, CPU seconds (this
    process's and its workers') and peak RSS: this process's, its largest worker's, and the most
    they can have held together (each worker at the largest one's peak)."""
    from tgpipe.config import Settings
    from tgpipe.history import importer
    from tgpipe.store.local import LocalStore

    before = _high_water_mb()
    with tempfile.TemporaryDirectory(dir=path.parent) as data:
        raw, enriched = LocalStore(Path(data) / "raw", private=True), LocalStore(Path(data) / "enriched")
        started, cpu = time.perf_counter(), _cpu_seconds()
        result = importer.import_export(path, raw, enriched, Settings())
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        days, rows, workers = len(result.etl.days), result.etl.messages, result.etl.workers
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if workers > 1 else 0
    peak = _high_water_mb()
    result = {"messages": rows, "days": days, "seconds": elapsed, "cpu": cpu, "after_imports_mb": round(before)}
    memory = {"peak_mb": round(peak), "workers": workers, "worker_mb": round(worker_mb)}
    print(json.dumps(result | memory | {"total_mb": round(peak + workers * worker_mb if workers > 1 else peak)}))


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (the import's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def memory_child(path: Path) -> None:
    before = _high_water_mb()
    reader = read_export(path)
    started = time.perf_counter()
    count = sum(1 for _ in reader)
    elapsed = time.perf_counter() - started
    mapped = sum(t.mapped for t in reader.tallies)
    result = {"messages": count, "mapped": mapped, "seconds": elapsed, "after_imports_mb": round(before)}
    print(json.dumps(result | {"peak_mb": round(_high_water_mb())}))


def _high_water_mb() -> float:
    """Peak RSS of this process image. (getrusage's ru_maxrss would include the parent's, kept across exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the generated files go (default: a temp dir)")
    parser.add_argument("--memory-child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--import-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    if args.import_child:
        import_child(args.import_child)
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        run(args, Path(work))


def run(args, work: Path) -> None:
    n = args.messages
    single, double = work / "result.json", work / "full-result.json"
    started = time.perf_counter()
    size = write_export(single, n)
    double_size = write_export(double, n, chats=2)
    print(
        f"generated {n:,} + {2 * n:,} messages ({size / 2**20:,.0f} + {double_size / 2**20:,.0f} MiB) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    loads, reads = [], []
    for turn in range(args.repeat):
        count, seconds, cpu = time_json_load(single)
        loads.append((seconds, cpu))
        got, read_seconds, read_cpu = time_read_export(single)
        reads.append((read_seconds, read_cpu))
        assert count == got == n, (count, got, n)
        print(
            f"turn {turn + 1}: json.load {seconds:.1f} s ({cpu:.1f} s CPU), "
            f"read_export {read_seconds:.1f} s ({read_cpu:.1f} s CPU)",
            flush=True,
        )
    (load, load_cpu), (read, read_cpu) = min(loads), min(reads)
    memory = peak_memory(single)
    memory_double = peak_memory(double)
    assert memory["messages"] == n and memory_double["messages"] == 2 * n
    imported = peak_memory(single, "--import-child")
    imported_double = peak_memory(double, "--import-child")
    print(f"import: {imported['seconds']:.1f} s, {imported_double['seconds']:.1f} s (full export)", flush=True)

    load1, load5, load15 = os.getloadavg()
    print()
    print(f"Command: `python bench/import.py --messages {n} --repeat {args.repeat}`")
    print()
    print(
        f"Machine: {os.cpu_count()} cores, load average {load1:.2f}, {load5:.2f}, {load15:.2f} (1, 5, 15 min) "
        f"at the end; Python {platform.python_version()}, ijson {ijson.__version__} (backend {ijson.backend_name})"
    )
    print()
    print("| measure | result |")
    print("|---|---|")
    print(f"| file: {n:,} messages, single-chat export | {size / 2**20:,.0f} MiB |")
    print(
        f"| parse limit: json.load, best of {args.repeat} | {n / load:,.0f} messages/s "
        f"({load:.1f} s; {load_cpu:.1f} s CPU) |"
    )
    print(
        f"| read_export, every message mapped, best of {args.repeat} | {n / read:,.0f} messages/s "
        f"({read:.1f} s; {read_cpu:.1f} s CPU) |"
    )
    print(f"| read_export / json.load, wall time (target: at most 3) | {read / load:.2f} |")
    print(f"| read_export / json.load, CPU time | {read_cpu / load_cpu:.2f} |")
    print(
        f"| read_export peak RSS, {n:,} messages, single chat (after imports) | "
        f"{memory['peak_mb']} MB ({memory['after_imports_mb']} MB) |"
    )
    print(
        f"| read_export peak RSS, {2 * n:,} messages, full export of 2 chats (after imports) | "
        f"{memory_double['peak_mb']} MB ({memory_double['after_imports_mb']} MB) |"
    )
    print(
        f"| read_export of the full export, in that process | "
        f"{2 * n / memory_double['seconds']:,.0f} messages/s ({memory_double['seconds']:.1f} s) |"
    )
    seconds = imported["seconds"]
    print(
        f"| whole import (read, store, build {imported['days']} days in {_builders(imported)}), single chat | "
        f"{imported['messages'] / seconds:,.0f} messages/s ({seconds:.1f} s; {imported['cpu']:.1f} s CPU) |"
    )
    print(f"| whole import / json.load, wall time (target: at most 3) | {seconds / load:.2f} |")
    print(f"| whole import / json.load, CPU time (every process's) | {imported['cpu'] / load_cpu:.2f} |")
    print(f"| whole import peak RSS, {n:,} messages (target: under 400 MB) | {_peak(imported)} |")
    print(
        f"| whole import peak RSS, {2 * n:,} messages, full export of 2 chats | {_peak(imported_double)} "
        f"({imported_double['messages'] / imported_double['seconds']:,.0f} messages/s) |"
    )


def _builders(run: dict) -> str:
    return f"{run['workers']} worker processes" if run["workers"] > 1 else "the import's process"


def _peak(run: dict) -> str:
    """Peak RSS of an import: its process's, plus each worker's at the largest worker's peak (at most)."""
    if run["workers"] == 1:
        return f"{run['peak_mb']} MB"
    return f"at most {run['total_mb']} MB ({run['peak_mb']} MB + {run['workers']} workers x {run['worker_mb']} MB)"


if __name__ == "__main__":
    main()
