"""The timeline picture: a person's colour and letter, and the grid drawn as SVG.

A person's colour is a function of their id alone (a hash into ``PALETTE``), so the same
person has the same colour in every view, folder and run. Letters are assigned over the
whole people directory in id order (initial first, then the id's other letters, then
A-Z0-9), so they are stable across views of one folder and unique within it.

Every palette entry carries the letter colour that gives at least WCAG AA contrast
(4.5:1) on it; ``contrast`` is the WCAG 2 formula.

The SVG places every rectangle and every piece of text at explicit coordinates (no
whitespace-dependent layout, no font metrics needed), so librsvg and browsers draw the
same picture. Axis labels are chosen so they never touch: the longest day label format
that fits every day, else one label a week, a fortnight or a month.

Pure: no clock, no file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .sanitize import terminal_safe, xml_safe
from .timeline import Interval, to_wall

GAP, OUTSIDE = "!", "·"

# (background, letter colour). Dark ones carry white letters, light ones black; no red
# (red is a gap).
PALETTE = (
    ("#1f4e9c", "#ffffff"), ("#1b6e3a", "#ffffff"), ("#8e2c6b", "#ffffff"), ("#9a4700", "#ffffff"),
    ("#00695c", "#ffffff"), ("#5b3fa6", "#ffffff"), ("#37474f", "#ffffff"), ("#6b4226", "#ffffff"),
    ("#f6c445", "#000000"), ("#7fd3f0", "#000000"), ("#9be39b", "#000000"), ("#f4a6c7", "#000000"),
    ("#ffb27a", "#000000"), ("#c7b6f0", "#000000"), ("#d4e157", "#000000"), ("#80cbc4", "#000000"),
)
GAP_COLOURS = ("#c62828", "#ffffff")
OUTSIDE_COLOURS = ("#e6e6e6", "#4d4d4d")
INK, DIM_INK, PAPER = "#1a1a1a", "#4d4d4d", "#ffffff"

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CHAR = 0.602  # advance of one monospace character, in em (DejaVu Sans Mono, Menlo, Consolas)
SIZE, SMALL = 13, 11
ROW, PITCH = 20, 24  # a row's height and the distance between rows
PAD = 10


def colours(pid: str) -> tuple[str, str]:
    """``(background, letter colour)`` of a person: a hash of the id into ``PALETTE``."""
    return PALETTE[int(hashlib.sha256(pid.encode()).hexdigest(), 16) % len(PALETTE)]


def letters(ids: Iterable[str]) -> dict[str, str]:
    """One character per person, unique among ``ids``, assigned in id order."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for pid in sorted(set(ids)):
        pool = [c.upper() for c in pid if c.isalnum()] + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        sym = next((c for c in pool if c not in taken), "?")
        out[pid] = sym
        taken.add(sym)
    return out


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def cell_colours(cell: str) -> tuple[str, str]:
    """Background and letter colour of a grid cell: a person id, ``GAP`` or ``OUTSIDE``."""
    return GAP_COLOURS if cell == GAP else OUTSIDE_COLOURS if cell == OUTSIDE else colours(cell)


def _esc(text: str) -> str:
    # Visible escapes first: a bidi override or line separator in a name must not reorder
    # or break what the reader sees, in a picture any more than in a terminal.
    from xml.sax.saxutils import escape

    return escape(xml_safe(terminal_safe(text)), {'"': "&quot;"})


def _text(x: float, y: float, s: str, size: int = SIZE, fill: str = INK, anchor: str = "start",
          bold: bool = False, cls: str = "") -> str:
    extra = (' font-weight="bold"' if bold else "") + (f' class="{cls}"' if cls else "")
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{extra}>'
            f"{_esc(s)}</text>")


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"/>'


def width_of(s: str, size: int = SIZE) -> float:
    """Drawn width of ``s`` in the monospace font at ``size`` px."""
    return len(s) * CHAR * size


