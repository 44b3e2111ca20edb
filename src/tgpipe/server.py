"""`tgpipe serve`: the webhook as a small ASGI app behind uvicorn.

Routes: `POST /telegram/webhook` applies the Lambda's rules (`ingest.respond_to_webhook`,
docs/design.md §5) and answers only after the store call returned, that is after the update is
durably written; `GET /healthz` says whether the raw store is usable; `GET /metrics` gives the
Prometheus metrics (`tgpipe.metrics`). Everything else is 404 or 405.

The store call blocks until the write is durable, so it runs in a thread pool while the event
loop keeps accepting requests; with a local store `serve` uses `GroupCommitStore`, so the writes
of concurrent requests are synced together. Bodies are read only up to `MAX_BODY_BYTES` + 1
bytes: the ingest rules then answer 401 or 413 without the rest ever being buffered. Slow or
abusive clients are the job of the HTTPS reverse proxy in front (docs/self-hosting.md).

Access logs are JSON lines (method, path, status, ms, client, outcome, update_id, key); headers,
hence the secret, are never logged, nor are scrapes of /metrics. `client` honours X-Forwarded-For
only from the addresses in uvicorn's FORWARDED_ALLOW_IPS (default 127.0.0.1, a proxy on the same
machine).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tgpipe import ingest, signals
from tgpipe.config import DEFAULT_HOST, DEFAULT_PORT, Settings
from tgpipe.errors import ConfigError, TgpipeError
from tgpipe.groupcommit import GroupCommitStore
from tgpipe.metrics import Metrics
from tgpipe.stores import LocalStore, Store

log = logging.getLogger(__name__)
access_log = logging.getLogger("tgpipe.access")

WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Threads running the ingest rules; bounds the writes in flight (Telegram: <= max_connections).
    write_threads: int = 64
    #: Requests handled at once; more get 503 (Telegram uses at most `max_connections`, 100).
    limit_concurrency: int = 1000
    access_log: bool = True
    #: Seconds an idle keep-alive connection stays open.
    keep_alive: int = 75
    #: Make concurrent writes to a local store durable together (see tgpipe.groupcommit).
    group_commit: bool = True


def require_secret(settings: Settings) -> None:
    """Refuse to serve without a webhook secret: every request would be refused.

    Raises:
        ConfigError: no secret is configured.
    """
    if settings.webhook_secret is None:
        raise ConfigError(
            "no webhook secret: set TELEGRAM_WEBHOOK_SECRET or pass --secret-file, with the secret "
            "given to setWebhook (`tgpipe webhook set` sets one)"
        )


class WebhookApp:
    """The ASGI application (routes above)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        write_threads: int = 64,
        access_log: bool = True,
        metrics: Metrics | None = None,
    ):
        require_secret(settings)
        if isinstance(store, LocalStore):  # so /healthz is ok before the first update arrives
            try:
                store.root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"cannot create the raw store {store.root}: {e.strerror or e}") from None
        self.store = store
        self.settings = settings
        self.log_access = access_log
        self.metrics = metrics or Metrics("serve")
        self.pool = ThreadPoolExecutor(write_threads, thread_name_prefix="tgpipe-write")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        path, method = scope["path"], scope["method"]
        fields: dict = {}
        content_type = TEXT
        if path == WEBHOOK_PATH:
            if method == "POST":
                response = await self._webhook(scope, receive)
                self.metrics.answered(response)
                status, body = response.status, response.body.encode()
                fields = {"outcome": response.outcome, "update_id": response.update_id, "key": response.key}
            else:
                status, body = 405, b"method not allowed"
        elif path == HEALTH_PATH and method in ("GET", "HEAD"):
            status, body = await self._health()
            content_type = JSON
        elif path == METRICS_PATH and method in ("GET", "HEAD"):
            status = 200
            body, content_type = await self._metrics(scope)
        else:
            status, body = 404, b"not found"
        headers = [(b"content-type", content_type.encode())]
        if status == 405:
            headers.append((b"allow", b"POST"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
        if self.log_access and path != METRICS_PATH:  # a scraper calls every few seconds
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                    **fields,
                },
            )

    async def _webhook(self, scope, receive) -> ingest.WebhookResponse:
        body = await _read_body(receive, self.settings.max_body_bytes + 1)
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool, ingest.respond_to_webhook, body, headers, self.store, self.settings
        )

    async def _health(self) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.pool, self.store.check)
        except TgpipeError as e:
            log.warning("health check failed", extra={"error": str(e)})
            return 503, b'{"status":"unavailable"}'
        return 200, b'{"status":"ok"}'

    async def _metrics(self, scope) -> tuple[bytes, str]:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        loop = asyncio.get_running_loop()  # collecting reads /proc: off the event loop
        return await loop.run_in_executor(self.pool, self.metrics.render, headers)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # uvicorn has finished the requests in flight; let their writes end too.
                self.pool.shutdown(wait=True)
                if isinstance(self.store, GroupCommitStore):
                    self.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive, cap: int) -> bytes:
    """Read the request body, stopping once it has more than `cap` - 1 bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap or not message.get("more_body", False):
            break
    return b"".join(chunks)


def bind(host: str, port: int) -> socket.socket:
    """Open the listening socket (port 0 picks a free one).

    Raises:
        ConfigError: the address cannot be bound (in use, not local, no permission).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as e:
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def build_server(app, sock: socket.socket, options: ServeOptions):
    """Return a uvicorn server for `app` on `sock` (logging is left to `tgpipe.logs`)."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # WebhookApp writes its own, without headers
        server_header=False,
        proxy_headers=True,
        limit_concurrency=options.limit_concurrency,
        timeout_keep_alive=options.keep_alive,
        lifespan="on",
    )
    return uvicorn.Server(config)


def serve(store: Store, settings: Settings, options: ServeOptions, metrics: Metrics | None = None) -> None:
    """Serve the webhook until SIGINT or SIGTERM, then finish the requests in flight and return.

    A local store is written with group commit (see `tgpipe.groupcommit`); S3 as it is. `GET
    /metrics` shows `metrics` (new ones if None; `tgpipe run` passes those its ETL counts into).
    """
    metrics = metrics or Metrics("serve")
    if isinstance(store, LocalStore) and options.group_commit:
        store = GroupCommitStore(store.root)
        metrics.watch_group_commit(store)
    if options.access_log:
        # The access log line carries the outcome, update_id and key: don't log each update twice.
        logging.getLogger("tgpipe.ingest").setLevel(logging.WARNING)
    app = WebhookApp(store, settings, options.write_threads, options.access_log, metrics)
    sock = bind(options.host, options.port)
    host, port = sock.getsockname()[:2]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    log.info("serving", extra={"url": url + WEBHOOK_PATH, "store": str(store)})
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # that was there before it, which would kill the process (SIGTERM) or raise KeyboardInterrupt.
    # A no-op handler there lets `serve` return, so `tgpipe run` can stop its ETL thread and exit 0.
    with signals.on_stop_signals(lambda signum, frame: None):
        build_server(app, sock, options).run(sockets=[sock])
    log.info("stopped serving")
