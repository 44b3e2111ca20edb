"""A Firehose stream on moto, and the delivery moto does not do.

moto's Firehose writes each PutRecord at once, uncompressed, under the stream's prefix taken
literally plus `YYYY/MM/DD/HH/` (it evaluates no `!{partitionKeyFromQuery:...}`). `deliver`
does what AWS's dynamic partitioning does with those records: group them by their
`context_date` and write them, GZIP JSON lines, under `batches/context_date=D/`, several
records per object (`per_batch`), as a stream's buffer would.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from tgpipe.aws.clients import client
from tgpipe.store import batches
from tgpipe.store.base import Store

MOTO_PREFIX = "moto-firehose/"
_streams = itertools.count()


def create_stream(bucket: str) -> str:
    """A Direct PUT stream delivering to `bucket` under MOTO_PREFIX; return its name."""
    name = f"tgpipe-updates-{next(_streams)}"
    client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": MOTO_PREFIX,
        },
    )
    return name


def delivered(bucket: str) -> list[batches.Record]:
    """Every record moto delivered to `bucket`, in delivery order."""
    s3 = client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=MOTO_PREFIX)
        for o in page.get("Contents", [])
    ]
    found = []
    for key in keys:
        found += batches.records(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return sorted(found, key=lambda r: r.received_at)


def deliver(records: list[batches.Record], raw: Store, per_batch: int = 97) -> list[str]:
    """Write `records` as Firehose's dynamic partitioning would: by day, `per_batch` to an object."""
    by_day = defaultdict(list)
    for record in records:
        by_day[record.context_date].append(record)
    keys = []
    for day, recs in sorted(by_day.items()):
        for n, start in enumerate(range(0, len(recs), per_batch)):
            keys.append(batches.write_batch(raw, day, recs[start : start + per_batch], name=f"stream-1-{n:05d}"))
    return keys
