"""Rows -> Rich tables or JSON. One row source per command, two serializers.

A row is a dict of plain values (str, bool, None, datetimes, nested dicts). ``to_json``
writes them as DESIGN's stable contract: ISO 8601 times with an offset (UTC unless the
user gave ``--tz``), keys sorted. ``table`` shows chosen columns for people, times in the
viewer's zone with its abbreviation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo


def _plain(value: Any, tz: ZoneInfo | timezone) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, dict):
        return {k: _plain(v, tz) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, tz) for v in value]
    return value


def to_json(rows: Any, tz: ZoneInfo | timezone | None = None) -> str:
    import json

    return json.dumps(_plain(rows, tz or timezone.utc), sort_keys=True, indent=2, ensure_ascii=False)


def write_json_list(rows: Iterable[dict], tz: ZoneInfo | timezone | None = None, stream=None) -> None:
    """Write ``rows`` as ``print(to_json(list(rows), tz))`` would, byte for byte, one row
    at a time: a long listing never holds every row and its text at once."""
    import json
    from json.encoder import encode_basestring

    zone = tz or timezone.utc
    out = stream or sys.stdout
    sep = "[\n"
    for row in rows:
        row = _plain(row, zone)
        if row and all(v is None or isinstance(v, str) for v in row.values()):  # the common row: no encoder
            body = ",\n".join(f"    {encode_basestring(k)}: {'null' if row[k] is None else encode_basestring(row[k])}"
                              for k in sorted(row))
            text = "  {\n" + body + "\n  }"
        else:
            text = "  " + json.dumps(row, sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        out.write(sep + text)
        sep = ",\n"
    out.write("[]\n" if sep == "[\n" else "\n]\n")


def when(t: datetime | None, tz: ZoneInfo) -> str:
    """``Thu 2026-12-24 09:00 PST``; ``—`` for an open end."""
    if t is None:
        return "—"
    local = t.astimezone(tz)
    return local.strftime("%a %Y-%m-%d %H:%M ") + (local.tzname() or "")


class Column(NamedTuple):
    key: str
    header: str
    format: Callable[[Any, dict], str] | None = None
    style: str | None = None


PIPE_WIDTH = 10_000  # wider than any row: piped tables keep one line per row


def console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    # Piped output must not wrap at Rich's 80-column default, nor be cut: scripts grep it.
    return Console(file=stream, width=None if tty else PIPE_WIDTH, no_color=bool(os.environ.get("NO_COLOR")) or None,
                   highlight=False, soft_wrap=not tty)


def table(rows: Iterable[dict], columns: list[Column], title: str | None = None,
          row_style: Callable[[dict], str | None] | None = None):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left", header_style="bold")
    for c in columns:
        # On a narrow terminal a cell wraps (at spaces, else anywhere) rather than lose text.
        t.add_column(c.header, style=c.style, overflow="fold")
    for row in rows:
        cells = [c.format(row.get(c.key), row) if c.format else _text(row.get(c.key)) for c in columns]
        # Cells are plain text, never markup: a name like "Ann [ops]" must show as written.
        # A formatter that wants colour returns a rich Text.
        t.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in cells),
                  style=row_style(row) if row_style else None)
    return t


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
