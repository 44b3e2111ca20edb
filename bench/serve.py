"""Benchmark `tgpipe serve`: updates/s and p50/p99 latency on loopback, next to a bare uvicorn app.

Three servers run as child processes with the same uvicorn settings: a bare ASGI app that
answers 200 at once (the ceiling of uvicorn plus this client on this machine), `tgpipe serve` as
shipped (durable writes with group commit), and `tgpipe serve --no-group-commit` (LocalStore's
fsync per update). This process is the client: CONCURRENCY keep-alive connections (Telegram opens
up to `max_connections`, 40 by default), each posting one distinct update after another and
timing it from the first byte sent to the last byte of the answer. The servers are measured in
turns, REPEAT times, and the table gives the median. At the end the bench checks that every
update sent to tgpipe was answered 200 and is in its store.

    .venv/bin/python bench/serve.py                      # 3 runs of 10,000 updates, 40 connections
    .venv/bin/python bench/serve.py --requests 5000 --concurrency 100 --repeat 5

Prints a Markdown table (paste it into docs/benchmarks.md) and the machine's conditions. The
data folder is made next to this file (on the disk, not a tmpfs, so fsync costs what it costs),
and removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "bench-secret_0123456789"
BASE_UPDATE_ID = 700_000_000
DAY = 1763899200  # 2025-11-23 12:00 UTC: every update lands in one day's folder, as live traffic does

BARE = "bare uvicorn app (no storage)"
#: (row name, data folder, extra `tgpipe serve` options)
TGPIPE_SERVERS = [
    ("tgpipe serve (durable, group commit)", "group", ()),
    ("tgpipe serve --no-group-commit (fsync per update)", "each", ("--no-group-commit",)),
]

BARE_APP = """
import socket, sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})

sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, host="127.0.0.1", port=sock.getsockname()[1], log_config=None,
                        access_log=False, server_header=False, lifespan="off")
