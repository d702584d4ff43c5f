"""Issue 14 item 2: every table and the timeline fit the screen (60, 80 and 120 columns
here, given as COLUMNS) without cutting a token: ids, times and phone numbers never
wrap; times lose their weekday, then columns drop in their declared order, then free
text wraps at spaces. Piped output with no width keeps its one line per row (the golden
outputs pin it)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from rich.cells import cell_len
from test_output_formats import CASES, D, logged, table_rows  # noqa: F401 -- logged: a fixture

from oncall import grid, render
from oncall.render import TIME, Column

WIDTHS = (60, 80, 120)
ARGS = {name: args for name, (args, _) in CASES.items()} | {
    "check-suggest": ["check", "--dir", D, "--from", "2025-12-29T00:00Z", "--days", "8", "--suggest"],
    "timeline": ["timeline", "--dir", D, "--from", "2027-01-03T00:00Z", "--days", "7"],
    "timeline-person": ["timeline", "--by-person", "--dir", D, "--from", "2027-01-03T00:00Z", "--days", "14"],
}
BOX = "│┃┏┓┗┛━─┡┩╇┳┴└┘┼╋┬├┤┠┨"


def words(text: str) -> set[str]:
    return set(re.sub(f"[{BOX}]", " ", text).split())


def whole_words(wide: str) -> set[str]:
    """The words of the unlimited output, and what a narrow screen may show of them: the
    month-day of a date (``12-24`` of ``2026-12-24``), an id without the name around it
    (``dave`` of ``Dave Kowalski (dave)``)."""
    found = words(wide)
    return (found | {w[5:] for w in found if re.fullmatch(r"\d{4}-\d\d-\d\d", w)}
            | {w[1:-1] for w in found if re.fullmatch(r"\(.+\)", w)})


def run(cli, monkeypatch, args, width: int | None):
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    return cli(*args, "--tz", "America/New_York")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ARGS)
def test_every_table_fits_the_width_and_cuts_no_token(cli, monkeypatch, name, width):
    wide = run(cli, monkeypatch, ARGS[name], None)
    narrow = run(cli, monkeypatch, ARGS[name], width)
    assert narrow.code == wide.code, narrow.err
    assert max(cell_len(line) for line in narrow.out.splitlines()) <= width
    if name.startswith("timeline"):
        day_line = narrow.out.splitlines()[0].split()
        assert all(re.fullmatch(r"Mon|Tue|Wed|Thu|Fri|Sat|Sun|\d\d|Jan", w) for w in day_line), day_line
        assert "…" not in narrow.out
    else:  # every word shown is a whole word of the unlimited output: nothing cut or shortened with '…'
        assert words(narrow.out) <= whole_words(wide.out), words(narrow.out) - whole_words(wide.out)


@pytest.mark.parametrize("width", WIDTHS)
def test_contacts_never_split_a_phone_number(cli, monkeypatch, width):
    people = json.loads(cli("contacts", "--dir", D, "--json").out)
    out = run(cli, monkeypatch, ["contacts", "--dir", D], width).out
    for p in people:
        if p["phone"]:
            assert p["phone"] in out


@pytest.mark.parametrize("width", (80, 120))
def test_now_is_one_line_per_rotation(cli, monkeypatch, width):
    out = run(cli, monkeypatch, ARGS["now"], width).out
    rotations = json.loads(cli(*ARGS["now"], "--json").out)
    body = table_rows(out)
    assert len(body) == len(rotations)
    for line, r in zip(body, rotations, strict=True):
        assert r["rotation"] in line and "2027-01" in line  # its id and when the shift ends


def test_shifts_does_not_wrap_at_120_columns(cli, monkeypatch):
    wide = table_rows(run(cli, monkeypatch, ARGS["shifts"], None).out)
    at_120 = table_rows(run(cli, monkeypatch, ARGS["shifts"], 120).out)
    assert len(at_120) == len(wide)  # one line per shift, as piped
    header = run(cli, monkeypatch, ARGS["shifts"], 120).out
    assert "Source" in header and "Length" in header  # nothing had to go at 120


def test_timeline_seven_days_at_80_columns_keeps_the_whole_week(cli, monkeypatch):
    out = run(cli, monkeypatch, ARGS["timeline"], 80).out.splitlines()
    assert {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"} <= set(out[0].split())
    assert max(map(cell_len, out)) <= 80


T = datetime(2026, 12, 24, 17, 0, tzinfo=timezone.utc)
ROWS = [{"id": "a1", "person": "ann", "start": T, "end": T + timedelta(hours=8), "note": "covering a long trip",
         "source": "layer:primary"}]
COLUMNS = (Column("id", "Id"), Column("person", "Person"), Column("start", "Start", TIME),
           Column("end", "End", TIME, drop=1), Column("source", "Source", drop=2),
           Column("note", "Note", wrap=True))


def _fit(width: int) -> render.Grid:
    from zoneinfo import ZoneInfo

    return render.table(ROWS, COLUMNS, zone=ZoneInfo("America/Los_Angeles")).fit(width)


def test_fit_shortens_times_then_drops_by_declared_order_then_wraps_free_text():
    full = _fit(200)
    assert full.headers == ["Id", "Person", "Start", "End", "Source", "Note"]
    assert full.rows[0][2] == "Thu 2026-12-24 09:00 PST"
    short = _fit(grid.outer_width(full.natural()) - 1)
    assert short.headers == full.headers and short.rows[0][2] == "2026-12-24 09:00 PST"
    assert _fit(90).headers == ["Id", "Person", "Start", "End", "Note"]  # Source (drop 2) goes first
    assert _fit(60).headers == ["Id", "Person", "Start", "Note"]  # then End (drop 1); never Id or Start
    narrow = _fit(50)
    assert narrow.headers == ["Id", "Person", "Start", "Note"]
    assert narrow.widths[3] is not None and narrow.widths[3] >= len("covering")  # wraps, never inside a word
