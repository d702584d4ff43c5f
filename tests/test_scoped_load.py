"""A typo in another team's file must not stop `now` or `page` for a rotation that is fine."""

import json
import shutil

from conftest import BUNDLED


def broken_folder(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(BUNDLED, folder)
    support = folder / "support.toml"
    support.write_text(support.read_text().replace('every = "1w"', 'every = "1 week"'))
    people = folder / "people.toml"  # lena is only in support: her broken phone is support's problem
    people.write_text(people.read_text().replace('phone = "+4915112345680"', 'phone = "0151 2345680"'))
    return folder


def test_now_for_a_sound_rotation_ignores_another_teams_broken_file(cli, tmp_path):
    folder = broken_folder(tmp_path)
    r = cli("now", "platform", "--dir", str(folder), "--at", "2027-01-05T12:00Z", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)[0]["person"] == "carol"


def test_page_dry_run_loads_the_rotation_and_its_escalation_targets_only(cli, tmp_path):
    folder = broken_folder(tmp_path)
    r = cli("page", "platform", "--message", "db down", "--dry-run", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    steps = json.loads(r.out)["steps"]
    assert [s["who"] for s in steps] == ["platform", "sre", "noor"]


def test_a_broken_escalation_target_still_stops_the_page(cli, tmp_path):
    folder = broken_folder(tmp_path)
    sre = folder / "sre.toml"
    sre.write_text(sre.read_text().replace('members = ["jon", "olivia"]', 'members = ["jon", "olivai"]'))
    r = cli("page", "platform", "--message", "db down", "--dry-run", "--dir", str(folder))
    assert r.code == 3 and "sre.toml" in r.err and "olivai" in r.err
    assert "support.toml" not in r.err and "lena" not in r.err


def test_check_and_unscoped_commands_stay_strict(cli, tmp_path):
    folder = broken_folder(tmp_path)
    for args in (["check"], ["now"], ["check", "platform"]):
        r = cli(*args, "--dir", str(folder), "--at" if args == ["now"] else "--from", "2027-01-05T12:00Z")
        assert r.code == 3, args
        assert "support.toml" in r.err and "people.lena.phone" in r.err


def test_a_people_file_that_cannot_be_parsed_stops_even_a_scoped_command(cli, tmp_path):
    """A syntax error inside another person's table still leaves no people at all: the
    scoped command must say so (exit 3), not crash looking up its own on-call person."""
    folder = tmp_path / "r"
    shutil.copytree(BUNDLED, folder)
    people = folder / "people.toml"
    people.write_text(people.read_text() + '\n[people.zed]\nname = "Zed\x1b"\n')
    for args in (["now", "sre", "--at", "2027-01-05T12:00Z"], ["page", "sre", "-m", "x", "--dry-run"]):
        r = cli(*args, "--dir", str(folder))
        assert r.code == 3, (args, r.err)
        assert "people.toml" in r.err and "TOML syntax error" in r.err and "Traceback" not in r.err
