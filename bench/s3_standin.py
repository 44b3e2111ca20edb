"""A minimal in-memory S3 stand-in for benchmarks: asyncio, so an added delay costs no CPU.

It serves the files of a folder as the objects of one bucket (path-style requests, no signature
check) and answers ListObjectsV2, GetObject, HeadObject, HeadBucket and PutObject, each after
`--delay-ms`. moto's server is CPU-bound near 350 requests/s on two cores, so it would measure
itself, not the client's concurrency; this one handles several thousand requests/s.

Run: python bench/s3_standin.py --root DIR --bucket NAME --delay-ms 20
It binds 127.0.0.1 on a free port and prints `http://127.0.0.1:PORT` on its first line.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape


class Bucket:
    def __init__(self, name: str):
        self.name = name
        self.objects: dict[str, tuple[bytes, float]] = {}
        self.keys: list[str] = []

    def load(self, root: Path) -> None:
        for dirpath, _, filenames in os.walk(root):
            for filename in filenames:
                path = Path(dirpath, filename)
                self.objects[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime)
        self.keys = sorted(self.objects)

    def put(self, key: str, data: bytes) -> None:
        if key not in self.objects:
            bisect.insort(self.keys, key)
        self.objects[key] = (data, datetime.now(UTC).timestamp())


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def list_objects(bucket: Bucket, query: dict[str, str]) -> bytes:
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_keys = min(int(query.get("max-keys", "1000")), 1000)
    after = query.get("continuation-token") or query.get("start-after") or ""
    encode = (lambda k: quote(k, safe="/")) if query.get("encoding-type") == "url" else (lambda k: k)
    start = bisect.bisect_right(bucket.keys, after) if after else bisect.bisect_left(bucket.keys, prefix)
    contents, prefixes, last = [], [], None
    index = start
    while index < len(bucket.keys) and len(contents) + len(prefixes) < max_keys:
        key = bucket.keys[index]
        if not key.startswith(prefix):
            break
        rest = key[len(prefix) :]
        if delimiter and delimiter in rest:
            common = prefix + rest.split(delimiter, 1)[0] + delimiter
            prefixes.append(common)
            last = common + "\uffff"  # skip the whole folder
            index = bisect.bisect_right(bucket.keys, last)
            continue
        data, modified = bucket.objects[key]
        contents.append(
            f"<Contents><Key>{escape(encode(key))}</Key><LastModified>{_iso(modified)}</LastModified>"
            f"<ETag>{escape(_etag(data))}</ETag><Size>{len(data)}</Size><StorageClass>STANDARD</StorageClass>"
            "</Contents>"
        )
        last = key
        index += 1
    truncated = index < len(bucket.keys) and bucket.keys[index].startswith(prefix)
    token = f"<NextContinuationToken>{escape(last)}</NextContinuationToken>" if truncated and last else ""
    common_xml = "".join(f"<CommonPrefixes><Prefix>{escape(encode(p))}</Prefix></CommonPrefixes>" for p in prefixes)
    encoding = "<EncodingType>url</EncodingType>" if query.get("encoding-type") == "url" else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{escape(bucket.name)}</Name><Prefix>{escape(encode(prefix))}</Prefix>{encoding}"
        f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{token}"
        + "".join(contents)
        + common_xml
        + "</ListBucketResult>"
    ).encode()


def _not_found(key: str) -> tuple[int, dict[str, str], bytes]:
    body = f"<Error><Code>NoSuchKey</Code><Key>{escape(key)}</Key></Error>".encode()
    return 404, {"Content-Type": "application/xml"}, body


def respond(bucket: Bucket, method: str, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(target)
    name, _, key = url.path.lstrip("/").partition("/")
    key = unquote(key)
    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    if name != bucket.name:
        return 404, {"Content-Type": "application/xml"}, b"<Error><Code>NoSuchBucket</Code></Error>"
    if not key:
        if method == "GET":
            return 200, {"Content-Type": "application/xml"}, list_objects(bucket, query)
        return 200, {}, b""
    if method == "PUT":
        bucket.put(key, body)
        return 200, {"ETag": _etag(body)}, b""
    if key not in bucket.objects:
        return _not_found(key)
    data, modified = bucket.objects[key]
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(data)),  # HEAD too: the size of what GET would send
        "ETag": _etag(data),
        "Last-Modified": formatdate(modified, usegmt=True),
        "Accept-Ranges": "bytes",
    }
    return 200, headers, (data if method == "GET" else b"")


async def serve_connection(bucket: Bucket, delay: float, reader, writer) -> None:
    try:
        while True:
            request = await reader.readline()
            if not request:
                break
            method, target, _ = request.decode("latin-1").split(" ", 2)
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            status, headers, payload = respond(bucket, method, target, body)
            if delay:
                await asyncio.sleep(delay)
            reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
            headers.setdefault("Content-Length", str(len(payload)))
            head = [f"HTTP/1.1 {status} {reason}", "x-amz-request-id: bench"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder whose files become the objects")
    parser.add_argument("--bucket", default="bench")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="added to every request")
    args = parser.parse_args(argv)
    bucket = Bucket(args.bucket)
    bucket.load(args.root)
    server = await asyncio.start_server(
        lambda r, w: serve_connection(bucket, args.delay_ms / 1000, r, w), "127.0.0.1", 0, backlog=1024
    )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def start(root: Path, delay_ms: float) -> tuple[subprocess.Popen, str]:
    """Start the stand-in serving `root` in its own process; return it and its URL (for the benches)."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--root", str(root), "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE, text=True
    )
    return server, server.stdout.readline().strip()


def use_endpoint(url: str) -> None:
    """Point boto3 and obstore, as tgpipe makes them, at the stand-in at `url`."""
    from tgpipe.aws.clients import client
    from tgpipe.store.s3 import _obstore_for

    os.environ.update(
        AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_PROFILE", None)
    _obstore_for.cache_clear()
    client.cache_clear()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
