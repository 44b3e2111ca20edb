"""`tgpipe serve`: the webhook as a small ASGI app behind uvicorn.

Routes: `POST /telegram/webhook` applies the Lambda's rules (`ingest.respond_to_webhook`,
docs/design.md §5) and answers only after the store call returned, that is after the update is
durably written; `GET /healthz` says whether the raw store is usable; `GET /metrics` gives the
Prometheus metrics (`tgpipe.capture.metrics`). Everything else is 404 or 405.

The store call blocks until the write is durable, so it runs in a thread pool while the event
loop keeps accepting requests; with a local store `serve` uses `GroupCommitStore`, so the writes
of concurrent requests are synced together.

It can face the internet directly (Telegram calls it with TLS terminated in front, or through a
self-hosted Bot API server): the secret header is checked before the body is read, at most
`MAX_BODY_BYTES` + 1 bytes of a body are read and only `body_timeout` seconds are given for it,
a connection must send each request head within `head_timeout` seconds (idle and slow clients are
closed, and never counted against deliveries), requests in flight are bounded, and log lines are
bounded. What a reverse proxy still adds (TLS, rate limits per address, an allow-list of
Telegram's networks) is in docs/self-hosting.md.

Access logs are JSON lines (method, path, status, ms, client, outcome, update_id, key); headers,
hence the secret, are never logged, nor are scrapes of /metrics. `client` honours X-Forwarded-For
only from the addresses in uvicorn's FORWARDED_ALLOW_IPS (default 127.0.0.1, a proxy on the same
machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tgpipe.capture import ingest, signals
from tgpipe.capture.metrics import Metrics
from tgpipe.config import DEFAULT_HOST, DEFAULT_PORT, Settings
from tgpipe.errors import ConfigError, TgpipeError
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store
from tgpipe.store.groupcommit import GroupCommitStore
from tgpipe.store.local import LocalStore

log = logging.getLogger(__name__)
access_log = logging.getLogger("tgpipe.access")

WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


#: The longest path an access log line shows: a request's path is the client's to choose.
LOGGED_PATH_CHARS = 200


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Threads running the ingest rules; bounds the writes in flight (Telegram: <= max_connections).
    write_threads: int = 64
    #: Authenticated webhook requests handled at once; more get 503 (Telegram makes at most
    #: `max_connections`, 100). Connections without a request (idle, or slow to send one) are not
    #: counted: `head_timeout` closes them.
    max_in_flight: int = 256
    access_log: bool = True
    #: Seconds an idle keep-alive connection stays open.
    keep_alive: int = 20
    #: Seconds a connection has to send a request's head (line and headers), from its opening or
    #: from the previous response: idle and slow clients cannot hold connections open.
    head_timeout: float = 10.0
    #: Seconds an authenticated request has to send its body.
    body_timeout: float = 10.0
    #: Make concurrent writes to a local store durable together (see tgpipe.store.groupcommit).
    group_commit: bool = True
    #: Serve HTTPS with this certificate (chain) and private key (PEM files), so Telegram can call
    #: the server with no proxy in front; both or neither.
    tls_cert: str | None = None
    tls_key: str | None = None

    def __post_init__(self):
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("HTTPS needs both the certificate (--tls-cert) and its private key (--tls-key)")


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
    """The ASGI application (routes above).

    A webhook request is authenticated by its secret header before its body is read, so a client
    without the secret never gets a byte buffered; an authenticated body has `body_timeout`
    seconds to arrive and at most MAX_BODY_BYTES + 1 of it is read.
    """

    def __init__(
        self, store: Store, settings: Settings, options: ServeOptions | None = None, metrics: Metrics | None = None
    ):
        options = options or ServeOptions()
        require_secret(settings)
        if isinstance(store, LocalStore):  # so /healthz is ok before the first update arrives
            try:
                store.root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"cannot create the raw store {store.root}: {e.strerror or e}") from None
        store_settings.require(store, settings, role="raw store", live=True)
        self.store = store
        self.settings = settings
        self.options = options
        self.metrics = metrics or Metrics("serve")
        self.pool = ThreadPoolExecutor(options.write_threads, thread_name_prefix="tgpipe-write")
        self._in_flight = 0

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
        if self.options.access_log and path != METRICS_PATH:  # a scraper calls every few seconds
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": method[:16],
                    "path": path[:LOGGED_PATH_CHARS],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                    **fields,
                },
            )

    async def _webhook(self, scope, receive) -> ingest.WebhookResponse:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        try:
            if not ingest.authorized(headers, self.settings):  # before a byte of the body is read
                return ingest.WebhookResponse.of(ingest.IngestResult(ingest.Outcome.UNAUTHORIZED))
        except TgpipeError as e:
            return ingest.WebhookResponse.of(e)
        if self._in_flight >= self.options.max_in_flight:
            return ingest.WebhookResponse(503, "busy, retry later", "busy")
        self._in_flight += 1
        try:
            cap = self.settings.max_body_bytes
            if _content_length(headers) > cap:
                return ingest.WebhookResponse.of(ingest.IngestResult(ingest.Outcome.TOO_LARGE))
            try:
                body = await asyncio.wait_for(_read_body(receive, cap + 1), self.options.body_timeout)
            except TimeoutError:
                return ingest.WebhookResponse(408, "the body did not arrive in time", "timeout")
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self.pool, ingest.respond_to_webhook, body, headers, self.store, self.settings
            )
        finally:
            self._in_flight -= 1

    async def _health(self) -> tuple[int, bytes]:
        """Healthy while the raw store can be written now: a full or read-only disk fails it."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.pool, self.store.check_writable)
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


