"""`oncall import grafana`: fixtures in Grafana OnCall's public API shapes, verified against
the final shifts its documented semantics give (tests/import_reference.py), one named test
per Grafana trap, refusals, escalation chains, pages and determinism."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from import_reference import grafana_final_shifts
from test_import_pagerduty import _now, _tree, mf

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GF = Path(__file__).resolve().parent / "fixtures" / "import" / "grafana"
NAMES = sorted(mf.GRAFANA)
IDS = {"weekly": "sre-weekly", "daily-by-day": "office-days", "levels": "payments", "overrides": "search",
       "weekend": "weekend", "dst-south": "apac"}
WINDOW = tuple(datetime.fromisoformat(x).replace(tzinfo=timezone.utc) for x in (mf.GF_SINCE, mf.GF_UNTIL))


def _write(tmp_path: Path, name: str, doc: dict) -> str:
    path = tmp_path / "dump" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _one(cli, tmp_path, name: str, shifts: list[dict], zone: str = "UTC", since: str = "2026-03-02",
         until: str = "2026-03-16", extra=()):
    """Import one constructed schedule of ``shifts`` into tmp_path/out, with the final
    shifts Grafana's semantics give over ``[since, until)``."""
    sched = {"id": "STRAP0000001", "team_id": None, "name": name, "type": "web", "time_zone": zone,
             "on_call_now": [], "shifts": [s["id"] for s in shifts]}
    a, b = (datetime.fromisoformat(x).replace(tzinfo=timezone.utc) for x in (since, until))
    final = grafana_final_shifts(sched, shifts, mf.GF_BY_ID, a, b)
    files = [_write(tmp_path, "users.json", mf.gf_users_doc()), _write(tmp_path, "schedules.json", mf.gf_page([sched])),
             _write(tmp_path, "on_call_shifts.json", mf.gf_page(shifts)),
             _write(tmp_path, f"final_shifts.STRAP0000001.{since}.{until}.json", mf.gf_page(final))]
    return cli("import", "grafana", *files, "-o", str(tmp_path / "out"), *extra), final


def _all(cli, tmp_path, out="out"):
    r = cli("import", "grafana", *sorted(str(p) for p in GF.glob("*.json")), "-o", str(tmp_path / out))
    assert r.code == 0, r.out + r.err
    return r, tmp_path / out


# ---------------------------------------------------------------- fixtures and --verify

@pytest.mark.parametrize("name", NAMES)
def test_fixture_carries_the_final_shifts_of_grafanas_documented_semantics(name):
    sched, shifts, final = mf.GRAFANA[name]
    stored = json.loads((GF / f"final_shifts.{sched['id']}.{mf.GF_SINCE}.{mf.GF_UNTIL}.json").read_text())
    assert stored["results"] == grafana_final_shifts(sched, shifts, mf.GF_BY_ID, *WINDOW) == final["results"]
    assert stored["results"], name


def test_fixtures_import_and_verify_identical_over_42_days(cli, tmp_path):
    r, out = _all(cli, tmp_path)
    for name in NAMES:
        assert f"{IDS[name]}: identical over 42.00 days to the platform's own rendered schedule" in r.out, r.out
    check = cli("check", "--dir", str(out), "--from", "2026-03-02T00:00Z", "--days", "7", "--json")
    gaps = {p["rotation"] for p in json.loads(check.out)["problems"] if p["kind"] == "gap"}
    assert gaps == {"office-days", "weekend"}  # the only schedules with hours nobody covers in Grafana


