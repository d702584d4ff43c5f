"""`render.write_json_list` writes what `print(render.to_json(rows))` writes, byte for byte,
without holding every row: `shifts --json` streams through it (issue 16 item 4)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from oncall import render

T = datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc)
ROWS = [
    {"rotation": "ops", "person": "ann", "start": T, "end": T + timedelta(hours=3), "source": "layer:a"},
    {"rotation": "ops \"q\" \\ é ☃ \x1b", "person": None, "start": T, "end": None, "source": "override"},
    {"n": 3, "ok": True, "no": False, "x": 1.5, "nested": {"b": [1, {"c": None}], "a": T}, "empty": []},
    {},
]


@pytest.mark.parametrize("rows", [[], ROWS[:1], ROWS[:2], ROWS], ids=["empty", "one", "two", "mixed"])
@pytest.mark.parametrize("tz", [None, ZoneInfo("America/New_York")], ids=["utc", "new-york"])
def test_streamed_json_list_is_byte_identical_to_to_json(rows, tz):
    out = io.StringIO()
    render.write_json_list(iter(rows), tz, out)
    assert out.getvalue() == render.to_json(rows, tz) + "\n"


def test_shifts_json_streams_rows_one_at_a_time(monkeypatch, cli):
    """The rows reach the writer as an iterator, not a list built first."""
    seen = []

    def spy(rows, tz=None, stream=None):
        seen.append(type(rows))
        return real(rows, tz, stream)

    real = render.write_json_list
    monkeypatch.setattr(render, "write_json_list", spy)
    from conftest import BUNDLED

    r = cli("shifts", "--dir", str(BUNDLED), "--from", "2026-03-01T00:00Z", "--days", "7", "--json")
    assert r.code == 0 and r.out.startswith("[\n  {\n")
    assert seen and not issubclass(seen[0], (list, tuple))


@pytest.mark.parametrize("body", [
    {"problems": ROWS, "warnings": []},
    {"problems": [], "suggestions": ROWS[2:], "warnings": ROWS[:2]},
    {"problems": [], "warnings": []},
    {"a": ROWS, "b": 3},
    {},
    ROWS,
    "text",
], ids=["check", "three-lists", "empty-lists", "not-all-lists", "empty", "list", "scalar"])
@pytest.mark.parametrize("tz", [None, ZoneInfo("America/New_York")], ids=["utc", "new-york"])
def test_streamed_json_object_of_lists_is_byte_identical_to_to_json(body, tz):
    """`check --json`'s object of lists is written a row at a time, the same bytes."""
    out = io.StringIO()
    render.write_json(body, tz, out)
    assert out.getvalue() == render.to_json(body, tz) + "\n"


def test_flat_rows_with_repeated_times_in_any_zone_match_to_json():
    # The flat-row path remembers each fixed-offset instant's text: equal instants in
    # other offsets, and an ambiguous wall time (fold) in a DST zone, must not share it.
    berlin = ZoneInfo("Europe/Berlin")
    t = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    rows = [{"start": t, "end": t.astimezone(timezone(timedelta(hours=5))), "who": "é\n", "x": None},
            {"start": datetime(2026, 10, 25, 2, 30, tzinfo=berlin), "end": datetime(2026, 10, 25, 2, 30, fold=1,
                                                                                   tzinfo=berlin)},
            {"start": t, "n": 1}, {}, {"b": "2", "a": "1"}]
    for tz in (timezone.utc, berlin):
        out = io.StringIO()
        render.write_json({"warnings": rows, "problems": rows[:1]}, tz, out)
        assert out.getvalue() == render.to_json({"warnings": rows, "problems": rows[:1]}, tz) + "\n"
