"""Phone validity: phonenumbers decides, the cache only remembers (see oncall.phones)."""

import json
import os
import subprocess
import sys

from conftest import BUNDLED, ROOT, write_folder

from oncall import phones
from oncall.load import load_directory

PEOPLE = """
[people.ok]
name = "Valid"
phone = "+14155550101"
[people.bad]
name = "Well-formed but not assignable"
phone = "+15555555555"
"""
ROT = """
timezone = "UTC"
[[layer]]
members = ["bad"]
start = 2026-01-05T00:00:00
every = "1w"
"""


def test_validity_is_phonenumbers_answer_and_is_cached(tmp_path):
    d = load_directory(write_folder(tmp_path / "r", {"people.toml": PEOPLE, "desk.toml": ROT}))
    assert d.people["ok"].phone_valid is True
    assert d.people["bad"].phone_valid is False
    cache = json.loads((tmp_path / "state" / phones.CACHE_NAME).read_text())
    assert cache["numbers"] == {"+14155550101": True, "+15555555555": False}


def test_a_cache_from_another_phonenumbers_build_is_ignored(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    # A lying cache written by "another version": it must not be believed.
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": "other", "numbers": {"+15555555555": True}}))
    assert phones.validity({"+15555555555"}) == {"+15555555555": False}


def test_a_corrupt_cache_is_ignored_and_rewritten(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_bytes(b"\xff not json")
    assert phones.validity({"+14155550101"}) == {"+14155550101": True}
    assert json.loads((state / phones.CACHE_NAME).read_text())["numbers"] == {"+14155550101": True}


def test_check_and_now_agree_on_an_invalid_phone(cli, tmp_path):
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "desk.toml": ROT})
    r = cli("now", "--dir", str(folder), "--at", "2026-02-01T00:00Z", "--json")
    assert json.loads(r.out)[0]["reachable"] is False
    r = cli("check", "--dir", str(folder), "--from", "2026-02-01T00:00Z", "--days", "1", "--json")
    [problem] = json.loads(r.out)["problems"]
    assert (problem["kind"], problem["person"], problem["reason"]) == ("unreachable", "bad", "invalid-phone")


def test_now_imports_no_heavy_module_once_the_cache_is_warm(tmp_path):
    env = dict(os.environ, ONCALL_STATE_DIR=str(tmp_path / "state"))
    code = ("import sys\nfrom oncall.cli import main\n"
            f"try:\n    main(['now', '--dir', {str(BUNDLED)!r}, '--at', '2027-01-05T12:00Z'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = ('twilio', 'icalendar', 'tomlkit', 'phonenumbers', 'platformdirs', 'sqlite3', 'psycopg',"
            " 'psycopg_pool')\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)")
    first = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert first.stderr.strip().splitlines()[-1] == "['phonenumbers']"  # the cold run asks phonenumbers
    warm = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert warm.stderr.strip().splitlines()[-1] == "[]"
    assert "carol" in warm.stdout
