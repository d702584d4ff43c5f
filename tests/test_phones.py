"""Phone validity: phonenumbers decides, the cache only remembers (see oncall.phones)."""

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import BUNDLED, ROOT, write_folder
from test_export import PEOPLE as ANN_BEN

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


# --- issue 15 item 6: the cache is private and can never make anyone unreachable ----------

VALID, INVALID = "+14155550101", "+15555555555"


def _forge(state, numbers: dict, mode: int = 0o600) -> None:
    state.mkdir(exist_ok=True)
    path = state / phones.CACHE_NAME
    path.write_text(json.dumps({"key": phones._package_key(), "numbers": numbers}))
    os.chmod(path, mode)


def test_the_phone_cache_is_a_0600_file_in_a_0700_folder(tmp_path):
    state = tmp_path / "state"  # does not exist yet: validity creates it
    phones.validity({VALID})
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state / phones.CACHE_NAME).st_mode) == 0o600


def test_a_world_readable_phone_cache_is_made_private(tmp_path):
    _forge(tmp_path / "state", {VALID: True}, 0o644)  # as older versions wrote it
    assert phones.validity({VALID}) == {VALID: True}
    assert stat.S_IMODE(os.stat(tmp_path / "state" / phones.CACHE_NAME).st_mode) == 0o600


def test_a_forged_false_in_the_phone_cache_does_not_skip_a_reachable_person(tmp_path):
    _forge(tmp_path / "state", {VALID: False})  # private, ours, right key: still only a cached "invalid"
    assert phones.validity({VALID}) == {VALID: True}
    assert json.loads((tmp_path / "state" / phones.CACHE_NAME).read_text())["numbers"] == {VALID: True}


def test_a_group_or_world_writable_phone_cache_is_not_believed(tmp_path):
    _forge(tmp_path / "state", {INVALID: True}, 0o666)
    assert phones.validity({INVALID}) == {INVALID: False}


def test_a_phone_cache_in_a_folder_others_can_write_is_not_believed(tmp_path):
    _forge(tmp_path / "state", {INVALID: True})
    os.chmod(tmp_path / "state", 0o777)
    assert phones.validity({INVALID}) == {INVALID: False}


def test_a_phone_cache_owned_by_someone_else_is_not_believed(tmp_path):
    if os.getuid() != 0:
        pytest.skip("giving a file to another user needs root")
    _forge(tmp_path / "state", {INVALID: True})
    os.chown(tmp_path / "state" / phones.CACHE_NAME, 65534, 65534)
    assert phones.validity({INVALID}) == {INVALID: False}


def test_numbers_gone_from_people_toml_leave_the_phone_cache(tmp_path):
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "desk.toml": ROT})
    load_directory(folder)
    cache = tmp_path / "state" / phones.CACHE_NAME
    assert set(json.loads(cache.read_text())["numbers"]) == {VALID, INVALID}
    (folder / "people.toml").write_text(PEOPLE.replace(VALID, "+14155550199"))
    load_directory(folder)
    assert json.loads(cache.read_text())["numbers"] == {"+14155550199": True, INVALID: False}


# --- a cache of the wrong shape is as good as none ------------------------------------------



@pytest.mark.parametrize("numbers", [[], "text", 3, None])
def test_a_phone_cache_that_is_json_of_the_wrong_shape_is_ignored(tmp_path, numbers):
    # Used to be an AttributeError traceback from `oncall now`: only unreadable JSON was ignored.
    state = tmp_path / "state"
    state.mkdir()
    key = phones._package_key()
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": key, "numbers": numbers}))
    assert phones.validity({"+14155550101"}) == {"+14155550101": True}
    assert json.loads((state / phones.CACHE_NAME).read_text())["numbers"] == {"+14155550101": True}


def test_a_phone_cache_that_is_not_an_object_is_ignored(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_text("[1, 2]")
    assert phones.validity({"+14155550101"}) == {"+14155550101": True}


def test_now_survives_a_cache_of_the_wrong_shape(cli, tmp_path):
    folder = write_folder(tmp_path / "r", {"people.toml": ANN_BEN, "desk.toml": (
        'timezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-01-05T00:00:00\nevery = "1w"\n')})
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": phones._package_key(), "numbers": []}))
    r = cli("now", "--dir", str(folder), "--at", "2026-02-01T00:00Z", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)[0]["reachable"] is True
