"""`oncall import`: list responses split over several pages (one file per page) are
merged; an item repeated by overlapping pages counts once; a missing page, or one item
with two contents, is refused (exit 3) naming the JSON path."""

from __future__ import annotations

import json
from pathlib import Path

from test_import_pagerduty import PD, _import, _tree, mf


def _pages(doc: dict, key: str, cuts: list[tuple[int, int]]) -> list[dict]:
    """``doc``'s list ``key`` as PagerDuty pages it: (offset, limit) each."""
    items = doc[key]
    return [{key: items[o:o + n], "limit": n, "offset": o, "total": None, "more": o + n < len(items)}
            for o, n in cuts]


def test_pagerduty_users_split_over_pages_import_the_same_bytes(cli, tmp_path):
    weekly = json.loads((PD / "weekly.json").read_text())
    whole = _import(cli, tmp_path, mf.users_doc(), weekly, out="whole")
    assert whole.code == 0, whole.out + whole.err
    # Three pages of two; the third overlaps the second (a user moved while paging).
    pages = _pages(mf.users_doc(), "users", [(0, 2), (2, 2), (3, 2)])
    assert [len(p["users"]) for p in pages] == [2, 2, 2] and pages[-1]["more"] is False
    paged = _import(cli, tmp_path, *pages, weekly, out="paged")
    assert paged.code == 0 and "identical over" in paged.out, paged.out + paged.err
    assert _tree(tmp_path / "paged") == _tree(tmp_path / "whole")


def test_pagerduty_escalation_policies_on_two_pages_are_one_list(cli, tmp_path):
    doc = mf.escalation_doc()
    extra = dict(doc["escalation_policies"][0], id="PEPOTHER", name="Other", escalation_rules=[])
    doc["escalation_policies"].insert(0, extra)
    pages = _pages(doc, "escalation_policies", [(0, 1), (1, 1)])
    r = _import(cli, tmp_path, mf.users_doc(), *pages, json.loads((PD / "weekly.json").read_text()))
    assert r.code == 0, r.out + r.err
    assert "PagerDuty escalation policy PEPLOOP" in (tmp_path / "out" / "platform-primary.toml").read_text()


def test_pagerduty_a_missing_page_is_refused_naming_the_offset(cli, tmp_path):
    first, _ = _pages(mf.users_doc(), "users", [(0, 3), (3, 3)])
    r = _import(cli, tmp_path, first, json.loads((PD / "weekend.json").read_text()))
    assert r.code == 3 and r.out == "", r.out
    assert "dump-0.json: $.more: more users follow: add the response of the same request with offset=3" in r.err
    assert not (tmp_path / "out").exists()


def test_pagerduty_one_user_with_two_contents_is_refused(cli, tmp_path):
    a, b = _pages(mf.users_doc(), "users", [(0, 3), (2, 3)])
    b["users"][0] = dict(b["users"][0], name="Someone Else")
    r = _import(cli, tmp_path, a, b, json.loads((PD / "weekend.json").read_text()))
    assert r.code == 3 and not (tmp_path / "out").exists()
    uid = a["users"][2]["id"]
    assert (f"dump-1.json: $.users[0]: user {uid!r} is also in {tmp_path / 'dump-0.json'} at $.users[2] "
            "with other content") in r.err, r.err


def test_pagerduty_a_schedule_fetched_twice_is_one_rotation(cli, tmp_path):
    weekly = json.loads((PD / "weekly.json").read_text())
    r = _import(cli, tmp_path, mf.users_doc(), weekly, weekly)
    assert r.code == 0 and r.out.count("identical over") == 1, r.out + r.err
    assert sorted(p.name for p in Path(tmp_path / "out").iterdir()) == ["people.toml", "platform-primary.toml"]


def test_pagerduty_a_hole_between_pages_is_refused(cli, tmp_path):
    a, _, c = _pages(mf.users_doc(), "users", [(0, 2), (2, 1), (3, 2)])
    r = _import(cli, tmp_path, c, a, c, json.loads((PD / "weekend.json").read_text()))
    assert r.code == 3, r.out
    assert "dump-0.json: $.offset: the users from offset 2 to 3 are missing: add the response of the same " \
           "request with offset=2" in r.err, r.err
