"""The edit commands through the CLI: what they change, --dry-run, and every refusal.

The clock is fixed at 2026-03-01T12:00Z (``clock`` fixture), so the 28-day guard and the
default handoff are the same on every run."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ROOT
from test_edit_files import FIXTURE, NOW


@pytest.fixture
def clock(use_clock):
    use_clock(NOW)
    return use_clock


@pytest.fixture
def ops(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "ops"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def shifts(cli, folder: Path, rot: str, start: str, end: str) -> list[dict]:
    r = cli("shifts", rot, "--dir", str(folder), "--from", start, "--to", end, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


# ---------------------------------------------------------------- member


def test_member_add_effective_changes_nothing_before_the_handoff(cli, clock, bundled):
    before = shifts(cli, bundled, "platform", "2026-01-01T00:00Z", "2026-06-01T00:00Z")
    r = cli("member", "add", "platform", "erin", "--effective", "2026-03-20T00:00Z", "--dir", str(bundled),
            "--tz", "UTC")
    assert r.code == 0, r.err
    assert "erin joins platform/weekly at the handoff of Mon 2026-03-23 13:00 UTC" in r.out
    after = shifts(cli, bundled, "platform", "2026-01-01T00:00Z", "2026-06-01T00:00Z")
    cut = "2026-03-23T13:00:00+00:00"
    assert [s for s in after if s["start"] < cut] == [s for s in before if s["start"] < cut]
    assert before[[s["start"] for s in before].index(cut) - 1]["end"] == cut  # the handoff is a shift boundary
    # From the handoff the queue goes on where it was (dave was due), erin joins its end.
    assert [(s["person"], s["source"]) for s in after if s["start"] >= cut][:6] == [
        ("dave", "layer:weekly-2"), ("alice", "layer:weekly-2"), ("bob", "layer:weekly-2"),
        ("carol", "layer:weekly-2"), ("erin", "layer:weekly-2"), ("dave", "layer:weekly-2")]
    text = (bundled / "platform.toml").read_text()
    assert ('every = "1w"\nuntil = 2026-03-23T09:00:00\n\n[[layer]]\nname = "weekly-2"\n'
            'members = ["dave", "alice", "bob", "carol", "erin"]\nstart = 2026-03-23T09:00:00\nevery = "1w"\n\n'
            '# Alice is away') in text


def test_member_remove_defaults_to_the_next_handoff(cli, clock, bundled):
    r = cli("member", "remove", "platform", "bob", "--dir", str(bundled), "--tz", "UTC")
    assert r.code == 0, r.err
    assert "at the handoff of Mon 2026-03-02 14:00 UTC" in r.out  # still EST on 2 March
    after = shifts(cli, bundled, "platform", "2026-03-02T14:00Z", "2026-04-06T13:00Z")
    assert [s["person"] for s in after] == ["alice", "carol", "dave", "alice", "carol"]
    assert "bob" not in (bundled / "platform.toml").read_text().split("weekly-2")[1].split("[[override]]")[0]


def test_member_add_before_a_layer_starts_edits_it_in_place(cli, clock, ops):
    r = cli("member", "add", "ops", "bob", "--layer", "after-reorg", "--dir", str(ops), "--tz", "UTC")
    assert r.code == 0, r.err
    text = (ops / "ops.toml").read_text()
    assert 'members = ["dave", "erin", "bob"]\nstart = 2026-03-10T09:00:00' in text and "after-reorg-2" not in text


def test_member_add_dry_run(cli, clock, bundled):
    before = snapshot(bundled)
    r = cli("member", "add", "platform", "erin", "--dir", str(bundled), "--tz", "UTC", "--dry-run")
    assert r.code == 0, r.err
    assert snapshot(bundled) == before
    assert '+until = 2026-03-02T09:00:00' in r.out and '+name = "weekly-2"' in r.out
    assert "Dry run: nothing was written." in r.out


@pytest.mark.parametrize("args, code, message", [
    (["member", "add", "platform", "nobody"], 4, "no person 'nobody'"),
    (["member", "add", "platform", "bob"], 2, "bob is already a member"),
    (["member", "remove", "platform", "erin"], 4, "erin is not a member of any live layer"),
    (["member", "remove", "platform", "erin", "--layer", "weekly"], 4, "erin is not a member of layer"),
    (["member", "add", "platform", "erin", "--effective", "next tuesday"], 2, "--effective"),
    (["member", "add", "platform", "erin", "--effective", "2026-02-20T00:00Z"], 2, "--effective is in the past"),
    (["member", "add", "platform", "erin", "--layer", "nightly"], 4, "no layer 'nightly'"),
    (["member", "add", "sre", "jon"], 2, "choose the layer with --layer"),
    (["member", "remove", "support", "ines", "--layer", "weekdays", "--effective", "2026-03-02T00:00Z"], 0, ""),
])
def test_member_refusals(cli, clock, bundled, args, code, message):
    before = snapshot(bundled)
    r = cli(*args, "--dir", str(bundled), "--tz", "UTC")
    assert r.code == code, r.err
    assert message in r.err
    assert (snapshot(bundled) == before) == (code != 0)


def test_member_add_of_someone_without_a_phone_is_refused(cli, clock, ops):
    before = snapshot(ops)
    r = cli("member", "add", "ops", "zed", "--layer", "after-reorg", "--dir", str(ops), "--tz", "UTC")
    assert r.code == 1
    assert ("from Tue 2026-03-24 13:00 to Tue 2026-03-31 13:00 UTC nobody on ops could be reached "
            "(zed has no phone)") in r.err
    assert snapshot(ops) == before


# ---------------------------------------------------------------- override


def test_override_add_list_remove(cli, clock, ops):
    before = (ops / "ops.toml").read_bytes()
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-12T13:00Z", "--to", "2026-03-13T13:00Z",
            "--note", "[swap] ok", "--dir", str(ops), "--tz", "UTC")
    assert r.code == 0, r.err
    assert "│ ops      │ Thu 2026-03-12 13:00 UTC │ Fri 2026-03-13 13:00 UTC │ dave   │ erin  │" in r.out
    r = cli("override", "list", "ops", "--dir", str(ops), "--json")
    rows = json.loads(r.out)
    assert [(o["id"], o["who"], o["start"]) for o in rows] == [
        (1, "dave", "2026-03-09T13:00:00+00:00"), (2, "bob", "2026-04-01T04:00:00+00:00"),
        (3, "erin", "2026-03-12T13:00:00+00:00")]
    assert rows[2]["note"] == "[swap] ok"
    assert "[swap] ok" in cli("override", "list", "ops", "--dir", str(ops), "--tz", "UTC").out
    r = cli("override", "remove", "ops", "--at", "2026-03-12T20:00Z", "--dir", str(ops))
    assert r.code == 0, r.err
    assert (ops / "ops.toml").read_bytes() == before


def test_override_add_dry_run(cli, clock, ops):
    before = snapshot(ops)
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z",
            "--dir", str(ops), "--tz", "UTC", "--dry-run")
    assert r.code == 0 and snapshot(ops) == before
    assert '+who = "erin"\n+start = 2026-03-20T09:00:00\n' in r.out


def test_override_remove_dry_run_and_gap_refusal(cli, clock, ops):
    before = snapshot(ops)
    r = cli("override", "remove", "ops", "1", "--dir", str(ops), "--tz", "UTC", "--dry-run")
    assert r.code == 1 and snapshot(ops) == before
    assert '-who = "dave"' in r.out and "-# Bridge: dave covers" in r.out
    assert ("from Mon 2026-03-09 13:00 to Tue 2026-03-10 13:00 UTC nobody would be on call for ops "
            "(a gap in its coverage)") in r.err
    r = cli("override", "remove", "ops", "1", "--dir", str(ops), "--tz", "UTC")
    assert r.code == 1 and "refused, nothing was written" in r.err and snapshot(ops) == before


@pytest.mark.parametrize("args, code, message", [
    (["--who", "nobody", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z"], 4, "no person 'nobody'"),
    (["--who", "erin", "--from", "2026-03-21T13:00Z", "--to", "2026-03-20T13:00Z"], 2, "--to must be after --from"),
    (["--who", "erin", "--from", "tomorrow", "--to", "2026-03-20T13:00Z"], 2, "'tomorrow' is not a time"),
    (["--who", "zed", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z"], 1,
     "from Fri 2026-03-20 13:00 to Sat 2026-03-21 13:00 UTC nobody on ops could be reached (zed has no phone)"),
])
def test_override_add_refusals(cli, clock, ops, args, code, message):
    before = snapshot(ops)
    r = cli("override", "add", "ops", *args, "--dir", str(ops), "--tz", "UTC")
    assert r.code == code, r.err
    assert message in r.err
    assert snapshot(ops) == before


def test_an_invalid_result_names_the_real_file_and_writes_nothing(cli, clock, ops):
    (ops / "ops.toml").write_text((ops / "ops.toml").read_text().replace('who = "ops"', 'who = "opz"'))
    before = snapshot(ops)
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z",
            "--dir", str(ops))
    assert r.code == 3
    assert "ops.toml:" in r.err and "escalation[1].who" in r.err and "oncall-edit-" not in r.err
    assert snapshot(ops) == before


@pytest.mark.parametrize("args, code, message", [
    (["7"], 4, "no override 7 (there are 2)"),
    (["--at", "2026-05-01T00:00Z"], 4, "no override covers"),
    ([], 2, "give the override's number or --at"),
])
def test_override_remove_refusals(cli, clock, ops, args, code, message):
    before = snapshot(ops)
    r = cli("override", "remove", "ops", *args, "--dir", str(ops))
    assert r.code == code and message in r.err and snapshot(ops) == before


# ---------------------------------------------------------------- swap


def test_swap_trades_exactly_the_two_peoples_time(cli, clock, bundled):
    r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z",
            "--dir", str(bundled), "--tz", "UTC")
    assert r.code == 0, r.err
    got = shifts(cli, bundled, "platform", "2026-03-02T14:00Z", "2026-03-23T13:00Z")
    assert [(s["person"], s["start"], s["source"]) for s in got] == [
        ("bob", "2026-03-02T14:00:00+00:00", "override"), ("alice", "2026-03-09T13:00:00+00:00", "override"),
        ("carol", "2026-03-16T13:00:00+00:00", "layer:weekly")]
    assert 'note = "swap alice <-> bob"' in (bundled / "platform.toml").read_text()


def test_swap_dry_run(cli, clock, bundled):
    before = snapshot(bundled)
    r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z",
            "--dir", str(bundled), "--tz", "UTC", "--dry-run")
    assert r.code == 0 and snapshot(bundled) == before
    assert r.out.count("+[[override]]") == 2


@pytest.mark.parametrize("args, code, message", [
    (["alice", "nobody", "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z"], 4, "no person 'nobody'"),
    (["alice", "bob", "--from", "2026-03-16T13:00Z", "--to", "2026-03-02T14:00Z"], 2, "--to must be after --from"),
    (["alice", "alice", "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z"], 2, "two different people"),
    (["jon", "erin", "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z"], 2, "nothing to swap"),
    # Carol covers alice's week while alice is away: swapping would put alice back on it.
    (["carol", "alice", "--from", "2027-01-04T14:00Z", "--to", "2027-01-11T14:00Z"], 1,
     "nobody on platform could be reached (alice is away)"),
])
def test_swap_refusals(cli, clock, bundled, args, code, message):
    clock(datetime.fromisoformat("2026-12-20T00:00:00+00:00"))
    before = snapshot(bundled)
    r = cli("swap", "platform", *args, "--dir", str(bundled), "--tz", "UTC")
    assert r.code == code, r.err
    assert message in r.err and snapshot(bundled) == before


def test_removing_the_cover_for_someone_away_is_refused(cli, clock, bundled):
    clock(datetime.fromisoformat("2026-12-20T00:00:00+00:00"))
    r = cli("override", "remove", "platform", "1", "--dir", str(bundled), "--tz", "UTC")
    assert r.code == 1
    assert ("from Mon 2027-01-04 14:00 to Mon 2027-01-11 08:00 UTC nobody on platform could be reached "
            "(alice is away)") in r.err


# ---------------------------------------------------------------- away


def test_away_add_list_remove(cli, clock, ops):
    before = (ops / "people.toml").read_bytes()
    r = cli("away", "add", "carol", "--from", "2026-03-20T00:00Z", "--to", "2026-03-22T00:00Z", "--note", "wedding",
            "--dir", str(ops))
    assert r.code == 0, r.err
    text = (ops / "people.toml").read_text()
    assert ('# timezone = "America/Los_Angeles"   (not yet)\n\n[[people.carol.away]]\nstart = 2026-03-20\n'
            'end = 2026-03-22\nnote = "wedding"\n\n[people.dave]') in text  # carol has no zone: UTC dates
    rows = json.loads(cli("away", "list", "--dir", str(ops), "--json").out)
    assert [(a["person"], a["id"], a["start"]) for a in rows] == [
        ("alice", 1, "2026-05-04T07:00:00+00:00"), ("carol", 1, "2026-03-20T00:00:00+00:00")]
    assert cli("away", "remove", "carol", "1", "--dir", str(ops)).code == 0
    assert (ops / "people.toml").read_bytes() == before


def test_away_add_dry_run(cli, clock, ops):
    before = snapshot(ops)
    r = cli("away", "add", "carol", "--from", "2026-03-20T00:00Z", "--to", "2026-03-22T00:00Z", "--dir", str(ops),
            "--dry-run")
    assert r.code == 0 and snapshot(ops) == before
    assert "+[[people.carol.away]]\n+start = 2026-03-20\n" in r.out and "No change to who is on call" in r.out


@pytest.mark.parametrize("args, code, message", [
    (["nobody", "--from", "2026-03-20T00:00Z", "--to", "2026-03-22T00:00Z"], 4, "no person 'nobody'"),
    (["carol", "--from", "2026-03-22T00:00Z", "--to", "2026-03-20T00:00Z"], 2, "--to must be after --from"),
    # dave is on call (the bridge override, then the new team's first week).
    (["dave", "--from", "2026-03-09T00:00Z", "--to", "2026-03-11T00:00Z"], 1,
     "from Mon 2026-03-09 13:00 to Wed 2026-03-11 00:00 UTC nobody on ops could be reached (dave is away)"),
])
def test_away_add_refusals(cli, clock, ops, args, code, message):
    before = snapshot(ops)
    r = cli("away", "add", *args, "--dir", str(ops), "--tz", "UTC")
    assert r.code == code, r.err
    assert message in r.err and snapshot(ops) == before


def test_away_remove_dry_run_and_refusals(cli, clock, ops):
    before = snapshot(ops)
    r = cli("away", "remove", "alice", "--at", "2026-05-05T00:00Z", "--dir", str(ops), "--dry-run")
    assert r.code == 0 and snapshot(ops) == before
    assert "-[[people.alice.away]]\n" in r.out and "-# Alice already has a trip planned.\n" in r.out
    assert cli("away", "remove", "alice", "2", "--dir", str(ops)).code == 4
    assert cli("away", "remove", "nobody", "1", "--dir", str(ops)).code == 4
    assert snapshot(ops) == before


# ---------------------------------------------------------------- new


def test_new_rotation(cli, clock, ops):
    r = cli("new", "rotation", "db", "--timezone", "Europe/Berlin", "--members", "erin, dave", "--every", "1w",
            "--start", "2026-03-02T09:00", "--dir", str(ops), "--tz", "UTC")
    assert r.code == 0, r.err
    assert (ops / "db.toml").read_text() == (
        'name = "db"\ntimezone = "Europe/Berlin"\n\n[[layer]]\nname = "main"\nmembers = ["erin", "dave"]\n'
        'start = 2026-03-02T09:00:00\nevery = "1w"\n')
    assert (ops / "db.toml").stat().st_mode & 0o777 == (ops / "people.toml").stat().st_mode & 0o777
    got = shifts(cli, ops, "db", "2026-03-02T00:00Z", "2026-03-16T08:00Z")
    assert [(s["person"], s["start"]) for s in got] == [("erin", "2026-03-02T08:00:00+00:00"),
                                                         ("dave", "2026-03-09T08:00:00+00:00")]


def test_new_rotation_dry_run(cli, clock, ops):
    before = snapshot(ops)
    r = cli("new", "rotation", "db", "--timezone", "Europe/Berlin", "--members", "erin,dave", "--every", "1w",
            "--start", "2026-03-02T09:00", "--dir", str(ops), "--dry-run")
    assert r.code == 0 and snapshot(ops) == before
    assert '+members = ["erin", "dave"]' in r.out


@pytest.mark.parametrize("args, code, message", [
    (["db", "--members", "erin,nobody"], 4, "no person 'nobody'"),
    (["db", "--members", "erin,zed"], 1, "nobody on db could be reached (zed has no phone)"),
    (["ops", "--members", "erin"], 2, "already exists"),
    (["Bad_Id", "--members", "erin"], 2, "not a rotation id"),
    (["db", "--members", "erin", "--every", "fortnightly"], 2, "--every"),
    (["db", "--members", "erin", "--timezone", "Berlin"], 2, "unknown timezone"),
    (["db", "--members", "erin", "--start", "soon"], 2, "--start"),
])
def test_new_rotation_refusals(cli, clock, ops, args, code, message):
    before = snapshot(ops)
    defaults = {"--timezone": "Europe/Berlin", "--every": "1w", "--start": "2026-03-02T09:00"}
    extra = [x for k, v in defaults.items() if k not in args for x in (k, v)]
    r = cli("new", "rotation", *args, *extra, "--dir", str(ops))
    assert r.code == code, r.err
    assert message in r.err and snapshot(ops) == before


def test_new_person_dry_run_and_refusals(cli, clock, ops):
    before = snapshot(ops)
    r = cli("new", "person", "kim", "--name", "Kim Lee", "--phone", "+14155550199", "--dir", str(ops), "--dry-run")
    assert r.code == 0 and snapshot(ops) == before
    assert '+[people.kim]\n+name = "Kim Lee"\n+phone = "+14155550199"\n' in r.out
    for args, code, message in [
        (["alice", "--phone", "+14155550199"], 2, "already exists"),
        (["kim", "--phone", "415 555 0199"], 3, "is not an E.164 number"),
        (["kim", "--phone", "+1000"], 2, "is not a number that can be dialled"),
        (["kim", "--phone", "+14155550199", "--timezone", "Mars/Base"], 2, "unknown timezone"),
        (["kim.lee!", "--phone", "+14155550199"], 3, "is not a person id"),
    ]:
        r = cli("new", "person", *args, "--name", "Kim", "--dir", str(ops))
        assert r.code == code, (args, r.err)
        assert message in r.err and snapshot(ops) == before


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize("kind", ["people", "rotation"])
def test_printed_schema_is_the_file_in_the_repo(cli, kind):
    r = cli("schema", kind)
    assert r.code == 0
    assert r.out == (ROOT / "schema" / f"{kind}.schema.json").read_text()
    assert json.loads(r.out)["$schema"].startswith("http://json-schema.org/draft-07")


def test_schemas_accept_the_bundled_and_fixture_files():
    """A small structural check (no validator dependency): every key the files use is
    declared, and every required key is present."""
    from oncall.schemas import schemas
    from oncall.toml_text import tomllib

    def check(data, schema):
        if schema.get("type") == "object" or "properties" in schema:
            for key in schema.get("required", []):
                assert key in data
            for key, value in data.items():
                sub = schema.get("properties", {}).get(key, schema.get("additionalProperties"))
                assert sub not in (None, False), key
                check(value, sub)
        elif schema.get("type") == "array":
            for item in data:
                check(item, schema["items"])

    s = schemas()
    for folder in (ROOT / "rotations", FIXTURE):
        for path in folder.glob("*.toml"):
            check(tomllib.loads(path.read_text()), s["people" if path.name == "people.toml" else "rotation"])


def test_member_add_names_unnamed_layers_so_no_source_changes(cli, clock, tmp_path):
    from conftest import write_folder

    folder = write_folder(tmp_path / "un", {
        "people.toml": (FIXTURE / "people.toml").read_text(),
        "x.toml": 'timezone = "America/New_York"\n[[layer]]\nmembers = ["alice", "bob"]\nstart = 2026-01-05T09:00:00\n'
                  'every = "1w"\n[[layer]]\nmembers = ["carol"]\nstart = 2026-01-05T09:00:00\nevery = "1d"\n'
                  'only = ["sat-sun"]\n'})
    before = shifts(cli, folder, "x", "2026-02-01T00:00Z", "2026-04-01T00:00Z")
    r = cli("member", "add", "x", "dave", "--layer", "layer-1", "--dir", str(folder), "--tz", "UTC")
    assert r.code == 0, r.err
    after = shifts(cli, folder, "x", "2026-02-01T00:00Z", "2026-04-01T00:00Z")
    cut = "2026-03-02T14:00:00+00:00"
    assert [s for s in after if s["start"] < cut] == [s for s in before if s["start"] < cut]
    assert {s["source"] for s in after} == {"layer:layer-1", "layer:layer-2", "layer:layer-3"}
    assert [s["source"] for s in after if s["person"] == "carol"] == [s["source"] for s in before
                                                                        if s["person"] == "carol"]


def test_away_add_bare_dates_are_midnight_where_the_person_lives(cli, clock, ops):
    # The viewer is in St John's (conftest); alice lives in Los Angeles. A date typed on the
    # command line means what the same date means in people.toml: her midnight.
    r = cli("away", "add", "alice", "--from", "2026-06-01", "--to", "2026-06-03", "--dir", str(ops))
    assert r.code == 0, r.err
    assert "[[people.alice.away]]\nstart = 2026-06-01\nend = 2026-06-03\n" in (ops / "people.toml").read_text()
    rows = json.loads(cli("away", "list", "alice", "--dir", str(ops), "--json").out)
    assert rows[-1]["start"] == "2026-06-01T07:00:00+00:00"  # 00:00 PDT


def test_member_add_shows_the_newcomers_first_shift_even_after_28_days(cli, clock, bundled):
    clock(datetime.fromisoformat("2027-03-01T00:00:00+00:00"))
    r = cli("member", "add", "platform", "erin", "--effective", "2027-03-20T00:00Z", "--dir", str(bundled),
            "--tz", "UTC", "--dry-run")
    assert r.code == 0, r.err
    # The new order puts erin last: her first week starts four weeks after the handoff.
    assert "Mon 2027-04-19 13:00 UTC" in r.out and "erin" in r.out.split("Before")[1]
    assert "No change" not in r.out
