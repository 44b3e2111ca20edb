"""Where things live in a store: every key and prefix is built here, and read back here.

Raw store (bytes as received):

    telegram/context_date=YYYY-MM-DD/<update_id>.json     one update
    batches/context_date=YYYY-MM-DD/<name>.jsonl.gz       (capture = "firehose") many updates, gzip JSON
                                                           lines, each the update's bytes as received
                                                           (`tgpipe.store.batches`)
    quarantine/context_date=YYYY-MM-DD/<sha256>.json      a body that could not be used as an update

    quarantine/context_date=YYYY-MM-DD/<sha256>.reason    why it was quarantined (JSON)
    exports/<sha256>.json                                  a Telegram Desktop export, as received
    imported/context_date=YYYY-MM-DD/<sha256>_<chat>.jsonl its messages of one chat on one day,
                                                           as Bot API updates (derived: `tgpipe.history.importer`)
    import/...                                             (S3) an inbox: an export put here is imported
    optout/chat=<chat_id>/<message_id>                     empty: that message carried the opt-out
                                                           hashtag, so its edits are not stored either

Enriched store (one file per table and day, replaced whole by each ETL run of the day):

    telegram/context_date=YYYY-MM-DD/part-00000.parquet
    telegram_updates/context_date=YYYY-MM-DD/part-00000.parquet

Both kinds of store keep tgpipe's own files under `_tgpipe/`, which no listing of data shows:

    _tgpipe/settings.json     the settings the store's keys depend on (TIMEZONE, the bot's id)
    _tgpipe/last_etl_run.json an enriched store's record of the newest ETL run (`tgpipe status` reads it)
    _tgpipe/tmp/              a local store's temporary files, renamed or linked into place
    _tgpipe/journal.json      a local store's replacement of several files in progress
    _tgpipe/lock              a local store's lock: readers share it, a replacement takes it alone
    _tgpipe/writer.lock       held by the one process that builds a local store's tables (the ETL)
    _tgpipe/forgotten.json    a raw store's people and chats forgotten by `tgpipe forget` (`tgpipe.store.forgotten`)
    _tgpipe/audit.jsonl       a raw store's record of each forget and prune: when, whom, how many (no content)
    _tgpipe/search.sqlite     a local enriched store's search index, made from its tables (`tgpipe.search`)
    _tgpipe/staging/context_date=D/<run>/<table>-<k>-of-<n>.parquet
                              an enriched store's shard of a day being built (`tgpipe.build.shards`)

No pyarrow and no boto3 here: the ingest Lambda and the repair Lambda use it.
"""

from __future__ import annotations

from datetime import date

#: The enriched tables, in the order of the Glue catalog and the docs.
TABLE_NAMES = ("telegram", "telegram_updates")
#: The one partition key of every table and of the raw folders: the update's own day in TIMEZONE.
PARTITION_KEY = "context_date"

RAW_PREFIX = "telegram/"
"""Raw updates, one object each."""
BATCH_PREFIX = "batches/"
"""Raw updates in batches (capture = "firehose"): gzip JSON lines, a record per update
(`tgpipe.store.batches`), under the day of each record."""
_BATCH_SUFFIX = ".jsonl.gz"
QUARANTINE_PREFIX = "quarantine/"
"""Bodies that came in but could not be used as updates."""
TABLE_FILE = "part-00000.parquet"
"""The name of a table's file in each day's folder: deterministic, so a rebuild replaces it."""
_RAW_SUFFIX = ".json"
_REASON_SUFFIX = ".reason"

EXPORTS_PREFIX = "exports/"
"""Telegram Desktop exports, each under the sha256 of its bytes."""
IMPORTED_PREFIX = "imported/"
"""The messages of the imported exports, per day and chat: what the ETL reads besides raw updates."""
IMPORT_INBOX_PREFIX = "import/"
"""Where a user puts an export to be imported (an S3 event starts the import function)."""
_IMPORTED_SUFFIX = ".jsonl"
OPTOUT_PREFIX = "optout/"
"""Empty markers of the messages left out by the opt-out hashtag (`tgpipe.store.forgotten.mark_opted_out`)."""

