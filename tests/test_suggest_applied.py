"""Issue 14 item 4: every ``check --suggest`` proposal, applied as printed, leaves
``check`` clean for its gap: whole minutes, the whole gap, no new warning, an awake
person where one exists, one layer for a recurring gap, the cause named."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime, timezone

import pytest
from conftest import write_folder

UTC = timezone.utc
NOW = datetime(2026, 3, 2, 0, 0, 41, 838568, tzinfo=UTC)  # "now" with seconds, as a real clock has


def people(*spec: tuple[str, str]) -> str:
    return "".join(f'[people.{pid}]\nname = "{pid.title()}"\nphone = "+1415555{n:04d}"\ntimezone = "{zone}"\n'
                   for n, (pid, zone) in enumerate(spec, 101))


TEAM = people(("ann", "UTC"), ("ben", "Europe/Berlin"), ("kim", "Asia/Tokyo"), ("lee", "America/Los_Angeles"))

FOLDERS = {
    # The day layer stops at 20:00 UTC: a four-hour hole every evening. lee (LA) is awake then.
    "restricted-daily": {"web.toml": """
timezone = "UTC"
[[layer]]
name = "day"
members = ["ann", "ben", "kim", "lee"]
start = 2026-03-02T00:00:00
every = "1d"
only = ["daily 00:00-20:00"]
"""},
    # Business hours only in a 24/7 rotation: nights and weekends are holes.
    "business-hours": {"web.toml": """
timezone = "Europe/Berlin"
[[layer]]
name = "office"
members = ["ann", "ben"]
start = 2026-03-02T09:00:00
every = "1w"
only = ["mon-fri 09:00-17:00"]
"""},
    # The only layer ends on the 10th: a gap that never ends.
    "until": {"web.toml": """
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["ann", "ben", "kim"]
start = 2026-03-02T00:00:00
every = "1w"
until = 2026-03-10T00:00:00
"""},
    # Version 2 starts 10 days after version 1 ends, past the end of the checked range.
    "hole-past-the-range": {"web.toml": """
timezone = "UTC"
[[layer]]
name = "main"
members = ["ann", "ben"]
start = 2026-03-02T00:00:00
every = "1w"
until = 2026-03-23T00:00:00
[[layer]]
name = "main-2"
members = ["kim", "lee"]
start = 2026-04-02T00:00:00
every = "1w"
"""},
    # A one-day hole before ben's week; ben and kim are the least loaded (7 days each), ben
    # comes first, but ben covering it would make 8 days on end.
    "hole-before-a-week": {"web.toml": """
timezone = "UTC"
[[layer]]
name = "main"
members = ["ann"]
start = 2026-03-02T00:00:00
every = "1w"
until = 2026-03-09T00:00:00
[[layer]]
name = "main-2"
members = ["ben", "kim", "ann"]
start = 2026-03-10T00:00:00
every = "1w"
"""},
}


def _check(cli, root, days="28"):
    r = cli("check", "--dir", str(root), "--from", "now", "--days", days, "--json", "--suggest", "--tz", "UTC")
    return r.code, json.loads(r.out)


@pytest.fixture
def gapped(tmp_path, use_clock):
    use_clock(NOW)

    def make(name: str):
        return write_folder(tmp_path / name, {"people.toml": TEAM, **FOLDERS[name]})

    return make


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_every_suggestion_applied_leaves_check_clean(cli, gapped, name):
    root = gapped(name)
    code, before = _check(cli, root)
    assert code == 1 and before["problems"] and before["suggestions"]
    for s in before["suggestions"]:
        assert s["command"], s
        assert not re.search(r"\d\d:\d\d:\d\d\.\d|:\d\d:(?!00)\d\d", s["command"]), s["command"]  # whole minutes
        r = cli(*shlex.split(s["command"])[1:])
        assert r.code == 0, (s["command"], r.out, r.err)
    code, after = _check(cli, root)
    assert code == 0 and after["problems"] == [], after["problems"]
    old = {(w["kind"], w["person"]) for w in before["warnings"]}
    assert [w for w in after["warnings"] if (w["kind"], w["person"]) not in old] == []


def test_a_recurring_gap_gets_one_layer_with_the_person_awake_then(cli, gapped):
    code, data = _check(cli, gapped("restricted-daily"))
    [s] = data["suggestions"]
    assert s["action"] == "layer" and s["covers"] == 28 and s["members"] == ["lee"]  # 12:00-16:00 in LA
    assert "--only 'daily 20:00-24:00'" in s["command"]
    assert s["cause"] == "layer 'day' is restricted to daily 00:00-20:00"


def test_business_hours_holes_get_one_layer_for_nights_and_weekends(cli, gapped):
    _, data = _check(cli, gapped("business-hours"))
    assert len(data["suggestions"]) == 1 and data["suggestions"][0]["action"] == "layer"
    assert "restricted to" in data["suggestions"][0]["cause"]


def test_a_gap_after_until_names_it_and_continues_the_layer(cli, gapped):
    _, data = _check(cli, gapped("until"))
    [s] = data["suggestions"]
    assert s["cause"] == "layer 'weekly' ends at 2026-03-10 00:00 UTC (its until)"
    assert s["command"].startswith("oncall layer add web --name weekly-2 --members ann,ben,kim "
                                   "--start 2026-03-02T00:00 "
                                   "--every 1w --from 2026-03-10T00:00:00+00:00 --after weekly")


def test_a_gap_cut_by_the_range_is_covered_whole_in_whole_minutes(cli, gapped):
    _, data = _check(cli, gapped("hole-past-the-range"))
    [s] = data["suggestions"]
    assert (s["start"], s["end"]) == ("2026-03-23T00:00:00+00:00", "2026-04-02T00:00:00+00:00")
    assert "--from 2026-03-23T00:00:00+00:00 --until 2026-04-02T00:00:00+00:00 --after main" in s["command"]
    assert s["cause"] == "layer 'main' ends at 2026-03-23 00:00 UTC (its until)"


def test_the_cover_creates_no_long_duty(cli, gapped):
    _, data = _check(cli, gapped("hole-before-a-week"))
    [s] = data["suggestions"]
    assert s["person"] == "kim"  # not ben, whose week starts at the end of the hole
