"""Times typed on the command line: ISO 8601 or relative (``+2h``, ``-1d``, ``now``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import UsageError
from ..timeline import MAX_YEAR, MIN_YEAR, UTC, parse_duration, resolve


def parse_time(text: str, tz: ZoneInfo, now: datetime, option: str = "time") -> datetime:
    """An instant from ``text``, to the whole second (a fraction typed is dropped, as
    files refuse one): ``2026-12-24T09:00`` (wall time in ``tz``, by DESIGN's DST rules),
    ``2026-12-24`` (midnight), ``...Z`` or ``...+01:00`` (exact), ``+2h``/``-1d``
    (relative to ``now``), ``now``."""
    try:
        t = _parse_time(text, tz, now, option)
    except OverflowError:
        t = None
    if t is None or not MIN_YEAR <= t.year <= MAX_YEAR:
        raise UsageError(f"{option}: {text!r} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    return t.replace(microsecond=0)


def _parse_time(text: str, tz: ZoneInfo, now: datetime, option: str) -> datetime:
    s = text.strip()
    if s.lower() == "now":
        return now
    if s[:1] and s[0] in "+-":
        try:
            d = parse_duration(s[1:])
        except ValueError:
            raise UsageError(f"{option}: {text!r} is not a relative time (e.g. +2h, -1d)") from None
        return now + d if s[0] == "+" else now - d
    try:
        t = datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a time (use 2026-12-24T09:00, ...Z, +2h or -1d)") from None
    if t.tzinfo is None:
        return resolve(t, tz)
    return t.astimezone(UTC)


def parse_duration_option(text: str, option: str, most: timedelta | None = None) -> timedelta:
    """A duration typed for ``option`` (``30m``, ``1d12h``...); UsageError names the option."""
    try:
        d = parse_duration(text)
    except ValueError as e:
        raise UsageError(f"{option}: {e}") from None
    if most is not None and d > most:
        raise UsageError(f"{option}: {text!r} is too long (at most {most.days}d)")
    return d


def parse_range(start: str | None, to: str | None, days: float | None, tz: ZoneInfo, now: datetime,
                default_days: float, *, default: tuple[datetime, datetime] | None = None) -> tuple[datetime, datetime]:
    """``--from``/``--to``/``--days`` -> ``[start, end)``, the one parser of a typed range.

    Without ``--from`` the range starts at ``default[0]`` (else ``now``); without ``--to``
    it lasts ``--days`` (else ``default_days``), or ends at ``default[1]`` when ``--from``
    is missing too. ``--to`` and ``--days`` exclude each other. Both ends are whole seconds
    (a typed fraction, or one from ``--days``, is dropped before they are compared, so a
    sub-second range is refused, not made empty)."""
    if to is not None and days is not None:
        raise UsageError("give --to or --days, not both")

    def read(text: str, option: str) -> datetime:
        return parse_time(text, tz, now, option)

    a = read(start, "--from") if start is not None else default[0] if default else now
    if to is not None:
        b = read(to, "--to")
    elif start is None and default:
        b = default[1]
    else:
        b = _plus_days(a, days, default_days).replace(microsecond=0)  # --days 0.3 has a fraction
    if b <= a:
        raise UsageError("--to must be after --from")
    return a, b


def _plus_days(a: datetime, days: float | None, default_days: float) -> datetime:
    if days is not None and days <= 0:
        raise UsageError("--days must be positive")
    try:
        b = a + timedelta(days=default_days if days is None else days)
    except OverflowError:
        b = datetime.max.replace(tzinfo=UTC)
    except ValueError:  # nan
        raise UsageError("--days must be a number of days") from None
    if b.year > MAX_YEAR:
        raise UsageError(f"{'--days: ' if days is not None else ''}the range must end by the year {MAX_YEAR}")
    return b
