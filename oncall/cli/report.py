"""``oncall report`` (who carries how much, how evenly) and ``oncall timeline`` (the picture)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import UsageError
from ..model import Directory, Segment
from ..picture import GAP, OUTSIDE, colours, letters
from ..render import Column, Section
from ..sanitize import terminal_safe
from ..timeline import MAX_YEAR, MIN_YEAR, Interval, resolve, to_wall
from .context import Context, RotArg, ToOpt, options, pick_rotations
from .numbers import decimal
from .times import parse_range, parse_time

app = typer.Typer()

MonthOpt = Annotated[str | None, typer.Option("--month", help="A calendar month, YYYY-MM, in --tz or the local zone.")]


def month_range(text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``2026-03`` -> the instants of its first midnight and the next month's, on ``zone``'s clock."""
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())  # ASCII: str.isdigit and \d take any script's
    if not m or not 1 <= int(m[2]) <= 12:
        raise UsageError(f"--month: {text!r} is not a month (use YYYY-MM, e.g. 2026-03)")
    y, mo = int(m[1]), int(m[2])
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise UsageError(f"--month: the year must lie in {MIN_YEAR}-{MAX_YEAR}")
    nxt = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return resolve(datetime(y, mo, 1), zone), resolve(datetime(*nxt, 1), zone)


def _hours(d: timedelta) -> float:
    return round(d.total_seconds() / 3600, 2)


def _num(value: float, row: dict) -> str:
    return f"{value:g}"


PEOPLE = (
    Column("person", "Person", lambda v, r: f"{r['_name']} ({v})"),
    Column("hours", "Hours", _num),
    Column("night_hours", "Night 22-06", _num, drop=2),
    Column("weekend_hours", "Weekend", _num, drop=2),
    Column("shifts", "Shifts", drop=1),
    Column("longest_hours", "Longest (h)", _num, drop=1),
)


def rotation_columns(overload: float) -> tuple[Column, ...]:
    return (
        Column("rotation", "Rotation", style="bold"),
        Column("coverage_percent", "Covered", lambda v, r: f"{v:g}%"),
        Column("balance", "Balance", lambda v, r: f"{v:.2f}"),
        Column("mean_hours", "Mean hours", _num, drop=1),
        Column("overloaded", f"Over {overload:g}× mean",
               lambda v, r: ", ".join(f"{p} ({r['hours'][p]:g}h)" for p in v) or "—", wrap=True),
    )


@app.command(short_help="Hours, nights and weekends per person; balance.")
@options()
def report(
    c: Context,
    rotations: RotArg = None,
    month: MonthOpt = None,
    start: Annotated[str | None, typer.Option("--from", help="Start: ISO or relative (default: this month; "
                                                             "--from alone covers 28 days).")] = None,
    to: ToOpt = None,
) -> None:
    """Hours on call per person (nights, weekends, shifts, longest) and coverage and balance per
    rotation, for a month (default: this one) or --from/--to. CSV lists the people."""
    from ..fairness import OVERLOAD
    from ..fairness import report as fairness_report

    zone = c.zone
    d = c.load()
    ids = pick_rotations(d, rotations)
    now = c.now()
    if month and (start is not None or to is not None):
        raise UsageError("give --month or --from/--to, not both")
    if start is not None or to is not None:
        a, b = parse_range(start, to, None, zone, now, 28)
    else:
        a, b = month_range(month or to_wall(now, zone).strftime("%Y-%m"), zone)
    f = fairness_report(d, ids, a, b)
    people = [{"person": p.person, "hours": _hours(p.hours), "night_hours": _hours(p.night),
               "weekend_hours": _hours(p.weekend), "shifts": p.shifts, "longest_hours": _hours(p.longest),
               "_name": _name(d, p.person)} for p in f.people]
    rots = [{"rotation": r.rotation, "coverage_percent": round(100 * r.coverage, 2), "balance": round(r.balance, 3),
             "mean_hours": _hours(r.mean), "overloaded": list(r.overloaded),
             "hours": {p: _hours(h) for p, h in r.hours.items()}} for r in f.rotations]
    span = f"{render.when(a, zone)} → {render.when(b, zone)}"
    body = {"start": a, "end": b, "people": [{k: v for k, v in p.items() if k != "_name"} for p in people],
            "rotations": rots}
    render.emit(c, Section(people, PEOPLE, f"On-call load {span} (people's own zones for nights and weekends)"),
                Section(rots, rotation_columns(OVERLOAD), "Rotations (balance: 1 = even, lower = uneven)",
                        lambda r: "red" if r["coverage_percent"] < 100 else None), body=body)


def _name(d: Directory, pid: str) -> str:
    p = d.people.get(pid)
    return p.name if p else pid


# ---------------------------------------------------------------- timeline

