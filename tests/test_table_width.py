"""Tables never cut what they show: piped output keeps every character of a cell, and
on a narrow terminal cells wrap instead of being elided."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import BUNDLED, write_folder

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_PEOPLE = """
[people.ann]
name = "Alexandra Maria Konstantinopoulou-Featherstonehaugh de la Cruz y Montenegro"
phone = "+14155550111"
[people.ben]
name = "Ben Cho"
phone = "+14155550112"
"""
LONG_ROTATION = """
timezone = "America/New_York"
[[layer]]
name = "primary-follow-the-sun-weekly-2026"
members = ["ann", "ben"]
start = 2026-01-05T09:00:00
every = "1w"
"""


def test_piped_tables_wider_than_the_old_200_columns_are_not_cut(cli, tmp_path):
    # Scripts grep piped output; Rich used to shorten cells to fit 200 columns ("09:…").
    folder = write_folder(tmp_path / "r", {"people.toml": LONG_PEOPLE,
                                           "customer-facing-platform-primary.toml": LONG_ROTATION})
    r = cli("shifts", "--dir", str(folder), "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z",
            "--tz", "America/New_York")
    assert r.code == 0, r.err
    assert "…" not in r.out
    rows = [line for line in r.out.splitlines() if "customer-facing-platform-primary" in line]
    assert len(rows) == 2  # one line per shift
    assert "Alexandra Maria Konstantinopoulou-Featherstonehaugh de la Cruz y Montenegro (ann)" in rows[0]
    assert "Mon 2026-03-09 09:00 EDT" in rows[0] and "layer:primary-follow-the-sun-weekly-2026" in rows[0]


@pytest.mark.parametrize("command", [
    ("now", "--at", "2026-03-08T12:00Z"),
    ("shifts", "platform", "--from", "2026-03-08T12:00Z", "--days", "14"),
])
def test_on_an_80_column_terminal_tables_wrap_instead_of_hiding_cells(cli, monkeypatch, command):
    # At 80 columns `oncall now` showed an empty Rotation column and times cut to "Mon 2026-03-02…".
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    r = cli(*command, "--dir", str(BUNDLED), "--tz", "America/New_York")
    assert r.code == 0, r.err
    out = ANSI.sub("", r.out)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "platform" in out
    words = set(out.split())
    assert {"2026-03-09", "09:00", "EDT"} <= words
