"""`tgpipe search` over a million generated messages: indexing, queries, size, next to DuckDB ILIKE.

Targets (issue 28, docs/search.md): indexing at least 50,000 messages/s; on 1,000,000 messages a
one-word query under 20 ms at the median and 100 ms at the 99th percentile, phrases and filters
included; the index's size as a ratio of the text's bytes.

    .venv/bin/python bench/search.py [--days 200] [--per-day 5000] [--queries 300] [--workdir DIR] [--keep]

The messages are written as the ETL writes the `telegram` table (one Parquet file per day, every
column of the schema), then indexed the way `tgpipe search` does it (`freshness.refresh` from the
store), so reading Parquet is part of the indexing rate. Words are drawn with Zipf frequencies
from made-up vocabularies in ten scripts (Latin with accents, dropped in a third of the Latin
messages as people type them, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, CJK, kana,
Hangul), plus emoji, numbers and typos for a long tail of rare terms, links, captions, 30 chats
of Zipf sizes (3 with forum topics) and 3,000 senders. Queries are timed warm (the index file in
the page cache), with wall and CPU time: the development machine is shared. DuckDB ILIKE runs on
the same Parquet files in the same run, over tgpipe's own views (`tgpipe.query.local`).
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from tgpipe.build import schema  # noqa: E402
from tgpipe.query.local import connect, execute  # noqa: E402
from tgpipe.search import freshness, text  # noqa: E402
from tgpipe.search.index import Filters  # noqa: E402
from tgpipe.store import layout  # noqa: E402
from tgpipe.store.local import LocalStore  # noqa: E402

FIRST_DAY = date(2025, 1, 1)
CHATS, USERS, VOCABULARY = 30, 3000, 20_000
#: Share of messages per script, and the letters its made-up words are spelled with.
SCRIPTS = {
    "latin": (62, "eaoisrnltdcmupgvbfhqzjxykwéãçáõíóúêâàüñ"),
    "cyrillic": (11, "оеаинтсрвлкмдпуяызьбгчйхжшюцщэфъё"),
    "greek": (3, "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"),
    "arabic": (3, "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    "hebrew": (2, "אבגדהוזחטיכלמנסעפצקרשת"),
    "devanagari": (2, "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह"),
    "thai": (2, "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ"),
    "cjk": (
        8,
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方",
    ),
    "kana": (4, "あいうえおかきくけこさしすせそたちつてとなにぬねのまみむめもらりるれろアイウエオカキクケコサシスセソ"),
    "hangul": (3, "가나다라마바사아자차카타파하고노도로모보소오조초"),
}
SPACELESS = {"thai", "cjk", "kana"}
EMOJI = ["😂", "❤️", "👍", "👍🏽", "🙏", "🔥", "😊", "🎉", "🤔", "✅", "🚀", "☀️", "📊"]


def zipf(n: int, s: float = 1.07) -> list[float]:
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def vocabulary(rng: random.Random, letters: str, spaceless: bool) -> list[str]:
    """Made-up words, letters drawn by their rank (the alphabets list the commonest first, so ß,
    ё and the accents are as rare as in real text)."""
    words = set()
    weights = zipf(len(letters), 1.2)
    while len(words) < VOCABULARY:
        length = rng.choice((1, 2, 2, 2, 3, 4)) if spaceless else rng.choice((2, 3, 4, 5, 5, 6, 7, 8, 9, 11))
        words.add("".join(rng.choices(letters, cum_weights=weights, k=length)))
    return sorted(words, key=lambda w: rng.random())


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


class Generator:
    def __init__(self, seed: int = 28):
        self.rng = random.Random(seed)
        self.vocab = {name: vocabulary(self.rng, letters, name in SPACELESS) for name, (_, letters) in SCRIPTS.items()}
        self.word_weights = zipf(VOCABULARY)
        self.chat_script = {
            chat: self.rng.choices(list(SCRIPTS), [w for w, _ in SCRIPTS.values()])[0] for chat in range(CHATS)
        }
        self.chat_weights = zipf(CHATS, 1.0)
        self.user_weights = zipf(USERS, 1.1)

    def words(self, script: str, k: int) -> list[str]:
        return self.rng.choices(self.vocab[script], cum_weights=self.word_weights, k=k)

    def message(self, chat: int) -> tuple[str, str, bool]:
        """Return (text, kind, has a link)."""
        rng, script = self.rng, self.chat_script[chat]
        words = self.words(script, max(1, int(rng.lognormvariate(2.2, 0.8))))
        if script == "latin" and rng.random() < 0.33:
            words = [strip_accents(w) for w in words]
        if rng.random() < 0.15:  # a typo or a number: the long tail of rare terms
            words.append(rng.choice(words) + rng.choice("qxz") if rng.random() < 0.5 else str(rng.randrange(10**6)))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words) + 1), rng.choice(EMOJI))
        link = rng.random() < 0.04
        if link:
            words.append(f"https://example{rng.randrange(50)}.org/{self.words('latin', 1)[0]}")
        body = ("" if script in SPACELESS else " ").join(words)
        kind = rng.choices(("text", "photo", "video", "document"), (88, 8, 2, 2))[0]
        return body, kind, link


def write_store(root: Path, days: int, per_day: int) -> tuple[int, int, float]:
    """Write the days' `telegram` files under `root`; return (messages, text bytes, seconds)."""
    started = time.perf_counter()
    generator = Generator()
    columns = schema.MESSAGE_COLUMNS
    arrow = schema.arrow_schema(columns)
    total_bytes = 0
    message_id = itertools.count(1)
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        values: dict[str, list] = {c.name: [] for c in columns}
        chats = generator.rng.choices(range(CHATS), cum_weights=generator.chat_weights, k=per_day)
        users = generator.rng.choices(range(USERS), cum_weights=generator.user_weights, k=per_day)
        for i, (chat, user) in enumerate(zip(chats, users, strict=True)):
            body, kind, link = generator.message(chat)
            total_bytes += len(body.encode())
            when = midnight + i * 86_400 // per_day
            row = {
                "message_id": next(message_id),
                "user_id": 100_000 + user,
                "user_first_name": f"user {user}",
                "chat_id": -1_001_000_000_000 - chat,
                "chat_type": "supergroup",
                "text": body if kind == "text" else None,
                "caption": body if kind != "text" else None,
                "date": when,
                "message_type": kind,
                "date_utc": naive(when),
                "date_local": naive(when - 3 * 3600),
                "chat_title": f"chat {chat}",
                "chat_username": f"chat{chat}" if chat % 3 == 0 else None,
                "message_thread_id": 1 + user % 5 if chat < 3 else None,
                "urls": [body.rsplit(" ", 1)[-1]] if link else None,
                "sender_kind": "person",
                "sender_name": f"user {user}",
                "source": "bot",
            }
            for c in columns:
                values[c.name].append(row.get(c.name))
        key = root / layout.table_file_key("telegram", day)
        key.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(values, schema=arrow), key, compression="zstd")
    return days * per_day, total_bytes, time.perf_counter() - started


