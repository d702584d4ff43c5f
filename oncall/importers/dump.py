"""Reading API dumps: JSON files, and typed access that names the JSON path of a problem.

A problem is reported as ``file: $.schedule.schedule_layers[0].start: message`` and the
import stops before anything is written (exit 3).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidFiles, Problem
from ..files import Unreadable, read_regular
from ..timeline import UTC

LIMIT = 256 << 20  # a year of rendered entries for hundreds of schedules is a few MB
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DumpError(InvalidFiles):
    """A dump the import cannot read: exit 3, one line per problem, nothing written."""


def read_json(paths: list[Path]) -> list[tuple[str, Any]]:
    docs, problems = [], []
    for path in paths:
        try:
            text = read_regular(path, LIMIT).decode("utf-8-sig")
        except FileNotFoundError:
            problems.append(Problem(str(path), None, "", "no such file"))
            continue
        except Unreadable as e:
            problems.append(Problem(str(path), None, "", e.reason))
            continue
        except UnicodeDecodeError as e:
            problems.append(Problem(str(path), None, "", f"not UTF-8 (byte {e.object[e.start]:#04x})"))
            continue
        try:
            docs.append((str(path), json.loads(text)))
        except json.JSONDecodeError as e:
            problems.append(Problem(str(path), e.lineno, "$", f"not JSON: {e.msg} (column {e.colno})"))
    if problems:
        raise DumpError(problems)
    return docs


class Doc:
    """Typed access into one JSON document; every accessor raises DumpError with the path."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, message: str):
        raise DumpError([Problem(self.file, None, path, message)])

    def get(self, obj: Any, path: str, key: str, kind: type | tuple, what: str, optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            self.fail(path, "must be an object")
        if key not in obj or (obj[key] is None and optional):
            if optional:
                return None
            self.fail(f"{path}.{key}", f"missing ({what})")
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            self.fail(f"{path}.{key}", f"must be {what}, not {_describe(value)}")
        return value

    def text(self, obj: Any, path: str, key: str, optional: bool = False) -> str | None:
        return self.get(obj, path, key, str, "a string", optional)

    def items(self, obj: Any, path: str, key: str, optional: bool = False) -> list[tuple[str, Any]]:
        """``(path, item)`` of a list; an absent optional list is empty."""
        value = self.get(obj, path, key, list, "a list", optional) or []
        return [(f"{path}.{key}[{i}]", v) for i, v in enumerate(value)]

    def instant(self, obj: Any, path: str, key: str, optional: bool = False) -> datetime | None:
        """An ISO 8601 time with an offset (or Z), as the APIs write them, in UTC."""
        value = self.text(obj, path, key, optional)
        if value is None:
            return None
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            t = None
        if t is None or t.tzinfo is None:
            self.fail(f"{path}.{key}", f"{value!r} is not an ISO 8601 time with an offset")
        if t.microsecond:
            t = t.replace(microsecond=0)
        return t.astimezone(UTC)

    def user_zone(self, obj: Any, path: str, key: str) -> str | None:
        """A person's time zone, or None when absent or not one we know (a person's zone
        only shapes their own views: an unknown one is left out, not refused)."""
        from ..fields import valid_zone

        value = self.text(obj, path, key, optional=True)
        return value if value and valid_zone(value) else None

    def zone(self, obj: Any, path: str, key: str, optional: bool = False) -> str | None:
        from ..fields import valid_zone

        value = self.text(obj, path, key, optional)
        if value is not None and not valid_zone(value):
            self.fail(f"{path}.{key}", f"unknown time zone {value!r} (an IANA name was expected)")
        return value


Found = tuple[Doc, str, Any]  # where an item was read: its document, its JSON path, the item


def merged(found: list[Found], what: str) -> list[Found]:
    """The items of one list gathered from several pages (files), each once.

    A list fetched page by page repeats an item when it changed between two requests
    (everything after an insertion moves down a page): the same ``id`` with the same
    content is one item. The same ``id`` with other content is refused (exit 3, both
    places named): which one is current cannot be told, so the pages must be fetched again.
    """
    seen: dict[Any, Found] = {}
    out = []
    for d, path, item in found:
        key = item.get("id") if isinstance(item, dict) else None
        if key is None or key not in seen:
            if key is not None:
                seen[key] = (d, path, item)
            out.append((d, path, item))
        elif seen[key][2] != item:
            first = seen[key]
            d.fail(path, f"{what} {key!r} is also in {first[0].file} at {first[1]} with other content: "
                         "it changed while the pages were fetched; fetch them again")
    return out


def head(d: Doc, path: str, s: dict, product: str, zone_key: str, parts: str):
    """A schedule's zone, its file's first lines, and its ``parts`` (layers or rotations),
    of which there must be at least one."""
    from zoneinfo import ZoneInfo

    zone = d.zone(s, path, zone_key)
    out = [f"# Imported from {product} schedule {d.text(s, path, 'id')}: re-running the import writes the same bytes.",
           f"name = {toml_str(d.text(s, path, 'name'))}", f"timezone = {toml_str(zone)}"]
    items = d.items(s, path, parts)
    if not items:
        d.fail(f"{path}.{parts}", "a schedule needs at least one of them")
    return ZoneInfo(zone), out, items


def grouped(windows: list[str]) -> list[str]:
    """``mon 09:00-17:00``, ``tue 09:00-17:00`` -> ``mon,tue 09:00-17:00`` (same windows)."""
    days: dict[str, list[str]] = {}
    for w in windows:
        day, _, span = w.partition(" ")
        single = day in WEEKDAYS and " " not in span
        days.setdefault(span if single else w, []).append(day if single else "")
    return [f"{','.join(d)} {key}" if all(d) else key for key, d in days.items()]


def _describe(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def slug(text: str, fallback: str) -> str:
    """A rotation id from a name: lower-case letters, digits and dashes."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())) or fallback


def unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def duration(seconds: int) -> str:
    """Seconds as the shortest duration text the files accept: 604800 -> '1w'."""
    out, rest = "", seconds
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0s"