# A label format and which days carry it, densest first.
DAY_LABELS = (
    ("%a %d %b", lambda d: True),
    ("%a %d", lambda d: True),
    ("%a %d %b", lambda d: d.weekday() == 0),
    ("%a %d %b", lambda d: d.weekday() == 0 and d.isocalendar()[1] % 2 == 0),
    ("%b %Y", lambda d: d.day == 1),
    ("%Y", lambda d: d.month == d.day == 1),
)


def _day_starts(columns: Sequence[Interval], zone: ZoneInfo, x0: float, cw: float) -> list[tuple[date, float]]:
    """Each local midnight inside the grid, with its x (proportional inside its column)."""
    out: list[tuple[date, float]] = []
    for i, (a, b) in enumerate(columns):
        wa, wb = to_wall(a, zone), to_wall(b, zone)
        midnight = datetime.combine(wa.date(), time())
        if midnight < wa:
            midnight += timedelta(days=1)
        while midnight < wb:
            out.append((midnight.date(), x0 + cw * (i + (midnight - wa) / (wb - wa))))
            midnight += timedelta(days=1)
    return out


def day_labels(columns: Sequence[Interval], zone: ZoneInfo, x0: float, cw: float) -> list[tuple[float, str]]:
    """``(x, text)`` of the axis's day labels: the densest format whose labels never touch."""
    starts = _day_starts(columns, zone, x0, cw)
    end = x0 + cw * len(columns)
    for fmt, wanted in DAY_LABELS:
        picked = [(x, d.strftime(fmt)) for d, x in starts if wanted(d) and x + width_of(d.strftime(fmt)) <= end + PAD]
        room = [b[0] - a[0] for a, b in zip(picked, picked[1:], strict=False)]
        if picked and all(width_of(t) + 6 <= r for (_, t), r in zip(picked, room, strict=False)):
            return picked
    return []


def hour_labels(columns: Sequence[Interval], zone: ZoneInfo, x0: float, cw: float) -> list[tuple[float, str]]:
    """``(x, "06")`` at whole hours every 3, 6 or 12 hours (the densest that leaves room), or none."""
    for every in (3, 6, 12):
        picked = []
        for i, (a, _) in enumerate(columns):
            wall = to_wall(a, zone)
            if wall.minute == 0 and wall.hour % every == 0 and wall.hour:
                picked.append((x0 + cw * i, f"{wall.hour:02d}"))
        room = [b[0] - a[0] for a, b in zip(picked, picked[1:], strict=False)]
        if picked and min(room, default=cw * len(columns)) >= width_of("00", SMALL) + 8:
            spans = {round((b[0] - a[0]) / cw) for a, b in zip(picked, picked[1:], strict=False)}
            if len(spans) <= 2:  # regular (a DST day may shift one label)
                return picked
    return []


