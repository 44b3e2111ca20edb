"""`tgpipe serve` exposed to hostile clients and killed under load: every 200 is durable, poison
updates never block capture, idle and slow clients never starve deliveries."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from faultkit import TGPIPE, json_lines, temp_leftovers
from helpers import to_bytes

pytestmark = pytest.mark.slow

SECRET = "fault_secret-123"
NOON = 1763899200  # 2025-11-23 12:00 UTC


class Served:
    """A `tgpipe serve` subprocess on a free port of 127.0.0.1."""

    def __init__(self, data, *flags, env=None):
        self.data = data
        self.process = subprocess.Popen(
            [TGPIPE, "serve", "--data-dir", data, "--port", "0", *flags],
            env={**os.environ, "TELEGRAM_WEBHOOK_SECRET": SECRET, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self.url_ready = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        assert self.url_ready.wait(30), "serve did not start: " + "\n".join(self.log)
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def _read_log(self):
        for line in self.process.stderr:
            self.log.append(line)
            if not self.url_ready.is_set() and '"serving"' in line:
                self.url = json.loads(line)["url"]
                self.url_ready.set()

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def post(self, body: bytes, secret=SECRET, conn=None):
        own = conn is None
        conn = conn or self.connection()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        conn.request("POST", "/telegram/webhook", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.status, response.read()
        if own:
            conn.close()
        return answer

    def get(self, path):
        conn = self.connection()
        conn.request("GET", path)
        response = conn.getresponse()
        answer = response.status, response.read()
        conn.close()
        return answer

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(f.read().split("VmRSS:")[1].split()[0])

    def logged(self, message: str, timeout: float = 10) -> list[dict]:
        """The log lines saying `message`, waiting up to `timeout` s for one: a thread reads the
        server's stderr, so a line written before an answer can reach `log` after it."""
        deadline = time.monotonic() + timeout
        while not (found := [line for line in json_lines("".join(self.log)) if line.get("message") == message]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return found

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(*flags, data=None, env=None):
        served = Served(data or tmp_path / "data", *flags, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop(signal.SIGKILL)


def message(update_id, when=NOON, text="oi"):
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": when, "chat": {"id": -100, "type": "group"}, "text": text},
    }


def raw_file(data, update_id):
    found = list((data / "raw" / "telegram").glob(f"*/{update_id}.json"))
    return found[0] if found else None


def test_every_200_survives_a_kill_under_load(serve, tmp_path):
    served = serve()
    acked, lock, stop = {}, threading.Lock(), threading.Event()

    def client(worker):
        conn = served.connection()
        n = 0
        while not stop.is_set():
            update_id = worker * 1_000_000 + n
            body = to_bytes(message(update_id))
            try:
                status, _ = served.post(body, conn=conn)
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if status == 200:
                with lock:
                    acked[update_id] = body
            n += 1

    threads = [threading.Thread(target=client, args=(w,)) for w in range(1, 9)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    served.stop(signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acked) > 100
    missing = [
        i for i, body in acked.items() if (path := raw_file(served.data, i)) is None or path.read_bytes() != body
    ]
    assert missing == []

    # The next start finds itself the only writer: it removes what the kill left half written.
    again = serve()
    assert again.post(to_bytes(message(1)))[0] == 200
    assert temp_leftovers(served.data / "raw") == []


def test_an_update_dated_past_year_9999_east_of_utc_is_kept_under_its_arrival_day(serve):
    served = serve(env={"TIMEZONE": "Pacific/Kiritimati"})  # UTC+14: the date would overflow the calendar
    assert served.post(to_bytes(message(9, when=253_402_300_000))) == (200, b"")
    assert served.post(to_bytes(message(42))) == (200, b"")
    assert raw_file(served.data, 9) is not None and raw_file(served.data, 42) is not None


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("a 300-digit update_id", b'{"update_id": ' + b"7" * 300 + b', "message": {"date": 1763899200}}'),
        ("update_id of 2**63", to_bytes({"update_id": 2**63, "message": {"date": NOON}})),
        ("UTF-16", json.dumps(message(10)).encode("utf-16")),
        ("a byte order mark", b"\xef\xbb\xbf" + to_bytes(message(11))),
        ("nested too deeply", b'{"update_id": 12, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("not JSON", b"\x00\x01garbage"),
    ],
)
def test_a_poison_update_is_quarantined_acknowledged_and_capture_goes_on(serve, name, body):
    served = serve(env={"TIMEZONE": "Pacific/Kiritimati"})
    assert served.post(body) == (200, b""), name
    assert served.post(to_bytes(message(42))) == (200, b"")  # the next update is not held back
    assert raw_file(served.data, 42) is not None
    quarantine = sorted((served.data / "raw" / "quarantine").rglob("*.json"))
    assert [p.read_bytes() for p in quarantine] == [body]
    reason = json.loads(quarantine[0].with_suffix(".reason").read_text())
    assert reason["source"] == "webhook" and reason["reason"]


def test_idle_connections_do_not_starve_deliveries_or_health(serve):
    served = serve()
    idle = []
    for _ in range(1000):
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
        idle.append(sock)
    for sock in idle[:200]:
        sock.sendall(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
    try:
        started = time.monotonic()
        assert served.post(to_bytes(message(5))) == (200, b"")
        assert served.get("/healthz")[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()


def test_idle_and_slow_heads_are_closed_after_the_head_timeout(serve):
    served = serve()
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    sock.sendall(b"POST /telegram/webhook HTTP/1.1\r\n")
    started = time.monotonic()
    assert sock.recv(1) == b""  # closed by the server
    assert 5 < time.monotonic() - started < 25
    sock.close()


def test_bodies_without_the_secret_are_never_read_so_memory_stays_bounded(serve):
    served = serve()
    before = served.rss_kib()
    slow = []
    head = (
        b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1048000\r\nX-Telegram-Bot-Api-Secret-Token: wrong\r\n\r\n"
    )
    for _ in range(300):
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        sock.sendall(head + b"x" * 60_000)
        slow.append(sock)
    answers = []
    for sock in slow:
        answers.append(sock.recv(64))
        sock.close()
    assert all(a.startswith(b"HTTP/1.1 401") for a in answers)
    assert served.rss_kib() - before < 60 * 1024  # 300 bodies of 1 MB were never buffered


def test_log_lines_stay_short_whatever_the_path(serve):
    served = serve()
    status, _ = served.get("/" + "a" * 60_000)
    assert status in (404, 414, 400)
    served.stop()
    assert max(len(line) for line in served.log) < 2_000


def test_health_fails_when_the_store_cannot_be_written(serve, tmp_path):
    served = serve()
    assert served.get("/healthz")[0] == 200
    temp = served.data / "raw" / "_tgpipe" / "tmp"
    temp.rename(temp.with_name("moved"))
    temp.write_text("a file where the temporary folder belongs: nothing can be written")
    assert served.get("/healthz")[0] == 503
    assert served.logged("health check failed")


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_serve_speaks_https_with_a_certificate(serve, tmp_path):
    import ssl

    cert, key = self_signed(tmp_path)
    served = serve("--tls-cert", cert, "--tls-key", key)
    context = ssl.create_default_context(cafile=str(cert))
    conn = http.client.HTTPSConnection("127.0.0.1", served.port, context=context, timeout=10)
    body = to_bytes(message(77))
    conn.request("POST", "/telegram/webhook", body=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert conn.getresponse().status == 200
    assert raw_file(served.data, 77).read_bytes() == body


def test_a_certificate_without_its_key_is_one_error_line(tmp_path):
    cert, _ = self_signed(tmp_path)
    run = subprocess.run(
        [TGPIPE, "serve", "--data-dir", tmp_path / "d", "--port", "0", "--tls-cert", cert],
        env={**os.environ, "TELEGRAM_WEBHOOK_SECRET": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stderr) == (
        1,
        "Error: HTTPS needs both the certificate (--tls-cert) and its private key (--tls-key)\n",
    )
