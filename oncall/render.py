"""The output registry: a command's rows, its columns declared once, three serializers.

A row is a dict of plain values (str, bool, None, numbers, datetimes, nested dicts and
lists). A ``Column`` names one JSON key (dotted for a nested one, ``next.person``), the
header a table shows for it and how a table shows it. ``emit`` writes a command's rows in
the format the run asked for:

- ``json``: DESIGN's stable contract: ISO 8601 times with an offset (UTC unless the user
  gave ``--tz``) to the whole second (as the files hold them: a fraction from the clock
  or the page store is dropped), keys sorted; a list is streamed a row at a time. Keys starting with
  ``_`` are the table's own and never written.
- ``csv``: RFC 4180 (the stdlib ``csv`` module, CRLF line ends), a header row of the
  columns' JSON keys, then one line per row; times as in JSON, ``true``/``false``, an
  empty cell for null, list items joined by a space.
- ``table``: the columns with a header, times on the viewer's wall clock with the zone's
  abbreviation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .grid import Grid, Out, console  # noqa: F401 -- console and Out are render's interface too
from .sanitize import terminal_safe

TIME = "time"  # Column.show: the viewer's wall time (``when``)


def _plain(value: Any, tz: ZoneInfo | timezone) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, dict):
        return {k: v if v is None or type(v) is str else _plain(v, tz) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, tz) for v in value]
    return value


def to_json(rows: Any, tz: ZoneInfo | timezone | None = None) -> str:
    import json

    return json.dumps(_plain(rows, tz or timezone.utc), sort_keys=True, indent=2, ensure_ascii=False)


def write_json_list(rows: Iterable[dict], tz: ZoneInfo | timezone | None = None, stream=None) -> None:
    """Write ``rows`` as ``print(to_json(list(rows), tz))`` would, byte for byte, one row
    at a time: a long listing never holds every row and its text at once."""
    out = stream or sys.stdout
    _write_rows(rows, tz or timezone.utc, out, "")
    out.write("\n")


def write_json(body: Any, tz: ZoneInfo | timezone | None = None, stream=None) -> None:
    """Write ``body`` as ``print(to_json(body, tz))`` would, byte for byte; an object of
    lists (``check``'s problems and warnings) is written a row at a time, as a list is."""
    from json.encoder import encode_basestring

    out = stream or sys.stdout
    if isinstance(body, list):
        return write_json_list(body, tz, out)
    if not (isinstance(body, dict) and body and all(isinstance(v, list) for v in body.values())):
        print(to_json(body, tz), file=out)
        return
    sep = "{\n"
    for key in sorted(body):
        out.write(f"{sep}  {encode_basestring(key)}: ")
        _write_rows(body[key], tz or timezone.utc, out, "  ")
        sep = ",\n"
    out.write("\n}\n")


def _write_rows(rows: Iterable[Any], zone: ZoneInfo | timezone, out, indent: str) -> None:
    """A JSON list at ``indent`` as ``json.dumps(indent=2, sort_keys=True)`` lays it out
    there, a row at a time. The common row, a flat object of strings, nulls and times, is
    written without the encoder (whose indenting form is pure Python, the slow part of
    a big listing): see ``_flat_row``."""
    import json
    from json.encoder import encode_basestring

    inner = indent + "  "
    heads: dict[str, str] = {}
    times: dict[datetime, str] = {}
    sep = "[\n"
    for row in rows:
        text = _flat_row(row, zone, inner, encode_basestring, heads, times) if type(row) is dict else None
        if text is None:
            row = _plain(row, zone)
            text = inner + json.dumps(row, sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n" + inner)
        out.write(sep + text)
        sep = ",\n"
    out.write("[]" if sep == "[\n" else f"\n{indent}]")


def _flat_row(row: dict, zone: ZoneInfo | timezone, inner: str, encode: Callable[[str], str],
              heads: dict[str, str], times: dict[datetime, str]) -> str | None:
    """``row`` as ``json.dumps(_plain(row, zone), indent=2, sort_keys=True)`` lays it out
    at ``inner``, if it is a non-empty object of ``str`` keys and ``str``, None and aware
    ``datetime`` values only; None for any other row (the encoder's then). ``heads`` and
    ``times`` remember, for one listing, the text of each key's line start and of each
    instant in a fixed-offset zone (a listing repeats its times; in a zone with DST, two
    instants an hour apart can compare equal, so those are not remembered)."""
    if not row:
        return None
    lines = []
    for k in sorted(row):
        head = heads.get(k)
        if head is None:
            if type(k) is not str:
                return None
            head = heads[k] = f"{inner}  {encode(k)}: "
        v = row[k]
        if v is None:
            lines.append(head + "null")
        elif type(v) is str:
            lines.append(head + encode(v))
        elif type(v) is datetime and v.tzinfo is not None:
            text = times.get(v) if type(v.tzinfo) is timezone else None
            if text is None:
                text = encode(v.astimezone(zone).isoformat(timespec="seconds"))
                if type(v.tzinfo) is timezone:
                    times[v] = text
            lines.append(head + text)
        else:
            return None
    return f"{inner}{{\n" + ",\n".join(lines) + f"\n{inner}}}"


@lru_cache(maxsize=4096)  # a listing's shift ends where the next one starts
def when(t: datetime | None, tz: ZoneInfo) -> str:
    """``Thu 2026-12-24 09:00 PST``; ``—`` for an open end."""
    if t is None:
        return "—"
    local = t.astimezone(tz)
    return local.strftime("%a %Y-%m-%d %H:%M ") + (local.tzname() or "")


class Column(NamedTuple):
    """One column of a listing, for every format.

    ``key``: the row's key, which is the JSON key and the CSV header (dotted for a value
    inside a nested object). ``header``: the table's header; None for a column only JSON
    and CSV carry. ``show``: the table's text for ``(value, row)``, ``TIME`` for an
    instant, None for the value itself (``—`` for null, yes/no). ``machine``: False for a
    table-only column (a marker, or a figure made from other columns), which CSV leaves
    out. ``drop``: on a terminal too narrow for the table, columns with the highest
    ``drop`` go first (0: never dropped). ``wrap``: free text that may wrap at spaces; other
    cells (ids, times, phone numbers) never wrap. ``short``: a shorter text for the cell
    (a person's id without the name) when the table does not fit otherwise; ``Grid.fit``
    says in which order a table gives way.
    """

    key: str
    header: str | None = None
    show: Callable[[Any, dict], Any] | str | None = None
    style: str | None = None
    machine: bool = True
    drop: int = 0
    wrap: bool = False
    short: Callable[[Any, dict], Any] | None = None


class Section(NamedTuple):
    """Rows and the columns they are shown in; a table's title and per-row style."""

    rows: Iterable[dict]
    columns: Sequence[Column]
    title: str | None = None
    row_style: Callable[[dict], str | None] | None = None


def emit(c, *sections: Section, body: Any = None, show: Callable[[], None] | None = None,
         empty: str | None = None) -> None:
    """Write ``sections`` in ``c.format`` (``c``: the run's context: ``format``, ``zone``,
    ``out_zone``). JSON: ``body`` (the command's JSON object) if given, else the first
    section's rows as a list. CSV: the first section's rows. Table: ``show()`` if given
    (a command whose text is more than tables), else ``empty`` when there is no row at
    all, else every section as a table."""
    if c.format == "json":
        if body is not None:
            write_json(body, c.out_zone)
        else:
            write_json_list((_public(r) for r in sections[0].rows), c.out_zone)
    elif c.format == "csv":
        write_csv(sections[0].rows, sections[0].columns, c.out_zone)
    elif show is not None:
        show()
    else:
        grids = [table(s.rows, s.columns, s.title, s.row_style, c.zone) for s in sections]
        out = console()
        if empty is not None and not any(g.rows for g in grids):
            out.print(empty, markup=False)
            return
        for g in grids:
            out.print(g)


def _public(row: dict) -> dict:
    for k in row:
        if k.startswith("_"):
            return {k: v for k, v in row.items() if not k.startswith("_")}
    return row


def write_csv(rows: Iterable[dict], columns: Sequence[Column], tz: ZoneInfo | timezone, stream=None) -> None:
    """``rows`` as RFC 4180 CSV: a header of the machine columns' keys, a line per row."""
    import csv

    keys = [col.key for col in columns if col.machine]
    w = csv.writer(stream or sys.stdout, lineterminator="\r\n")
    w.writerow(keys)
    for row in rows:
        w.writerow([_text(_plain(_get(row, k), tz), "", ("false", "true")) for k in keys])


def _get(row: dict, key: str) -> Any:
    if key in row:
        return row[key]
    value: Any = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def table(rows: Iterable[dict], columns: Sequence[Column], title: str | None = None,
          row_style: Callable[[dict], str | None] | None = None, zone: ZoneInfo | None = None) -> Grid:
    """``rows`` shown in the ``columns`` that have a header (``TIME`` ones in ``zone``);
    every cell's text goes through ``terminal_safe`` (names, notes and messages come
    from files and alerts)."""
    shown = [c for c in columns if c.header is not None]
    short = any(c.short for c in shown)
    cells, styles, shorts = [], [], []
    zone = zone or ZoneInfo("UTC")
    # A cell: the value as text (a TIME in ``zone``, else the column's ``show``), made safe;
    # inline, no call per cell for the common cases: a big table has a million cells.
    spec = [(c.key, c.show) for c in shown]
    for row in rows:
        made = []
        for key, show in spec:
            v = row[key] if key in row else _get(row, key)
            x = (v if type(v) is str else _text(v)) if show is None else when(v, zone) if show == TIME \
                else show(v, row)
            made.append(x if type(x) is str and x.isprintable() else _safe(x))
        cells.append(made)
        styles.append(row_style(row) if row_style else None)
        if short:
            shorts.append([_safe(c.short(_get(row, c.key), row)) if c.short else None for c in shown])
    return Grid(terminal_safe(title) if title else title, [c.header for c in shown], [c.style for c in shown],
                cells, styles, [c.drop for c in shown], [c.wrap for c in shown], [c.show == TIME for c in shown],
                shorts=shorts if short else None)


def _safe(cell: Any) -> Any:
    if isinstance(cell, str):
        return terminal_safe(cell)
    if terminal_safe(cell.plain) != cell.plain:  # a rich Text: keep its style, lose the unsafe spans
        return type(cell)(terminal_safe(cell.plain), style=cell.style)
    return cell


def _text(value: Any, null: str = "—", bools: tuple[str, str] = ("no", "yes")) -> str:
    """A value as text: ``null`` for None, ``bools`` for False and True, a list's items
    joined by a space."""
    if value is None:
        return null
    if isinstance(value, bool):
        return bools[value]
    if isinstance(value, (list, tuple)):
        return " ".join(_text(v, null, bools) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)
