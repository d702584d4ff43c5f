"""A real SMTP server for tests (the ``smtp`` fixture in conftest.py): aiosmtpd on a free
127.0.0.1 port, keeping every message it receives (parsed, and the raw bytes)."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes
from email.policy import default


class Inbox:
    def __init__(self):
        self.raw: list[bytes] = []
        self.rcpt: list[list[str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.rcpt.append(list(envelope.rcpt_tos))
        return "250 OK"

    @property
    def messages(self):
        with self.lock:
            return [message_from_bytes(r, policy=default) for r in self.raw]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