def naive(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def timed(f, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = f(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def query_sets(index, generator: Generator, count: int, rng: random.Random) -> dict[str, list[str]]:
    """Queries by class: one word by how many messages hold it, phrases, prefixes."""
    rare_terms = index.conn.execute(
        "SELECT term FROM msg_fts_vocab WHERE col = 'body' AND doc BETWEEN 1 AND 20 AND length(term) > 3 "
        "ORDER BY term LIMIT 20000"
    ).fetchall()
    frequent = index.conn.execute(
        "SELECT term, doc FROM msg_fts_vocab WHERE col = 'body' AND length(term) > 1 ORDER BY doc DESC LIMIT 5000"
    ).fetchall()
    common = [t for t, doc in frequent if doc > 100_000][:count] or [t for t, _ in frequent[:20]]
    middle = [t for t, doc in frequent if 20_000 <= doc <= 100_000]
    some = [t for t, doc in frequent if 500 <= doc < 5_000]
    rare = [t for (t,) in rare_terms]
    messages = [m for m in index.conn.execute("SELECT body FROM msg WHERE id % 997 = 0 LIMIT 5000")]
    phrases = []
    for (body,) in rng.sample(messages, min(len(messages), count)):
        words = [w for w in body.replace("\u200b", " ").split() if w.isalpha()]
        if len(words) >= 2:
            i = rng.randrange(len(words) - 1)
            phrases.append(f'"{words[i]} {words[i + 1]}"')
    cjk = [w for script in ("cjk", "kana") for w in generator.vocab[script][:2000] if len(w) == 2]
    prefixes = [t[:3] + "*" for t, doc in frequent if len(t) >= 4 and not t.isdigit()]
    pick = lambda items: [rng.choice(items) for _ in range(count)] if items else []  # noqa: E731
    return {
        "word, rare (in 1-20 messages)": pick(rare),
        "word, 500-5k messages": pick(some),
        "word, 20k-100k messages": pick(middle),
        "word, the commonest (over 100k messages)": pick(common),
        "phrase": pick(phrases),
        "CJK and kana": pick(cjk),
        "prefix (3 letters)": pick(prefixes),
    }


def run_queries(index, sets: dict[str, list[str]], rng: random.Random, days: int) -> list[tuple[str, list, list]]:
    """Each class three ways (newest first, most relevant, most relevant with a random filter)."""
    filters = [
        Filters(chat_id=-1_001_000_000_000 - 1),
        Filters(chat_id=-1_001_000_000_000 - 17),
        Filters(sender=100_000 + 5),
        Filters(kind="photo"),
        Filters(has_link=True),
        Filters(first=FIRST_DAY + timedelta(days=days - 30)),
        Filters(chat_id=-1_001_000_000_000 - 1, topic=2),
    ]
    rows = []
    for name, queries in sets.items():
        if not queries:  # a small run has no word in 100k messages
            continue
        for way in ("newest", "relevance", "relevance + filter"):
            walls, cpus = [], []
            for q in queries:
                parsed = text.parse(q)
                f = rng.choice(filters) if way.endswith("filter") else Filters()
                _, wall, cpu = timed(index.search, parsed, f, way == "newest", 20)
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
            rows.append((f"{name}, {way}", walls, cpus))
    return rows


def duckdb_ilike(root: Path, words: list[str]) -> tuple[list[float], list[float]]:
    """DuckDB ILIKE over the same Parquet: the 20 newest messages holding a word, text or caption."""
    con = connect(LocalStore(root))
    walls, cpus = [], []
    for word in words:
        pattern = "%" + word.replace("'", "''") + "%"
        sql = (
            "SELECT date_local, chat_title, sender_name, coalesce(text, caption) FROM telegram "
            f"WHERE text ILIKE '{pattern}' OR caption ILIKE '{pattern}' ORDER BY date DESC LIMIT 20"
        )
        _, wall, cpu = timed(execute, con, sql)
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
    con.close()
    return walls, cpus


def athena_scan(root: Path) -> int:
    """The bytes Athena bills for the candidates query over every day: the compressed size of the
    column chunks it reads (`tgpipe.search.athena`), from the files' footers."""
    wanted = {"date", "chat_id", "message_id", "date_local", "user_id", "sent_as_chat_id", "message_thread_id"}
    wanted |= {"message_type", "urls", "sender_name", "text", "caption", "chat_title", "chat_username"}
    total = 0
    for path in root.rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.path_in_schema.split(".")[0] in wanted:
                    total += column.total_compressed_size
    return total


def sizes(index) -> dict[str, int]:
    conn = index.conn
    pages = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    fts = sum(v for k, v in pages.items() if k.startswith("msg_fts_"))
    return {"fts": fts, "msg": pages.get("msg", 0), "file": sum(pages.values())}


def latency(walls: list[float], cpus: list[float]) -> str:
    return (
        f"p50 {statistics.median(walls):.2f} ms, p99 {percentile(walls, 0.99):.1f} ms, max {max(walls):.0f} ms "
        f"(CPU p50 {statistics.median(cpus):.2f}, p99 {percentile(cpus, 0.99):.1f})"
    )


def measure(root: Path, messages: int, text_bytes: int, args, out: list) -> dict[str, list[str]]:
    """Index the store, then time the queries, a day's refresh and a purge; return the query sets."""
    store, rng = LocalStore(root), random.Random(2028)
    with freshness.open_index(store) as index:
        refreshed, wall, cpu = timed(freshness.refresh, index, store)
        rate = f"{messages / wall:,.0f} messages/s wall, {messages / cpu:,.0f}/s CPU"
        out.append(("indexing: read Parquet, fold, insert, merge", f"{rate} ({wall:.1f} s, {refreshed.days} days)"))
        size = sizes(index)
        out.append(("text and captions (UTF-8)", f"{text_bytes / 1e6:.1f} MB"))
        out.append(("FTS index", f"{size['fts'] / 1e6:.1f} MB = {size['fts'] / text_bytes:.2f}x the text"))
        whole = f"{size['file'] / 1e6:.1f} MB = {size['file'] / text_bytes:.2f}x the text"
        out.append(("whole index file (FTS, and the messages with their text and columns)", whole))
        parquet = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        out.append(("for comparison: the Parquet files (every column, zstd)", f"{parquet / 1e6:.1f} MB"))
        scanned = athena_scan(root)
        per_day = f"{scanned / 1e6:.1f} MB over {args.days} days, {scanned / args.days / 1e3:.0f} kB a day"
        out.append(("what --engine athena reads (the candidates' columns, compressed)", per_day))
        index.conn.execute("CREATE VIRTUAL TABLE temp.msg_fts_vocab USING fts5vocab(main, msg_fts, col)")
        sets = query_sets(index, Generator(), args.queries, rng)
        for q in itertools.chain.from_iterable(sets.values()):  # warm the page cache
            index.search(text.parse(q), newest=True, limit=20)
        results = run_queries(index, sets, rng, args.days)
        for name, walls, cpus in results:
            out.append((f"query: {name}", latency(walls, cpus)))
        words = [(w, c) for name, ws, cs in results if name.startswith("word") for w, c in zip(ws, cs, strict=True)]
        classes = sum(1 for name, _, _ in results if name.startswith("word")) // 3
        name = f"query: one word, all {len(words):,} ({classes} classes, 3 ways)"
        out.append((name, latency(*zip(*words, strict=True))))
        every = [(w, c) for _, ws, cs in results for w, c in zip(ws, cs, strict=True)]
        out.append(
            (f"query: all {len(every):,}, phrases, prefixes and filters included", latency(*zip(*every, strict=True)))
        )
        (root / layout.table_file_key("telegram", FIRST_DAY + timedelta(days=args.days // 2))).touch()
        done, wall, cpu = timed(freshness.refresh, index, store)
        day = f"refresh of a changed day ({done.messages:,} messages) in the full index"
        out.append((day, f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"))
        _, wall, cpu = timed(index.purge)
        out.append(("purge (forget and prune: merge, zero, checkpoint)", f"{wall:.1f} s wall, {cpu:.1f} s CPU"))
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--per-day", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300, help="queries per class")
    parser.add_argument("--workdir", type=Path, help="where to write the store (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the store and its index")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tgpipe-bench-search-", dir=args.workdir))
    root = workdir / "enriched"
    out: list[tuple[str, str]] = []
    try:
        messages, text_bytes, seconds = write_store(root, args.days, args.per_day)
        print(f"wrote {messages:,} messages ({text_bytes / 1e6:.1f} MB of text) in {seconds:.0f} s", file=sys.stderr)
        sets = measure(root, messages, text_bytes, args, out)
        words = sets["word, 500-5k messages"][:10] + sets["word, the commonest (over 100k messages)"][:10]
        walls, cpus = duckdb_ilike(root, words)
        name = f"DuckDB ILIKE over the same Parquet, 20 newest ({len(words)} words; 2 threads)"
        out.append((name, latency(walls, cpus)))
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir)
    print(f"{messages:,} messages over {args.days} days\n")
    print("| measure | result |\n|---|---|")
    for name, value in out:
        print(f"| {name} | {value} |")
    command = " ".join(["python", "bench/search.py", *sys.argv[1:]])
    print(f"\nCommand: `{command}`")


if __name__ == "__main__":
    main()