def test_altered_copy_fails_with_the_differing_minutes(cli, tmp_path):
    sched, shifts, final = mf.GRAFANA["weekly"]
    final = json.loads(json.dumps(final))
    e = final["results"][1]
    e["user_pk"] = mf.G5
    files = [str(p) for p in GF.glob("*.json") if "final_shifts" not in p.name]
    files.append(_write(tmp_path, f"final_shifts.{sched['id']}.{mf.GF_SINCE}.{mf.GF_UNTIL}.json", final))
    r = cli("import", "grafana", *files, "-o", str(tmp_path / "out"))
    assert r.code == 1, r.out + r.err
    a, b = (datetime.fromisoformat(e[k].replace("Z", "+00:00")) for k in ("shift_start", "shift_end"))
    minutes = int((b - a).total_seconds() // 60)
    assert f"sre-weekly: differs from the platform's rendered schedule in {minutes} minutes:" in r.out
    assert f"{a:%Y-%m-%dT%H:%MZ} to {b:%Y-%m-%dT%H:%MZ} ({minutes} min): theirs eli, ours chen" in r.out, r.out


# ---------------------------------------------------------------- one test per Grafana trap

def test_trap_week_start_defaults_to_sunday(cli, tmp_path):
    # by_day SA,SU with no week_start: Grafana's weeks run Sunday to Saturday, so a
    # Saturday and the Sunday after it belong to two turns (two people).
    _, out = _all(cli, tmp_path)
    assert "turns are weeks from sun (week_start SU, Grafana default)" in (out / "weekend.toml").read_text()
    assert _now(cli, out, "2026-03-07T12:00Z") != _now(cli, out, "2026-03-08T12:00Z")
    sat, sun = ({x["rotation"]: x["person"] for x in json.loads(
        cli("now", "--dir", str(out), "--at", t, "--json").out)}["weekend"] for t in ("2026-03-07T12:00Z",
                                                                                    "2026-03-08T12:00Z"))
    assert (sat, sun) == ("dara", "alex")
    # The same shift with week_start MO keeps each weekend together.
    shift = dict(mf.GRAFANA["weekend"][1][0], week_start="MO")
    (tmp_path / "mo").mkdir()
    r, _ = _one(cli, tmp_path / "mo", "Weekend", [shift], zone="Europe/London")
    assert r.code == 0 and "identical over 14.00 days" in r.out, r.out + r.err
    mo = tmp_path / "mo" / "out"
    assert "turns are weeks from mon (week_start MO)" in (mo / "weekend.toml").read_text()
    assert _now(cli, mo, "2026-03-07T12:00Z") == _now(cli, mo, "2026-03-08T12:00Z") == "dara"


def test_trap_a_higher_level_wins(cli, tmp_path):
    # The level-1 business-hours shift is listed first; it still wins where both cover.
    _, out = _all(cli, tmp_path)
    text = (out / "payments.toml").read_text()
    assert text.index("level 0") < text.index("level 1")  # our last layer wins
    now = {t: {x["rotation"]: x["person"] for x in json.loads(cli("now", "--dir", str(out), "--at", t,
                                                                   "--json").out)}["payments"]
           for t in ("2026-03-03T10:00Z", "2026-03-03T20:00Z")}
    assert now == {"2026-03-03T10:00Z": "chen", "2026-03-03T20:00Z": "alex"}  # week 8 of both


def test_trap_per_shift_time_zone_keeps_its_own_clock(cli, tmp_path):
    # Business hours are 09:00-17:00 London in a UTC schedule: after 2026-03-29 (BST) they
    # are 08:00-16:00 UTC.
    _, out = _all(cli, tmp_path)
    assert 'timezone = "Europe/London"' in (out / "payments.toml").read_text()

    def payments(t):
        return {x["rotation"]: x["person"] for x in json.loads(cli("now", "--dir", str(out), "--at", t,
                                                                    "--json").out)}["payments"]
    assert payments("2026-03-31T08:30Z") == "chen" and payments("2026-03-31T16:30Z") == "alex"


def test_trap_daily_by_day_turns_skip_the_days_not_listed(cli, tmp_path):
    # Mon-Fri turns: Friday's person hands to the next on Monday, the weekend is no turn.
    _, out = _all(cli, tmp_path)
    people = [json.loads(cli("now", "office-days", "--dir", str(out), "--at", t, "--json").out)[0]["person"]
              for t in ("2026-03-05T10:00Z", "2026-03-06T10:00Z", "2026-03-09T10:00Z")]
    assert people == ["dara", "bea", "chen"]  # weekdays 23, 24, 25 from 2026-02-02 of (bea, chen, dara)


def test_trap_rotation_start_after_start_keeps_the_turn_order(cli, tmp_path):
    # Daily turns from 2026-03-02 09:00 (alex, bea, chen); on call only from the first
    # turn that starts at or after rotation_start 2026-03-04 12:00: 03-05, turn 3, alex's.
    shift = mf.gf_shift("OTRAP0000001", "Daily", "rolling_users", "2026-03-02T09:00:00", 86400,
                        [[mf.G1], [mf.G2], [mf.G3]], frequency="daily", rotation_start="2026-03-04T12:00:00")
    r, final = _one(cli, tmp_path, "Late", [shift])
    assert r.code == 0 and "identical over 14.00 days" in r.out, r.out + r.err
    assert final[0]["shift_start"] == "2026-03-05T09:00:00Z" and final[0]["user_pk"] == mf.G1
    assert _now(cli, tmp_path / "out", "2026-03-05T08:59Z") is None
    assert _now(cli, tmp_path / "out", "2026-03-05T09:00Z") == "alex"


def test_trap_until_lets_the_last_event_run_to_its_end(cli, tmp_path):
    # until (UTC) falls inside the 09:00-17:00 event of 2026-03-04: that event is whole.
    shift = mf.gf_shift("OTRAP0000002", "Days", "rolling_users", "2026-03-02T09:00:00", 8 * 3600,
                        [[mf.G1], [mf.G2]], frequency="daily", until="2026-03-04T12:00:00")
    r, final = _one(cli, tmp_path, "Ending", [shift])
    assert r.code == 0 and "identical over 14.00 days" in r.out, r.out + r.err
    assert final[-1]["shift_end"] == "2026-03-04T17:00:00Z"
    assert _now(cli, tmp_path / "out", "2026-03-04T16:59Z") == "alex"
    assert _now(cli, tmp_path / "out", "2026-03-05T10:00Z") is None


def test_trap_a_group_of_several_users_is_noted_and_verify_lists_the_minutes(cli, tmp_path):
    shift = mf.gf_shift("OTRAP0000003", "Pairs", "rolling_users", "2026-03-02T00:00:00", 7 * 86400,
                        [[mf.G1, mf.G2], [mf.G3]], frequency="weekly", week_start="MO")
    r, _ = _one(cli, tmp_path, "Pairs", [shift])
    assert "Grafana shift OTRAP0000003 puts 2 users on call at once" in r.out
    assert r.code == 1
    assert "2026-03-02T00:00Z to 2026-03-09T00:00Z (10080 min): theirs alex+bea, ours alex" in r.out, r.out


def test_trap_one_level_puts_everyone_on_call_at_once(cli, tmp_path):
    a = mf.gf_shift("OTRAP0000004", "A", "rolling_users", "2026-03-02T00:00:00", 86400, [[mf.G1]], frequency="daily")
    b = mf.gf_shift("OTRAP0000005", "B", "single_event", "2026-03-03T10:00:00", 3600, [mf.G2])
    r, _ = _one(cli, tmp_path, "Same level", [a, b])
    assert "Grafana puts everyone whose shift of one level covers a moment on call at once" in r.out
    assert r.code == 1
    assert "2026-03-03T10:00Z to 2026-03-03T11:00Z (60 min): theirs alex+bea, ours bea" in r.out, r.out
    b["level"] = 1
    r, _ = _one(cli, tmp_path, "Same level", [a, b], extra=("--force",))
    assert r.code == 0 and "identical over" in r.out, r.out


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"frequency": "monthly"}, "frequency", "'monthly' turns have no translation"),
    ({"by_monthday": [1, 15]}, "by_monthday", "turns limited to some months or days of the month"),
    ({"duration": 2 * 86400}, "duration", "events longer than their turn (1d) overlap"),
    ({"interval": 2, "duration": 8 * 3600}, "duration", "a turn of 2d on call for only its first 8h"),
    ({"duration": 90}, "duration", "90 seconds: our times are whole minutes"),
    ({"start": "2026-03-02 09:00"}, "start", "is not a wall time yyyy-MM-ddTHH:mm:ss"),
])
def test_constructs_without_a_faithful_translation_are_refused(cli, tmp_path, change, path, words):
    shift = mf.gf_shift("OTRAP0000006", "Odd", "rolling_users", "2026-03-02T09:00:00", 86400, [[mf.G1]],
                        frequency="daily") | change
    r, _ = _one(cli, tmp_path, "Odd", [shift]) if change.get("frequency") != "monthly" else (None, None)
    if r is None:  # the reference does not render monthly turns: import without final shifts
        files = [_write(tmp_path, "users.json", mf.gf_users_doc()), _write(tmp_path, "s.json", mf.gf_page([{
            "id": "STRAP0000001", "name": "Odd", "type": "web", "time_zone": "UTC", "shifts": [shift["id"]]}])),
            _write(tmp_path, "o.json", mf.gf_page([shift]))]
        r = cli("import", "grafana", *files, "-o", str(tmp_path / "out"))
    assert r.code == 3 and r.out == "", r.out
    assert f"on_call_shifts.json: $.results[0].{path}: " in r.err or f"o.json: $.results[0].{path}: " in r.err, r.err
    assert words in r.err and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the written folder