uvicorn.Server(config).run(sockets=[sock])
"""


def update_body(n: int) -> bytes:
    """A typical group text message (about 450 bytes) with update_id BASE + n."""
    update = {
        "update_id": BASE_UPDATE_ID + n,
        "message": {
            "message_id": 10_000 + n,
            "from": {
                "id": 100_000 + n % 50,
                "is_bot": False,
                "first_name": "Ana",
                "last_name": "Souza",
                "username": "ana_s",
                "language_code": "pt-br",
            },
            "chat": {"id": -1001234567890, "title": "Grupo de estudos", "type": "supergroup"},
            "date": DAY + n % 3600,
            "text": f"mensagem número {n}: bom dia a todos, alguém viu o material da aula de ontem? 📚",
            "entities": [{"offset": 0, "length": 8, "type": "bold"}],
        },
    }
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


def request_bytes(port: int, body: bytes) -> bytes:
    head = (
        f"POST /telegram/webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def drive(port: int, first: int, count: int, concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Post updates first..first+count-1 over `concurrency` connections; return (seconds, latencies, statuses)."""
    requests = [request_bytes(port, update_body(first + i)) for i in range(count)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < count:
                data = requests[next_index]
                next_index += 1
                start = time.perf_counter()
                writer.write(data)
                status = await read_response(reader)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def wait_for_port(process: subprocess.Popen, read_port, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before listening")
        port = read_port()
        if port:
            return port
        time.sleep(0.05)
    raise SystemExit("server did not start listening in time")


def start_bare() -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-c", BARE_APP], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.strip():
        raise SystemExit("the bare uvicorn app did not start")
    return process, int(line)


def start_tgpipe(data_dir: Path, log_path: Path, *options: str) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TIMEZONE": "UTC"}
    env.pop("TELEGRAM_ALLOWED_CHAT_IDS", None)
    tgpipe = Path(sys.executable).with_name("tgpipe")
    command = [str(tgpipe), "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "0", *options]
    log_file = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, env=env, stderr=log_file, stdout=subprocess.DEVNULL)

    def read_port() -> int | None:
        for line in log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "serving":
                return int(record["url"].split(":")[2].split("/")[0])
        return None

    return process, wait_for_port(process, read_port)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stored_updates(data_dir: Path) -> int:
    return sum(1 for p in (data_dir / "raw" / "telegram").rglob("*.json") if not p.name.startswith(".tmp-"))


def measure(name: str, port: int, first: int, args) -> dict:
    seconds, latencies, statuses = asyncio.run(drive(port, first, args.requests, args.concurrency))
    latencies.sort()
    return {
        "server": name,
        "updates_per_s": args.requests / seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": latencies[-1] * 1000,
        "statuses": statuses,
    }


def summarize(runs: list[dict]) -> dict:
    """The median of each figure over the runs (max: the largest)."""
    return {
        "server": runs[0]["server"],
        "updates_per_s": statistics.median(r["updates_per_s"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "max_ms": max(r["max_ms"] for r in runs),
        "runs": [round(r["updates_per_s"]) for r in runs],
    }


def conditions(data_dir: Path) -> str:
    import uvicorn

    try:
        df = subprocess.run(["df", "-T", str(data_dir)], capture_output=True, text=True).stdout
        fs = df.splitlines()[1].split()[1]
    except (OSError, IndexError):
        fs = "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, load average {load} at the end, Python {platform.python_version()}, "
        f"uvicorn {uvicorn.__version__}, {platform.system()} {platform.release()}, data on {fs}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="updates per server and run (default 10000)")
    parser.add_argument("--concurrency", type=int, default=40, help="client connections (default 40)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server, taken in turns (default 3)")
    parser.add_argument("--warmup", type=int, default=1_000, help="updates sent first, not measured (default 1000)")
    parser.add_argument("--json", action="store_true", help="also print every run as one JSON line")
    args = parser.parse_args()

    # Data is removed only at the end: ext4 without a journal skips inodes freed in the last
    # seconds when it allocates new ones, so deleting one run's files would slow the next run.
    work = Path(tempfile.mkdtemp(prefix=".bench-serve-", dir=Path(__file__).parent))
    servers: list[tuple[str, subprocess.Popen, int]] = []
    runs: dict[str, list[dict]] = {}
    try:
        process, port = start_bare()
        servers.append((BARE, process, port))
        for name, folder, options in TGPIPE_SERVERS:
            process, port = start_tgpipe(work / folder, work / f"{folder}.log", *options)
            servers.append((name, process, port))
        for _, _, port in servers:
            asyncio.run(drive(port, 0, args.warmup, args.concurrency))
        # In turns, so a busy moment of a shared machine hits every server alike.
        for n in range(args.repeat):
            for name, _, port in servers:
                runs.setdefault(name, []).append(measure(name, port, args.warmup + n * args.requests, args))
    finally:
        for _, process, _ in servers:
            stop(process)
    expected = args.warmup + args.repeat * args.requests
    checks = [(name, stored_updates(work / folder)) for name, folder, _ in TGPIPE_SERVERS]
    env = conditions(work)
    shutil.rmtree(work, ignore_errors=True)

    print(
        f"{args.requests} updates per run, {args.repeat} runs per server in turns, after {args.warmup} warm-up; "
        f"{args.concurrency} keep-alive connections on loopback; median of the runs (max: largest)"
    )
    print()
    print("| server | updates/s | p50 ms | p99 ms | max ms | updates/s of each run |")
    print("|---|---:|---:|---:|---:|---|")
    for name in runs:
        r = summarize(runs[name])
        figures = f"{r['updates_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f}"
        print(f"| {name} | {figures} | {', '.join(f'{x:,}' for x in r['runs'])} |")
    print()
    print(f"Conditions: {env}")
    ok = True
    for name, stored in checks:
        answers: dict[int, int] = {}
        for r in runs[name]:
            for status, count in r["statuses"].items():
                answers[status] = answers.get(status, 0) + count
        print(f"{name}: stored {stored} of {expected} updates sent; answers {answers}")
        ok = ok and stored == expected and answers == {200: args.repeat * args.requests}
    if args.json:
        print(json.dumps(runs))
    if not ok:
        print("FAILED: not every update was answered 200 and stored", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
