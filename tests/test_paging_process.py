"""Paging across processes and through the real Twilio adapter, without any network:
concurrent dedup with real subprocesses, and credentials never leaking."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write_folder
from test_paging import OPS, PEOPLE, T0

from oncall.paging.fake import FakeClock

TOKEN = "tok-3f1e9c5a7b2d4e6f8a0b1c2d3e4f5a6b"
SECRET = "sec-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


@pytest.fixture(autouse=True)
def _every_backend(store_url):
    """This suite runs on SQLite and on PostgreSQL (``store_url`` in conftest)."""


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})


def test_20_concurrent_pages_with_one_dedup_key_send_once(folder, tmp_path):
    """Real processes against a local Twilio (``ONCALL_TWILIO_BASE_URL``, the documented
    setting), not a test switch inside the product."""
    from urllib.parse import parse_qs

    from faultserver import FaultServer

    with FaultServer() as twilio:
        env = os.environ | {"PYTHONPATH": str(ROOT), "ONCALL_TWILIO_BASE_URL": twilio.url,
                            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
                            "TWILIO_FROM": "+15005550006"}
        cmd = [sys.executable, "-m", "oncall", "page", "ops", "-m", "db down", "--dir", str(folder),
               "--dedup-key", "X", "--no-wait", "--json"]
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(20)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        sent = [parse_qs(body) for name, body in twilio.bodies if name == "sms"]
    assert all(code == 0 for code, _, _ in results), [err for _, _, err in results if err]
    pages = [json.loads(out) for _, out, _ in results]
    # Seen once in CI under load (2 SMS); what each sender recorded is the evidence.
    why = [(p["outcome"], p["id"], [(a["person"], a["channel"], a["status"], a["detail"]) for a in p["attempts"]])
           for p in pages if p["outcome"] != "duplicate"], sent
    assert sorted(p["outcome"] for p in pages) == ["duplicate"] * 19 + ["sent"], why
    assert {p["id"] for p in pages} == {1}, why
    assert len(sent) == 1 and sent[0]["To"] == ["+14155550101"], why


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("creds", [
    {"TWILIO_AUTH_TOKEN": TOKEN},
    {"TWILIO_API_KEY": "SK" + "1" * 32, "TWILIO_API_SECRET": SECRET},
])
def test_no_credential_reaches_output_or_log(cli, folder, monkeypatch, tmp_path, creds, use_clock):
    use_clock(FakeClock(T0))
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_FROM": "+15005550006",
           "ONCALL_TWILIO_BASE_URL": f"http://127.0.0.1:{_closed_port()}"} | creds
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    r = cli("page", "ops", "-m", "db down", "--dir", str(folder), "--json")
    # Every request fails to connect: retried, logged, and nobody could be paged (exit 5).
    assert r.code == 5, r.err
    assert json.loads(r.out)["outcome"] == "failed" and "nobody could be paged" in r.err
    attempts = json.loads(r.out)["attempts"]
    assert {a["status"] for a in attempts} == {"error"}
    assert all("Twilio unreachable" in a["detail"] for a in attempts)
    shown = cli("pages", "show", "1").out + cli("pages", "show", "1", "--json").out
    secret = creds.get("TWILIO_AUTH_TOKEN") or creds["TWILIO_API_SECRET"]
    state = Path(os.environ["ONCALL_STATE_DIR"])
    stored = b"".join(p.read_bytes() for p in state.iterdir())
    assert secret not in r.out + r.err + shown
    assert secret.encode() not in stored


def test_missing_sender_is_exit_5_and_shows_no_secret(cli, folder, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    r = cli("page", "ops", "-m", "x", "--dir", str(folder))
    assert r.code == 5
    assert "TWILIO_FROM" in r.err and "TWILIO_MESSAGING_SERVICE_SID" in r.err
    assert TOKEN not in r.out + r.err


def test_credentials_repr_hides_the_secret():
    from oncall.paging.twilio import Credentials

    c = Credentials.from_env({"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
                              "TWILIO_FROM": "+15005550006"})
    assert TOKEN not in repr(c) and TOKEN not in str(c)