INTERNAL_PREFIX = "_tgpipe/"
"""tgpipe's own files in a store: never listed as data."""
SETTINGS_KEY = f"{INTERNAL_PREFIX}settings.json"
LAST_ETL_RUN_KEY = f"{INTERNAL_PREFIX}last_etl_run.json"
TEMP_PREFIX = f"{INTERNAL_PREFIX}tmp/"
JOURNAL_KEY = f"{INTERNAL_PREFIX}journal.json"
LOCK_KEY = f"{INTERNAL_PREFIX}lock"
WRITER_LOCK_KEY = f"{INTERNAL_PREFIX}writer.lock"
FORGOTTEN_KEY = f"{INTERNAL_PREFIX}forgotten.json"
AUDIT_KEY = f"{INTERNAL_PREFIX}audit.jsonl"
STAGING_PREFIX = f"{INTERNAL_PREFIX}staging/"
"""An enriched store's shards of a day being built, until they are published as the day's file."""
SEARCH_INDEX_KEY = f"{INTERNAL_PREFIX}search.sqlite"
"""A local enriched store's search index (an S3 store's lives in a local cache: `tgpipe.search.freshness`)."""

#: The raw store's folders of days (`<prefix>context_date=D/`): what retention prunes by day.
RAW_DAY_FOLDERS = (RAW_PREFIX, BATCH_PREFIX, QUARANTINE_PREFIX, IMPORTED_PREFIX)


def partition_folder(day: date) -> str:
    """Return the folder name of `day` (`context_date=YYYY-MM-DD`)."""
    return f"{PARTITION_KEY}={day.isoformat()}"


def day_of_folder(name: str) -> date | None:
    """Return the day a folder name such as `context_date=2025-11-23` stands for, or None."""
    key, _, value = name.partition("=")
    if key != PARTITION_KEY:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def raw_day_prefix(day: date) -> str:
    """Return the prefix of a day's raw updates."""
    return f"{RAW_PREFIX}{partition_folder(day)}/"


def raw_key(update_id: int, day: date) -> str:
    """Return the raw store key of an update."""
    return f"{raw_day_prefix(day)}{update_id}{_RAW_SUFFIX}"


def is_raw_update_key(key: str) -> bool:
    """Whether `key` (from a listing of raw updates) names an update object."""
    return key.endswith(_RAW_SUFFIX)


def update_id_of(key: str) -> int | None:
    """Return the update id a raw key was stored under, or None if its name is not one."""
    name = key.rpartition("/")[2].removesuffix(_RAW_SUFFIX)
    return int(name) if name.isascii() and name.isdigit() else None


def batch_day_prefix(day: date) -> str:
    """Return the prefix of a day's batches of raw updates (Firehose's dynamic partition of the day)."""
    return f"{BATCH_PREFIX}{partition_folder(day)}/"


def batch_key(day: date, name: str) -> str:
    """Return the key of the batch `name` (without its suffix) of `day`."""
    return f"{batch_day_prefix(day)}{name}{_BATCH_SUFFIX}"


def is_batch_key(key: str) -> bool:
    """Whether `key` (from a listing of a day's batches) names a batch: Firehose writes
    `<stream>-<version>-<time>-<uuid>.jsonl.gz` (the stack's `file_extension`)."""
    return key.endswith(_BATCH_SUFFIX)


def quarantine_day_prefix(day: date) -> str:
    """Return the prefix of the bodies quarantined under `day` (and the records of why)."""
    return f"{QUARANTINE_PREFIX}{partition_folder(day)}/"


def quarantine_key(digest: str, day: date) -> str:
    """Return the raw store key of a body that could not be used (`digest`: its sha256)."""
    return f"{quarantine_day_prefix(day)}{digest}{_RAW_SUFFIX}"


def quarantine_reason_key(body_key: str) -> str:
    """Return the key of the record of why the body at `body_key` was quarantined."""
    return body_key.removesuffix(_RAW_SUFFIX) + _REASON_SUFFIX


