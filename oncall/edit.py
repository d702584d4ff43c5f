"""Safe edits of the data folder: what each edit changes, validated, written atomically.

Each edit changes a file's blocks (``toml_blocks``). Nothing is written until the edited
text loads with the normal loader (``validate``); ``write_atomic`` then replaces the file
through a temporary file in the same folder and refuses if the file changed since it was
read. The schedule comparisons (``moves``, ``new_problems``) are pure.
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

from .errors import InvalidFiles, Problem, Refused, UsageError
from .findings import Finding, Report
from .model import Directory, Layer, Rotation, Segment
from .schedule import handoff, shift_index
from .timeline import UTC, join_runs, merge, resolve, subtract, to_wall
from .toml_blocks import Edit, render_keys, render_table


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


def add_override(f: Edit, rot: Rotation, who: str, start: datetime, end: datetime, note: str | None,
                 swap: str | None = None) -> None:
    """A new ``[[override]]`` after the others; ``swap`` links the halves of one swap."""
    items = {"who": who, "start": toml_time(start, rot.tz), "end": toml_time(end, rot.tz), "note": note or None,
             "swap": swap}
    f.insert_after(overrides_block(f), render_table(("override",), True, items))


def table_blocks(f: Edit, count: int, *path: str) -> list[int]:
    found = f.find(*path)
    if len(found) != count:
        name = "[[" + ".".join(path) + "]]"
        raise Refused(f"{f.path.name}: not every {name} is written as its own table; edit it by hand")
    return found


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


def versions(rot: Rotation) -> list[list[int]]:
    """The rotation's layers grouped into versions of one layer, each group in time order:
    a layer's next version starts at the instant its ``until`` ends it, with the same
    ``every``, ``only`` and clock (what ``change_members`` and ``layer add --after``
    write). A layer with no such neighbour is a group of its own."""
    layers = rot.layers
    after: dict[int, int] = {}
    for i, a in enumerate(layers):
        for j, b in enumerate(layers):
            if (j != i and j not in after.values() and a.until is not None and handoff(b, 0) == a.until
                    and (a.every, a.only, a.timezone) == (b.every, b.only, b.timezone)):
                after[i] = j
                break
    groups = []
    for i in range(len(layers)):
        if i in after.values():
            continue
        group = [i]
        while group[-1] in after and len(group) <= len(layers):
            group.append(after[group[-1]])
        groups.append(group)
    return groups


def in_force(rot: Rotation, group: list[int], t: datetime) -> int | None:
    """The version of ``group`` a change from ``t`` belongs to: the first whose first
    handoff at or after ``t`` comes before its ``until``; None if every version has ended."""
    for i in group:
        layer = rot.layers[i]
        if layer.until is None or handoff(layer, first_handoff(layer, t)) < layer.until:
            return i
    return None


def change_members(f: Edit, rot: Rotation, index: int, person: str, add: bool, effective: datetime,
                   later: list[int] = ()) -> datetime:
    """Add ``person`` to (or remove them from) layer ``index`` from the first handoff at or
    after ``effective``, and to (from) its ``later`` versions; returns that handoff.

    The layer gets ``until`` = that handoff, and a new version of it starts there, right
    after it in the file (so it keeps the old one's precedence), with the members turned so
    that whoever was due at that handoff goes first; an added person joins the end of the
    queue, a removed one leaves it. Every shift before the handoff stays exactly as it was.
    A layer that has not started yet is changed in place. Each later version is written
    again as the queue runs on into it (``_run_on``).
    """
    layer = rot.layers[index]
    blocks = table_blocks(f, len(rot.layers), "layer")
    k = first_handoff(layer, effective)
    members = list(layer.members)
    at = handoff(layer, k)
    if k and layer.until is not None and at >= layer.until:
        raise UsageError(f"layer {layer.name!r} ends before its first handoff after --effective; "
                         "change its next version instead")
    r = k % len(members)
    turned = members[r:] + members[:r] if k else members
    new = turned + [person] if add else [m for m in turned if m != person]
    wall = layer.start + k * layer.every
    # Later versions first: inserting the new version below moves the blocks after it.
    _run_on(f, rot, blocks, replace(layer, members=tuple(new), start=wall), layer, later, person, add)
    if k == 0:
        f.set(blocks[index], {"members": new})
        return at
    # Unnamed layers are named by position; inserting one would rename those after it.
    for j in range(index, len(blocks)):
        if "name" not in f.data(blocks[j]):
            f.set(blocks[j], {"name": rot.layers[j].name})
    old = f.data(blocks[index])
    items = {"name": next_name(layer.name, {x.name for x in rot.layers}), "members": new, "start": wall,
             "every": old["every"], "only": old.get("only"), "until": old.get("until"),
             "timezone": old.get("timezone")}
    f.set(blocks[index], {"until": wall})
    f.insert_after(blocks[index], render_table(("layer",), True, items))
    return at


def _run_on(f: Edit, rot: Rotation, blocks: list[int], prev: Layer, old_prev: Layer, later: list[int],
            person: str, add: bool) -> None:
    """Write the ``later`` versions again after a change to the one before them (``prev``,
    once ``old_prev``): each starts with whoever ``prev``'s queue has due at its start,
    keeps the joins and leaves it made to its predecessor, and takes the change too."""
    for j in later:
        w = rot.layers[j]
        joined = [m for m in w.members if m not in old_prev.members]
        left = set(old_prev.members) - set(w.members)
        r = first_handoff(prev, handoff(w, 0)) % len(prev.members)
        queue = [m for m in prev.members[r:] + prev.members[:r] if m not in left]
        queue += [m for m in joined if m not in queue]
        queue = ([*queue, person] if person not in queue else queue) if add else [m for m in queue if m != person]
        if not queue:
            raise UsageError(f"{person} is the only member of layer {w.name!r}; end it by hand")
        if queue != list(w.members):
            f.set(blocks[j], {"members": queue})
        old_prev, prev = w, replace(w, members=tuple(queue))


def new_rotation_text(name: str, zone: str, members: list[str], start: datetime, every: str,
                      windows: list[str] | None = None) -> str:
    """A rotation file of one layer; with ``windows``, both what must be covered and when
    the layer covers (a business-hours rotation)."""
    top = render_keys({"name": name, "timezone": zone, "coverage": windows or None})
    layer = render_table(("layer",), True, {"name": "main", "members": members, "start": start, "every": every,
                                            "only": windows or None})
    return top + "\n" + layer


# ---------------------------------------------------------------- validate, compare, write


def validate(root: Path, path: Path, text: str) -> Directory:
    """Load the folder as it would be with ``text`` in ``path``, with the normal loader
    (on a temporary copy); raises InvalidFiles naming the real files. A folder with no
    other rotation file is being started: it may have no people or no rotation yet."""
    from .files import shown_path
    from .load import load_directory

    # Hidden files are editors' locks (a dangling ".#platform.toml" link), as the loader says.
    names = {p.name for p in root.glob("*.toml") if not p.name.startswith(".")} | {path.name}
    with tempfile.TemporaryDirectory(prefix="oncall-edit-") as tmp:
        copy = Path(tmp)
        for name in names - {path.name}:
            shutil.copyfile(root / name, copy / name)
        (copy / path.name).write_bytes(text.encode("utf-8"))
        shown = {shown_path(copy / n): shown_path(root / n) for n in names}
        try:
            d = load_directory(copy, fresh=not names - {path.name, "people.toml"})
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

    pieces = (((x, y), a, b) for a, b, x, y in zip(cuts[:-1], cuts[1:], who(before), who(after), strict=True)
              if x != y)
    return [Move(rid, a, b, x, y) for (x, y), a, b in join_runs(pieces)]


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

