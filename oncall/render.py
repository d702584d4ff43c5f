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

from .sanitize import terminal_safe


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


class Out:
    """A Rich console for messages, and tables written by the cheapest writer that gives
    the same bytes: Rich on a terminal (colour, wrapping), ``Grid.plain`` when piped,
    where Rich's per-cell rendering cost 25x the JSON of the same rows."""

    def __init__(self, rich_console):
        self.rich = rich_console

    def __getattr__(self, name: str):
        return getattr(self.rich, name)

    def print(self, obj: Any = "", *args, **kwargs) -> None:
        if isinstance(obj, Grid):
            if not self.rich.is_terminal:
                self.rich.file.write(obj.plain())
                return
            obj = obj.rich()
        self.rich.print(obj, *args, **kwargs)


def console(stderr: bool = False) -> Out:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    # Piped output must not wrap at Rich's 80-column default, nor be cut: scripts grep it.
    return Out(Console(file=stream, width=None if tty else PIPE_WIDTH,
                       no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False, soft_wrap=not tty))


class Grid(NamedTuple):
    """A table's text, made terminal-safe: headers, rows of cells (str, or a rich Text
    when a formatter wants colour), one style per row."""

    title: str | None
    headers: list[str]
    styles: list[str | None]
    rows: list[list[Any]]
    row_styles: list[str | None]

    def rich(self):
        """The Rich table (a terminal: colour, and wrapping on a narrow screen)."""
        from rich.table import Table
        from rich.text import Text

        t = Table(title=self.title, title_justify="left", header_style="bold")
        for header, style in zip(self.headers, self.styles, strict=True):
            # On a narrow terminal a cell wraps (at spaces, else anywhere) rather than lose text.
            t.add_column(header, style=style, overflow="fold")
        for cells, style in zip(self.rows, self.row_styles, strict=True):
            # Cells are plain text, never markup: a name like "Ann [ops]" must show as written.
            t.add_row(*(c if isinstance(c, Text) else Text(c) for c in cells), style=style)
        return t

    def plain(self) -> str:
        """The same layout as Rich's piped output (heavy head, no colour), in linear time."""
        from rich.cells import cell_len

        rows = [[c if isinstance(c, str) else c.plain for c in cells] for cells in self.rows]
        widths = [cell_len(h) for h in self.headers]
        lens = [[cell_len(c) for c in cells] for cells in rows]
        for row in lens:
            widths = [max(w, n) for w, n in zip(widths, row, strict=True)]

        def line(cells, ns, bar: str) -> str:
            return bar + bar.join(f" {c}{' ' * (w - n)} " for c, n, w in zip(cells, ns, widths, strict=True)) + bar

        def rule(left: str, fill: str, mid: str, right: str) -> str:
            return left + mid.join(fill * (w + 2) for w in widths) + right

        out = [self.title] if self.title else []
        out += [rule("┏", "━", "┳", "┓"), line(self.headers, [cell_len(h) for h in self.headers], "┃"),
                rule("┡", "━", "╇", "┩")]
        out += [line(cells, ns, "│") for cells, ns in zip(rows, lens, strict=True)]
        out.append(rule("└", "─", "┴", "┘"))
        return "\n".join(out) + "\n"


def table(rows: Iterable[dict], columns: list[Column], title: str | None = None,
          row_style: Callable[[dict], str | None] | None = None) -> Grid:
    """``rows`` shown in ``columns``; every cell's text goes through ``terminal_safe``
    (names, notes and messages come from files and alerts)."""
    cells, styles = [], []
    for row in rows:
        cells.append([_safe(c.format(row.get(c.key), row) if c.format else _text(row.get(c.key))) for c in columns])
        styles.append(row_style(row) if row_style else None)
    return Grid(terminal_safe(title) if title else title, [c.header for c in columns], [c.style for c in columns],
                cells, styles)


def _safe(cell: Any) -> Any:
    if isinstance(cell, str):
        return terminal_safe(cell)
    if terminal_safe(cell.plain) != cell.plain:  # a rich Text: keep its style, lose the unsafe spans
        return type(cell)(terminal_safe(cell.plain), style=cell.style)
    return cell


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
