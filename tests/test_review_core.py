"""Regression tests for bugs found reviewing the core and the read/export commands.

Each test names the symptom a user saw; the fix is in the module the test exercises."""

from __future__ import annotations

import json

import pytest
from conftest import write_folder

from oncall import phones

PEOPLE = """
[people.ann]
name = "Ann Lee"
phone = "+14155550111"
[people.ben]
name = "Ben Cho"
phone = "+14155550112"
"""


# --- phones: the validity cache is best-effort -----------------------------------------------

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
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "desk.toml": (
        'timezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-01-05T00:00:00\nevery = "1w"\n')})
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": phones._package_key(), "numbers": []}))
    r = cli("now", "--dir", str(folder), "--at", "2026-02-01T00:00Z", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)[0]["reachable"] is True
