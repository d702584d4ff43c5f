"""Issue 14 item 6, surprises in editing: typed times in the rotation's zone (the
person's for time off), member changes across layer versions, refusals in plain words.

The clock is fixed (``clock`` fixture); the machine's zone is set per test with TZ."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_folder
from test_edit_commands import shifts, snapshot
from test_edit_files import FIXTURE

XMAS = datetime.fromisoformat("2026-12-20T00:00:00+00:00")
MARCH = datetime.fromisoformat("2026-03-01T12:00:00+00:00")


@pytest.fixture
def ops(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "ops"))


def override_block(folder: Path) -> str:
    return (folder / "platform.toml").read_text().split("[[override]]")[-1].split("\n\n")[0]


# ---------------------------------------------------------------- typed times


@pytest.mark.parametrize("machine", ["UTC", "Asia/Tokyo"])
def test_override_add_reads_typed_wall_times_in_the_rotations_zone_not_the_machines(cli, use_clock, bundled,
                                                                                    monkeypatch, machine):
    use_clock(XMAS)
    monkeypatch.setenv("TZ", machine)
    r = cli("override", "add", "platform", "--who", "bob", "--from", "2027-01-05 18:00", "--to", "2027-01-05 20:00",
            "--dir", str(bundled))
    assert r.code == 0, r.err
    assert override_block(bundled) == '\nwho = "bob"\nstart = 2027-01-05T18:00:00\nend = 2027-01-05T20:00:00'
    assert ("oncall: times are read and shown in America/New_York (the platform rotation's zone, as in its file; "
            "--tz to change)") in r.err
    assert "Tue 2027-01-05 18:00 EST" in r.out  # the table of changes shows the same zone


def test_an_edit_time_with_an_offset_or_z_is_taken_as_given(cli, use_clock, bundled, monkeypatch):
    use_clock(XMAS)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    r = cli("override", "add", "platform", "--who", "bob", "--from", "2027-01-05T23:00Z", "--to",
            "2027-01-05T21:00-04:00", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert override_block(bundled) == '\nwho = "bob"\nstart = 2027-01-05T18:00:00\nend = 2027-01-05T20:00:00'


def test_tz_overrides_the_rotations_zone_for_typed_times(cli, use_clock, bundled):
    use_clock(XMAS)
    r = cli("override", "add", "platform", "--who", "bob", "--from", "2027-01-06T00:00", "--to", "2027-01-06T02:00",
            "--tz", "Europe/Berlin", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert override_block(bundled) == '\nwho = "bob"\nstart = 2027-01-05T18:00:00\nend = 2027-01-05T20:00:00'
    assert "oncall: times are read and shown in Europe/Berlin (given with --tz)" in r.err


def test_swap_reads_typed_times_in_the_rotations_zone(cli, use_clock, bundled, monkeypatch):
    use_clock(MARCH)
    monkeypatch.setenv("TZ", "UTC")
    r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02 09:00", "--to", "2026-03-16 09:00",
            "--dir", str(bundled))
    assert r.code == 0, r.err
    got = shifts(cli, bundled, "platform", "2026-03-02T14:00Z", "2026-03-23T13:00Z")
    # Whole weeks traded: read in UTC the swap would stop five hours short of each handoff.
    assert [(s["person"], s["start"], s["source"]) for s in got] == [
        ("bob", "2026-03-02T14:00:00+00:00", "override"), ("alice", "2026-03-09T13:00:00+00:00", "override"),
        ("carol", "2026-03-16T13:00:00+00:00", "layer:weekly")]


def test_member_effective_is_read_in_the_rotations_zone(cli, use_clock, bundled, monkeypatch):
    use_clock(MARCH)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    # 09:30 New York is just after Monday's handoff: the change waits for the next one.
    r = cli("member", "add", "platform", "erin", "--effective", "2026-03-23 09:30", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert "erin joins platform/weekly at the handoff of Mon 2026-03-30 09:00 EDT." in r.out


def test_layer_add_reads_from_until_and_tz_start_on_the_layers_clock(cli, use_clock, bundled, monkeypatch):
    use_clock(MARCH)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    r = cli("layer", "add", "platform", "--name", "cover", "--members", "bob", "--start", "2026-03-07T15:00",
            "--every", "1d", "--until", "2026-03-09 15:00", "--tz", "Europe/Berlin", "--dir", str(bundled))
    assert r.code == 0, r.err
    text = (bundled / "platform.toml").read_text()
    assert 'name = "cover"\nmembers = ["bob"]\nstart = 2026-03-07T09:00:00\nevery = "1d"\n' \
           'until = 2026-03-09T10:00:00\n' in text  # Berlin 15:00 is 09:00 EST, then 10:00 EDT


def test_away_reads_typed_times_in_the_persons_zone(cli, use_clock, bundled, monkeypatch):
    use_clock(XMAS)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    r = cli("away", "add", "alice", "--from", "2027-02-09 09:00", "--to", "2027-02-10", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert "[[people.alice.away]]\nstart = 2027-02-09T09:00:00\nend = 2027-02-10\n" in (
        bundled / "people.toml").read_text()
    assert "times are read and shown in America/Los_Angeles (alice's zone in people.toml; --tz to change)" in r.err


def test_away_for_someone_without_a_zone_reads_utc_and_says_why(cli, use_clock, ops, monkeypatch):
    use_clock(MARCH)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    r = cli("away", "add", "carol", "--from", "2026-03-20 08:00", "--to", "2026-03-22", "--dir", str(ops))
    assert r.code == 0, r.err
    assert "[[people.carol.away]]\nstart = 2026-03-20T08:00:00\nend = 2026-03-22\n" in (ops / "people.toml").read_text()
    assert ("times are read and shown in UTC (carol has no timezone in people.toml, where their dates are UTC; "
            "--tz to change)") in r.err


def test_away_add_with_a_bare_date_writes_the_date_as_docs_editing_says(cli, use_clock, bundled, monkeypatch):
    use_clock(XMAS)
    monkeypatch.setenv("TZ", "UTC")
    doc = (Path(__file__).parent.parent / "docs" / "editing.md").read_text()
    assert "`away add alice --from 2027-02-09 --to\n2027-02-16` writes `start = 2027-02-09`" in doc
    r = cli("away", "add", "alice", "--from", "2027-02-09", "--to", "2027-02-16", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert "[[people.alice.away]]\nstart = 2027-02-09\nend = 2027-02-16\n" in (bundled / "people.toml").read_text()


# ---------------------------------------------------------------- layer versions


def layer_members(folder: Path, rot: str) -> list[tuple[str, list[str], str]]:
    from oncall.toml_text import tomllib

    data = tomllib.loads((folder / f"{rot}.toml").read_text())
    return [(x["name"], x["members"], str(x.get("until", ""))) for x in data["layer"]]


def test_member_add_remove_add_picks_the_layer_version_in_force(cli, use_clock, tmp_path):
    use_clock(MARCH)
    folder = write_folder(tmp_path / "team", {
        "people.toml": (FIXTURE / "people.toml").read_text(),
        "web.toml": 'timezone = "America/New_York"\n\n[[layer]]\nname = "main"\nmembers = ["alice", "bob", "carol"]\n'
                    'start = 2026-01-05T09:00:00\nevery = "1w"\n'})
    before = shifts(cli, folder, "web", "2026-02-01T00:00Z", "2026-03-02T14:00Z")
    for args in (("add", "web", "dave"), ("remove", "web", "bob"), ("add", "web", "erin"),
                 ("remove", "web", "dave", "--effective", "2026-03-20"), ("add", "web", "bob", "--effective",
                                                                          "2026-04-01")):
        r = cli("member", *args, "--dir", str(folder))
        assert r.code == 0, (args, r.err)
    assert shifts(cli, folder, "web", "2026-02-01T00:00Z", "2026-03-02T14:00Z") == before
    got = shifts(cli, folder, "web", "2026-03-02T14:00Z", "2026-05-04T13:00Z")
    assert [(s["person"], s["start"][:10]) for s in got] == [
        ("carol", "2026-03-02"), ("alice", "2026-03-09"), ("dave", "2026-03-16"), ("erin", "2026-03-23"),
        ("carol", "2026-03-30"), ("alice", "2026-04-06"), ("erin", "2026-04-13"), ("carol", "2026-04-20"),
        ("bob", "2026-04-27")]


def test_a_member_change_before_a_later_version_reaches_that_version_too(cli, use_clock, bundled):
    use_clock(MARCH)
    base = shifts(cli, bundled, "platform", "2026-01-01T00:00Z", "2026-06-01T00:00Z")
    assert cli("member", "add", "platform", "erin", "--effective", "2026-03-20", "--dir", str(bundled)).code == 0
    # bob leaves before erin's version starts: he must not come back with it.
    r = cli("member", "remove", "platform", "bob", "--effective", "2026-03-05", "--dir", str(bundled))
    assert r.code == 0, r.err
    assert "bob leaves platform/weekly at the handoff of Mon 2026-03-09 09:00 EDT (and the later versions " \
           "weekly-2)." in r.out
    r = cli("member", "add", "platform", "bob", "--effective", "2026-04-10", "--dir", str(bundled))
    assert r.code == 0, r.err
    after = shifts(cli, bundled, "platform", "2026-01-01T00:00Z", "2026-06-01T00:00Z")
    cut = "2026-03-09T13:00:00+00:00"
    assert [s for s in after if s["start"] < cut] == [s for s in base if s["start"] < cut]
    # The queue runs on across the versions: nobody is on call twice in a row.
    assert [s["person"] for s in after if cut <= s["start"] < "2026-05-18"] == [
        "carol", "dave", "alice", "carol", "dave", "erin", "alice", "carol", "dave", "bob"]
    assert layer_members(bundled, "platform") == [
        ("weekly", ["alice", "bob", "carol", "dave"], "2026-03-09 09:00:00"),
        ("weekly-3", ["carol", "dave", "alice"], "2026-03-23 09:00:00"),
        ("weekly-2", ["alice", "carol", "dave", "erin"], "2026-04-13 09:00:00"),
        ("weekly-4", ["erin", "alice", "carol", "dave", "bob"], "")]


# ---------------------------------------------------------------- refusals in plain words


def test_refusal_says_when_where_and_who_could_not_be_reached(cli, use_clock, bundled):
    use_clock(XMAS)
    assert cli("away", "add", "bob", "--from", "2027-01-05", "--to", "2027-01-06", "--dir", str(bundled)).code == 0
    before = snapshot(bundled)
    r = cli("override", "add", "platform", "--who", "bob", "--from", "2027-01-05 18:00", "--to", "2027-01-05 20:00",
            "--dir", str(bundled))
    assert r.code == 1
    assert r.err.endswith(
        "oncall: refused, nothing was written: with this edit\n"
        "  from Tue 2027-01-05 18:00 to 20:00 America/New_York nobody on platform could be reached (bob is away)\n"
        "(cover those stretches first, or pass --allow-gaps)\n")
    assert snapshot(bundled) == before


def test_refusal_of_a_gap_says_nobody_would_be_on_call(cli, use_clock, ops):
    use_clock(MARCH)
    r = cli("override", "remove", "ops", "1", "--dir", str(ops))
    assert r.code == 1
    # The escalation policy's only step is the rotation itself: the gap is said once.
    assert ("\n  from Mon 2026-03-09 09:00 to Tue 2026-03-10 09:00 America/New_York nobody would be on call for ops "
            "(a gap in its coverage)\n(cover") in r.err
    assert "escalation" not in r.err


def test_refusal_of_someone_without_a_phone(cli, use_clock, ops):
    use_clock(MARCH)
    r = cli("override", "add", "ops", "--who", "zed", "--from", "2026-03-20 09:00", "--to", "2026-03-21 09:00",
            "--dir", str(ops))
    assert r.code == 1
    assert ("  from Fri 2026-03-20 09:00 to Sat 2026-03-21 09:00 America/New_York nobody on ops could be reached "
            "(zed has no phone)\n") in r.err


def _folder(tmp_path: Path, phone: str, escalation: str = "") -> Path:
    return write_folder(tmp_path / "f", {
        "people.toml": '[people.ann]\nname = "Ann"\nphone = "+14155550111"\n\n'
                       f'[people.kim]\nname = "Kim"\nphone = "{phone}"\n\n'
                       '[people.lee]\nname = "Lee"\nphone = "+14155550113"\n',
        "web.toml": 'timezone = "Europe/Berlin"\n\n[[layer]]\nname = "main"\nmembers = ["ann"]\n'
                    'start = 2026-01-05T09:00:00\nevery = "1w"\n' + escalation})


def test_refusal_of_someone_whose_phone_cannot_be_dialled(cli, use_clock, tmp_path):
    use_clock(MARCH)
    folder = _folder(tmp_path, "+1000")
    r = cli("member", "add", "web", "kim", "--dir", str(folder))
    assert r.code == 1
    assert ("  from Mon 2026-03-09 09:00 to Mon 2026-03-16 09:00 Europe/Berlin nobody on web could be reached "
            "(kim's phone is not a number that can be dialled)\n") in r.err


def test_refusal_when_no_escalation_step_reaches_anyone(cli, use_clock, tmp_path):
    use_clock(MARCH)
    folder = _folder(tmp_path, "+14155550112", '\n[[escalation]]\nwho = "lee"\n\n[[escalation]]\nwho = "kim"\n')
    assert cli("away", "add", "kim", "--from", "2026-03-10", "--to", "2026-03-12", "--dir", str(folder)).code == 0
    r = cli("away", "add", "lee", "--from", "2026-03-11", "--to", "2026-03-13", "--dir", str(folder))
    assert r.code == 1
    assert ("  from Wed 2026-03-11 00:00 to Thu 2026-03-12 00:00 UTC nobody on web could be reached (no escalation "
            "step reaches anyone; at the start: step 1 (lee): lee is away; step 2 (kim): kim is away)\n") in r.err
    r = cli("away", "add", "lee", "--from", "2026-03-11", "--to", "2026-03-13", "--dir", str(folder), "--allow-gaps")
    assert r.code == 0
    assert "oncall: warning: written with --allow-gaps although with this edit\n  from Wed 2026-03-11" in r.err
    assert json.loads(cli("away", "list", "lee", "--dir", str(folder), "--json").out)[0]["start"] == \
        "2026-03-11T00:00:00+00:00"


# ---------------------------------------------------------------- swaps


def _two_teams(tmp_path: Path) -> Path:
    """web: kim and lee take weeks, ann covers weekdays 09-17 (her layer wins then);
    db: lee and kim take weeks, the other way round."""
    return write_folder(tmp_path / "teams", {
        "people.toml": '[people.ann]\nname = "Ann"\nphone = "+14155550111"\n\n'
                       '[people.kim]\nname = "Kim"\nphone = "+14155550112"\n\n'
                       '[people.lee]\nname = "Lee"\nphone = "+14155550113"\n',
        "web.toml": 'timezone = "Europe/Berlin"\n\n[[layer]]\nname = "primary"\nmembers = ["kim", "lee"]\n'
                    'start = 2026-01-05T09:00:00\nevery = "1w"\n\n[[layer]]\nname = "days"\nmembers = ["ann"]\n'
                    'start = 2026-01-05T09:00:00\nevery = "1w"\nonly = ["mon-fri 09:00-17:00"]\n',
        "db.toml": 'timezone = "Europe/Berlin"\n\n[[layer]]\nname = "main"\nmembers = ["lee", "kim"]\n'
                   'start = 2026-01-05T09:00:00\nevery = "1w"\n'})


def test_swap_warns_when_the_taker_is_already_on_call_in_another_rotation(cli, use_clock, tmp_path):
    use_clock(MARCH)
    folder = _two_teams(tmp_path)
    # Lee's db week goes to kim, who is on call in web that week outside ann's hours.
    r = cli("swap", "db", "lee", "kim", "--from", "2026-03-02 09:00", "--to", "2026-03-09 09:00", "--dir", str(folder))
    assert r.code == 0, r.err
    assert ("oncall: warning: this swap double-books kim: from Mon 2026-03-02 17:00 to Tue 2026-03-03 09:00 "
            "Europe/Berlin kim is already on call in web\n") in r.err
    assert "oncall: warning: … and 2 more stretches where kim is already on call in web\n" in r.err
    assert r.err.count("double-books") == 3


def test_swap_warns_when_the_taker_is_already_on_call_there_through_another_layer(cli, use_clock, tmp_path):
    use_clock(MARCH)
    folder = _two_teams(tmp_path)
    r = cli("swap", "web", "ann", "kim", "--from", "2026-03-02 09:00", "--to", "2026-03-03 09:00", "--dir",
            str(folder))
    assert r.code == 0, r.err
    assert ("oncall: warning: this swap double-books kim: from Mon 2026-03-02 09:00 to 17:00 Europe/Berlin kim is "
            "already on call in web through layer 'primary'\n") in r.err
    assert r.err.count("double-books") == 1  # ann takes kim's night: she is on call nowhere else then


def test_swap_without_double_booking_warns_nothing(cli, use_clock, bundled):
    use_clock(MARCH)
    r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02 09:00", "--to", "2026-03-16 09:00",
            "--dir", str(bundled))
    assert r.code == 0, r.err
    assert "warning" not in r.err


# The bundled file's own override is number 1: the swap's halves are 2 and 3.
@pytest.mark.parametrize("remove, gone, twin", [(["2"], "2", "3"), (["3"], "3", "2"),
                                                (["--at", "2026-03-10 12:00"], "3", "2")])
def test_removing_one_half_of_a_swap_removes_its_twin(cli, use_clock, bundled, remove, gone, twin):
    use_clock(MARCH)
    before = (bundled / "platform.toml").read_bytes()
    base = shifts(cli, bundled, "platform", "2026-03-02T14:00Z", "2026-03-23T13:00Z")
    r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02 09:00", "--to", "2026-03-16 09:00",
            "--dir", str(bundled))
    assert r.code == 0, r.err
    assert (bundled / "platform.toml").read_text().count('swap = "alice-bob-2026-03-02"\n') == 2
    r = cli("override", "remove", "platform", *remove, "--dir", str(bundled))
    assert r.code == 0, r.err
    assert f'Override {gone} is half of a swap (swap = "alice-bob-2026-03-02"): override {twin} goes with it.' in r.out
    assert (bundled / "platform.toml").read_bytes() == before
    assert shifts(cli, bundled, "platform", "2026-03-02T14:00Z", "2026-03-23T13:00Z") == base


def test_a_second_swap_of_the_same_pair_gets_its_own_link(cli, use_clock, bundled):
    use_clock(MARCH)
    for _ in range(2):  # the second swap trades the weeks back
        r = cli("swap", "platform", "alice", "bob", "--from", "2026-03-02 09:00", "--to", "2026-03-16 09:00",
                "--dir", str(bundled))
        assert r.code == 0, r.err
    text = (bundled / "platform.toml").read_text()
    assert text.count('swap = "alice-bob-2026-03-02"\n') == 2 and text.count('swap = "alice-bob-2026-03-02-2"\n') == 2
    assert cli("override", "remove", "platform", "5", "--dir", str(bundled)).code == 0
    text = (bundled / "platform.toml").read_text()
    assert text.count('swap = "alice-bob-2026-03-02"\n') == 2 and "alice-bob-2026-03-02-2" not in text
