"""``oncall timeline``: the grid, gaps, the now marker and the SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from conftest import BUNDLED, write_folder

from oncall.cli.report import slots
from oncall.load import load_directory

UTC = timezone.utc

PEOPLE = """
[people.ann]
name = "Ann Lee"
phone = "+14155550101"
[people.ben]
name = "Ben Ode"
phone = "+14155550102"
"""
# Covered 24/7, but the layer only runs 00:00-20:00: a gap every evening.
HOLES = """
timezone = "UTC"
[[layer]]
name = "day"
members = ["ann", "ben"]
start = 2026-03-02T00:00:00
every = "1d"
only = ["daily 00:00-20:00"]
"""


def test_rotation_rows_show_people_and_gaps(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "holes.toml": HOLES})
    r = cli("timeline", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "2", "--tz", "UTC")
    assert r.code == 0, r.err
    # Two days at 30-minute columns: ann 00:00-20:00, a 4-hour gap, then ben.
    row = next(line for line in r.out.splitlines() if line.startswith("holes"))
    cells = row[len("holes") + 1:]
    assert cells == "A" * 40 + "!" * 8 + "B" * 40 + "!" * 8
    assert "Ann Lee (ann)" in r.out and "Ben Ode (ben)" in r.out and "nobody on call" in r.out


def test_by_person_rows_and_a_gaps_row(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "holes.toml": HOLES})
    r = cli("timeline", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "2", "--tz", "UTC",
            "--by-person")
    rows = {line.split(" ")[0]: line[6:] for line in r.out.splitlines() if line[:5] in ("ann  ", "ben  ", "gaps ")}
    assert rows["ann"].rstrip() == "A" * 40
    assert rows["ben"].rstrip() == " " * 48 + "B" * 40
    assert rows["gaps"].rstrip() == " " * 40 + "!" * 8 + " " * 40 + "!" * 8


def test_now_is_marked(cli, tmp_path, use_clock):
    use_clock(datetime(2026, 3, 2, 5, 10, tzinfo=UTC))
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "holes.toml": HOLES})
    r = cli("timeline", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "2", "--tz", "UTC")
    marker = next(line for line in r.out.splitlines() if "▼ now" in line)
    assert marker.index("▼") == len("holes ") + 10  # the 05:00-05:30 column
    assert "▼ now Mon 2026-03-02 05:10 UTC" in marker
    r = cli("timeline", "--dir", str(root), "--from", "2026-03-05T00:00Z", "--days", "2", "--tz", "UTC")
    assert "▼" not in r.out  # now is outside the picture


def test_columns_follow_the_wall_clock_across_dst():
    ny = ZoneInfo("America/New_York")
    cols = slots(datetime(2026, 3, 8, 5, tzinfo=UTC), 1, ny)  # Sunday 00:00 EST, springs forward at 02:00
    assert len(cols) == 48 and cols[-1][1] == datetime(2026, 3, 9, 4, tzinfo=UTC)  # Monday 00:00 EDT
    assert [b - a for a, b in cols].count(cols[0][1] - cols[0][0]) == 46  # two columns in the skipped hour
    assert sum(a == b for a, b in cols) == 2


def test_svg_is_well_formed_and_names_everyone(cli, tmp_path):
    # Four weeks from 7 Dec 2026: everyone on call in the bundled rotations, named in the legend.
    args = ["--dir", str(BUNDLED), "--from", "2026-12-07T00:00Z", "--days", "28", "--tz", "UTC"]
    svg = tmp_path / "t.svg"
    r = cli("timeline", *args, "--svg", str(svg))
    assert r.code == 0, r.err
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = "".join(root.itertext()).replace("\xa0", " ")
    shifts = json.loads(cli("shifts", *args, "--json").out)
    names = {s["person"] for s in shifts}
    people = load_directory(BUNDLED).people
    assert names == set(people) - {"noor"}  # noor is only an escalation step
    for pid in names:
        assert f"{people[pid].name} ({pid})" in text
    assert "nobody on call" in text


def test_bad_days_is_a_usage_error(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "holes.toml": HOLES})
    r = cli("timeline", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "0")
    assert r.code == 2 and "--days" in r.err