STEPS = tuple(timedelta(minutes=m) for m in (30, 60, 120, 180, 240, 360, 720, 1440))
MAX_CELLS = 96


def slots(a: datetime, days: float, zone: ZoneInfo, most: int = MAX_CELLS) -> list[Interval]:
    """Columns of the grid: equal steps of ``zone``'s wall clock from ``a`` (at most ``most``),
    so midnight columns stay at midnight across a DST change (that day has one more or
    one fewer real hour in its columns; a column inside a skipped hour is empty)."""
    span = timedelta(days=days)
    step = next((s for s in STEPS if span / s <= most), span / most)
    w0 = to_wall(a, zone)
    n = int(span / step)
    edges = [a] + [resolve(w0 + i * step, zone) for i in range(1, n + 1)]
    return list(zip(edges, edges[1:], strict=False))


def _overlap(segs: list[Segment], a: datetime, b: datetime) -> dict[str | None, timedelta]:
    out: dict[str | None, timedelta] = {}
    for s in segs:
        if s.start < b and s.end > a:
            out[s.person] = out.get(s.person, timedelta()) + min(s.end, b) - max(s.start, a)
    return out


def rotation_cells(segs: list[Segment], cover: list[Interval], columns: list[Interval]) -> list[str | None]:
    """Per column: ``GAP`` if any required instant in it has nobody, else the person on call
    for most of it, else ``OUTSIDE`` (uncovered, but not required); None for an empty column."""
    from ..timeline import intersect, subtract

    cells: list[str | None] = []
    for a, b in columns:
        if a >= b:
            cells.append(None)
            continue
        share = _overlap(segs, a, b)
        holes = subtract([(a, b)], sorted((max(s.start, a), min(s.end, b)) for s in segs if s.start < b and s.end > a))
        if intersect(holes, cover):
            cells.append(GAP)
        elif share:
            cells.append(max(share, key=lambda p: (share[p], p or "")))
        else:
            cells.append(OUTSIDE)
    return cells


def person_cells(segs: list[Segment], person: str, columns: list[Interval]) -> list[bool]:
    """Per column: is ``person`` on call (in any of ``segs``) for at least half of it."""
    mine = [s for s in segs if s.person == person]
    out = []
    for a, b in columns:
        on = sum((min(s.end, b) - max(s.start, a) for s in mine if s.start < b and s.end > a), timedelta())
        out.append(a < b and on * 2 >= b - a)
    return out


@app.command(short_help="The schedule as a picture (terminal or SVG).")
@options(output=False)
def timeline(
    c: Context,
    rotations: RotArg = None,
    start: Annotated[str | None, typer.Option("--from", help="Start: ISO or relative. Default: today 00:00.")] = None,
    days: Annotated[float, typer.Option("--days", parser=decimal("--days", "a number of days"), metavar="DAYS",
                                                 help="How many days across.")] = 7,
    by_person: Annotated[bool, typer.Option("--by-person", help="One row per person instead of per rotation.")] = False,
    svg: Annotated[Path | None, typer.Option("--svg", help="Also save the picture as an SVG file.")] = None,
) -> None:
    """A picture of who is on call: time across, a colour per person, gaps in red, now marked."""
    from ..coverage import Schedules, coverage_intervals

    zone = c.zone
    d = c.load()
    ids = pick_rotations(d, rotations)
    now = c.now()
    if not 1 / 24 <= days <= 366:
        raise UsageError("--days must be from 1/24 (one hour) to 366")
    a = parse_time(start, zone, now, "--from") if start is not None else resolve(
        to_wall(now, zone).replace(hour=0, minute=0, second=0, microsecond=0), zone)
    out = render.console()
    # On a screen of known width the grid takes what the row labels leave (issue 14: 80 columns).
    label = max(len(x) for x in [*ids, *d.people, "gaps", "....."]) + 1
    most = MAX_CELLS if out.fit_width is None else max(8, min(MAX_CELLS, out.fit_width - label))
    columns = slots(a, days, zone, most)
    b = columns[-1][1]
    schedule_of = Schedules(d.rotations, a, b)
    schedules = {rid: schedule_of(rid) for rid in ids}
    people = sorted({s.person for segs in schedules.values() for s in segs if s.person})
    symbol = letters(set(d.people) | set(people))
    rows: list[tuple[str, list[str | None]]] = []
    if by_person:
        everything = [s for segs in schedules.values() for s in segs]
        rows += [(p, [p if on else None for on in person_cells(everything, p, columns)]) for p in people]
        gaps_row = [False] * len(columns)
        for rid in ids:
            cells = rotation_cells(schedules[rid], coverage_intervals(d.rotations[rid], a, b), columns)
            gaps_row = [g or c == GAP for g, c in zip(gaps_row, cells, strict=True)]
        rows.append(("gaps", [GAP if g else None for g in gaps_row]))
    else:
        rows += [(rid, rotation_cells(schedules[rid], coverage_intervals(d.rotations[rid], a, b), columns))
                 for rid in ids]
    legend = [(p, _name(d, p), symbol[p]) for p in people]
    lines = _picture(rows, columns, zone, now, legend, out.fit_width)
    for i, line in enumerate(lines):
        if i < len(rows) + 3:  # the grid: never wrapped; the legend below wraps at spaces on a narrow screen
            out.print(line, crop=False, overflow="ignore", no_wrap=True)
        else:
            out.print(line)
    if svg:
        from ..picture import svg as draw

        title = f"oncall timeline {render.when(a, zone)} → {render.when(b, zone)}"
        write_svg(svg, draw(title, rows, columns, zone, now, legend))
        render.console(stderr=True).print(f"saved {svg}", highlight=False, markup=False)


