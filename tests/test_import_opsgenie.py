"""`oncall import opsgenie`: fixtures in the API's published shapes, verified against the
timeline Opsgenie's documented semantics give, and Opsgenie's own traps."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from import_reference import opsgenie_timeline
from test_import_pagerduty import _now

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
OG = HERE / "fixtures" / "import" / "opsgenie"
_spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "fixtures" / "import" / "make_fixtures.py")
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)
NAMES = sorted(mf.OPSGENIE)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _files(name: str) -> list[str]:
    return [str(OG / "users.json"), *sorted(str(p) for p in OG.glob(f"{name}.*.json"))]


def _import_docs(cli, tmp_path: Path, parts: dict, *extra):
    files = [tmp_path / "users.json"]
    files[0].write_text(json.dumps(mf.og_users_doc()))
    for part, doc in parts.items():
        files.append(tmp_path / f"s.{part}.json")
        files[-1].write_text(json.dumps(doc))
    return cli("import", "opsgenie", *map(str, files), "-o", str(tmp_path / "out"), *extra)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_carries_the_timeline_of_opsgenies_documented_semantics(name):
    s = json.loads((OG / f"{name}.schedule.json").read_text())["data"]
    ovs = json.loads((OG / f"{name}.overrides.json").read_text())["data"]
    t = json.loads((OG / f"{name}.timeline.json").read_text())["data"]
    got = opsgenie_timeline(s, ovs, _t(t["startDate"]), _t(t["endDate"]))
    for r in got:
        for p in r["periods"]:
            p["recipient"]["name"] = mf.OG_NAME[p["recipient"]["id"]]
    assert got == t["finalTimeline"]["rotations"]


@pytest.mark.parametrize("name", NAMES)
def test_fixture_imports_and_verifies_identical(cli, tmp_path, name):
    r = cli("import", "opsgenie", *_files(name), "-o", str(tmp_path / "out"))
    assert r.code == 0, r.out + r.err
    assert "identical over 42.00 days to the platform's own rendered schedule" in r.out, r.out


def test_altered_timeline_fails_with_the_differing_minutes(cli, tmp_path):
    parts = {p: json.loads((OG / f"weekly.{p}.json").read_text()) for p in ("schedule", "overrides", "timeline")}
    periods = parts["timeline"]["data"]["finalTimeline"]["rotations"][0]["periods"]
    periods[1]["recipient"] = {"type": "user", "id": mf.O4, "name": mf.OG_NAME[mf.O4]}
    r = _import_docs(cli, tmp_path, parts)
    assert r.code == 1
    a, b = _t(periods[1]["startDate"]), _t(periods[1]["endDate"])
    minutes = int((b - a).total_seconds() // 60)
    assert f"sre-primary: differs from the platform's rendered schedule in {minutes} minutes:" in r.out
    assert f"{a:%Y-%m-%dT%H:%MZ} to {b:%Y-%m-%dT%H:%MZ} ({minutes} min): theirs jack-wilson, ours" in r.out


def test_trap_rotations_are_additive_and_overlaps_are_reported(cli, tmp_path):
    # Two 24/7 rotations: Opsgenie pages both people at once; we can page one. The import
    # says so and --verify lists every overlapping minute (exit 1), never hiding it.
    parts = mf.og_schedule("a1b2c3d4-0099-4c8e-9a6f-000000000099", "Overlap", "UTC", [
        mf.og_rotation("r0000098-aaaa-4bbb-8ccc-000000000098", "A", "2026-03-02T00:00:00Z", "weekly", [mf.O1]),
        mf.og_rotation("r0000099-aaaa-4bbb-8ccc-000000000099", "B", "2026-03-02T00:00:00Z", "weekly", [mf.O2])],
        since="2026-03-02T00:00:00Z", until="2026-03-03T00:00:00Z")
    r = _import_docs(cli, tmp_path, parts)
    assert "Opsgenie pages everyone on call in any of its 2 rotations at once" in r.out
    assert r.code == 1
    assert ("2026-03-02T00:00Z to 2026-03-03T00:00Z (1440 min): theirs noah-becker+olivia-hart, ours noah-becker"
            in r.out), r.out


def test_trap_weekday_and_time_of_day_is_one_continuous_interval(cli, tmp_path):
    r = cli("import", "opsgenie", *_files("business-week"), "-o", str(tmp_path / "out"))
    assert r.code == 0, r.out
    out = tmp_path / "out"
    assert 'only = ["mon 08:00 - fri 18:00"]' in (out / "business-week.toml").read_text()
    assert _now(cli, out, "2026-03-04T02:00Z") == "noah-becker"  # Wednesday 03:00 Berlin (week 8 of 2): inside
    assert _now(cli, out, "2026-03-07T12:00Z") is None  # Saturday: outside


@pytest.mark.parametrize("shape", ["time-of-day list", "weekday singular"])
def test_old_and_new_restriction_shapes_are_both_read(cli, tmp_path, shape):
    if shape == "time-of-day list":
        tr = {"type": "time-of-day", "restrictions": [{"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}]}
        inside, outside = "2026-03-03T10:00Z", "2026-03-03T18:00Z"
    else:
        tr = {"type": "weekday-and-time-of-day", "restriction": {
            "startDay": "monday", "startHour": 8, "startMin": 0, "endDay": "friday", "endHour": 18, "endMin": 0}}
        inside, outside = "2026-03-04T02:00Z", "2026-03-07T12:00Z"
    parts = mf.og_schedule("a1b2c3d4-0098-4c8e-9a6f-000000000098", "Shapes", "UTC", [
        mf.og_rotation("r0000097-aaaa-4bbb-8ccc-000000000097", "A", "2026-03-02T00:00:00Z", "daily", [mf.O1],
                       restriction=tr)], since="2026-03-02T00:00:00Z", until="2026-03-09T00:00:00Z")
    r = _import_docs(cli, tmp_path, parts)
    assert r.code == 0 and "identical over 7.00 days" in r.out, r.out
    assert _now(cli, tmp_path / "out", inside) == "olivia-hart"
    assert _now(cli, tmp_path / "out", outside) is None


def test_an_override_scoped_to_some_rotations_is_named_in_a_note(cli, tmp_path):
    parts = json.loads((OG / "two-rotations.schedule.json").read_text())
    rot = parts["data"]["rotations"][0]
    ovs = mf.og({"_parent": {"id": parts["data"]["id"]}, "alias": "swap", "user": mf.og_participant(mf.O3),
                 "startDate": "2026-03-10T09:00:00Z", "endDate": "2026-03-10T10:00:00Z",
                 "rotations": [{"id": rot["id"], "name": rot["name"]}]})
    r = _import_docs(cli, tmp_path, {"schedule": parts, "overrides": ovs}, "--no-verify")
    assert r.code == 0
    assert "Opsgenie override 'swap' applies to some rotations only; written for the whole schedule" in r.out


def test_import_is_byte_identical_twice(cli, tmp_path):
    files = sorted(str(p) for p in OG.glob("*.json"))
    for out in ("a", "b"):
        assert cli("import", "opsgenie", *files, "-o", str(tmp_path / out)).code == 0
    tree = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert tree == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()} and len(tree) == 1 + len(NAMES)


# ---------------------------------------------------------------- people's phones and escalations

def _people(out: Path) -> dict:
    return tomllib.loads((out / "people.toml").read_text())["people"]


def test_contact_methods_give_phones_voice_first(cli, tmp_path):
    files = [*_files("weekly"), *sorted(str(p) for p in OG.glob("user.*.json"))]
    r = cli("import", "opsgenie", *files, "-o", str(tmp_path / "out"))
    assert r.code == 0 and "identical over" in r.out, r.out + r.err
    phones = {pid: p.get("phone") for pid, p in _people(tmp_path / "out").items()}
    # Olivia: voice; Noah: sms only; Ava: voice disabled, so her sms; Jack: none in the dump.
    assert phones == {"olivia-hart": "+447911123456", "noah-becker": "+4915112345678", "ava-singh": "+919812345678",
                      "jack-wilson": None}
    # The list's entry and the user's own GET are one person, whichever file comes first.
    again = cli("import", "opsgenie", *reversed(files), "-o", str(tmp_path / "again"))
    assert again.code == 0 and _people(tmp_path / "again") == _people(tmp_path / "out")


def test_trap_escalation_delays_count_from_the_alert_and_repeat_is_written_out(cli, tmp_path):
    # Rules at 0, 10 and 25 minutes after the alert: our waits are 10m and 15m; repeat
    # once, 5 minutes after the last rule: a second pass.
    r = cli("import", "opsgenie", *_files("weekly"), str(OG / "escalations.json"), "-o", str(tmp_path / "out"))
    assert r.code == 0, r.out + r.err
    text = (tmp_path / "out" / "sre-primary.toml").read_text()
    assert "# Opsgenie escalation e0000001-aaaa-4bbb-8ccc-000000000001" in text
    one = [{"who": "sre-primary", "wait": "10m"}, {"who": "jack-wilson", "wait": "15m"}]
    assert tomllib.loads(text)["escalation"] == [*one, {"who": "noah-becker", "wait": "5m"}, *one,
                                                 {"who": "noah-becker"}]


def test_escalation_rules_without_translation_are_named_in_notes(cli, tmp_path):
    parts = {p: json.loads((OG / f"weekly.{p}.json").read_text()) for p in ("schedule", "overrides", "timeline")}
    sched = {"type": "schedule", "name": "SRE Primary"}  # by name, as the API allows
    esc = mf.og([{"id": "e0000002-aaaa-4bbb-8ccc-000000000002", "name": "Odd", "rules": [
        mf.og_rule(5, sched, condition="if-not-closed"), mf.og_rule(1, {"type": "team", "name": "ops_team"}),
        mf.og_rule(2, sched, notify="next"), mf.og_rule(1, {"type": "user", "id": mf.O1}, unit="hours")]}])
    r = _import_docs(cli, tmp_path, parts | {"escalations": esc})
    assert r.code == 0, r.out + r.err
    assert "data[0].rules[1] pages a 'team' recipient, which has no translation: not written" in r.out
    assert "data[0].rules[2] pages the next on-call of a schedule, which has no translation: not written" in r.out
    assert "data[0].rules[0] escalates until the alert is closed; ours stop at an acknowledgement" in r.out
    assert "pages nobody for its first 5 minutes; our first step pages at once" in r.out
    steps = tomllib.loads((tmp_path / "out" / "sre-primary.toml").read_text())["escalation"]
    assert steps == [{"who": "sre-primary", "wait": "55m"}, {"who": "olivia-hart"}]  # 5 min, then 60 min