def _content_length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


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


def guarded_protocol(head_timeout: float):
    """Return uvicorn's HTTP protocol with a deadline for each request's head.

    uvicorn closes a keep-alive connection that stays idle after a response, but not one that
    never sends a request, nor one that sends its head a byte at a time: a thousand of those used
    to hold the server. Here a connection has `head_timeout` seconds, from its opening and from
    each response, to send a whole request head, or it is closed.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _head_deadline = None

        def _arm(self) -> None:
            self._disarm()
            self._head_deadline = self.loop.call_later(head_timeout, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedHttpToolsProtocol


def raise_open_file_limit() -> None:
    """Let the server hold as many connections as the system allows it (the soft limit up to the hard one)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def build_server(app, sock: socket.socket, options: ServeOptions):
    """Return a uvicorn server for `app` on `sock` (logging is left to `tgpipe.logs`)."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(options.head_timeout),
        log_config=None,
        access_log=False,  # WebhookApp writes its own, without headers
        server_header=False,
        proxy_headers=True,
        limit_concurrency=None,  # it counts idle connections too; WebhookApp bounds requests in flight
        timeout_keep_alive=options.keep_alive,
        lifespan="on",
        ssl_certfile=options.tls_cert,
        ssl_keyfile=options.tls_key,
    )
    try:
        config.load()  # reads the certificate now, so a bad one is one error line, not a traceback
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot use the TLS certificate and key: {getattr(e, 'strerror', None) or e}") from None
    return uvicorn.Server(config)


def serve(store: Store, settings: Settings, options: ServeOptions, metrics: Metrics | None = None) -> None:
    """Serve the webhook until SIGINT or SIGTERM, then finish the requests in flight and return.

    A local store is written with group commit (see `tgpipe.store.groupcommit`); S3 as it is. `GET
    /metrics` shows `metrics` (new ones if None; `tgpipe run` passes those its ETL counts into).
    """
    metrics = metrics or Metrics("serve")
    if isinstance(store, LocalStore) and options.group_commit:
        store = GroupCommitStore(store.root)
        metrics.watch_group_commit(store)
    if options.access_log:
        # The access log line carries the outcome, update_id and key: don't log each update twice.
        logging.getLogger("tgpipe.capture.ingest").setLevel(logging.WARNING)
    app = WebhookApp(store, settings, options, metrics)
    raise_open_file_limit()
    sock = bind(options.host, options.port)
    uvicorn_server = build_server(app, sock, options)
    host, port = sock.getsockname()[:2]
    scheme = "https" if options.tls_cert else "http"
    url = f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
    log.info("serving", extra={"url": url + WEBHOOK_PATH, "store": str(store)})
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # that was there before it, which would kill the process (SIGTERM) or raise KeyboardInterrupt.
    # A no-op handler there lets `serve` return, so `tgpipe run` can stop its ETL thread and exit 0.
    with signals.on_stop_signals(lambda signum, frame: None), store.writing():
        uvicorn_server.run(sockets=[sock])
    log.info("stopped serving")