def _cell(c: str | None, symbol: dict[str, str]) -> tuple[str, str]:
    if c is None:
        return " ", ""
    if c == GAP:
        return GAP, "bold white on red"
    if c == OUTSIDE:
        return OUTSIDE, "dim"
    bg, fg = colours(c)
    return symbol[c], f"{fg} on {bg}"


DAY_FORMATS = ("%a %d %b", "%a %d", "%d %b", "%a", "%d")


def _axis(columns: list[Interval], zone: ZoneInfo) -> tuple[str, str]:
    """The day line and the hour line over the grid: a day's label at its midnight column
    (and at the first column), the hours 0, 6, 12 and 18 at theirs."""
    days, hours = [], []
    for i, (a, b) in enumerate(columns):
        w0, w1 = to_wall(a, zone), to_wall(b, zone)
        midnight = w0.replace(hour=0, minute=0, second=0, microsecond=0)
        midnight += timedelta(days=1) if midnight < w0 else timedelta()
        if i == 0 or midnight < w1:  # the column where a day starts (or the first)
            days.append((i, [(midnight if midnight < w1 else w0).strftime(f) for f in DAY_FORMATS]))
        mark = w0.replace(minute=0, second=0, microsecond=0) + timedelta(hours=(-w0.hour) % 6)
        mark += timedelta(hours=6) if mark < w0 else timedelta()
        if mark < w1:
            hours.append((i, [str(mark.hour)]))
    return _place(days, len(columns)), _place(hours, len(columns))


def _place(labels: list[tuple[int, list[str]]], n: int) -> str:
    """``n`` cells with each label at its column in the longest of its forms that leaves a
    space before the next label (the last may reach the end); one with no room is left
    out, so no label is ever cut."""
    line = [" "] * n
    end = n + 1
    for i, forms in reversed(labels):
        text = next((f for f in forms if len(f) <= end - 1 - i), None)
        if text is not None:
            line[i:i + len(text)] = text
            end = i
    return "".join(line)


def _picture(rows, columns: list[Interval], zone: ZoneInfo, now: datetime, legend, fit: int | None = None) -> list:
    from rich.text import Text

    symbol = {pid: sym for pid, _, sym in legend}
    width = max([len(label) for label, _ in rows] + [5]) + 1
    days, hours = _axis(columns, zone)
    lines = [Text(" " * width + "".join(days), style="bold"), Text(" " * width + "".join(hours), style="dim")]
    marker = next((i for i, (a, b) in enumerate(columns) if a <= now < b), None)
    if marker is not None:
        lines.append(Text(_now_line(width + marker, render.when(now, zone), fit), style="bold"))
    for label, cells in rows:
        line = Text(label.ljust(width), style="bold")
        for i, (ch, style) in enumerate(_cell(c, symbol) for c in cells):
            line.append(ch, style=style + (" underline" if i == marker else ""))
        lines.append(line)
    lines.append(Text(""))
    for pid, name, sym in legend:
        line = Text("  ")
        line.append(f" {sym} ", style=_cell(pid, symbol)[1])
        line.append(f" {terminal_safe(name)} ({pid})")
        lines.append(line)
    line = Text("  ")
    line.append(f" {GAP} ", style="bold white on red")
    line.append(" nobody on call (gap)   ")
    line.append(f" {OUTSIDE} ", style="dim")
    line.append(" outside coverage windows   times in " + str(zone.key))
    lines.append(line)
    return lines


def _now_line(at: int, when: str, fit: int | None) -> str:
    """``▼ now TIME`` with the arrow at column ``at``; pointing back from the left of it
    when it would pass the screen's width ``fit``."""
    if fit is None or at + 6 + len(when) <= fit:
        return " " * at + "▼ now " + when
    text = f"now {when} ▼"
    return " " * (at + 1 - len(text)) + text if len(text) <= at + 1 else " " * at + "▼"


def write_svg(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"--svg: cannot write {path}: {e.strerror or e}") from None