def is_quarantined_body(key: str) -> bool:
    """Whether `key` (from a listing of the quarantine) is a body, not the record of its reason."""
    return key.endswith(_RAW_SUFFIX)


def export_key(digest: str) -> str:
    """Return the raw store key of an imported export (`digest`: the sha256 of its bytes)."""
    return f"{EXPORTS_PREFIX}{digest}.json"


def optout_chat_prefix(chat_id: int) -> str:
    """Return the folder of one chat's opt-out markers."""
    return f"{OPTOUT_PREFIX}chat={chat_id}/"


def optout_key(chat_id: int, message_id: int) -> str:
    """Return the key of the marker that says message `message_id` of chat `chat_id` opted out."""
    return f"{optout_chat_prefix(chat_id)}{message_id}"


def imported_day_prefix(day: date) -> str:
    """Return the prefix of the imported messages of a day."""
    return f"{IMPORTED_PREFIX}{partition_folder(day)}/"


def imported_key(digest: str, chat_id: int, day: date) -> str:
    """Return the key of one chat's messages on one day, from the export `digest`."""
    return f"{imported_day_prefix(day)}{digest}_{chat_id}{_IMPORTED_SUFFIX}"


def is_imported_key(key: str) -> bool:
    """Whether `key` (from a listing of imported messages) names a file of them."""
    return key.endswith(_IMPORTED_SUFFIX)


def export_of_imported(key: str) -> str | None:
    """Return the key of the export an imported file's messages came from, or None if `key` is
    not an imported file's."""
    if not (key.startswith(IMPORTED_PREFIX) and is_imported_key(key)):
        return None
    digest, sep, _ = key.rpartition("/")[2].partition("_")
    return export_key(digest) if sep and digest else None


def day_folder_prefix(prefix: str, day: date) -> str:
    """Return the folder of `day` under one of the folders of days (RAW_DAY_FOLDERS, a table's prefix)."""
    return f"{prefix}{partition_folder(day)}/"


def is_inbox_key(key: str) -> bool:
    """Whether `key` names a file in the import inbox (not the inbox itself, nor a folder in it)."""
    return key.startswith(IMPORT_INBOX_PREFIX) and not key.endswith("/") and key != IMPORT_INBOX_PREFIX


def table_prefix(table: str) -> str:
    """Return the prefix of every day of `table`."""
    return f"{table}/"


#: The prefixes of the tables: what a writer of an enriched store holds it for (`Store.writing`).
TABLE_PREFIXES = tuple(table_prefix(table) for table in TABLE_NAMES)


def table_day_prefix(table: str, day: date) -> str:
    """Return the folder of one day of `table`."""
    return f"{table_prefix(table)}{partition_folder(day)}/"


def staging_key(table: str, day: date, run: str, shard: int, count: int, suffix: str = ".parquet") -> str:
    """Return the key of shard `shard` of `count` of one day of `table` (or another part of a
    shard, such as its messages' identities), built by the run `run` (outside the table's folder:
    no reader sees it)."""
    return f"{STAGING_PREFIX}{partition_folder(day)}/{run}/{table}-{shard:04d}-of-{count:04d}{suffix}"


def table_file_key(table: str, day: date) -> str:
    """Return the key of the file of one day of `table`."""
    return table_day_prefix(table, day) + TABLE_FILE


def table_files_glob(table: str) -> str:
    """Return the glob, relative to the store's root, of every file of `table` that readers see."""
    return f"{table_prefix(table)}{PARTITION_KEY}=*/*.parquet"


def is_table_file(key: str) -> bool:
    """Whether `key` (from a listing of a table's folder) is a Parquet file readers see."""
    return key.endswith(".parquet")


def table_and_day(key: str) -> tuple[str, date] | None:
    """Return the table and day of a table file's key, or None if it is not one."""
    table, _, rest = key.partition("/")
    folder, _, name = rest.partition("/")
    day = day_of_folder(folder)
    if table not in TABLE_NAMES or day is None or not name:
        return None
    return table, day
