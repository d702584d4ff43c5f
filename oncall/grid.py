"""A table's text and its layout: ``Grid`` (terminal-safe cells, fitted to a screen's
width in a documented order, written by Rich or by a plain linear writer), and ``Out``,
the console that picks the writer. ``render.table`` makes a Grid from declared columns."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cached_property
from itertools import repeat
from typing import Any, NamedTuple

PIPE_WIDTH = 10_000  # wider than any row: piped tables keep one line per row


class Out:
    """A Rich console for messages, and tables written by the cheapest writer that gives
    the same bytes: Rich where a width is known (a terminal, or ``COLUMNS`` given), the
    table first fitted to it (``Grid.fit``); ``Grid.plain`` when piped, where Rich's
    per-cell rendering cost 25x the JSON of the same rows. The Rich console is made on
    first use: a piped command that writes only tables never imports it."""

    def __init__(self, stream, width: int | None, make_rich: Callable[[], Any]):
        self.stream = stream
        self.fit_width = width
        self._make_rich = make_rich

    @cached_property
    def rich(self):
        return self._make_rich()

    def __getattr__(self, name: str):
        return getattr(self.rich, name)

    def print(self, obj: Any = "", *args, **kwargs) -> None:
        if isinstance(obj, Grid):
            if self.fit_width is None:
                self.stream.write(obj.plain())
                return
            obj = obj.fit(self.fit_width).rich()
        self.rich.print(obj, *args, **kwargs)


def console(stderr: bool = False) -> Out:
    """A console on stdout (or stderr). Its width: the terminal's; when piped, ``COLUMNS``
    if set, else unlimited (a piped table keeps one line per row: scripts grep it)."""
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    columns = os.environ.get("COLUMNS", "")
    given = int(columns) if columns.isdigit() and 20 <= int(columns) <= PIPE_WIDTH else None

    def make_rich():
        from rich.console import Console

        return Console(file=stream, width=given if given or tty else PIPE_WIDTH,
                       no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False,
                       soft_wrap=not (tty or given))

    out = Out(stream, None, make_rich)
    if tty or given:
        out.fit_width = out.rich.width  # as Rich measures the terminal (or takes COLUMNS)
    return out


class Grid(NamedTuple):
    """A table's text, made terminal-safe: headers, rows of cells (str, or a rich Text
    when a formatter wants colour), one style per row; per column its ``Column.drop``,
    whether it may wrap, whether it holds times, and (once fitted) a wrapping width; per
    row its cells' short forms (None where a column has none)."""

    title: str | None
    headers: list[str]
    styles: list[str | None]
    rows: list[list[Any]]
    row_styles: list[str | None]
    drops: list[int] | None = None
    wraps: list[bool] | None = None
    times: list[bool] | None = None
    widths: list[int | None] | None = None
    shorts: list[list[Any]] | None = None

    def _meta(self, name: str, default: Any) -> list:
        value = getattr(self, name)
        return list(value) if value is not None else [default] * len(self.headers)

    def natural(self) -> list[int]:
        """Each column's width with no wrapping (header included)."""
        from rich.cells import cell_len

        widths = [cell_len(h) for h in self.headers]
        for cells in self.rows:
            widths = [max(w, cell_len(_plain_text(c))) for w, c in zip(widths, cells, strict=True)]
        return widths

    def fit(self, width: int) -> Grid:
        """This table for a screen ``width`` columns wide, changed in this order and only as
        far as needed: (1) times lose their weekday; (2) columns go by decreasing ``drop``
        (the rightmost first among equals; 0 never goes); (3) columns with a ``short`` form
        take it (a person's id without the name); (4) times shrink to month-day and
        hour:minute (the title names the zone); (5) free-text columns wrap at spaces, never
        inside a word. Ids, times and phone numbers never wrap."""
        g = self
        if g._over(width):
            g = g._times(_no_weekday)
        while g._over(width) and any(drops := g._meta("drops", 0)):
            g = g._without(max(range(len(drops)), key=lambda i: (drops[i], i)))
        if g._over(width) and g.shorts:
            g = g._replace(rows=[[c if s is None else s for c, s in zip(cells, alt, strict=True)]
                                 for cells, alt in zip(g.rows, g.shorts, strict=True)], shorts=None)
        if g._over(width):
            g = g._times(_compact_time)
        natural = g.natural()
        excess = outer_width(natural) - width
        widths: list[int | None] = [None] * len(natural)
        for i in sorted((i for i, w in enumerate(g._meta("wraps", False)) if w), key=lambda i: -natural[i]):
            if excess <= 0:
                break
            cut = min(excess, natural[i] - g._longest_word(i))
            widths[i], excess = natural[i] - cut, excess - cut
        return g._replace(widths=widths)

    def _over(self, width: int) -> bool:
        return outer_width(self.natural()) > width

    def _times(self, shorten: Callable[[str], str]) -> Grid:
        times = self._meta("times", False)
        return self._replace(rows=[[shorten(c) if t and isinstance(c, str) else c for c, t in zip(cells, times,
                                                                                                   strict=True)]
                                   for cells in self.rows])

    def _without(self, i: int) -> Grid:
        def cut(values):
            return None if values is None else [v for j, v in enumerate(values) if j != i]

        return self._replace(headers=cut(self.headers), styles=cut(self.styles), drops=cut(self.drops),
                             wraps=cut(self.wraps), times=cut(self.times), widths=cut(self.widths),
                             rows=[cut(cells) for cells in self.rows],
                             shorts=None if self.shorts is None else [cut(alt) for alt in self.shorts])

    def _longest_word(self, i: int) -> int:
        from rich.cells import cell_len

        texts = [self.headers[i]] + [_plain_text(cells[i]) for cells in self.rows]
        return max((cell_len(w) for t in texts for w in t.split()), default=1)

    def rich(self):
        """The Rich table (colour; free text wrapped to ``widths`` when fitted)."""
        from rich.table import Table
        from rich.text import Text

        t = Table(title=self.title, title_justify="left", header_style="bold")
        for header, style, wrap, w in zip(self.headers, self.styles, self._meta("wraps", False),
                                          self._meta("widths", None), strict=True):
            # Only free text wraps; a token cut as a last resort shows an ellipsis, never a half.
            t.add_column(header, style=style, no_wrap=not wrap, overflow="fold" if wrap else "ellipsis", width=w)
        for cells, style in zip(self.rows, self.row_styles, strict=True):
            # Cells are plain text, never markup: a name like "Ann [ops]" must show as written.
            t.add_row(*(c if isinstance(c, Text) else Text(c) for c in cells), style=style)
        return t

    def plain(self) -> str:
        """The same layout as Rich's piped output (heavy head, no colour), in linear time."""
        from rich.cells import cell_len

        rows = [[c if isinstance(c, str) else c.plain for c in cells] for cells in self.rows]
        hlens = [cell_len(h) for h in self.headers]
        # Column by column, so that a column of printable ASCII (one column a character,
        # what cell_len says) is measured and padded in C: a big table has a million cells.
        columns, widths = [], []
        for j, col in enumerate(zip(*rows, strict=True) if rows else [() for _ in self.headers]):
            if all(map(str.isascii, col)) and all(map(str.isprintable, col)):
                w = max(hlens[j], max(map(len, col), default=0))
                columns.append(list(map(str.ljust, col, repeat(w))))
            else:
                lens = [cell_len(c) for c in col]
                w = max(hlens[j], max(lens, default=0))
                columns.append([c + " " * (w - n) for c, n in zip(col, lens, strict=True)])
            widths.append(w)

        def line(cells, ns, bar: str) -> str:
            return bar + bar.join(f" {c}{' ' * (w - n)} " for c, n, w in zip(cells, ns, widths, strict=True)) + bar

        def rule(left: str, fill: str, mid: str, right: str) -> str:
            return left + mid.join(fill * (w + 2) for w in widths) + right

        out = [self.title] if self.title else []
        out += [rule("┏", "━", "┳", "┓"), line(self.headers, hlens, "┃"),
                rule("┡", "━", "╇", "┩")]
        if rows:
            out.append("│ " + " │\n│ ".join(map(" │ ".join, zip(*columns, strict=True))) + " │")
        out.append(rule("└", "─", "┴", "┘"))
        return "\n".join(out) + "\n"


def _no_weekday(cell: str) -> str:
    """``Thu 2026-12-24 09:00 PST`` -> ``2026-12-24 09:00 PST``; ``—`` (an open end) stays."""
    return cell[4:] if cell[3:4] == " " and cell[4:5].isdigit() else cell


def _compact_time(cell: str) -> str:
    """``2026-12-24 09:00 PST`` -> ``12-24 09:00``."""
    return cell[5:16] if cell[4:5] == "-" and cell[10:11] == " " else cell


def _plain_text(cell: Any) -> str:
    return cell if isinstance(cell, str) else cell.plain


def outer_width(widths: list[int]) -> int:
    """A table's width from its columns' (a space each side, a bar between and around)."""
    return sum(widths) + 3 * len(widths) + 1