def test_escalation_chain_steps_with_their_waits(cli, tmp_path):
    _, out = _all(cli, tmp_path)
    text = (out / "sre-weekly.toml").read_text()
    assert "# Grafana OnCall escalation chain F5JU6KJET33F1" in text
    assert tomllib.loads(text)["escalation"] == [{"who": "sre-weekly", "wait": "10m"}, {"who": "dara", "wait": "15m"},
                                                 {"who": "eli"}]


def test_import_is_byte_identical_twice_and_writes_only_inside_out(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    _, a = _all(cli, tmp_path, "a")
    _, b = _all(cli, tmp_path, "b")
    assert _tree(a) == _tree(b) and len(_tree(a)) == 1 + len(NAMES)
    created = {p for p in set(tmp_path.rglob("*")) - before if not str(p).startswith(str(tmp_path / "state"))}
    assert created <= {a, b, *a.rglob("*"), *b.rglob("*")}
    assert "# Grafana OnCall user U1DNY931HHJS1" in (a / "people.toml").read_text()


def test_users_on_two_pages_are_merged_and_a_missing_page_is_refused(cli, tmp_path):
    users = mf.gf_users_doc()["results"]
    pages = [mf.gf_page(users[:3], 1, 2, 3), mf.gf_page(users[2:], 2, 2, 3)]  # the second overlaps by one
    rest = [str(p) for p in GF.glob("*.json") if p.name != "users.json"]
    r = cli("import", "grafana", *rest, _write(tmp_path, "u1.json", pages[0]), _write(tmp_path, "u2.json", pages[1]),
            "-o", str(tmp_path / "out"))
    assert r.code == 0 and r.out.count("identical over") == len(NAMES), r.out + r.err
    r = cli("import", "grafana", *rest, _write(tmp_path, "u1.json", pages[0]), "-o", str(tmp_path / "none"))
    assert r.code == 3 and "u1.json: $.total_pages: page 2 of 2 of the users is missing" in r.err, r.err
    assert not (tmp_path / "none").exists()


def test_an_ical_schedule_is_named_and_not_written(cli, tmp_path):
    ical = {"id": "SICAL0000001", "name": "Outside", "type": "ical", "team_id": None,
            "ical_url_primary": "https://example.com/meow_calendar.ics", "ical_url_overrides": None}
    files = [str(p) for p in GF.glob("*.json") if p.name != "schedules.json"]
    scheds = mf.gf_page([*json.loads((GF / "schedules.json").read_text())["results"], ical])
    r = cli("import", "grafana", *files, _write(tmp_path, "schedules.json", scheds), "-o", str(tmp_path / "out"))
    assert r.code == 0, r.out + r.err
    assert "Grafana OnCall schedule SICAL0000001 is an iCal schedule" in r.out and "not written" in r.out
    assert not (tmp_path / "out" / "outside.toml").exists()
