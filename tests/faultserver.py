"""A misbehaving Twilio for tests: a threaded HTTP server on 127.0.0.1 (a free port) that
answers each kind of request with scripted faults. Everything is bounded: a hanging or
dribbling answer gives up after ``HOLD`` seconds, and ``stop()`` ends them all at once.

Routes (by method and path, as the SDK sends them):

=============  ==========================================
``sms``         POST .../Messages.json (send an SMS)
``call``        POST .../Calls.json (place a call)
``sms-status``  GET .../Messages/SM....json
``call-status`` GET .../Calls/CA....json
``hang-up``     POST .../Calls/CA....json
``replies``     GET .../Messages.json (the inbound list)
=============  ==========================================

``script[route]`` is a list of answers, taken in order by successive requests (the last one
repeats); a route without a script answers what Twilio documents. An answer is an
``Answer`` (status, body, headers), ``HANG`` (read the request, never answer) or a
``Dribble`` (a valid answer, one byte every ``every`` seconds).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD = 30.0  # seconds a hanging or dribbling answer lasts at most
SMS_SID, CALL_SID = "SM" + "f" * 32, "CA" + "f" * 32


@dataclass(frozen=True)
class Answer:
    status: int = 201
    body: str = "{}"
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Dribble:
    answer: Answer
    every: float = 0.5


HANG = "hang"

GOOD = {
    "sms": Answer(201, json.dumps({"sid": SMS_SID, "status": "queued"})),
    "call": Answer(201, json.dumps({"sid": CALL_SID, "status": "queued"})),
    "sms-status": Answer(200, json.dumps({"sid": SMS_SID, "status": "sent", "error_code": None})),
    "call-status": Answer(200, json.dumps({"sid": CALL_SID, "status": "ringing", "answered_by": None})),
    "hang-up": Answer(200, json.dumps({"sid": CALL_SID, "status": "completed"})),
    "replies": Answer(200, json.dumps({"messages": [], "next_page_uri": None,
                                       "meta": {"key": "messages", "next_page_url": None}})),
}


def route(method: str, path: str) -> str:
    path = path.split("?", 1)[0]
    if re.search(r"/Messages\.json$", path):
        return "sms" if method == "POST" else "replies"
    if re.search(r"/Calls\.json$", path):
        return "call"
    if "/Messages/" in path:
        return "sms-status"
    if "/Calls/" in path:
        return "hang-up" if method == "POST" else "call-status"
    return "other"


def raw(answer: Answer) -> bytes:
    body = answer.body.encode()
    head = [f"HTTP/1.1 {answer.status} X", "Content-Type: application/json", f"Content-Length: {len(body)}",
            "Connection: close", *(f"{k}: {v}" for k, v in answer.headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class FaultServer:
    def __init__(self, script: dict[str, list] | None = None):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.seen: list[tuple[str, float]] = []  # (route, monotonic time) per request
        self.bodies: list[tuple[str, str]] = []  # (route, form body) per request
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                name = route(self.command, self.path)
                with outer._lock:
                    outer.bodies.append((name, body))
                outer.answer(self, name)

            do_GET = do_POST = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def count(self, name: str) -> int:
        return sum(1 for r, _ in self.seen if r == name)

    def answer(self, handler: BaseHTTPRequestHandler, name: str) -> None:
        with self._lock:
            self.seen.append((name, time.monotonic()))
            answers = self.script.get(name)
            reply = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else GOOD.get(name, Answer(404))
        if reply == HANG:
            self.stopping.wait(HOLD)
            return
        data, every = (raw(reply.answer), reply.every) if isinstance(reply, Dribble) else (raw(reply), 0.0)
        end = time.monotonic() + HOLD
        try:
            if not every:
                handler.wfile.write(data)
                return
            for i in range(len(data)):
                if self.stopping.wait(every) or time.monotonic() > end:
                    return
                handler.wfile.write(data[i:i + 1])
                handler.wfile.flush()
        except OSError:
            pass  # the client gave up: that is the point

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


class DriftClock:
    """The engine's clock for tests against a real server: real time passes (a hanging
    request takes its seconds), but ``sleep`` only moves the clock, so waits cost nothing."""

    def __init__(self, start: datetime):
        self.start, self.t0, self.slept = start, time.monotonic(), 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0 + self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)
