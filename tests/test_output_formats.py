"""The output registry: every listing command gives the same rows as a table, as JSON and
as CSV (same count, same keys), CSV is RFC 4180 with times as JSON writes them, and
``--json`` is ``--format json``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from conftest import BUNDLED

from oncall.paging.fake import FakeClock, FakePager

T0 = datetime(2027, 1, 5, 12, 0, tzinfo=timezone.utc)
D = str(BUNDLED)
RANGE = ["--from", "2027-01-03T00:00Z", "--to", "2027-01-12T00:00Z"]

# name: (arguments, where the JSON keeps its rows)
CASES = {
    "now": (["now", "--dir", D, "--at", "2027-01-05T12:00Z"], None),
    "shifts": (["shifts", "--dir", D, *RANGE], None),
    "shifts-person": (["shifts", "--person", "carol", "--dir", D, *RANGE], None),
    "report": (["report", "--dir", D, *RANGE], "people"),
    "check": (["check", "--dir", D, "--from", "2025-12-29T00:00Z", "--days", "8"], "findings"),
    "contacts": (["contacts", "--dir", D], None),
    "override-list": (["override", "list", "platform", "--dir", D], None),
    "away-list": (["away", "list", "--dir", D], None),
    "page-dry-run": (["page", "platform", "-m", "db down", "--dry-run", "--dir", D], "steps"),
    "pages": (["pages"], None),
    "pages-show": (["pages", "show", "1"], "attempts"),
    "incidents": (["incidents"], None),
    "notify-dry-run": (["notify", "--dir", D, "--dry-run", "--at", "2027-01-04T13:30Z"], None),
}


@pytest.fixture(autouse=True)
def logged(use_clock, monkeypatch, tmp_path, cli):
    """A clock at T0, one page in the page log and one incident in the store."""
    use_clock(FakeClock(T0))
    import oncall.cli.page as page_cmd

    monkeypatch.setattr(page_cmd, "make_pager", lambda clock: FakePager(clock, record=str(tmp_path / "sent.jsonl")))
    assert cli("page", "platform", "-m", "db down", "--dir", D, "--no-wait").code == 0
    from oncall.paging.store import open_store

    open_store().open("platform", "disk", "alertmanager", "disk full, \"quoted\", comma", T0)


def json_rows(out: str, where: str | None) -> list[dict]:
    data = json.loads(out)
    if where == "findings":
        return [{"severity": "problem"} | p for p in data["problems"]] + [
            {"severity": "warning"} | w for w in data["warnings"]]
    return data[where] if where else data


def flat(row: dict, prefix: str = "") -> dict:
    """``{"next": {"person": ..}}`` as ``{"next.person": ..}``, the CSV's column names."""
    out = {}
    for k, v in row.items():
        if isinstance(v, dict) and v and all(isinstance(x, (str, int, type(None))) for x in v.values()):
            out |= flat(v, f"{prefix}{k}.")
        else:
            out[prefix + k] = v
    return out


def table_rows(out: str) -> list[str]:
    """The body lines of every piped table (between the header rule and the bottom rule)."""
    rows, inside = [], False
    for line in out.splitlines():
        if line.startswith("┡"):
            inside = True
        elif line.startswith("└"):
            inside = False
        elif inside:
            rows.append(line)
    return rows


@pytest.mark.parametrize("name", CASES)
def test_table_json_and_csv_give_the_same_rows(cli, name):
    args, where = CASES[name]
    as_json = cli(*args, "--json")
    as_csv = cli(*args, "--format", "csv")
    as_table = cli(*args, "--format", "table", "--tz", "UTC")
    assert as_json.code == as_csv.code == as_table.code, (as_json.err, as_csv.err, as_table.err)
    rows = json_rows(as_json.out, where)
    assert rows, "each case lists something"
    lines = list(csv.reader(io.StringIO(as_csv.out, newline="")))
    header, body = lines[0], lines[1:]
    assert len(body) == len(rows)
    keys = set().union(*(flat(r) for r in rows))
    # A nested object that is null (no next step) still has its columns, empty.
    keys = {k for k in keys if not any(h.startswith(k + ".") for h in header)}
    if name == "check":  # a gap has no person, reason or message: its cells are empty
        assert header == ["severity", "rotation", "kind", "person", "reason", "start", "end", "message"]
        assert set(header) >= keys
    else:
        assert set(header) == keys
    assert len(header) == len(set(header))
    shown = table_rows(as_table.out)
    if name == "shifts":  # a table also shows the gaps inside coverage, which JSON and CSV leave out
        shown = [line for line in shown if "NO ONE ON CALL" not in line]
    if name == "check":  # one table of problems; warnings are lines under it
        rows = [r for r in rows if r["severity"] == "problem"]
    if name == "report":
        shown = shown[:len(rows)]  # the people table comes first, then one of rotations
    assert len(shown) == len(rows)


def test_csv_is_rfc_4180_with_json_times_and_quoting(cli):
    r = cli("incidents", "--format", "csv")
    assert r.code == 0
    assert r.out.endswith("\r\n") and "\n" not in r.out.replace("\r\n", "")
    rows = list(csv.DictReader(io.StringIO(r.out, newline="")))
    assert [r["source"] for r in rows] == ["page", "alertmanager"]  # a page is an incident too
    row = rows[1]
    assert row["message"] == 'disk full, "quoted", comma'
    assert '"disk full, ""quoted"", comma"' in r.out
    assert row["opened"] == "2027-01-05T12:00:00+00:00"
    assert row["acknowledged"] == "" and row["next.step"] == "1"


def test_csv_values_are_json_values_as_text(cli):
    r = cli("now", "platform", "--dir", D, "--at", "2027-01-05T12:00Z", "--format", "csv", "--tz", "Asia/Kolkata")
    [row] = list(csv.DictReader(io.StringIO(r.out, newline="")))
    [js] = json.loads(cli("now", "platform", "--dir", D, "--at", "2027-01-05T12:00Z", "--json",
                          "--tz", "Asia/Kolkata").out)
    assert row == {"rotation": "platform", "person": js["person"], "start": js["start"], "end": js["end"],
                   "source": js["source"], "reachable": "true", "in_coverage": "true",
                   "next.person": js["next"]["person"], "next.start": js["next"]["start"]}
    contacts = list(csv.DictReader(io.StringIO(cli("contacts", "--dir", D, "--format", "csv").out, newline="")))
    assert {c["channels"] for c in contacts} >= {"sms voice"}


@pytest.mark.parametrize("args", [["now", "--dir", D], ["pages"], ["incidents"], ["contacts", "--dir", D]])
def test_json_with_another_format_is_a_usage_error(cli, args):
    r = cli(*args, "--json", "--format", "csv")
    assert r.code == 2 and "--json means --format json" in r.err and r.out == ""
    assert cli(*args, "--json", "--format", "json").out == cli(*args, "--json").out
    bad = cli(*args, "--format", "xml")
    assert bad.code == 2 and "--format" in bad.err


def test_shifts_csv_streams_rows_one_at_a_time(monkeypatch, cli):
    from oncall import render

    seen = []
    real = render.write_csv

    def spy(rows, columns, tz, stream=None):
        seen.append(type(rows))
        return real(rows, columns, tz, stream)

    monkeypatch.setattr(render, "write_csv", spy)
    r = cli("shifts", "--dir", D, *RANGE, "--format", "csv")
    assert r.code == 0 and r.out.startswith("rotation,person,start,end,source,shift_start,shift_end\r\n")
    assert seen and not issubclass(seen[0], (list, tuple))
