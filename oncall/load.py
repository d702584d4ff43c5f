"""TOML files -> model. Strict, and collects every problem in the folder at once.

Each problem names ``file:line: key: message``; the loader never lets a parser's
exception escape. Keys are written as paths with 1-based indices for arrays of tables:
``layer[2].every`` is the ``every`` key of the second ``[[layer]]``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import InvalidFiles, Problem
from .files import Unreadable, read_regular
from .model import DEFAULT_NOTIFY, Away, Directory, Layer, Override, Person, Rotation, Step
from .sanitize import capped, quoted, terminal_safe
from .timeline import MAX_YEAR, MIN_YEAR, UTC, parse_duration, parse_windows, resolve, to_wall

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PEOPLE_FILE = "people.toml"
MAX_FILE_BYTES = 32 << 20  # far above any real folder; below what would exhaust memory
ROTATION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PERSON_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")  # ASCII digits: Twilio gets the number as is
MIN_EVERY = timedelta(minutes=1)
MAX_EVERY = timedelta(days=366)
MAX_WAIT = timedelta(hours=24)

PERSON_KEYS = {"name", "phone", "timezone", "email", "notify", "away"}
AWAY_KEYS = {"start", "end", "note"}
ROTATION_KEYS = {"name", "timezone", "coverage", "layer", "override", "escalation", "description"}
LAYER_KEYS = {"name", "members", "start", "every", "only", "until", "timezone", "from"}
OVERRIDE_KEYS = {"who", "start", "end", "note"}
STEP_KEYS = {"who", "wait"}
# Shown with "missing required key": what a line with that key looks like.
EXAMPLES = {"timezone": 'timezone = "America/New_York"', "members": 'members = ["alice", "bob"]',
            "start": "start = 2026-01-05T09:00:00", "end": "end = 2026-01-12T09:00:00",
            "every": 'every = "1w"', "who": 'who = "alice"', "people": "[people.alice]"}


_PART = r'(?:"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|[A-Za-z0-9_\-]+)'
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"


def _split_key(dotted: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")``: dots inside quotes are part of the key."""
    import json

    parts = []
    for m in re.finditer(_PART, dotted):
        part = m.group()
        if part.startswith('"'):
            try:
                part = json.loads(part)
            except ValueError:  # a TOML-only escape (\U0001F600): close enough to place a line
                part = part[1:-1]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


