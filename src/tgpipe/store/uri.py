"""A store from its URI: a folder path, or `s3://bucket[/prefix]`.

A malformed URI is refused (never made into a folder of that name), so a typo in `--raw` or
`RAW_STORE` is one `Error:` line, not data written somewhere unexpected.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tgpipe.errors import ConfigError
from tgpipe.store.base import Store
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store

#: S3's rules for bucket names: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


#: Something that starts like a URI (`s3:/x`, `gs://x`, `file://x`): never a folder name here.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def open_store(uri: str | os.PathLike, private: bool = False) -> Store:
    """Return the store at `uri`: `s3://bucket[/prefix]` or a local folder path.

    A local store writes files its owner alone can read when `private` (the raw store: every
    update as received), else files as the umask allows (tables and reports, made to be shared).

    Raises:
        ConfigError: `uri` looks like a URI but is not a well-formed `s3://bucket[/prefix]`.
    """
    text = os.fspath(uri)
    if text.startswith("s3://"):
        bucket, _, prefix = text[len("s3://") :].partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError(f"{text!r} is not a store: expected s3://bucket[/prefix] with a valid bucket name")
        return S3Store(bucket, prefix.strip("/"))
    if _SCHEME.match(text):
        raise ConfigError(f"{text!r} is not a store: give a folder or s3://bucket[/prefix]")
    return LocalStore(Path(text), private=private)
