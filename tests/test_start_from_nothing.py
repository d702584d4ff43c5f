"""Issue 14 item 1 and item 3: starting a data folder from nothing, finding it from
anywhere inside the repository, and `now` telling "outside coverage" from a gap."""

from __future__ import annotations

import sys

import pytest
from conftest import BUNDLED

AT_NIGHT = "2027-01-05T20:00Z"  # Tuesday 21:00 in Berlin: support is outside its coverage


@pytest.fixture
def terminal(monkeypatch):
    """Stdout looks like a colour terminal, so styles reach the output."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def patch():
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    return patch


def test_now_says_outside_coverage_in_a_neutral_style_and_a_gap_in_red(cli, terminal, tmp_path):
    terminal()
    off = cli("now", "support", "--at", AT_NIGHT, "--dir", str(BUNDLED))
    assert off.code == 0, off.err
    assert "outside coverage" in off.out and "NO ONE ON CALL" not in off.out
    assert "\x1b[31m" not in off.out and ";31m" not in off.out  # no red anywhere
    terminal()
    gap = cli("now", "platform", "--at", "2025-06-01T00:00Z", "--dir", str(BUNDLED))
    assert "NO ONE ON CALL" in gap.out and "31m" in gap.out


# ------------------------------------------------------------------ a fresh folder


def test_new_person_and_new_rotation_start_an_empty_folder(cli, tmp_path):
    root = tmp_path / "rotations"
    root.mkdir()
    d = ("--dir", str(root))
    r = cli("new", "person", "ann", "--name", "Ann Lee", "--phone", "+14155550111", *d)
    assert r.code == 0, r.err
    assert (root / "people.toml").read_text() == '[people.ann]\nname = "Ann Lee"\nphone = "+14155550111"\n'
    assert cli("new", "person", "bo", "--name", "Bo Ek", "--phone", "+14155550112", *d).code == 0
    r = cli("new", "rotation", "desk", "--timezone", "Europe/Berlin", "--members", "ann,bo", "--every", "1w",
            "--start", "2026-11-30T09:00", "--coverage", "mon-fri 09:00-17:00", *d)
    assert r.code == 0, r.err
    text = (root / "desk.toml").read_text()
    assert 'coverage = ["mon-fri 09:00-17:00"]' in text and 'only = ["mon-fri 09:00-17:00"]' in text
    r = cli("check", "--from", "2026-12-01T00:00Z", "--days", "28", "--json", *d)
    assert (r.code, r.out.split()) == (0, '{ "problems": [], "warnings": [] }'.split())
    r = cli("now", "--at", "2026-12-01T20:00Z", "--json", *d)
    assert '"in_coverage": false' in r.out and '"reachable": true' in r.out


@pytest.mark.parametrize("people", ["", "[people]\n", "# nobody yet\n"])
def test_new_rotation_needs_no_existing_rotation_and_new_person_no_person(cli, tmp_path, people):
    root = tmp_path / "team"
    root.mkdir()
    (root / "people.toml").write_text(people)
    r = cli("new", "person", "ann", "--name", "Ann", "--phone", "+14155550111", "--dir", str(root))
    assert r.code == 0, r.err
    assert (root / "people.toml").read_text().startswith(people)
    r = cli("new", "rotation", "ops", "--timezone", "UTC", "--members", "ann", "--every", "1d",
            "--start", "2026-11-30T00:00Z", "--dir", str(root))
    assert r.code == 0, r.err
    assert cli("now", "--at", "2026-12-01T00:00Z", "--dir", str(root), "--json").out.count('"person": "ann"') == 1


def test_a_folder_without_rotations_still_says_so_to_read_commands(cli, tmp_path):
    root = tmp_path / "team"
    root.mkdir()
    (root / "people.toml").write_text("[people]\n")
    r = cli("now", "--dir", str(root))
    assert r.code == 3 and "no rotation files" in r.err and "oncall new rotation" in r.err
    r = cli("now", "--dir", str(tmp_path / "nowhere"))
    assert r.code == 3 and "no such folder" in r.err and "oncall init" in r.err
