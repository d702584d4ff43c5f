"""Inputs that used to end in a traceback or in silently wrong output."""

import json
import os
import shutil

from conftest import BUNDLED


def copy(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(BUNDLED, folder)
    return folder


def test_names_with_brackets_are_shown_as_written_not_as_markup(cli, tmp_path):
    folder = copy(tmp_path)
    people = folder / "people.toml"
    people.write_text(people.read_text().replace('name = "Carol Nguyen"', 'name = "Carol [/] Nguyen [ops]"'))
    for args in (["now", "--at", "2027-01-05T12:00Z"], ["shifts", "--from", "2027-01-04T00:00Z", "--days", "2"],
                 ["report", "--from", "2027-01-01T00:00Z", "--to", "2027-01-15T00:00Z"]):
        r = cli(*args, "platform", "--dir", str(folder), "--tz", "UTC")
        assert r.code == 0, (args, r.err)
        assert "Carol [/] Nguyen [ops]" in r.out, args


def test_a_posix_tz_variable_falls_back_instead_of_crashing(cli, monkeypatch):
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0x")
    r = cli("now", "--dir", str(BUNDLED), "--at", "2027-01-05T12:00Z", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)[0]["person"] == "carol"


def test_an_editor_lock_link_does_not_break_edits(cli, tmp_path):
    folder = copy(tmp_path)
    os.symlink("nobody@host.1234:1", folder / ".#platform.toml")  # dangling, as Emacs leaves it
    r = cli("override", "add", "platform", "--who", "dave", "--from", "2027-01-12T00:00Z", "--to", "2027-01-13T00:00Z",
            "--dir", str(folder), "--dry-run")
    assert r.code == 0, r.err
    assert "Dry run: nothing was written." in r.out


def test_report_month_outside_the_supported_years_is_a_usage_error(cli):
    for month in ("9999-12", "0001-01", "1800-01"):
        r = cli("report", "--dir", str(BUNDLED), "--month", month, "--tz", "Asia/Tokyo")
        assert r.code == 2 and "1900-2999" in r.err and "Traceback" not in r.err, month


def test_absurd_numbers_on_paging_options_are_usage_errors(cli):
    r = cli("page", "platform", "--message", "x", "--repeat", "99999999999999", "--dry-run", "--dir", str(BUNDLED))
    assert r.code == 2
    r = cli("pages", "show", "99999999999999999999999")
    assert r.code == 4 and "no page" in r.err
