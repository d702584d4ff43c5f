"""`oncall import pagerduty`: fixtures in the API's published shapes, one named test per
PagerDuty trap, verification, determinism, merging, refusals and bad dumps."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from import_reference import pagerduty_render

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PD = HERE / "fixtures" / "import" / "pagerduty"
CORPUS = HERE / "corpus"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))
_spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "fixtures" / "import" / "make_fixtures.py")
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)
SCHEDULES = sorted(mf.PAGERDUTY)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _import(cli, tmp_path: Path, *docs, out: str = "out", extra=()):
    """Write ``docs`` ({name: json}) under tmp_path and import them into tmp_path/out."""
    files = []
    for n, doc in enumerate(docs):
        p = tmp_path / f"dump-{n}.json"
        p.write_text(json.dumps(doc), encoding="utf-8")
        files.append(str(p))
    return cli("import", "pagerduty", *files, "-o", str(tmp_path / out), *extra)


def _shifts(cli, folder: Path, start: str, end: str) -> list[tuple[str, str, str]]:
    r = cli("shifts", "--dir", str(folder), "--from", start, "--to", end, "--json")
    assert r.code == 0, r.err
    return [(s["person"], s["start"], s["end"]) for s in json.loads(r.out)]


def _now(cli, folder: Path, at: str) -> str | None:
    r = cli("now", "--dir", str(folder), "--at", at, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)[0]["person"]


# ---------------------------------------------------------------- fixtures and --verify

@pytest.mark.parametrize("name", SCHEDULES)
def test_fixture_carries_the_rendering_of_pagerdutys_documented_semantics(name):
    s = json.loads((PD / f"{name}.json").read_text())["schedule"]
    entries = s["final_schedule"]["rendered_schedule_entries"]
    lo, hi = _t(mf.SINCE), _t(mf.UNTIL)
    want = [(_t(e["start"]), _t(e["end"]), e["user"]["id"]) for e in entries]
    assert pagerduty_render(s, lo, hi) == want


@pytest.mark.parametrize("name", SCHEDULES)
def test_fixture_imports_and_verifies_identical(cli, tmp_path, name):
    r = cli("import", "pagerduty", str(PD / "users.json"), str(PD / "escalation_policies.json"),
            str(PD / f"{name}.json"), "-o", str(tmp_path / "out"))
    assert r.code == 0, r.out + r.err
    assert re.search(r": identical over \d+\.\d\d days to the platform's own rendered schedule", r.out), r.out
    check = cli("check", "--dir", str(tmp_path / "out"), "--from", "2026-03-02T00:00Z", "--days", "7")
    assert check.code in (0, 1) and "Traceback" not in check.err


def test_altered_copy_fails_with_the_differing_minutes(cli, tmp_path):
    doc = json.loads((PD / "weekly.json").read_text())
    entries = doc["schedule"]["final_schedule"]["rendered_schedule_entries"]
    # PagerDuty claims Amir (not Earline) has 2026-03-16T13:00Z for 90 minutes.
    i = next(n for n, e in enumerate(entries) if _t(e["start"]) <= _t("2026-03-16T13:00Z") < _t(e["end"]))
    e = entries[i]
    cut_a, cut_b = "2026-03-16T09:00:00-04:00", "2026-03-16T10:30:00-04:00"
    entries[i:i + 1] = [dict(e, end=cut_a), dict(e, start=cut_a, end=cut_b, user=mf.user_ref(mf.A)),
                        dict(e, start=cut_b)]
    r = _import(cli, tmp_path, mf.users_doc(), doc)
    assert r.code == 1, r.out + r.err
    assert "platform-primary: differs from the platform's rendered schedule in 90 minutes:" in r.out
    assert "2026-03-16T13:00Z to 2026-03-16T14:30Z (90 min): theirs amir-haddad, ours kristy-nolan" in r.out
    assert "--no-verify" not in r.out
    assert _import(cli, tmp_path, mf.users_doc(), doc, extra=("--no-verify", "--force")).code == 0


# ---------------------------------------------------------------- one test per PagerDuty trap

def _verified(cli, tmp_path, schedule_doc) -> Path:
    r = _import(cli, tmp_path, mf.users_doc(), schedule_doc)
    assert r.code == 0 and "identical over" in r.out, r.out + r.err
    return tmp_path / "out"


def test_trap_layers_are_listed_in_reverse_of_precedence(cli, tmp_path):
    # Both layers cover Tuesday 12:00; the API lists the winning (Mei's) layer first.
    doc = mf.schedule("PPREC", "Precedence", "UTC", [
        mf.layer("PTOP", "Layer 2", "2026-03-02T00:00:00Z", mf.WEEK, [mf.M]),
        mf.layer("PBOTTOM", "Layer 1", "2026-03-02T00:00:00Z", mf.WEEK, [mf.E])],
        "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z")
    out = _verified(cli, tmp_path, doc)
    assert _now(cli, out, "2026-03-03T12:00Z") == "mei-tanaka"


def test_trap_restrictions_mask_shifts_without_moving_handoffs(cli, tmp_path):
    # Daily turns at 00:00 restricted to 09:00-17:00: each day is the next person's,
    # even though the restricted hours before 09:00 are nobody's.
    doc = mf.schedule("PMASK", "Masked", "UTC", [
        mf.layer("PMASKL", "Layer 1", "2026-03-02T00:00:00Z", mf.DAY, [mf.E, mf.K, mf.A],
                 restrictions=[mf.daily("09:00:00", 8 * 3600)])], "2026-03-02T00:00:00Z", "2026-03-05T00:00:00Z")
    out = _verified(cli, tmp_path, doc)
    assert _shifts(cli, out, "2026-03-02T00:00Z", "2026-03-05T00:00Z") == [
        ("125-greenholt-earline", "2026-03-02T09:00:00+00:00", "2026-03-02T17:00:00+00:00"),
        ("kristy-nolan", "2026-03-03T09:00:00+00:00", "2026-03-03T17:00:00+00:00"),
        ("amir-haddad", "2026-03-04T09:00:00+00:00", "2026-03-04T17:00:00+00:00")]


def test_trap_virtual_start_months_before_start(cli, tmp_path):
    # Weekly turns anchored on 2025-09-01 (E, K, A, L); the layer starts mid-turn on
    # Wednesday 2026-03-04 20:00Z. 26 turns later it is A's week (26 % 4 == 2), and the
    # layer covers nothing before its start.
    out = _verified(cli, tmp_path, json.loads((PD / "virtual-start.json").read_text()))
    text = (out / "data-platform.toml").read_text()
    assert "start = 2025-09-01T09:00:00" in text and "from = 2026-03-04T15:00:00-05:00" in text
    assert _now(cli, out, "2026-03-04T19:59Z") is None
    assert _now(cli, out, "2026-03-04T20:00Z") == "amir-haddad"
    assert _shifts(cli, out, "2026-03-01T00:00Z", "2026-03-10T00:00Z")[:2] == [
        ("amir-haddad", "2026-03-04T20:00:00+00:00", "2026-03-09T13:00:00+00:00"),
        ("lucas-oliveira", "2026-03-09T13:00:00+00:00", "2026-03-10T00:00:00+00:00")]


def test_trap_virtual_start_after_start_continues_backwards(cli, tmp_path):
    doc = mf.schedule("PBACK", "Backwards", "UTC", [
        mf.layer("PBACKL", "Layer 1", "2026-03-02T00:00:00Z", mf.DAY, [mf.E, mf.K, mf.A],
                 virtual="2026-03-04T12:00:00Z")], "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z")
    doc["schedule"]["final_schedule"]["rendered_schedule_entries"] = []
    out = tmp_path / "out"
    assert _import(cli, tmp_path, mf.users_doc(), doc).code == 0
    # The turn starting 2026-03-04T12:00 is E's; the one before it A's, before that K's.
    assert _now(cli, out, "2026-03-04T11:00Z") == "amir-haddad"
    assert _now(cli, out, "2026-03-02T13:00Z") == "kristy-nolan"
    assert _now(cli, out, "2026-03-01T23:00Z") is None


def test_trap_layer_with_an_end_in_the_past_is_history(cli, tmp_path):
    # Layer 2 (listed first, so it would win) ended on 2026-03-04: from then on Layer 1.
    doc = mf.schedule("PHIST", "History", "UTC", [
        mf.layer("POLD", "Layer 2", "2026-02-02T00:00:00Z", mf.WEEK, [mf.M], end="2026-03-04T00:00:00Z"),
        mf.layer("PNEW", "Layer 1", "2026-02-02T00:00:00Z", mf.WEEK, [mf.E])],
        "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z")
    out = _verified(cli, tmp_path, doc)
    assert _now(cli, out, "2026-03-03T23:59Z") == "mei-tanaka"
    assert _now(cli, out, "2026-03-04T00:00Z") == "125-greenholt-earline"
    r = cli("check", "--dir", str(out), "--from", "2026-03-10T00:00Z", "--days", "28", "--json")
    report = json.loads(r.out)
    assert r.code == 0 and report["problems"] == [], r.out
    assert "layer-never-covers" not in {w["kind"] for w in report["warnings"]}  # history is not a mistake


# ---------------------------------------------------------------- the written folder

def _all(tmp_path: Path, out: str, cli) -> Path:
    files = [str(PD / f"{n}.json") for n in ("users", "escalation_policies", *SCHEDULES)]
    r = cli("import", "pagerduty", *files, "-o", str(tmp_path / out))
    assert r.code == 0, r.out + r.err
    return tmp_path / out


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_is_byte_identical_twice_and_writes_only_inside_out(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    a, b = _all(tmp_path, "a", cli), _all(tmp_path, "b", cli)
    assert _tree(a) == _tree(b) and len(_tree(a)) == 1 + len(SCHEDULES)
    created = {p for p in set(tmp_path.rglob("*")) - before if not str(p).startswith(str(tmp_path / "state"))}
    assert created <= {a, b, *a.rglob("*"), *b.rglob("*")}
    assert not [p for p in a.iterdir() if p.name.startswith(".")]  # the staging folder is gone
    # Once more into the same folder: nothing changes and nothing is refused.
    r = cli("import", "pagerduty", *[str(PD / f"{n}.json") for n in ("users", "escalation_policies", *SCHEDULES)],
            "-o", str(a))
    assert r.code == 0 and "wrote" not in r.out and _tree(a) == _tree(b)


def test_written_files_name_the_source_ids(cli, tmp_path):
    out = _all(tmp_path, "out", cli)
    assert "# PagerDuty user PXPGF42" in (out / "people.toml").read_text()
    text = (out / "platform-primary.toml").read_text()
    assert "PagerDuty schedule PWEEKLY" in text and "PagerDuty layer PL1WEEK" in text
    assert "PagerDuty escalation policy PEPLOOP" in text


def test_escalation_policy_loops_are_unrolled(cli, tmp_path):
    out = _all(tmp_path, "out", cli)
    steps = tomllib.loads((out / "platform-primary.toml").read_text())["escalation"]
    assert steps == [{"who": "platform-primary", "wait": "10m"}, {"who": "mei-tanaka", "wait": "15m"}] * 3


def test_merges_people_by_email_and_keeps_the_existing_file(cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old = ('# our people\n[people.kristy]\nname = "Kristy N."\nemail = "Kristy.Nolan@Example.com"\n'
           'phone = "+14155550111"\n')
    (out / "people.toml").write_text(old)
    r = cli("import", "pagerduty", str(PD / "users.json"), str(PD / "weekend.json"), "-o", str(out))
    assert r.code == 0, r.out + r.err
    assert "merged by email" in r.out and "kristy" in r.out
    people = (out / "people.toml").read_text()
    assert people.startswith(old) and "kristy-nolan" not in people and people.count("Kristy N") == 1
    members = tomllib.loads((out / "weekend-cover.toml").read_text())["layer"][0]["members"]
    assert members == ["kristy", "lucas-oliveira"]


def test_never_overwrites_a_rotation_file_without_force(cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "weekend-cover.toml").write_text("# ours\n")
    r = cli("import", "pagerduty", str(PD / "users.json"), str(PD / "weekend.json"), "-o", str(out))
    assert r.code == 1 and "already exist" in r.err and "--force" in r.err
    assert (out / "weekend-cover.toml").read_text() == "# ours\n" and not (out / "people.toml").exists()
    r = cli("import", "pagerduty", str(PD / "users.json"), str(PD / "weekend.json"), "-o", str(out), "--force")
    assert r.code == 0 and "PWKEND" in (out / "weekend-cover.toml").read_text()


def test_after_import_the_commands_agree_with_the_source(cli, tmp_path):
    out = _all(tmp_path, "out", cli)
    doc = json.loads((PD / "two-layers.json").read_text())["schedule"]
    entries = doc["final_schedule"]["rendered_schedule_entries"]
    theirs = [(e["user"]["id"], _t(e["start"]), _t(e["end"])) for e in entries]
    ids = {u[0]: u for u in mf.USERS}
    r = cli("shifts", "payments", "--dir", str(out), "--from", mf.SINCE, "--to", mf.UNTIL, "--json", "--tz", "UTC")
    ours = [(s["person"], _t(s["start"]), _t(s["end"])) for s in json.loads(r.out)]
    merged: list[list] = []
    for p, a, b in ours:  # shifts splits at sources; PagerDuty renders stretches
        if merged and merged[-1][0] == p and merged[-1][2] == a:
            merged[-1][2] = b
        else:
            merged.append([p, a, b])
    names = {p: ids[uid][2].split("@")[0].replace(".", "-") for uid, _, _ in theirs for p in [uid]}
    assert [(names[u], a, b) for u, a, b in theirs] == [tuple(m) for m in merged]
    # The weekend-only schedule has the gaps PagerDuty shows: check reports exactly them.
    r = cli("check", "weekend-cover", "--dir", str(out), "--from", "2026-03-02T00:00Z", "--to", "2026-03-09T00:00Z",
            "--json")
    gaps = [(g["start"], g["end"]) for g in json.loads(r.out)["problems"]]
    assert r.code == 1 and gaps == [("2026-03-02T15:00:00+00:00", "2026-03-07T00:00:00+00:00")]
    assert cli("export", "platform-primary", "--dir", str(out), "-o", str(tmp_path / "p.ics")).code == 0


# ---------------------------------------------------------------- bad dumps (tests/corpus)

IMPORT_CASES = sorted(c for c in CASES if "import" in CASES[c])


def test_there_are_bad_dump_cases():
    wanted = {"import-not-json", "import-wrong-product", "import-missing-field", "import-unknown-user"}
    assert wanted <= set(IMPORT_CASES)


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_bad_dump_exits_3_with_the_json_path_and_writes_nothing(cli, tmp_path, case):
    files = sorted(str(p) for p in (CORPUS / case).glob("*.json"))
    out = tmp_path / "out"
    r = cli("import", CASES[case]["import"], *files, "-o", str(out))
    assert "Traceback" not in r.err
    assert r.code == 3 and r.out == "", r.err
    assert not out.exists()
    lines = r.err.splitlines()
    assert len(lines) == len(CASES[case]["expect"])
    for line, (file, number, key, words) in zip(lines, CASES[case]["expect"], strict=True):
        where = re.escape(f"{case}/{file}") + (f":{number}" if number else "")
        assert re.match(rf"^(.*/)?{where}: {re.escape(key)}: .*{re.escape(words)}", line), line


def test_docs_walkthrough(cli, tmp_path, monkeypatch):
    # docs/import.md with the fixtures standing in for the curl output.
    monkeypatch.chdir(tmp_path)
    r = cli("import", "pagerduty", *sorted(str(p) for p in PD.glob("*.json")), "-o", "rotations")
    assert r.code == 0 and r.out.count("identical over") == len(SCHEDULES), r.out + r.err
    r = cli("check", "--dir", "rotations", "--from", "2026-03-02T00:00Z", "--days", "7", "--json")
    gaps = {p["rotation"] for p in json.loads(r.out)["problems"] if p["kind"] == "gap"}
    # The restricted schedules, and the one whose layer starts on 2026-03-04: PagerDuty has
    # the same gaps (the fixtures' rendered entries, verified identical above).
    assert gaps == {"berlin-daytime", "weekend-cover", "data-platform"}
    assert {p["kind"] for p in json.loads(r.out)["problems"]} == {"gap"}
    r = cli("now", "--dir", "rotations", "--at", "2026-03-03T15:00Z", "--json")
    # 10:00 in New York: Layer 2 (business hours, day 57 of [Mei, Lucas]) wins over Layer 1.
    assert {x["rotation"]: x["person"] for x in json.loads(r.out)}["payments"] == "lucas-oliveira"


def test_an_unknown_source_is_refused_clearly(cli, tmp_path):
    r = cli("import", "nagios", str(PD / "users.json"), "-o", str(tmp_path / "out"))
    assert r.code == 2 and "Traceback" not in r.err and "'nagios' is not one of pagerduty, opsgenie, grafana" in r.err
    assert not (tmp_path / "out").exists()
