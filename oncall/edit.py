"""Safe edits of the data folder: tomlkit round trips, validated, written atomically.

A file is edited as a list of *blocks*: the lines before the first table header, then
one block per ``[table]`` or ``[[array.of.tables]]`` header. A block starts with the
comment lines directly above its header (they describe it) and ends with the blank and
comment lines before the next block's. Of those, comment lines that follow a blank line
are *detached*: a section heading for what comes next, not part of the table, so a new
table goes above them and removing the table keeps them. An edit inserts or removes
whole blocks, or changes values inside one block through tomlkit, so every byte outside
the touched blocks stays as it was: comments, order, blank lines, quoting, a UTF-8 BOM;
new lines use the file's line ending (CRLF or LF). (tomlkit alone would file the
comments above a header under the previous table, and put new keys and tables after
them.)

Nothing is written until the edited text loads with the normal loader (``validate``);
``write_atomic`` then replaces the file through a temporary file in the same folder and
refuses if the file changed since it was read. The schedule comparisons (``moves``,
``new_problems``) are pure. tomlkit is imported only inside the functions that use it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .coverage import Finding, Report
from .errors import InvalidFiles, Problem, Refused, UsageError
from .model import Directory, Layer, Rotation, Segment
from .schedule import handoff, shift_index
from .timeline import UTC, merge, resolve, subtract, to_wall

# ---------------------------------------------------------------- blocks of a file


@dataclass
class Block:
    text: str
    path: tuple[str, ...] | None  # the header's key path; None for the lines before any header
    aot: bool = False  # ``[[...]]``


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _header(line: str) -> tuple[tuple[str, ...], bool] | None:
    """The key path of a table header line and whether it opens an array of tables."""
    if not line.lstrip().startswith("["):
        return None
    from .load import tomllib

    try:
        node: Any = tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None
    path: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path.append(key)
    if isinstance(node, list):
        return tuple(path), True
    return (tuple(path), False) if node == {} else None


def split_blocks(text: str) -> list[Block]:
    """``text`` as blocks; ``"".join`` of their texts is ``text`` again."""
    from .load import tomllib

    lines = text.splitlines(keepends=True)
    heads = [(i, h) for i, line in enumerate(lines) if (h := _header(line))]
    blocks = []
    start = 0
    cuts = []
    for i, h in heads:
        s = i
        while s > start and _is_comment(lines[s - 1]):
            s -= 1
        cuts.append((s, h))
        start = i + 1
    blocks.append(Block("".join(lines[: cuts[0][0] if cuts else len(lines)]), None))
    for n, (s, (path, aot)) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(lines)
        blocks.append(Block("".join(lines[s:end]), path, aot))
    for b in blocks:
        try:
            tomllib.loads(b.text)
        except tomllib.TOMLDecodeError:
            # A "header" inside a multi-line string or array: this file is beyond the
            # simple layout edits rely on, and guessing could damage it.
            raise Refused("cannot edit this file safely (a table header inside a multi-line value?); "
                          "edit it by hand") from None
    return blocks


def _tail(text: str, blank_only: bool) -> int:
    """Length of the trailing run of blank (and, unless ``blank_only``, comment) lines."""
    lines = text.splitlines(keepends=True)
    n = 0
    for line in reversed(lines):
        if _is_blank(line) or (not blank_only and _is_comment(line)):
            n += len(line)
        else:
            break
    return n


def _detached(text: str) -> int:
    """Where the detached comment lines at the end of a block start: the first comment
    line of the trailing blank/comment run that follows a blank line (``len(text)`` if
    there is none). Comment lines right after the table's last line stay with it."""
    lines = text.splitlines(keepends=True)
    i = len(lines)
    while i and (_is_blank(lines[i - 1]) or _is_comment(lines[i - 1])):
        i -= 1
    while i < len(lines) and _is_comment(lines[i]):
        i += 1
    while i < len(lines) and _is_blank(lines[i]):
        i += 1
    return len("".join(lines[:i])) if i < len(lines) else len(text)


def _table(node: Any, path: tuple[str, ...], aot: bool) -> Any:
    for key in path:
        node = node[key]
    return node[0] if aot else node