class _Lines:
    """Finds the line of a key path in TOML text by following table headers.

    Good enough for hand-written files (headers, ``key = value``); for anything it cannot
    place (inline tables, multi-line values) it answers with the enclosing table's line.
    Lines end at ``\n`` only, as in TOML: U+2028, U+2029 or NEL in a comment is not a break.
    """

    _HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
    _KEY = re.compile(rf"^\s*({_DOTTED})\s*=")

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        self.at: dict[int, tuple] = {}  # line -> the key path written on it
        counts: dict[tuple, int] = {}
        table: tuple = ()
        for n, line in enumerate(text.split("\n"), 1):
            m = self._HEADER.match(line)
            if m:
                keys = _split_key(m.group(2))
                if m.group(1) == "[[":
                    counts[keys] = counts.get(keys, 0) + 1
                    table = keys + (counts[keys],)
                else:
                    table = keys
                self._note(table, n)
                self.at[n] = table
                continue
            m = self._KEY.match(line)
            if m:
                keys = _split_key(m.group(1))
                self._note(table + keys, n)
                self.at[n] = table + keys

    def _note(self, path: tuple, n: int) -> None:
        # A dotted key or header (`layer.name = ...`, `[layer.x]`) also defines its parents.
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], n)

    def find(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


_BARE = re.compile(r"[^\s.\"'\\]+")


def _key_text(path: tuple) -> str:
    """``layer[2].every``; a part with dots, quotes, spaces or controls is written quoted
    (``people."d.e"``), and a huge one capped, so a key can neither mislead nor flood."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = capped(part)
        if not (_BARE.fullmatch(part) and part.isprintable()):
            shown = '"' + terminal_safe(shown).replace('"', '\\"') + '"'
        out += ("." if out else "") + shown
    return out


class _File:
    """Typed access to one parsed file that records problems instead of raising."""

    def __init__(self, name: str, text: str, problems: list[Problem]):
        self.name = name
        self._source = text
        self._lines: _Lines | None = None  # built on the first problem: sound files never need it
        self.problems = problems

    def problem(self, path: tuple, message: str) -> None:
        if self._lines is None:
            self._lines = _Lines(self._source)
        self.problems.append(Problem(self.name, self._lines.find(path), _key_text(path), message))

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
            self.problem(path + (key,), f"must be {what}, not {_describe(value)}")
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
            self.problem(path + (key,), f"must be an array of tables ([[{_key_text(path + (key,))}]]), "
                         f"not {_describe(value)}")
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
        self.problem(path + (key,), f"must be a date-time like 2026-01-05T09:00:00, not {_describe(value)}")
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


def _describe(value: Any) -> str:
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


def read_toml(path: Path, display: str, problems: list[Problem]) -> tuple[dict, str] | None:
    """Bytes -> (data, text), or None with the problem recorded (missing, not a regular
    file, too big, non-UTF-8, syntax, nesting or integers beyond what Python converts)."""
    try:
        raw = read_regular(path, MAX_FILE_BYTES)
    except Unreadable as e:
        problems.append(Problem(display, None, "", e.reason))
        return None
    except OSError as e:
        problems.append(Problem(display, None, "", f"cannot read: {e.strerror or e}"))
        return None
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # Windows editors may add a BOM
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        bad = f"byte 0x{raw[e.start]:02x} at offset {e.start}"
        key = _key_at(raw.decode("utf-8", "replace"), line)
        problems.append(Problem(display, line, key, f"not UTF-8 ({bad}); save the file as UTF-8"))
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        line, msg = _syntax(text, str(e))
    except RecursionError:
        line, msg = _first(text, r"[\[{](?:\s*[\[{]|\s*\w+\s*=\s*\{){50}"), "values nested too deeply"
    except ValueError:  # Python converts at most 4300 digits to an int
        line = _first(text, r"[0-9_]{4300}")
        digits = re.search(r"[0-9_]{4300,}", text.split("\n")[line - 1]) if line else None
        msg = f"an integer of {len(digits.group().replace('_', ''))} digits" if digits else "a number too big"
    problems.append(Problem(display, line, _key_at(text, line), f"TOML syntax error: {msg}"))
    return None


def _first(text: str, pattern: str) -> int | None:
    """The line where ``pattern`` first matches in ``text``."""
    m = re.search(pattern, text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _syntax(text: str, msg: str) -> tuple[int | None, str]:
    """The line and the message, for people, of one of tomllib's syntax errors."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line = int(m.group(1)) if m else None
    if "(at end of document)" in msg:
        # The text ran out inside the last statement (an unclosed list or string, or a
        # duplicate key with no newline after it): point at where that statement began.
        line = max(_Lines(text).at, default=None)
    msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
    msg = _SYNTAX_HINTS.get(re.sub(r"^Cannot declare \(.*\) twice$", "Cannot declare twice", msg), msg)
    lines = text.split("\n")
    written = lines[line - 1].strip() if line and line <= len(lines) else ""
    msg = terminal_safe(capped(msg))
    return line, f"{msg} in `{terminal_safe(capped(written))}`" if written else msg


# tomllib's wording for the most common hand-editing slips, said for people.
_SYNTAX_HINTS = {
    "Cannot overwrite a value": "this key is already set above",
    "Illegal character '\\n'": "the line ends inside a string (missing closing quote?)",
    "Cannot declare twice": "this table is already declared above",
}


def _key_at(text: str, line: int | None) -> str:
    """The key path written on ``line`` of ``text``, or "" if none is."""
    return _key_text(_Lines(text).at.get(line, ())) if line else ""


def load_directory(root: Path | str, only: Iterable[str] | None = None) -> Directory:
    """Load ``people.toml`` and every ``<id>.toml`` rotation in ``root``.

    Raises InvalidFiles with every problem found, in file order. With ``only``, load just
    those rotations and the rotations their escalation steps name, and ignore problems of
    people none of them uses: a typo in another team's file must not stop `oncall page`.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise InvalidFiles([Problem(str(root), None, "", "no such folder (use --dir or ONCALL_DIR)")])
    people_path = root / PEOPLE_FILE
    people: dict[str, Person] | None = None  # None: unreadable, so references cannot be checked
    people_problems: list[Problem] = []
    if not os.path.lexists(people_path):  # a dangling or looping link is not "missing": say what it is
        why = "missing: every data folder needs a people.toml naming the people its rotations use"
        people_problems.append(Problem(_display(people_path), None, "", why))
    else:
        parsed = read_toml(people_path, _display(people_path), people_problems)
        if parsed:
            people = _people(_File(_display(people_path), parsed[1], people_problems), parsed[0])

    # Hidden files are editors' (Emacs locks its files with a ".#name.toml" link), not rotations.
    files = sorted(p for p in root.glob("*.toml") if p.name != PEOPLE_FILE and not p.name.startswith("."))
    ids = {p.stem for p in files}
    by_id = {p.stem: p for p in files}
    wanted = list(dict.fromkeys(only)) if only is not None else [p.stem for p in files]
    rotations: dict[str, Rotation] = {}
    seen: set[str] = set()
    while wanted:
        rid = wanted.pop(0)
        if rid in seen or rid not in by_id:
            continue  # an unknown id is the caller's to report (exit 4)
        seen.add(rid)
        path = by_id[rid]
        display = _display(path)
        if not ROTATION_ID.match(path.stem):
            fixed = "-".join(re.findall(r"[a-z0-9]+", path.stem.lower())) or "my-rotation"
            why = (f"{quoted(path.stem)} is not a rotation id: use lower-case letters, digits and dashes"
                   f" (e.g. rename it to {fixed}.toml)")
            problems.append(Problem(display, None, "", why))
            continue
        parsed = read_toml(path, display, problems)
        if parsed:
            rot = _rotation(_File(display, parsed[1], problems), parsed[0], path.stem, people, ids)
            if rot:
                rotations[rot.id] = rot
                if only is not None:
                    wanted.extend(step.who for step in rot.escalation if step.kind == "rotation")
    if only is not None and people is not None:  # an unreadable people.toml stops every command
        used = {pid for r in rotations.values() for pid in _people_used(r)}
        people_problems = [p for p in people_problems if _concerns(p, used)]
    problems = people_problems + problems
    if not files and not problems:
        problems.append(Problem(_display(root), None, "", "no rotation files (<id>.toml) in this folder"))
    if problems:
        raise InvalidFiles(problems)
    return Directory(people=_with_validity(people or {}), rotations=rotations, root=str(root))


def _backwards(data: dict, first: str, last: str, otherwise: str = "ends before it starts") -> str:
    """Why ``data[last]`` is not after ``data[first]``. Two different wall times in one
    clocks-forward gap are the same instant (DESIGN: the instant of the jump): that span
    is empty, not backwards, and saying "before" would send the reader looking for a typo."""
    a, b = data.get(first), data.get(last)
    if isinstance(a, datetime) and isinstance(b, datetime) and a.tzinfo is None and b.tzinfo is None and a < b:
        return f"is empty: {first} and {last} fall in the gap the clocks skip forward, so they are the same instant"
    return otherwise


def _people_used(r: Rotation) -> set[str]:
    return set(r.members) | {o.who for o in r.overrides} | {s.who for s in r.escalation if s.kind == "person"}


def _concerns(problem: Problem, used: set[str]) -> bool:
    """Does a people.toml problem matter to rotations that use only ``used``? Whole-file
    problems (syntax, encoding, a missing file) always do."""
    key = problem.key
    if not key.startswith("people."):
        return True
    heads = (_key_text(("people", pid)) for pid in used)
    return any(key == head or key.startswith((f"{head}.", f"{head}[")) for head in heads)


def _with_validity(people: dict[str, Person]) -> dict[str, Person]:
    """Fill in each phone's validity from the cache (see ``phones``), so that commands
    like `oncall now` need not import phonenumbers."""
    from .phones import validity

    valid = validity({p.phone for p in people.values() if p.phone})
    return {pid: p._replace(phone_ok=valid[p.phone]) if p.phone else p for pid, p in people.items()}


def _display(path: Path) -> str:
    try:
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _people(f: _File, data: dict) -> dict[str, Person] | None:
    """The people by id; None if there is no table of people to check references against."""
    f.keys(data, (), {"people"}, ("people",))
    table = data.get("people")
    if table is None:
        return None
    if not isinstance(table, dict):
        f.problem(("people",), "must be a table of people ([people.ID])")
        return None
    people: dict[str, Person] = {}
    for pid, p in table.items():
        path = ("people", pid)
        if not PERSON_ID.match(pid):
            f.problem(path, f"{quoted(pid)} is not a person id: use ASCII letters, digits, '_', '-' and '.'")
            continue
        if not isinstance(p, dict):
            f.problem(path, f"must be a table ([people.{pid}] with name, phone, ...), not {_describe(p)}")
            continue
        f.keys(p, path, PERSON_KEYS)
        name = f.text(p, path, "name") or pid
        phone = f.text(p, path, "phone")
        if phone is not None and not E164.match(phone):
            f.problem(path + ("phone",), f"{quoted(phone)} is not an E.164 number: write '+', the country code"
                      " and digits, no spaces (e.g. +14155550101)")
            phone = None
        zone = f.zone(p, path, "timezone")
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
        notify = f.strings(p, path, "notify")
        if notify is not None:
            from .paging.channels import names as channels

            bad = [c for c in notify if c not in channels()]
            if bad or not notify:
                what = f"unknown channel {quoted(bad[0])}" if bad else "must name at least one channel"
                f.problem(path + ("notify",), f"{what} (use {' and/or '.join(channels())})")
                notify = None
        away = []
        for i, a in enumerate(f.tables(p, path, "away"), 1):
            apath = path + ("away", i)
            f.keys(a, apath, AWAY_KEYS, ("start", "end"))
            start = f.instant(a, apath, "start", tz)
            end = f.instant(a, apath, "end", tz)
            if start and end and end <= start:
                f.problem(apath + ("end",), _backwards(a, "start", "end"))
            elif start and end:
                away.append(Away(start, end, f.text(a, apath, "note") or ""))
        people[pid] = Person(
            id=pid, name=name, phone=phone, timezone=zone,
            email=f.text(p, path, "email"), notify=tuple(notify) if notify else DEFAULT_NOTIFY,
            away=tuple(sorted(away, key=lambda a: a.start)),
        )
    return people


def _person_ref(f: _File, path: tuple, who: str, people: dict[str, Person] | None) -> bool:
    if people is None or who in people:
        return True
    hint = did_you_mean(who, people, " (add them to people.toml)")
    f.problem(path, f"unknown person {shown_id(who)}{hint}")
    return False


def _rotation(f: _File, data: dict, rid: str, people: dict[str, Person] | None, ids: set[str]) -> Rotation | None:
    before = len(f.problems)
    f.keys(data, (), ROTATION_KEYS, ("timezone",))
    zone = f.zone(data, (), "timezone")
    tz = ZoneInfo(zone) if zone else None
    name = f.text(data, (), "name") or rid
    coverage, _ = f.windows(data, (), "coverage") if "coverage" in data else (None, True)

    layers: list[Layer] = []
    layer_tables = f.tables(data, (), "layer")
    if not layer_tables and data.get("layer", []) == []:
        f.problem(("layer",) if "layer" in data else (), "a rotation needs at least one [[layer]]")
    seen_names: set[str] = set()
    for i, t in enumerate(layer_tables, 1):
        path = ("layer", i)
        f.keys(t, path, LAYER_KEYS, ("members", "start", "every"))
        lname = f.text(t, path, "name") or f"layer-{i}"
        if lname in seen_names:
            f.problem(path + ("name",), f"two layers are named {quoted(lname)}; names must be unique")
        seen_names.add(lname)
        members = f.strings(t, path, "members")
        if members is not None and not members:
            f.problem(path + ("members",), "must name at least one person")
        for m in members or []:
            _person_ref(f, path + ("members",), m, people)
        lzone = f.zone(t, path, "timezone") if "timezone" in t else zone
        ltz = ZoneInfo(lzone) if lzone else None
        start = f.wall(t, path, "start", ltz)
        every = f.duration(t, path, "every", MIN_EVERY, MAX_EVERY)
        only, _ = f.windows(t, path, "only") if "only" in t else (None, True)
        until = f.instant(t, path, "until", ltz)
        if start and until and ltz and until <= resolve(start, ltz):
            f.problem(path + ("until",), _backwards(t, "start", "until", f"must be after the layer's start"
                                                    f" ({start:%Y-%m-%dT%H:%M})"))
        since = f.instant(t, path, "from", ltz) if "from" in t else None
        if members and start and every and lzone and len(f.problems) == before:
            layers.append(Layer(lname, tuple(members), start, every, lzone, only, until, since))

    overrides: list[Override] = []
    for i, t in enumerate(f.tables(data, (), "override"), 1):
        path = ("override", i)
        f.keys(t, path, OVERRIDE_KEYS, ("who", "start", "end"))
        who = f.text(t, path, "who")
        if who is not None:
            _person_ref(f, path + ("who",), who, people)
        start = f.instant(t, path, "start", tz)
        end = f.instant(t, path, "end", tz)
        if start and end and end <= start:
            f.problem(path + ("end",), _backwards(t, "start", "end"))
        if who and start and end:
            overrides.append(Override(who, start, end, f.text(t, path, "note") or ""))

    steps: list[Step] = []
    for i, t in enumerate(f.tables(data, (), "escalation"), 1):
        path = ("escalation", i)
        f.keys(t, path, STEP_KEYS, ("who",))
        who = f.text(t, path, "who")
        wait = f.duration(t, path, "wait", timedelta(0), MAX_WAIT) if "wait" in t else timedelta(minutes=5)
        if who is None:
            continue
        if who in ids and people is not None and who in people:
            f.problem(path + ("who",), f"{quoted(who)} is both a rotation and a person: rename one of them so the "
                      "step pages whom you mean")
            continue
        if who in ids:
            kind = "rotation"
        elif people is None or who in people:
            kind = "person"
        else:
            hint = did_you_mean(who, sorted(ids | set(people)), " (name a rotation file's id or a person id)")
            f.problem(path + ("who",), f"{quoted(who)} is neither a rotation nor a person{hint}")
            continue
        if wait is not None:
            steps.append(Step(who, kind, wait))

    if len(f.problems) != before or not zone:
        return None
    return Rotation(
        id=rid, name=name, timezone=zone, layers=tuple(layers), overrides=tuple(overrides),
        coverage=coverage, escalation=tuple(steps), path=f.name,
    )
