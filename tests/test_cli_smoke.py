"""The bundled example through the real commands, at fixed instants."""

import json

from conftest import BUNDLED


def test_now_json_names_the_override_and_the_next_person(cli):
    r = cli("now", "platform", "--dir", str(BUNDLED), "--at", "2027-01-05T12:00Z", "--json")
    assert r.code == 0, r.err
    [row] = json.loads(r.out)
    assert row == {
        "rotation": "platform", "person": "carol", "source": "override", "reachable": True, "in_coverage": True,
        "start": "2027-01-04T14:00:00+00:00", "end": "2027-01-11T14:00:00+00:00",
        "next": {"person": "bob", "start": "2027-01-11T14:00:00+00:00"},
    }


def test_bundled_check_is_clean_for_years(cli):
    r = cli("check", "--dir", str(BUNDLED), "--from", "2026-01-05T14:00Z", "--days", "1500", "--json")
    assert r.code == 0, r.out
    assert json.loads(r.out) == {"problems": [], "warnings": []}


def test_unknown_rotation_is_exit_4_with_a_hint(cli):
    r = cli("now", "platfrom", "--dir", str(BUNDLED), "--at", "2027-01-05T12:00Z")
    assert r.code == 4
    assert "did you mean 'platform'" in r.err
