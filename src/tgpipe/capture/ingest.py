"""The ingest rules (docs/design.md §5), shared by the webhook Lambda, `tgpipe serve` and
`tgpipe ingest`.

This module must not import pyarrow (nor boto3 at import time): it is the ingest Lambda's cold
start.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import IO, Any

from tgpipe import dates, logs
from tgpipe.aws import ssm
from tgpipe.aws.events import ApiGatewayRequest, api_gateway_response
from tgpipe.capture import batched
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, InvalidUpdate, StoreRefused, Terminal, TgpipeError, is_transient
from tgpipe.store import forgotten, layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store, chunked
from tgpipe.store.quarantine import quarantine
from tgpipe.telegram import jsontext, shape

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    OPTED_OUT = "opted_out"
    """Not kept by a privacy rule: the opt-out hashtag, or a person or chat forgotten (`tgpipe.store.forgotten`)."""
    QUARANTINED = "quarantined"
    TOO_LARGE = "too_large"
    UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    key: str | None = None
    update_id: int | None = None
    reason: str | None = None
    """Why a body was quarantined (the reason its record gives)."""


def store_update(
    body: bytes, store: Store, settings: Settings, arrival: datetime | None = None, source: str = "webhook"
) -> IngestResult:
    """Store one update body by the ingest rules, after the caller has authenticated it.

    Not an update (`shape.parse_update`): quarantined. Chat not allowed: ignored. A message
    with the opt-out hashtag (and, once one has, every later edit of that message: an empty
    marker under `optout/` remembers it), or an update of a person or chat on the store's
    forgotten list: opted out (`forgotten.screen`; copies of such messages inside other updates
    are cut down, and the update is stored re-encoded). Otherwise written once at its idempotent
    key; a repeat delivery is a duplicate. No body can stop capture: one that cannot be stored
    under its key (the store refuses the key, or reading it fails in a way the rules did not
    foresee) is quarantined with its reason, like a body that is not an update, so the caller
    acknowledges it and moves on. `source` (webhook, poll, file)
    goes with the quarantine's record.

    Raises:
        TgpipeError: a transient store error (the caller answers 5xx or retries), or a terminal
            one that no single body causes (a store that does not exist, or one set up with
            another TIMEZONE: `store_settings.require`): nothing was stored.
    """
    store_settings.require(store, settings, role="raw store", live=source != "file")
    arrival = arrival or dates.utc_now()
    arrival_day = arrival.astimezone(settings.timezone).date()
    try:
        _, update = shape.parse_update(body)
    except InvalidUpdate as e:
        return _set_aside(store, body, arrival_day, e.reason, str(e), source)
    update_id = update["update_id"]
    try:
        if not settings.allows_chat(shape.chat_id(update)):
            return IngestResult(Outcome.IGNORED, update_id=update_id)
        tag = settings.optout_hashtag
        verdict = forgotten.screen(update, forgotten.current(store), tag)
        if verdict.left_out == forgotten.OPTED_OUT:
            forgotten.mark_opted_out(store, update)  # so that its edits without the tag stay out too
        if verdict.left_out or (tag is not None and forgotten.edits_opted_out(store, update)):
            return IngestResult(Outcome.OPTED_OUT, update_id=update_id)
        if verdict.redacted is not None:
            body = shape.encode_update(verdict.redacted)  # what is set aside below, too
        day = shape.context_date(update, settings.timezone, arrival)
        if settings.firehose_stream:  # capture = "firehose" (`tgpipe.capture.batched`)
            key, new = batched.hand_over(store, settings.firehose_stream, body, update_id, day, arrival)
        else:
            key = layout.raw_key(update_id, day)
            new = store.put_new(key, body)
        outcome = Outcome.STORED if new else Outcome.DUPLICATE
    except StoreRefused as e:
        return _set_aside(store, body, arrival_day, "unstorable", str(e), source, update_id)
    except TgpipeError:
        raise
    except Exception as e:  # a rule that fails on this body: keep it aside, never block the ones after it
        log.exception("cannot store an update; quarantined", extra={"update_id": update_id})
        detail = f"{type(e).__name__}: {e}"
        return _set_aside(store, body, arrival_day, "internal_error", detail, source, update_id)
    return IngestResult(outcome, key, update_id)


def _set_aside(
    store: Store, body: bytes, day: date, reason: str, detail: str, source: str, update_id: int | None = None
) -> IngestResult:
    """Quarantine a body with its reason; but a body that names a forgotten person or chat
    (`forgotten.body_pattern`, as `tgpipe forget` removes such bodies from the quarantine) is not
    kept at all: opted out."""
    pattern = forgotten.body_pattern(forgotten.current(store))
    if pattern is not None and pattern.search(body):
        return IngestResult(Outcome.OPTED_OUT, update_id=update_id)
    fields = {} if update_id is None else {"update_id": update_id}
    key = quarantine(store, body, day, reason, detail, source, **fields)
    return IngestResult(Outcome.QUARANTINED, key, update_id, reason)


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare the webhook secret in constant time."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def authorized(headers: Mapping[str, str], settings: Settings) -> bool:
    """Whether a webhook request carries the configured secret (`headers` with lower-case names, as
    API Gateway v2 and ASGI give them). `tgpipe serve` asks before it reads the body.

    Raises:
        ConfigError: no webhook secret is configured, or its SSM parameter is unusable.
        SecretUnavailable: the secret's SSM parameter could not be read right now.
    """
    secret = ssm.webhook_secret(settings)
    if secret is None:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET is not set (nor TELEGRAM_WEBHOOK_SECRET_PARAMETER): refusing webhook requests"
        )
    return secret_matches(headers.get(SECRET_HEADER), secret)


def receive_webhook(body: bytes, headers: Mapping[str, str], store: Store, settings: Settings) -> IngestResult:
    """Apply every webhook rule to one request: the secret, the size cap, then `store_update`.

    Raises:
        ConfigError: no webhook secret is configured, or its SSM parameter is unusable.
        SecretUnavailable: the secret's SSM parameter could not be read right now.
        StoreError: the store could not be written.
    """
    if not authorized(headers, settings):
        return IngestResult(Outcome.UNAUTHORIZED)
    if len(body) > settings.max_body_bytes:
        return IngestResult(Outcome.TOO_LARGE)
    result = store_update(body, store, settings)
    log.info(
        "webhook update",
        extra={
            "outcome": result.outcome.value,
            "update_id": result.update_id,
            "key": result.key,
            # A CloudWatch metric in Lambda (EMF): the stack's alarm on silence sums it.
            **logs.metric_values(UpdatesStored=int(result.outcome is Outcome.STORED)),
        },
    )
    return result


# ---- the answer to a webhook request -----------------------------------------------------

_STATUS = {
    Outcome.STORED: 200,
    Outcome.DUPLICATE: 200,
    Outcome.IGNORED: 200,  # Telegram must not retry an update we chose not to keep
    Outcome.OPTED_OUT: 200,
    Outcome.QUARANTINED: 200,
    Outcome.TOO_LARGE: 413,
    Outcome.UNAUTHORIZED: 401,
}
#: The answer's outcome when an error stopped the update, and whether that error was transient.
UNAVAILABLE, MISCONFIGURED = "unavailable", "misconfigured"
FAILED_OUTCOMES = {UNAVAILABLE: True, MISCONFIGURED: False}


@dataclass(frozen=True)
class WebhookResponse:
    """How the webhook answers one request, whichever door it came through (Lambda or `tgpipe serve`)."""

    status: int
    body: str
    outcome: str
    """What happened, for the access log: an `Outcome`, `unavailable` or `misconfigured`."""
    update_id: int | None = None
    key: str | None = None

    @classmethod
    def of(cls, result: IngestResult | TgpipeError) -> WebhookResponse:
        """The answer to an ingest result, or to the error that stopped it.

        Only a transient error answers 5xx, so Telegram retries exactly what may succeed later.
        A terminal one (a missing secret, a bucket that does not exist) answers 400: retrying
        cannot help until the configuration is fixed, and Telegram keeps the update meanwhile.
        """
        if isinstance(result, IngestResult):
            status = _STATUS[result.outcome]
            body = "" if status == 200 else result.outcome.value
            return cls(status, body, result.outcome.value, result.update_id, result.key)
        if is_transient(result):
            return cls(503, "unavailable, retry later", UNAVAILABLE)
        return cls(400, MISCONFIGURED, MISCONFIGURED)


def respond_to_webhook(body: bytes, headers: Mapping[str, str], store: Store, settings: Settings) -> WebhookResponse:
    """Apply every webhook rule to one request (`receive_webhook`) and return the answer; never raises
    a `TgpipeError`: a failure is logged and answered."""
    try:
        return WebhookResponse.of(receive_webhook(body, headers, store, settings))
    except TgpipeError as e:
        response = WebhookResponse.of(e)
        log.error("webhook request failed", extra={"error": str(e), "status": response.status})
        return response


def handle_api_gateway_event(event: Mapping[str, Any], store: Store, settings: Settings) -> dict:
    """Answer an API Gateway HTTP API (payload v2) request carrying a webhook update."""
    request = ApiGatewayRequest.from_event(event)
    response = respond_to_webhook(request.body, request.headers, store, settings)
    return api_gateway_response(response.status, response.body)


# ---- batches from a file ------------------------------------------------------------------


class InvalidInputFile(TgpipeError, Terminal):
    """An input file cannot be read as updates at all."""


def iter_bodies(stream: IO[bytes]) -> Iterator[bytes]:
    """Yield update bodies from JSON lines, a JSON array, or a `getUpdates` response.

    Every body is the bytes the file holds for it: a line (without its line break), or an item of
    the array or of the response's `result` (`jsontext.read_batch`, which finds each item's end
    however deeply it nests). A line that is not JSON is still yielded, so it gets quarantined.

    Raises:
        InvalidInputFile: a `getUpdates` response that says `"ok": false`.
    """
    first = stream.readline()
    while first and not first.strip():
        first = stream.readline()
    if not first:
        return
    if _is_update_line(first):
        yield first.strip()
        yield from (line.strip() for line in stream if line.strip())
        return
    whole = first + stream.read()
    try:
        batch = jsontext.read_batch(whole)
    except ValueError:  # not one JSON document: lines, each stored or quarantined
        yield from (line.strip() for line in whole.splitlines() if line.strip())
        return
    if batch.kind == "response" and batch.ok is not True:
        raise InvalidInputFile(f"the getUpdates response says ok=false: {batch.description or ''}")
    if batch.items is None:  # one value that holds no list of updates: quarantined whole
        yield whole.strip()
        return
    yield from batch.items


def _is_update_line(line: bytes) -> bool:
    """Whether the first line of a file is one JSON object that is not a Bot API response: the file
    is JSON lines then. (A line too deep or too odd to parse here is not: the whole file is read as
    one document first, which falls back to lines.)"""
    try:
        head = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(head, dict) and "result" not in head and "ok" not in head


@dataclass
class IngestSummary:
    """Counts of what happened to each update of a batch, and why bodies were quarantined."""

    counts: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    not_updates: int = 0
    """Bodies quarantined because they were no update at all (not JSON, no update_id, ...)."""

    def add(self, result: IngestResult) -> None:
        self.counts[result.outcome] += 1
        if result.outcome is Outcome.QUARANTINED:
            self.reasons[result.reason or "unknown"] += 1
            self.not_updates += result.update_id is None

    def __getitem__(self, outcome: Outcome) -> int:
        return self.counts[outcome]

    @property
    def updates(self) -> int:
        """Bodies that were updates: stored, kept out by a rule, or quarantined though they were
        (a key the store refused)."""
        return sum(self.counts.values()) - self.not_updates

    def quarantined(self) -> str:
        """`2 (not_json: 2)`: how many bodies were quarantined, and why."""
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        return f"{self[Outcome.QUARANTINED]}" + (f" ({reasons})" if reasons else "")

    def describe(self) -> str:
        opted_out = f", opted out {self[Outcome.OPTED_OUT]}" if self[Outcome.OPTED_OUT] else ""
        return (
            f"stored {self[Outcome.STORED]}, duplicates {self[Outcome.DUPLICATE]}, "
            f"ignored {self[Outcome.IGNORED]}, quarantined {self.quarantined()}{opted_out}"
        )


def store_updates(
    bodies: Iterable[bytes], store: Store, settings: Settings, source: str = "file", workers: int = 16
) -> IngestSummary:
    """Store many bodies by the ingest rules, several at a time (storing waits on fsync or S3).

    No single body stops the batch (see `store_update`). Bodies from a file (`source` file) that
    carry no time of their own are filed under the time of the update before them (`_filed_times`);
    others (a batch just polled) under now.

    Raises:
        TgpipeError: the store failed; updates stored before the failure stay stored.
    """
    summary = IngestSummary()
    arrival = dates.utc_now()
    timed = _filed_times(bodies, arrival) if source == "file" else ((body, arrival) for body in bodies)
    with ThreadPoolExecutor(workers) as pool:
        # Chunks keep memory bounded: Executor.map would read the whole input up front.
        for chunk in chunked(timed, 1000):
            for result in pool.map(lambda item: store_update(item[0], store, settings, item[1], source), chunk):
                summary.add(result)
    return summary


def _filed_times(bodies: Iterable[bytes], arrival: datetime) -> Iterator[tuple[bytes, datetime]]:
    """Each body of a file with the time an update without one of its own is filed under.

    Updates from a file were received before, in the file's order: one that carries no time (a
    callback query, an inline query) is given the time of the update before it that has one (the
    latest it can have arrived after), `arrival` when none has. So a file's updates land under
    their own days, and storing the same file again writes the same keys.
    """
    last: datetime | None = None
    for body in bodies:
        try:
            when = shape.event_time(json.loads(body))
        except (ValueError, TypeError, AttributeError, RecursionError):  # not an update: quarantined by arrival
            when = None
        if when is not None:
            last = datetime.fromtimestamp(when, UTC)
            yield body, last
        else:
            yield body, last or arrival
