"""TOML text for the loader: bytes to data, key paths to lines, syntax errors said for people.

Keys are written as paths with 1-based indices for arrays of tables: ``layer[2].every``
is the ``every`` key of the second ``[[layer]]``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import Problem
from .files import Unreadable, read_regular
from .sanitize import capped, terminal_safe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_FILE_BYTES = 32 << 20  # far above any real folder; below what would exhaust memory

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


class Lines:
    """Finds the line of a key path in TOML text by following table headers.

    Good enough for hand-written files (headers, ``key = value``); for anything it cannot
    place (inline tables, multi-line values) it answers with the enclosing table's line.
    Lines end at ``\n`` only, as in TOML: U+2028, U+2029 or NEL in a comment is not a break.
    """

    # Compiled on the first problem (``re`` keeps them): sound files never need them.
    _HEADER = rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?"
    _KEY = rf"^\s*({_DOTTED})\s*="

    def __init__(self, text: str):
        header, key = re.compile(self._HEADER), re.compile(self._KEY)
        self.lines: dict[tuple, int] = {}
        self.at: dict[int, tuple] = {}  # line -> the key path written on it
        counts: dict[tuple, int] = {}
        table: tuple = ()
        for n, line in enumerate(text.split("\n"), 1):
            m = header.match(line)
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
            m = key.match(line)
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


_BARE = r"[^\s.\"'\\]+"  # compiled on first use: only problems name keys


def key_text(path: tuple) -> str:
    """``layer[2].every``; a part with dots, quotes, spaces or controls is written quoted
    (``people."d.e"``), and a huge one capped, so a key can neither mislead nor flood."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = capped(part)
        if not (re.fullmatch(_BARE, part) and part.isprintable()):
            shown = '"' + terminal_safe(shown).replace('"', '\\"') + '"'
        out += ("." if out else "") + shown
    return out


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
        line = max(Lines(text).at, default=None)
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
    return key_text(Lines(text).at.get(line, ())) if line else ""