def _runs(cells: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """``(first, count, cell)`` for each run of equal non-empty cells."""
    out: list[tuple[int, int, str]] = []
    for i, c in enumerate(cells):
        if c is None:
            continue
        if out and out[-1][2] == c and out[-1][0] + out[-1][1] == i:
            out[-1] = (out[-1][0], out[-1][1] + 1, c)
        else:
            out.append((i, 1, c))
    return out


def _row(y: float, cells: Sequence[str | None], symbol: dict[str, str], x0: float, cw: float) -> list[str]:
    """One grid row: a rectangle per run of one cell value, its letter centred when it fits."""
    out = []
    for first, count, cell in _runs(cells):
        bg, fg = cell_colours(cell)
        out.append(_rect(x0 + cw * first, y, cw * count - 1, ROW, bg))  # 1px apart: runs of one colour stay two
        letter = GAP if cell == GAP else "" if cell == OUTSIDE else symbol.get(cell, "?")
        if letter and cw * count >= width_of(letter, SMALL) + 2:
            out.append(_text(x0 + cw * (first + count / 2), y + ROW - 6, letter, SMALL, fg, "middle", True))
    return out


def svg(title: str, rows: Sequence[tuple[str, Sequence[str | None]]], columns: Sequence[Interval], zone: ZoneInfo,
        now: datetime, legend: Sequence[tuple[str, str, str]]) -> str:
    """The grid as an SVG document: ``rows`` of ``(label, cells)`` (a cell is a person id,
    ``GAP``, ``OUTSIDE`` or None for nothing), one column per interval of ``columns``,
    axis labels on ``zone``'s clock, a line at ``now`` when it is inside, and ``legend``
    entries ``(id, name, letter)`` under the grid."""
    n = len(columns)
    cw = max(8.0, min(24.0, 960 // n))
    x0 = PAD + max([width_of(label, SIZE) for label, _ in rows] + [width_of("gaps")]) + 8
    width = x0 + cw * n + PAD
    body = [_text(PAD, 18, title, SIZE, INK, bold=True)]
    body += [_text(x, 40, t, SIZE, INK, cls="day") for x, t in day_labels(columns, zone, x0, cw)]
    body += [_text(x, 56, t, SMALL, DIM_INK, cls="hour") for x, t in hour_labels(columns, zone, x0, cw)]
    body += [_rect(x - 0.5, 44, 1, 4, DIM_INK) for _, x in _day_starts(columns, zone, x0, cw)]
    top = 64
    symbol = {pid: letter for pid, _, letter in legend}
    for k, (label, cells) in enumerate(rows):
        y = top + k * PITCH
        body.append(_text(PAD, y + ROW - 5, label, SIZE, INK, bold=True))
        body += _row(y, cells, symbol, x0, cw)
    bottom = top + len(rows) * PITCH
    marker = next((i for i, (a, b) in enumerate(columns) if a <= now < b), None)
    if marker is not None:
        a, b = columns[marker]
        x = x0 + cw * (marker + (now - a) / (b - a))
        body.append(_rect(x - 1, top - 4, 2, bottom - top + 4, INK))
        body.append(_text(x + 4, top - 6, "now " + now.astimezone(zone).strftime("%a %d %H:%M"), SMALL, INK))
    items = [(legend_entry[2], cell_colours(legend_entry[0]), f"{legend_entry[1]} ({legend_entry[0]})")
             for legend_entry in legend]
    items += [(GAP, GAP_COLOURS, "nobody on call (gap)"), ("", OUTSIDE_COLOURS, "outside coverage windows")]
    lines, height = _legend(items, bottom + 12, width)
    body += lines
    body.append(_text(PAD, height + 4, f"times in {zone.key}", SMALL, DIM_INK))
    return _document(width, height + 14, body)


def _legend(items: list[tuple[str, tuple[str, str], str]], top: float, width: float) -> tuple[list[str], float]:
    """Swatches with their text in as many columns as fit ``width``; returns the lines and the y under them."""
    item_w = max(width_of(text) for _, _, text in items) + ROW + 24
    per_row = max(1, int((width - 2 * PAD) // item_w))
    out = []
    for k, (letter, (bg, fg), text) in enumerate(items):
        x, y = PAD + (k % per_row) * item_w, top + (k // per_row) * PITCH
        out.append(_rect(x, y, ROW, ROW, bg))
        if letter:
            out.append(_text(x + ROW / 2, y + ROW - 6, letter, SMALL, fg, "middle", True))
        out.append(_text(x + ROW + 6, y + ROW - 5, text, SIZE, INK))
    return out, top + ((len(items) - 1) // per_row + 1) * PITCH + 8


def _document(width: float, height: float, body: list[str]) -> str:
    w, h = int(width + 0.999), int(height + 0.999)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{FONT}">\n'
            f'{_rect(0, 0, w, h, PAPER)}\n' + "\n".join(body) + "\n</svg>\n")
