"""Shared fixtures. Tests never read the real clock, the machine's zone or the network:
times are passed with --at/--from, and TZ is pinned to a zone nobody here lives in."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "rotations"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _isolate(monkeypatch, tmp_path):
    # A viewer zone with DST and an odd offset, so tests that forget --tz fail loudly.
    monkeypatch.setenv("TZ", "America/St_Johns")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ONCALL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("ONCALL_DIR", raising=False)
    monkeypatch.delenv("ONCALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # a width given fits tables to it; tests give one when they mean to
    for var in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
                "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID", "ONCALL_TWILIO_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc):
    # Every test that uses ``store_url`` runs once per backend; ``@pytest.mark.sqlite_only``
    # keeps a test about the SQLite file itself to that backend.
    if "store_url" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("store_url", ("sqlite",) if only else BACKENDS, indirect=True)


@pytest.fixture
def store_url(request, monkeypatch) -> str:
    """The page store this test runs on: SQLite in the state dir (``""``) or a fresh
    PostgreSQL database (its URL); ``ONCALL_DATABASE_URL`` is set to match."""
    if request.param == "sqlite":
        monkeypatch.delenv("ONCALL_DATABASE_URL", raising=False)
        return ""
    from pg_support import fresh_database

    url = fresh_database()
    monkeypatch.setenv("ONCALL_DATABASE_URL", url)
    return url


@pytest.fixture
def pg_url(monkeypatch) -> str:
    """A fresh PostgreSQL database for a test about that backend; ``ONCALL_DATABASE_URL`` names it."""
    from pg_support import fresh_database

    url = fresh_database()
    monkeypatch.setenv("ONCALL_DATABASE_URL", url)
    return url


@pytest.fixture
def use_clock(monkeypatch):
    """The one way a test sets the clock every command reads: ``use_clock(t)`` with a
    datetime (a clock standing at ``t``, sleeping moves it on) or any object with
    ``now()`` and ``sleep(seconds)``. Returns the clock."""
    from oncall.paging.fake import FakeClock

    def use(clock):
        if isinstance(clock, datetime):
            clock = FakeClock(clock)
        monkeypatch.setattr("oncall.cli.context.CLOCK", clock)
        return clock

    return use


@pytest.fixture
def cli(capsys):
    """Run ``oncall ARGS`` in-process; returns exit code, stdout and stderr."""
    from oncall.cli import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def bundled(tmp_path) -> Path:
    """A writable copy of the bundled rotations/ folder."""
    dest = tmp_path / "rotations"
    shutil.copytree(BUNDLED, dest)
    return dest


@pytest.fixture
def smtp(monkeypatch):
    """A running SMTP server; ``ONCALL_SMTP_URL``/``ONCALL_SMTP_FROM`` point at it."""
    from aiosmtpd.controller import Controller
    from smtp_support import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    monkeypatch.setenv("ONCALL_SMTP_URL", inbox.url)
    monkeypatch.setenv("ONCALL_SMTP_FROM", "Oncall Bot <oncall@example.org>")
    yield inbox
    controller.stop()


def write_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a data folder from ``{name: text}``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        data = body if isinstance(body, bytes) else body.encode()
        (root / name).write_bytes(data)
    return root


# In CI the property tests are derandomised (same examples every run, so a red build is
# reproducible); locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