class Edit:
    """One file being edited: the bytes read, and its blocks."""

    def __init__(self, path: Path, original: bytes | None):
        self.path = path
        self.original = original
        text = original.decode("utf-8") if original is not None else ""
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix(self.bom)
        first = text.find("\n")
        self.eol = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
        self.blocks = split_blocks(text)

    @classmethod
    def open(cls, path: Path) -> Edit:
        from .files import read_regular
        from .load import MAX_FILE_BYTES

        return cls(path, read_regular(path, MAX_FILE_BYTES))

    @classmethod
    def create(cls, path: Path, text: str) -> Edit:
        """A file that does not exist yet, to be written with ``text``."""
        f = cls(path, None)
        f.blocks = split_blocks(text)
        return f

    @property
    def text(self) -> str:
        return self.bom + "".join(b.text for b in self.blocks)

    def _eol(self, text: str) -> str:
        """New ``\\n``-terminated lines in the file's line ending."""
        return text.replace("\n", self.eol) if self.eol != "\n" else text

    def find(self, *path: str) -> list[int]:
        """Indices of the blocks whose header is exactly ``path``, in file order."""
        return [i for i, b in enumerate(self.blocks) if b.path == path]

    def data(self, k: int) -> dict:
        """The table of block ``k`` as plain values."""
        from .load import tomllib

        b = self.blocks[k]
        return _table(tomllib.loads(b.text), b.path or (), b.aot)

    def insert_after(self, j: int, text: str) -> int:
        """Insert a table (``text``, ending in a newline) right after block ``j``, separated
        from its neighbours as block ``j`` is from the next one. Returns its index."""
        prev = self.blocks[j]
        text = self._eol(text)
        if prev.text and not prev.text.endswith("\n"):
            prev.text += self.eol
        cut = _detached(prev.text)
        prev.text, below = prev.text[:cut], prev.text[cut:]
        gap = prev.text[len(prev.text) - _tail(prev.text, True):]
        if j == len(self.blocks) - 1 and not below:
            text = ("" if gap or not prev.text.strip() else self.eol) + text
        else:
            text += gap + below
        head = _header(next(line for line in text.splitlines() if line.strip()))
        self.blocks.insert(j + 1, Block(text, *(head or (None, False))))
        return j + 1

    def append(self, text: str) -> int:
        return self.insert_after(len(self.blocks) - 1, text)

    def remove(self, k: int) -> None:
        """Remove block ``k`` with the comments above its header; its detached comments
        (a heading for what follows) stay."""
        gone = self.blocks.pop(k)
        below = gone.text[_detached(gone.text):]
        if below:
            self.blocks[k - 1].text += below
        elif k == len(self.blocks) and k > 0:
            # It ended the file: the block before it now does, the way it did.
            prev = self.blocks[k - 1]
            prev.text = prev.text[: len(prev.text) - _tail(prev.text, True)]
            prev.text += gone.text[len(gone.text) - _tail(gone.text, True):]

    def set(self, k: int, values: dict[str, Any]) -> None:
        """Set keys of block ``k``'s table through tomlkit: an existing key keeps its place
        and its inline comment; a new one goes after the table's last key."""
        import tomlkit

        b = self.blocks[k]
        cut = len(b.text) - _tail(b.text, False)
        core, tail = b.text[:cut], b.text[cut:]
        if not core.endswith("\n"):
            core += self.eol
        # tomlkit writes new keys with \n: edit an all-CRLF table as LF, then turn it back.
        crlf = self.eol == "\r\n" and core.count("\n") == core.count("\r\n")
        doc = tomlkit.parse(core.replace("\r\n", "\n") if crlf else core)
        table = _table(doc, b.path or (), b.aot)
        for key, value in values.items():
            table[key] = value
        b.text = (self._eol(doc.as_string()) if crlf else doc.as_string()) + tail


def render_table(path: tuple[str, ...], aot: bool, items: dict[str, Any]) -> str:
    """A new table as TOML text, values rendered by tomlkit; None values are left out."""
    import tomlkit

    head = ".".join(tomlkit.key(p).as_string() for p in path)
    return (f"[[{head}]]" if aot else f"[{head}]") + "\n" + render_keys(items)


def render_keys(items: dict[str, Any]) -> str:
    """``key = value`` lines, values rendered by tomlkit; None values are left out."""
    import tomlkit

    return "".join(f"{tomlkit.key(k).as_string()} = {tomlkit.item(v).as_string()}\n"
                   for k, v in items.items() if v is not None)


def toml_time(t: datetime, tz: ZoneInfo, dates: bool = False) -> datetime | date:
    """How an instant is written: a local date-time on ``tz``'s wall clock (as managers
    write them), or an offset date-time when the wall time would not read back as ``t``
    (the second 01:30 of a fall-back night). With ``dates``, a local midnight is a date."""
    t = t.replace(microsecond=0)
    wall = to_wall(t, tz)
    if resolve(wall, tz) != t:
        return t.astimezone(timezone(t.astimezone(tz).utcoffset() or timedelta()))
    if dates and wall.time() == time():
        return wall.date()
    return wall


