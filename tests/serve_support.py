"""A real ``oncall serve`` (uvicorn in a subprocess, 127.0.0.1, a free port) for tests,
and what the Twilio mock received (its log, filtered by a per-test account SID)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOCK_START = ROOT.parent / "shared" / "twilio-mock" / "start"
AUTH_TOKEN = "serve-test-auth-token"
INTAKE = "intake-secret-7e1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mock:
    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log

    def sends(self, account: str, kind: str = "Messages") -> int:
        """POSTs the mock received to create messages (or ``Calls``) for ``account``."""
        if not self.log.exists():
            return 0
        needle = f"post /2010-04-01/Accounts/{account}/{kind}.json"
        text = self.log.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if needle in line and "Request received" in line)

    def violations(self) -> int:
        return self.log.read_text(errors="replace").count("The request does not match") if self.log.exists() else 0


def start_mock():
    """``(Mock, pid or None)``: the CI mock if ``ONCALL_TEST_TWILIO_MOCK`` names one, else one started here."""
    url = os.environ.get("ONCALL_TEST_TWILIO_MOCK")
    if url:
        port = url.rstrip("/").rsplit(":", 1)[1]
        log = Path(os.environ.get("TWILIO_MOCK_LOG") or Path(tempfile.gettempdir()) / f"twilio-mock-{port}.log")
        return Mock(url.rstrip("/"), log), None
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"oncall-serve-mock-{port}.log"
    env = os.environ | {"TWILIO_MOCK_LOG": str(log)}
    pid = int(subprocess.run([str(MOCK_START), str(port)], capture_output=True, text=True, timeout=180, check=True,
                             env=env).stdout.strip())
    return Mock(f"http://127.0.0.1:{port}", log), pid


class Server:
    """One service process; ``kill9`` and ``start`` again keep the same store and port."""

    def __init__(self, folder: Path, state: Path, mock: Mock, tick: float = 0.2):
        self.folder, self.state, self.mock, self.tick = folder, state, mock, tick
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.account = "AC" + uuid.uuid4().hex
        self.proc: subprocess.Popen | None = None
        self.stderr = state.parent / f"serve-{self.port}.log"

    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ONCALL_"))}
        if os.environ.get("ONCALL_DATABASE_URL"):  # the test's backend (conftest's store_url)
            keep["ONCALL_DATABASE_URL"] = os.environ["ONCALL_DATABASE_URL"]
        return keep | {"ONCALL_STATE_DIR": str(self.state), "TWILIO_ACCOUNT_SID": self.account,
                       "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+15005550006",
                       "ONCALL_TWILIO_BASE_URL": self.mock.url, "ONCALL_INTAKE_TOKEN": INTAKE,
                       "PYTHONPATH": str(ROOT), "TZ": "America/St_Johns"}

    def start(self) -> Server:
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "oncall", "serve", "--listen", f"127.0.0.1:{self.port}", "--public-url",
                 self.url, "--dir", str(self.folder), "--tick", str(self.tick)],
                env=self.env(), stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.stderr.read_text()[-2000:]}")
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.proc.kill()  # a server that never came up must not outlive its test
        self.proc.wait(5)
        raise RuntimeError("serve did not answer /healthz in 20 s")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode if self.proc else 0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def get(self, path: str):
        return self.request("GET", path)

    def post_json(self, path: str, payload, token: str | None = INTAKE):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, json.dumps(payload).encode(), headers)

    def twilio(self, path: str, params: dict, token: str | None = AUTH_TOKEN, signature: str | None = None):
        """POST a Twilio callback, signed with the SDK for ``token`` (or with ``signature``)."""
        from urllib.parse import urlencode

        from twilio.request_validator import RequestValidator

        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is None and token is not None:
            signature = RequestValidator(token).compute_signature(self.url + path, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.request("POST", path, urlencode(params).encode(), headers)

    def store(self):
        """The store this service uses: SQLite in its state dir, or the test's PostgreSQL."""
        if self.env().get("ONCALL_DATABASE_URL"):
            from oncall.paging.store import open_store

            return open_store(env=self.env())
        from oncall.paging.sqlite import SQLiteStore

        return SQLiteStore(self.state / "pages.sqlite3")

    def incidents(self) -> list[dict]:
        store = self.store()
        try:
            return [store.incident(i["id"]) for i in store.incidents()]
        finally:
            store.close()

    def latest_attempt(self) -> int:
        """The store id of the latest send (what its status callback URL carries)."""
        sql = "SELECT max(id) FROM attempts WHERE sid IS NOT NULL"
        url = self.env().get("ONCALL_DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url) as conn:
                return conn.execute(sql).fetchone()[0]
        import sqlite3

        with sqlite3.connect(self.state / "pages.sqlite3") as db:
            return db.execute(sql).fetchone()[0]


def wait_for(predicate, seconds: float = 10.0, every: float = 0.1):
    """Poll ``predicate`` until true (returned) or ``seconds`` pass (returns the last value)."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)
