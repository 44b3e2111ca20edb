"""A day built in shards on AWS: a Step Functions Map over the ETL's shard function.

The nightly ETL run (the ETL function) plans as it does locally. A day too big for one run
(`sources.shard_count`) is not built there: `StepFunctionsFanOut` starts an execution of the
stack's state machine with the day's shards (`shard_items`), and the run goes on with its other
days. The state machine (terraform/shards.tf) runs:

    BuildShards: Map over the shards (inline, MaxConcurrency from Terraform) -> the shard
                 function with {"shard": item}: `run_shard` builds and stages one shard
    Publish:     the shard function with {"publish": {..., "built": [what each shard returned]}}:
                 `run_publish` merges them into the day's files at once
    Register:    the repair function with the partitions written

Why a state machine: each shard is a Lambda invocation with its own 15 minutes, the Map runs
them at once and retries the Lambda service's errors, and Publish starts only once every shard
has succeeded (a failed shard fails the execution; the day's files stay as they were; the
execution-failed alarm tells). A coordinating function that invoked the shards itself would
have to wait for the slowest within its own 15 minutes. A shard's messages' identities, which
imported history is matched with, can be many: they go to the staging area, not the state's
payload (256 KB at most).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from tgpipe.aws.clients import client, failure
from tgpipe.build import imported, shards
from tgpipe.build.day import DayResult
from tgpipe.build.plan import DayTask, EtlPlan, day_tasks
from tgpipe.build.sources import Shard
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, StoreError
from tgpipe.store import forgotten, layout
from tgpipe.store.base import Store

log = logging.getLogger(__name__)

#: The state machine the ETL function starts for a day in shards (Terraform sets it).
STATE_MACHINE_VARIABLE = "ETL_STATE_MACHINE"


def shard_items(raw: Store, task: DayTask, count: int, run: str) -> list[dict[str, Any]]:
    """The Map's items: one per shard of the day (`shards.shard_tasks`: its range of ids)."""
    return [
        {"date": task.day.isoformat(), "run": run, "index": t.shard.index, "of": count, "bounds": list(t.shard.bounds)}
        for t in shards.shard_tasks(raw, task, count)
    ]


@dataclass(frozen=True)
class StepFunctionsFanOut:
    """Hands a day in shards to the state machine `arn` (see the module)."""

    arn: str

    def __call__(self, raw: Store, task: DayTask, count: int) -> DayResult:
        run = shards.new_run()
        payload = {"date": task.day.isoformat(), "run": run, "of": count, "shards": shard_items(raw, task, count, run)}
        try:
            started = client("stepfunctions").start_execution(
                stateMachineArn=self.arn, name=f"{task.day}-{run}", input=json.dumps(payload)
            )
        except Exception as e:
            raise failure(f"cannot start the shards of {task.day} ({self.arn})", e, StoreError) from None
        log.info("day handed to the shards' state machine", extra={"day": str(task.day), "shards": count,
                                                                 "execution": started["executionArn"]})  # fmt: skip
        return DayResult(task.day, late=task.late, raw_objects=len(task.keys) + len(task.batches), shards=count)


def _task(raw: Store, item: dict[str, Any]) -> DayTask:
    try:
        day = date.fromisoformat(item["date"])
        shard = Shard(int(item["index"]), int(item["of"]), tuple(int(b) for b in item["bounds"]))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidRequest(f"not a shard of a day: {item!r} ({e})") from None
    (task,) = day_tasks(raw, EtlPlan([day]))
    return DayTask(task.day, task.keys, task.duplicates, False, task.batches, task.batches_before, shard)


def run_shard(raw: Store, enriched: Store, item: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Build one shard (an item of `shard_items`) and stage it; return what Publish needs."""
    task = _task(raw, item)
    built = shards.build_shard(raw, enriched, task, settings, item["run"], forgotten.load(raw))
    captured_key = layout.staging_key("captured", task.day, item["run"], task.shard.index, task.shard.count, ".json")
    enriched.put(captured_key, _dump_captured(built.captured))
    counts = {name: getattr(built.result, name) for name in shards.COUNTED}
    return {**item, "staged": built.staged, "captured": captured_key, "counts": counts}


def run_publish(raw: Store, enriched: Store, event: dict[str, Any], settings: Settings) -> DayResult:
    """Publish the shards the Map built (`event["built"]`: what `run_shard` returned for each)."""
    try:
        day = date.fromisoformat(event["date"])
        built = event["built"]
        parts = []
        for item in built:
            result = DayResult(day, **item["counts"])
            captured = _load_captured(enriched.get(item["captured"]))
            shard = Shard(int(item["index"]), int(item["of"]), tuple(item["bounds"]))
            parts.append(shards.ShardResult(shard, result, dict(item["staged"]), captured))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidRequest(f"not the shards of a day: {e}") from None
    try:
        return shards.publish(raw, enriched, day, parts, settings, forgotten.load(raw))
    finally:
        enriched.delete([item["captured"] for item in built])


def _dump_captured(captured: imported.Captured) -> bytes:
    return json.dumps({"ids": sorted(captured.ids, key=str), "moments": list(captured.moments.items())}).encode()


def _load_captured(data: bytes) -> imported.Captured:
    doc = json.loads(data)
    return imported.Captured({_tuple(i) for i in doc["ids"]}, Counter({_tuple(k): n for k, n in doc["moments"]}))


def _tuple(value: Any) -> Any:
    """JSON's lists back into the tuples identities are made of."""
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value
