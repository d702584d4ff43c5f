"""Escalation coverage (``no-step-reachable``) and ``check --suggest``."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta, timezone

from conftest import write_folder

from oncall.coverage import check
from oncall.load import load_directory
from oncall.schedule import final_schedule

UTC = timezone.utc


def person(pid: str, away: tuple[str, str] | None = None, phone: bool = True) -> str:
    n = sum(map(ord, pid)) % 100
    text = f'[people.{pid}]\nname = "{pid.title()}"\n' + (f'phone = "+141555501{n:02d}"\n' if phone else "")
    if away:
        text += f"[[people.{pid}.away]]\nstart = {away[0]}\nend = {away[1]}\n"
    return text


# ---------------------------------------------------------------- escalation coverage

ESCALATED = """
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["ann", "ben"]
start = 2026-03-02T00:00:00
every = "1w"
[[escalation]]
who = "web"
[[escalation]]
who = "boss"
"""


def test_no_step_reachable_is_where_every_step_is_away(tmp_path):
    # ann (on call the first week) is away 3-6 March; the boss is away 5-8 March.
    people = person("ann", ("2026-03-03", "2026-03-06")) + person("ben") + person("boss", ("2026-03-05", "2026-03-08"))
    d = load_directory(write_folder(tmp_path, {"people.toml": people, "web.toml": ESCALATED}))
    a = datetime(2026, 3, 2, tzinfo=UTC)
    report = check(d, ["web"], a, a + timedelta(days=14))
    found = [(f.reason, f.person, f.start, f.end) for f in report.problems]
    assert found == [
        ("away", "ann", datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)),
        ("no-step-reachable", None, datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)),
    ]


def test_a_reachable_later_step_means_no_escalation_problem(tmp_path):
    people = person("ann", ("2026-03-03", "2026-03-06")) + person("ben") + person("boss")
    d = load_directory(write_folder(tmp_path, {"people.toml": people, "web.toml": ESCALATED}))
    a = datetime(2026, 3, 2, tzinfo=UTC)
    report = check(d, ["web"], a, a + timedelta(days=14))
    assert [f.reason for f in report.problems] == ["away"]  # ann still reported, escalation fine


def test_no_step_reachable_in_json(cli, tmp_path):
    people = person("ann") + person("ben") + person("boss", phone=False)
    gappy = ESCALATED.replace('every = "1w"', 'every = "1w"\nonly = ["daily 00:00-23:00"]')
    root = write_folder(tmp_path, {"people.toml": people, "web.toml": gappy})
    r = cli("check", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "1", "--json")
    assert r.code == 1
    problems = json.loads(r.out)["problems"]
    assert {"rotation": "web", "kind": "unreachable", "person": None, "reason": "no-step-reachable",
            "start": "2026-03-02T23:00:00+00:00", "end": "2026-03-03T00:00:00+00:00"} in problems
    assert [p["kind"] for p in problems] == ["gap", "unreachable"]


# ---------------------------------------------------------------- suggestions

# A daily rotation of four with a one-day hole on 16 March (layer 1 ends, layer 2 starts
# a day later). Loads over 2-20 March: ann 5 days, ben 5, cat 4, dan 3 — but cat is away
# on the 16th and, in the second case, dan is on call in "db" then.
WEB = """
timezone = "UTC"
[[layer]]
name = "first"
members = ["ann", "ben", "cat", "dan"]
start = 2026-03-02T00:00:00
every = "1d"
until = 2026-03-16T00:00:00
[[layer]]
name = "second"
members = ["ann", "ben", "cat", "dan"]
start = 2026-03-17T00:00:00
every = "1d"
"""
DB = """
timezone = "UTC"
[[layer]]
name = "one"
members = ["{who}"]
start = 2026-03-16T10:00:00
every = "2h"
until = 2026-03-16T12:00:00
"""
FROM, DAYS = "2026-03-02T00:00Z", "18"
HOLE = (datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 17, tzinfo=UTC))


def folder(tmp_path, db_who: str):
    people = person("ann") + person("ben") + person("cat", ("2026-03-16", "2026-03-17")) + person("dan") + person("eve")
    return write_folder(tmp_path / "d", {"people.toml": people, "web.toml": WEB, "db.toml": DB.format(who=db_who)})


def suggestions(cli, root, *rot):
    r = cli("check", *rot, "--dir", str(root), "--from", FROM, "--days", DAYS, "--suggest", "--json")
    assert r.code == 1, r.err
    return json.loads(r.out)["suggestions"]


def assert_available_and_least_loaded(root, name: str):
    d = load_directory(root)
    a = datetime(2026, 3, 2, tzinfo=UTC)
    b = a + timedelta(days=18)
    schedules = {rid: final_schedule(r, a, b) for rid, r in d.rotations.items()}
    load = {p: sum((s.end - s.start for segs in schedules.values() for s in segs if s.person == p), timedelta())
            for p in d.people}

    def available(p):
        away = any(x.start < HOLE[1] and x.end > HOLE[0] for x in d.people[p].away)
        busy = any(s.person == p and s.start < HOLE[1] and s.end > HOLE[0]
                   for segs in schedules.values() for s in segs)
        return not away and not busy

    free = [p for p in d.rotations["web"].members if available(p)]
    assert name in free
    assert load[name] == min(load[p] for p in free)
    return load


def test_suggests_the_least_loaded_available_member(cli, tmp_path):
    root = folder(tmp_path, "eve")
    [s] = suggestions(cli, root, "web")
    assert (s["rotation"], s["kind"], s["person"], s["start"], s["end"]) == (
        "web", "gap", "dan", "2026-03-16T00:00:00+00:00", "2026-03-17T00:00:00+00:00")
    load = assert_available_and_least_loaded(root, "dan")
    assert load["cat"] < load["ann"] and s["load_hours"] == 72  # cat had less, but is away
    assert s["command"] == ("oncall override add web --who dan --from 2026-03-16T00:00:00+00:00 "
                            f"--to 2026-03-17T00:00:00+00:00 --dir {shlex.quote(str(root))}")


def test_does_not_suggest_someone_on_call_elsewhere(cli, tmp_path):
    root = folder(tmp_path, "dan")
    [s] = suggestions(cli, root, "web")
    assert s["person"] == "ann"  # dan is busy in db; ann and ben tie at 5 days: layer order
    assert_available_and_least_loaded(root, "ann")


def test_applying_the_suggested_override_removes_the_gap(cli, tmp_path):
    root = folder(tmp_path, "eve")
    [s] = suggestions(cli, root, "web")
    words = shlex.split(s["command"])
    opt = {words[i]: words[i + 1] for i in range(4, len(words), 2)}
    with open(root / "web.toml", "a") as f:
        f.write(f'\n[[override]]\nwho = "{opt["--who"]}"\nstart = {opt["--from"]}\nend = {opt["--to"]}\n')
    r = cli("check", "web", "--dir", str(root), "--from", FROM, "--days", DAYS, "--json")
    assert r.code == 0, r.out
    assert json.loads(r.out)["problems"] == []


def test_suggestion_for_an_unreachable_stretch_counts_earlier_picks(cli, tmp_path):
    # ann is away on her own day (the 14th is hers): an unreachable stretch, plus the hole.
    root = folder(tmp_path, "eve")
    people = (person("ann", ("2026-03-14", "2026-03-15")) + person("ben") + person("cat", ("2026-03-16", "2026-03-17"))
              + person("dan") + person("eve"))
    (root / "people.toml").write_text(people)
    got = suggestions(cli, root, "web")
    assert [(s["kind"], s["start"][:10], s["person"], s["load_hours"]) for s in got] == [
        ("unreachable", "2026-03-14", "dan", 72),  # dan is least loaded (3 days) ...
        ("gap", "2026-03-16", "dan", 96),  # ... and with 4 days still below ann and ben (5)
    ]
    for s in got:
        words = shlex.split(s["command"])
        with open(root / "web.toml", "a") as f:
            f.write(f'\n[[override]]\nwho = "{words[5]}"\nstart = {words[7]}\nend = {words[9]}\n')
    r = cli("check", "web", "--dir", str(root), "--from", FROM, "--days", DAYS, "--json")
    assert r.code == 0 and json.loads(r.out)["problems"] == []


def test_no_one_free_is_said_plainly(cli, tmp_path):
    people = person("ann", ("2026-03-01", "2026-04-01"))
    rot = 'timezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-03-02T00:00:00\nevery = "1w"\n'
    root = write_folder(tmp_path / "d", {"people.toml": people, "web.toml": rot})
    [s] = suggestions(cli, root)
    assert s["person"] is None and s["command"] is None and "no member is free" in s["reason"]
    r = cli("check", "--dir", str(root), "--from", FROM, "--days", "7", "--suggest")
    assert r.code == 1 and "no member is free" in r.out


def test_human_output_prints_a_ready_command(cli, tmp_path):
    root = folder(tmp_path, "eve")
    r = cli("check", "web", "--dir", str(root), "--from", FROM, "--days", DAYS, "--suggest", "--tz", "Europe/Paris")
    assert r.code == 1
    assert "oncall override add web --who dan --from 2026-03-16T01:00:00+01:00 --to 2026-03-17T01:00:00+01:00" in r.out


def test_the_suggested_command_runs_as_is(cli, tmp_path):
    root = folder(tmp_path, "eve")
    [s] = suggestions(cli, root, "web")
    r = cli(*shlex.split(s["command"])[1:])
    assert r.code == 0, r.err
    r = cli("check", "web", "--dir", str(root), "--from", FROM, "--days", DAYS, "--json")
    assert r.code == 0 and json.loads(r.out)["problems"] == []
    assert 'who = "dan"' in (root / "web.toml").read_text()
