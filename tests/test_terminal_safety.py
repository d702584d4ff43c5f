"""Issue 15 item 11: text from files reaches the terminal with every control character
escaped, in every table and message line that shows it."""

from __future__ import annotations

import pytest
from conftest import write_folder

EVIL = "\\u001b[2J\\u001b]0;pwned\\u0007Eve\\u2028forged"
PEOPLE = f'''
[people.eve]
name = "{EVIL}"
phone = "+14155550101"
[[people.eve.away]]
start = 2026-03-10
end = 2026-03-11
note = "{EVIL}"
[people.bob]
name = "Bob"
phone = "+14155550102"
'''
ROT = f'''
name = "{EVIL}"
timezone = "UTC"
[[layer]]
name = "main"
members = ["eve", "bob"]
start = 2026-03-02T00:00:00
every = "1d"
[[override]]
who = "bob"
start = 2026-03-05T00:00:00
end = 2026-03-06T00:00:00
note = "{EVIL}"
'''

COMMANDS = {
    "now": ["now", "--at", "2026-03-02T12:00Z"],
    "shifts": ["shifts", "--from", "2026-03-02T00:00Z", "--days", "7"],
    "report": ["report", "--month", "2026-03"],
    "timeline": ["timeline", "--from", "2026-03-02T00:00Z", "--days", "2"],
    "override-list": ["override", "list", "ops"],
    "away-list": ["away", "list"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_names_and_notes_from_files_cannot_drive_the_terminal(cli, tmp_path, name):
    root = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "ops.toml": ROT})
    r = cli(*COMMANDS[name], "--dir", str(root), "--tz", "UTC")
    assert r.code == 0, r.err
    assert not any(ch in r.out for ch in "\x1b\x07\u2028"), r.out
    if name in ("now", "shifts", "report", "timeline", "away-list"):
        assert "\\x1b[2J\\x1b]0;pwned\\x07Eve\\u2028forged" in r.out


def test_svg_timeline_of_hostile_names_is_well_formed_xml(cli, tmp_path):
    """Issue 15 item 2 (SVG): control characters from files never reach the SVG."""
    import xml.etree.ElementTree as ET

    root = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "ops.toml": ROT})
    svg = tmp_path / "t.svg"
    r = cli("timeline", "--from", "2026-03-02T00:00Z", "--days", "2", "--svg", str(svg), "--dir", str(root),
            "--tz", "UTC")
    assert r.code == 0, r.err
    text = svg.read_text(encoding="utf-8")
    ET.fromstring(text)
    assert not any(ch in text for ch in "\x1b\x07\u2028")