def file_instant(value: Any, tz: ZoneInfo) -> datetime:
    """A TOML time value as the loader reads it: offset times exact, others on ``tz``."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return resolve(value, tz)


# ---------------------------------------------------------------- what an edit does


def overrides_block(f: Edit) -> int:
    """Where a new ``[[override]]`` goes: after the last one, else after the last layer."""
    for path in (("override",), ("layer",)):
        found = f.find(*path)
        if found:
            return found[-1]
    return len(f.blocks) - 1


def add_override(f: Edit, rot: Rotation, who: str, start: datetime, end: datetime, note: str | None) -> None:
    items = {"who": who, "start": toml_time(start, rot.tz), "end": toml_time(end, rot.tz), "note": note or None}
    f.insert_after(overrides_block(f), render_table(("override",), True, items))


def table_blocks(f: Edit, count: int, *path: str) -> list[int]:
    found = f.find(*path)
    if len(found) != count:
        name = "[[" + ".".join(path) + "]]"
        raise Refused(f"{f.path.name}: not every {name} is written as its own table; edit it by hand")
    return found


def swap_overrides(segments: list[Segment], a: str, b: str) -> list[tuple[str, datetime, datetime]]:
    """Overrides that give ``a``'s time in ``segments`` to ``b`` and ``b``'s to ``a``:
    ``(who, start, end)``, one per unbroken stretch, in time order."""
    out: list[tuple[str, datetime, datetime]] = []
    for s in segments:
        if s.person not in (a, b):
            continue
        who = b if s.person == a else a
        if out and out[-1][0] == who and out[-1][2] == s.start:
            out[-1] = (who, out[-1][1], s.end)
        else:
            out.append((who, s.start, s.end))
    return out


def add_person(f: Edit, pid: str, items: dict[str, Any]) -> None:
    people = [i for i, b in enumerate(f.blocks) if b.path and b.path[0] == "people"]
    table = render_table(("people", pid), False, items)
    if people:
        f.insert_after(people[-1], table)
    else:
        f.append(table)


def person_block(f: Edit, pid: str) -> int:
    found = f.find("people", pid)
    if not found:
        raise Refused(f"{f.path.name}: {pid} is not written as a [people.{pid}] table; edit it by hand")
    return found[0]


def add_away(f: Edit, pid: str, tz: ZoneInfo, start: datetime, end: datetime, note: str | None) -> None:
    after = (f.find("people", pid, "away") or [person_block(f, pid)])[-1]
    items = {"start": toml_time(start, tz, dates=True), "end": toml_time(end, tz, dates=True), "note": note or None}
    f.insert_after(after, render_table(("people", pid, "away"), True, items))


def next_name(name: str, taken: set[str]) -> str:
    """A layer name for the next version: ``weekly`` -> ``weekly-2`` -> ``weekly-3``."""
    base, _, n = name.rpartition("-")
    base, n = (base, int(n)) if base and n.isdigit() and len(n) < 4 else (name, 1)
    while f"{base}-{n + 1}" in taken:
        n += 1
    return f"{base}-{n + 1}"


def first_handoff(layer: Layer, t: datetime) -> int:
    """The index of the first handoff at or after ``t`` (0 if the layer starts later)."""
    if t <= handoff(layer, 0):
        return 0
    k = shift_index(layer, t)
    return k if handoff(layer, k) >= t else k + 1


def change_members(f: Edit, rot: Rotation, index: int, person: str, add: bool, effective: datetime) -> datetime:
    """Add ``person`` to (or remove them from) layer ``index`` from the first handoff at or
    after ``effective``; returns that handoff.

    The layer gets ``until`` = that handoff, and a new version of it starts there, right
    after it in the file (so it keeps the old one's precedence), with the members turned so
    that whoever was due at that handoff goes first; an added person joins the end of the
    queue, a removed one leaves it. Every shift before the handoff stays exactly as it was.
    A layer that has not started yet is changed in place.
    """
    layer = rot.layers[index]
    blocks = table_blocks(f, len(rot.layers), "layer")
    k = first_handoff(layer, effective)
    members = list(layer.members)
    if k == 0:
        f.set(blocks[index], {"members": members + [person] if add else [m for m in members if m != person]})
        return handoff(layer, 0)
    at = handoff(layer, k)
    if layer.until is not None and at >= layer.until:
        raise UsageError(f"layer {layer.name!r} ends before its first handoff after --effective; "
                         "change its next version instead")
    r = k % len(members)
    turned = members[r:] + members[:r]
    new = turned + [person] if add else [m for m in turned if m != person]
    # Unnamed layers are named by position; inserting one would rename those after it.
    for j in range(index, len(blocks)):
        if "name" not in f.data(blocks[j]):
            f.set(blocks[j], {"name": rot.layers[j].name})
    old = f.data(blocks[index])
    wall = layer.start + k * layer.every
    items = {"name": next_name(layer.name, {x.name for x in rot.layers}), "members": new, "start": wall,
             "every": old["every"], "only": old.get("only"), "until": old.get("until"),
             "timezone": old.get("timezone")}
    f.set(blocks[index], {"until": wall})
    f.insert_after(blocks[index], render_table(("layer",), True, items))
    return at


def new_rotation_text(name: str, zone: str, members: list[str], start: datetime, every: str) -> str:
    top = render_keys({"name": name, "timezone": zone})
    layer = render_table(("layer",), True, {"name": "main", "members": members, "start": start, "every": every})
    return top + "\n" + layer


# ---------------------------------------------------------------- validate, compare, write


def validate(root: Path, path: Path, text: str) -> Directory:
    """Load the folder as it would be with ``text`` in ``path``, with the normal loader
    (on a temporary copy); raises InvalidFiles naming the real files."""
    from .load import _display, load_directory

    # Hidden files are editors' locks (a dangling ".#platform.toml" link), as the loader says.
    names = {p.name for p in root.glob("*.toml") if not p.name.startswith(".")} | {path.name}
    with tempfile.TemporaryDirectory(prefix="oncall-edit-") as tmp:
        copy = Path(tmp)
        for name in names - {path.name}:
            shutil.copyfile(root / name, copy / name)
        (copy / path.name).write_bytes(text.encode("utf-8"))
        shown = {_display(copy / n): _display(root / n) for n in names}
        try:
            d = load_directory(copy)
        except InvalidFiles as e:
            problems = [Problem(shown.get(p.file, p.file), p.line, p.key, p.message) for p in e.problems]
            raise InvalidFiles(problems) from None
    rotations = {rid: replace(r, path=shown.get(r.path, r.path)) for rid, r in d.rotations.items()}
    return replace(d, rotations=rotations, root=str(root))


@dataclass(frozen=True)
class Move:
    """In ``[start, end)`` the on-call person of ``rotation`` goes from ``before`` to
    ``after`` (None: nobody)."""

    rotation: str
    start: datetime
    end: datetime
    before: str | None
    after: str | None


def moves(rid: str, before: list[Segment], after: list[Segment], start: datetime, end: datetime) -> list[Move]:
    """Where two final schedules of one rotation disagree inside ``[start, end)``."""
    cuts = sorted({start, end} | {t for s in before + after for t in (s.start, s.end) if start < t < end})

    def who(segs: list[Segment]) -> list[str | None]:
        out, i = [], 0
        for t in cuts[:-1]:
            while i < len(segs) and segs[i].end <= t:
                i += 1
            out.append(segs[i].person if i < len(segs) and segs[i].start <= t else None)
        return out

    out: list[Move] = []
    for a, b, x, y in zip(cuts[:-1], cuts[1:], who(before), who(after), strict=True):
        if x == y:
            continue
        if out and out[-1].end == a and (out[-1].before, out[-1].after) == (x, y):
            out[-1] = replace(out[-1], end=b)
        else:
            out.append(Move(rid, a, b, x, y))
    return out


def new_problems(before: Report, after: Report, since: datetime) -> list[Finding]:
    """Gaps and unreachable stretches in ``after`` (from ``since`` on) that ``before`` did
    not have: the same kind, rotation and person over the same time."""
    def spans(report: Report) -> dict[tuple, list]:
        out: dict[tuple, list] = defaultdict(list)
        for p in report.problems:
            out[(p.rotation, p.kind, p.person or "", p.reason or "")].append((p.start, p.end))
        return out

    old, new = spans(before), spans(after)
    found = []
    for key, ivs in new.items():
        for a, b in subtract(merge(ivs), merge(old.get(key, []))):
            if max(a, since) < b:
                found.append(Finding(key[0], key[1], max(a, since), b, key[2] or None, key[3] or None))
    return sorted(found, key=lambda p: (p.start, p.rotation))


def unified_diff(display: str, original: bytes | None, text: str) -> str:
    a = (original or b"").decode("utf-8").splitlines(keepends=True)
    b = text.splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, display, f"{display} (edited)"))


def _unchanged(path: Path, original: bytes | None, display: str) -> None:
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current == original:
        return
    if original is None:
        raise Refused(f"{display} already exists; nothing was written")
    raise Refused(f"{display} changed on disk since it was read (another editor, a git pull?); "
                  "nothing was written: run the command again")


def write_atomic(path: Path, text: str, original: bytes | None, display: str | None = None) -> None:
    """Replace ``path`` with ``text`` (``files.write_atomic``: a crash leaves the old file or
    the new one), or refuse if it is no longer ``original`` (None: it must not exist yet).

    The file keeps its mode; a new file gets that of its folder's people.toml. The
    stale-read check and the rename happen under the folder's lock (``files.folder_lock``;
    edit commands already hold it from loading the folder, so the check then only catches
    writers that are not oncall: an editor, a git pull).
    """
    from .files import folder_lock
    from .files import write_atomic as replace_file

    display = display or str(path)
    path = Path(os.path.realpath(path))  # write through a symlink, do not replace it
    like = path if original is not None else path.parent / "people.toml"
    mode = (like.stat().st_mode & 0o7777) if like.exists() else 0o644
    with folder_lock(path.parent):
        _unchanged(path, original, display)
        replace_file(path, text.encode("utf-8"), mode)


# ---------------------------------------------------------------- JSON Schemas for editors


def schemas() -> dict[str, dict]:
    """JSON Schemas (draft-07) of the people file and a rotation file, for editors
    (taplo / Even Better TOML). The loader stays the authority: these catch typos and
    missing keys as you type. Times have no ``type``: editors differ in how they hand
    TOML date-times to a JSON Schema validator."""
    from .load import E164, PERSON_ID
    from .paging.channels import names as channels

    time_ = {"description": "A TOML date-time: local (wall time in the zone) or with an offset (exact)."}
    zone = {"type": "string", "description": "An IANA timezone name, e.g. America/New_York."}
    duration = {"type": "string", "pattern": r"^\s*(\d+\s*[wdhmsWDHMS]\s*)+$",
                "description": "e.g. 30m, 8h, 1d, 1w, 1d12h."}
    windows = {"type": "array", "minItems": 1, "items": {"type": "string"},
               "description": "Weekly windows: 'mon-fri 09:00-17:00', 'daily 22:00-06:00', "
                              "'fri 17:00 - mon 09:00', 'sat-sun', 'always'."}
    person = {"type": "string", "pattern": PERSON_ID.pattern, "description": "A person id from people.toml."}

    def obj(required: list[str], props: dict, description: str) -> dict:
        return {"type": "object", "description": description, "additionalProperties": False,
                "required": required, "properties": props}

    rotation = obj(["timezone", "layer"], {
        "name": {"type": "string", "description": "Display name."},
        "description": {"type": "string"},
        "timezone": zone,
        "coverage": windows,
        "layer": {"type": "array", "minItems": 1, "items": obj(["members", "start", "every"], {
            "name": {"type": "string", "description": "Unique in the rotation."},
            "members": {"type": "array", "minItems": 1, "items": person},
            "start": time_, "every": duration, "only": windows, "until": time_, "from": time_, "timezone": zone,
        }, "A layer: later layers win over earlier ones.")},
        "override": {"type": "array", "items": obj(["who", "start", "end"], {
            "who": person, "start": time_, "end": time_, "note": {"type": "string"},
        }, "Someone covers [start, end); a later override wins over an earlier one.")},
        "escalation": {"type": "array", "items": obj(["who"], {
            "who": {"type": "string", "description": "A rotation id or a person id."}, "wait": duration,
        }, "One escalation step.")},
    }, "An oncall rotation file (rotations/<id>.toml).")
    people = obj(["people"], {"people": {
        "type": "object", "propertyNames": {"pattern": PERSON_ID.pattern},
        "additionalProperties": obj([], {
            "name": {"type": "string"},
            "phone": {"type": "string", "pattern": E164.pattern, "description": "E.164, e.g. +14155550101."},
            "timezone": zone,
            "email": {"type": "string"},
            "notify": {"type": "array", "minItems": 1, "items": {"enum": list(channels())}},
            "away": {"type": "array", "items": obj(["start", "end"], {
                "start": time_, "end": time_, "note": {"type": "string"},
            }, "Time off: unreachable in [start, end); a date is midnight in the person's zone.")},
        }, "A person."),
    }}, "The oncall people file (rotations/people.toml).")
    draft = "http://json-schema.org/draft-07/schema#"
    return {"people": {"$schema": draft, "title": "oncall people", **people},
            "rotation": {"$schema": draft, "title": "oncall rotation", **rotation}}
