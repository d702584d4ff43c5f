"""A channel added from the tests alone (this module, one ``register`` call) is accepted by
the loader and the JSON Schema and pages end to end through ``oncall page``."""

from __future__ import annotations

import importlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import write_folder

from oncall.paging import Sent, Status, channels
from oncall.paging.channels import ACK, Channel, PageText
from oncall.paging.fake import FakeClock, FakePager

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


class Pigeon(Channel):
    """Carries the page on paper; the pigeon comes back pecked when the person read it."""

    name = "pigeon"
    address = "email"  # any Person field will do: this one is not a phone

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.flights: dict[str, tuple[str, str, datetime]] = {}

    def send(self, pager, to: str, text: PageText, timeout: float | None = None) -> Sent:
        sid = f"PG{len(self.flights) + 1}"
        self.flights[sid] = (to, f"#{text.page_id} {text.label}: {text.message}", self.clock.now())
        return Sent(sid, "flying")

    def poll(self, pager, sid: str, timeout: float | None = None) -> Status:
        landed = self.clock.now() >= self.flights[sid][2] + timedelta(seconds=30)
        return Status("pecked" if landed else "flying")

    def verdict(self, status: Status) -> str | None:
        return ACK if status.status == "pecked" else None


@pytest.fixture
def pigeon(monkeypatch, use_clock):
    clock = use_clock(T0)
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager", FakePager)
    bird = channels.register(Pigeon(clock))
    yield bird
    channels.unregister("pigeon")


PEOPLE = """
[people.alice]
name = "Alice"
phone = "+14155550101"
email = "alice@example.com"
notify = ["pigeon"]
"""
OPS = """
name = "Ops"
timezone = "UTC"
[[layer]]
members = ["alice"]
start = 2026-01-05T09:00:00
every = "1w"
"""


def test_a_channel_registered_by_a_test_pages_end_to_end(cli, pigeon, tmp_path):
    folder = write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})
    r = cli("page", "ops", "-m", "disk full", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    page = json.loads(r.out)
    assert (page["outcome"], page["acknowledged_by"]) == ("acknowledged", "alice")
    assert [(a["channel"], a["sid"], a["status"]) for a in page["attempts"]] == [("pigeon", "PG1", "acknowledged")]
    assert list(pigeon.flights.values()) == [("alice@example.com", f"#{page['id']} ops: disk full", T0)]


def test_the_loader_and_the_schema_read_the_registry(cli, pigeon, tmp_path):
    folder = write_folder(tmp_path / "rot", {"people.toml": PEOPLE.replace('"pigeon"', '"owl"'), "ops.toml": OPS})
    r = cli("check", "--dir", str(folder), "--from", "2026-03-10T00:00Z", "--days", "1")
    assert r.code == 3
    assert "people.alice.notify: unknown channel 'owl' (use sms and/or voice and/or email and/or pigeon)" in r.err
    r = cli("schema", "people")
    notify = json.loads(r.out)["properties"]["people"]["additionalProperties"]["properties"]["notify"]
    assert notify["items"]["enum"] == ["sms", "voice", "email", "pigeon"]


def test_an_unregistered_channel_is_an_input_error(cli, tmp_path):
    folder = write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--dry-run")
    assert r.code == 3 and "people.alice.notify: unknown channel 'pigeon' (use sms and/or voice and/or email)" in r.err
