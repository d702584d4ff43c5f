"""Typed access to one parsed TOML file's fields, recording problems instead of raising."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .errors import Problem
from .sanitize import quoted
from .timeline import MAX_YEAR, MIN_YEAR, UTC, parse_duration, parse_windows, resolve, to_wall
from .toml_text import Lines, key_text

# Shown with "missing required key": what a line with that key looks like.
EXAMPLES = {"timezone": 'timezone = "America/New_York"', "members": 'members = ["alice", "bob"]',
            "start": "start = 2026-01-05T09:00:00", "end": "end = 2026-01-12T09:00:00",
            "every": 'every = "1w"', "who": 'who = "alice"', "people": "[people.alice]"}



class File:
    """Typed access to one parsed file that records problems instead of raising."""

    def __init__(self, name: str, text: str, problems: list[Problem]):
        self.name = name
        self._source = text
        self._lines: Lines | None = None  # built on the first problem: sound files never need it
        self.problems = problems

    def problem(self, path: tuple, message: str) -> None:
        if self._lines is None:
            self._lines = Lines(self._source)
        self.problems.append(Problem(self.name, self._lines.find(path), key_text(path), message))

    def keys(self, data: dict, path: tuple, allowed: set[str], required: tuple[str, ...] = ()) -> bool:
        ok = True
        for key in data:
            if key not in allowed:
                hint = did_you_mean(key, sorted(allowed), f" (allowed: {', '.join(sorted(allowed))})")
                self.problem(path + (key,), f"unknown key{hint}")
                ok = False
        for key in required:
            if key not in data:
                example = f" (e.g. {EXAMPLES[key]})" if key in EXAMPLES else ""
                self.problem(path, f"missing required key {key!r}{example}")
                ok = False
        return ok

    def get(self, data: dict, path: tuple, key: str, kind: type | tuple, what: str) -> Any:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.problem(path + (key,), f"must be {what}, not {describe(value)}")
            return None
        return value

    def text(self, data: dict, path: tuple, key: str) -> str | None:
        return self.get(data, path, key, str, "a string")

    def strings(self, data: dict, path: tuple, key: str) -> list[str] | None:
        value = self.get(data, path, key, list, "a list of strings")
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            self.problem(path + (key,), "must be a list of strings")
            return None
        return value

    def tables(self, data: dict, path: tuple, key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(path + (key,), f"must be an array of tables ([[{key_text(path + (key,))}]]), "
                         f"not {describe(value)}")
            return []
        return value

    def zone(self, data: dict, path: tuple, key: str) -> str | None:
        name = self.text(data, path, key)
        if name is None:
            return None
        if name.startswith("right/") and valid_zone(name[6:]):
            self.problem(path + (key,), f"{quoted(name)} counts leap seconds, which no calendar or phone does"
                         f" (clocks would be off by them): use {quoted(name[6:])}")
            return None
        if not valid_zone(name):
            hint = did_you_mean(name, _zone_names(), " (use an IANA name like 'Europe/London')")
            self.problem(path + (key,), f"unknown timezone {quoted(name)}{hint}")
            return None
        return name

    def duration(self, data: dict, path: tuple, key: str, low: timedelta, high: timedelta) -> timedelta | None:
        text = self.text(data, path, key)
        if text is None:
            return None
        try:
            d = parse_duration(text)
        except ValueError as e:
            self.problem(path + (key,), str(e))
            return None
        if d < low:
            self.problem(path + (key,), f"{quoted(text)} is too short (at least {_short(low)})")
            return None
        if d > high:
            self.problem(path + (key,), f"{quoted(text)} is too long (at most {_short(high)})")
            return None
        return d

    def windows(self, data: dict, path: tuple, key: str):
        texts = self.strings(data, path, key)
        if texts is None:
            return None, False
        if not texts:
            self.problem(path + (key,), "must list at least one window (or 'always')")
            return None, False
        try:
            return parse_windows(texts), True
        except ValueError as e:
            self.problem(path + (key,), str(e))
            return None, False

    def wall(self, data: dict, path: tuple, key: str, tz: ZoneInfo | None) -> datetime | None:
        """A naive wall time in ``tz`` (an offset date-time becomes ``tz``'s wall time)."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
            self.problem(path + (key,), f"year {value.year} is out of range ({MIN_YEAR} to {MAX_YEAR})")
            return None
        if isinstance(value, datetime) and value.microsecond:
            # Calendars have whole seconds: a fraction would make export and shifts disagree.
            self.problem(path + (key,), "must be whole seconds (no fraction)")
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value
            return to_wall(value, tz) if tz else None
        if isinstance(value, date):
            return datetime.combine(value, time())
        self.problem(path + (key,), f"must be a date-time like 2026-01-05T09:00:00, not {describe(value)}")
        return None

    def instant(self, data: dict, path: tuple, key: str, tz: ZoneInfo | None) -> datetime | None:
        """An exact UTC instant: offset date-times as written, local ones read in ``tz``."""
        value = data.get(key)
        if (isinstance(value, datetime) and value.tzinfo is not None and MIN_YEAR <= value.year <= MAX_YEAR
                and not value.microsecond):
            return value.astimezone(UTC)
        wall = self.wall(data, path, key, tz)
        if wall is None or tz is None:
            return None
        return resolve(wall, tz)


def did_you_mean(word: str, choices, otherwise: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, else ``otherwise``."""
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else otherwise


def shown_id(word: str) -> str:
    """``word`` quoted for a message about an id: ids are ASCII, so a non-ASCII character
    (a Cyrillic 'а' that looks like 'a') is written as an escape and named, never shown
    as a look-alike next to the id it resembles."""
    if word.isascii():
        return quoted(word)
    import unicodedata

    odd = next(c for c in word if not c.isascii())
    name = unicodedata.name(odd, "an unnamed character")
    return f"{quoted(word).encode('ascii', 'backslashreplace').decode()}: U+{ord(odd):04X} {name} is not ASCII"


def _short(d: timedelta) -> str:
    if d.days and d.days % 7 and d == timedelta(days=d.days):
        return f"{d.days}d"  # "366d" reads better than "52w2d"
    from .timeline import format_duration

    return format_duration(d)


def describe(value: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list",
             dict: "a table", datetime: "a date-time", date: "a date", time: "a time"}
    return names.get(type(value), type(value).__name__)


_ZONES: list[str] | None = None


def _zone_names() -> list[str]:
    global _ZONES
    if _ZONES is None:
        import zoneinfo

        _ZONES = sorted(zoneinfo.available_timezones())
    return _ZONES


def valid_zone(name: str) -> bool:
    if not name or name.startswith(("/", "right/")) or ".." in name or name in ("localtime", "posixrules"):
        return False
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return False
    return True

