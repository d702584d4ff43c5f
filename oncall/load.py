"""TOML files -> model. Strict, and collects every problem in the folder at once.

Each problem names ``file:line: key: message``; the loader never lets a parser's
exception escape. Keys are written as paths with 1-based indices for arrays of tables:
``layer[2].every`` is the ``every`` key of the second ``[[layer]]``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import InvalidFiles, Problem
from .fields import File, describe, did_you_mean, shown_id
from .files import shown_path
from .model import BUILTIN_CHANNELS, DEFAULT_NOTIFY, Away, Directory, Layer, Override, Person, Rotation, Step
from .sanitize import quoted
from .timeline import resolve
from .toml_text import key_text, read_toml

PEOPLE_FILE = "people.toml"
ROTATION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PERSON_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")  # ASCII digits: Twilio gets the number as is
MIN_EVERY = timedelta(minutes=1)
MAX_EVERY = timedelta(days=366)
MAX_WAIT = timedelta(hours=24)

PERSON_KEYS = {"name", "phone", "timezone", "email", "notify", "away", "remind", "quiet"}
NOTICE_KEYS = {"remind", "quiet"}  # also people.toml's folder-wide [defaults]
MAX_REMIND = timedelta(days=28)
QUIET = re.compile(r"^\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*-\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*$")
AWAY_KEYS = {"start", "end", "note"}
ROTATION_KEYS = {"name", "timezone", "coverage", "layer", "override", "escalation", "description"}
LAYER_KEYS = {"name", "members", "start", "every", "only", "until", "timezone", "from"}
OVERRIDE_KEYS = {"who", "start", "end", "note", "swap"}
STEP_KEYS = {"who", "wait"}


def load_directory(root: Path | str, only: Iterable[str] | None = None, fresh: bool = False) -> Directory:
    """Load ``people.toml`` and every ``<id>.toml`` rotation in ``root``.

    Raises InvalidFiles with every problem found, in file order. With ``only``, load just
    those rotations and the rotations their escalation steps name, and ignore problems of
    people none of them uses: a typo in another team's file must not stop `oncall page`.
    With ``fresh`` (a folder being started by `new person`/`new rotation`), a missing or
    empty people.toml is no people yet and no rotation file is no rotation yet.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        why = "no such folder (make one with `oncall init`, or name yours with --dir or ONCALL_DIR)"
        raise InvalidFiles([Problem(str(root), None, "", why)])
    people_problems: list[Problem] = []
    people = _people_file(root / PEOPLE_FILE, people_problems, fresh)

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
        display = shown_path(path)
        if not ROTATION_ID.match(path.stem):
            fixed = "-".join(re.findall(r"[a-z0-9]+", path.stem.lower())) or "my-rotation"
            why = (f"{quoted(path.stem)} is not a rotation id: use lower-case letters, digits and dashes"
                   f" (e.g. rename it to {fixed}.toml)")
            problems.append(Problem(display, None, "", why))
            continue
        parsed = read_toml(path, display, problems)
        if parsed:
            rot = _rotation(File(display, parsed[1], problems), parsed[0], path.stem, people, ids)
            if rot:
                rotations[rot.id] = rot
                if only is not None:
                    wanted.extend(step.who for step in rot.escalation if step.kind == "rotation")
    if only is not None and people is not None:  # an unreadable people.toml stops every command
        used = {pid for r in rotations.values() for pid in _people_used(r)}
        people_problems = [p for p in people_problems if _concerns(p, used)]
    problems = people_problems + problems
    if not files and not problems and not fresh:
        why = "no rotation files (<id>.toml) in this folder (add one with `oncall new rotation`)"
        problems.append(Problem(shown_path(root), None, "", why))
    if problems:
        raise InvalidFiles(problems)
    return Directory(people=_with_validity(people or {}), rotations=rotations, root=str(root))


def _people_file(path: Path, problems: list[Problem], fresh: bool) -> dict[str, Person] | None:
    """The people of ``path``; None when unreadable, so references cannot be checked."""
    if fresh and not os.path.lexists(path):
        return {}
    if not os.path.lexists(path):  # a dangling or looping link is not "missing": say what it is
        why = "missing: every data folder needs a people.toml naming the people its rotations use"
        problems.append(Problem(shown_path(path), None, "", why))
        return None
    parsed = read_toml(path, shown_path(path), problems)
    if not parsed:
        return None
    data = {"people": {}, **parsed[0]} if fresh else parsed[0]
    return _people(File(shown_path(path), parsed[1], problems), data)


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
    heads = (key_text(("people", pid)) for pid in used)
    return any(key == head or key.startswith((f"{head}.", f"{head}[")) for head in heads)


def _with_validity(people: dict[str, Person]) -> dict[str, Person]:
    """Fill in each phone's validity from the cache (see ``phones``), so that commands
    like `oncall now` need not import phonenumbers."""
    from .phones import validity

    valid = validity({p.phone for p in people.values() if p.phone})
    return {pid: p._replace(phone_ok=valid[p.phone]) if p.phone else p for pid, p in people.items()}


def _unknown_channels(notify: list[str]) -> list[str]:
    """The names in ``notify`` that no registered channel has. The built-ins are known
    without the registry, which imports every channel (`oncall now` reads ``notify`` on
    each run and pages nobody)."""
    if all(c in BUILTIN_CHANNELS for c in notify):
        return []
    from .paging.channels import names

    return [c for c in notify if c not in names()]


def _people(f: File, data: dict) -> dict[str, Person] | None:
    """The people by id; None if there is no table of people to check references against."""
    f.keys(data, (), {"people", "defaults"}, ("people",))
    folder = _defaults(f, data)
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
            f.problem(path, f"must be a table ([people.{pid}] with name, phone, ...), not {describe(p)}")
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
            bad = _unknown_channels(notify)
            if bad or not notify:
                from .paging.channels import names as channels

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
            away=tuple(sorted(away, key=lambda a: a.start)), **(folder | _notice_settings(f, p, path)),
        )
    return people


def _defaults(f: File, data: dict) -> dict:
    """The folder-wide ``[defaults]`` of people.toml, as Person fields."""
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        f.problem(("defaults",), "must be a table ([defaults] with remind, quiet)")
        return {}
    f.keys(defaults, ("defaults",), NOTICE_KEYS)
    return _notice_settings(f, defaults, ("defaults",))


def _notice_settings(f: File, data: dict, path: tuple) -> dict:
    """``remind`` and ``quiet`` as Person fields, for those of the two ``data`` sets."""
    out: dict = {}
    remind = f.strings(data, path, "remind")
    if remind is not None:
        leads = [f.duration({"remind": r}, path, "remind", MIN_EVERY, MAX_REMIND) for r in remind]
        if all(leads):
            out["remind"] = tuple(sorted(set(leads), reverse=True))
    quiet = f.text(data, path, "quiet")
    if quiet is not None:
        m = QUIET.match(quiet)
        a, b = (int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])) if m else (0, 0)
        if a == b:
            f.problem(path + ("quiet",), f"{quoted(quiet)} is not a daily window (use e.g. \"22:00-08:00\", "
                      "hours 00-23, the end on the next day when it is earlier)")
        else:
            out["quiet"] = (a, b)
    return out


def _person_ref(f: File, path: tuple, who: str, people: dict[str, Person] | None) -> bool:
    if people is None or who in people:
        return True
    hint = did_you_mean(who, people, " (add them to people.toml)")
    f.problem(path, f"unknown person {shown_id(who)}{hint}")
    return False


def _rotation(f: File, data: dict, rid: str, people: dict[str, Person] | None, ids: set[str]) -> Rotation | None:
    before = len(f.problems)
    f.keys(data, (), ROTATION_KEYS, ("timezone",))
    zone = f.zone(data, (), "timezone")
    tz = ZoneInfo(zone) if zone else None
    name = f.text(data, (), "name") or rid
    coverage, _ = f.windows(data, (), "coverage") if "coverage" in data else (None, True)
    layers = _layers(f, data, zone, people)
    overrides = _overrides(f, data, tz, people)
    steps = _steps(f, data, people, ids)
    if len(f.problems) != before or not zone:
        return None
    return Rotation(
        id=rid, name=name, timezone=zone, layers=tuple(layers), overrides=tuple(overrides),
        coverage=coverage, escalation=tuple(steps), path=f.name,
    )


def _layers(f: File, data: dict, zone: str | None, people: dict[str, Person] | None) -> list[Layer]:
    """The ``[[layer]]`` tables; a layer is built only while its file has no problem."""
    before = len(f.problems)
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
    return layers


def _overrides(f: File, data: dict, tz: ZoneInfo | None, people: dict[str, Person] | None) -> list[Override]:
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
        f.text(t, path, "swap")  # the halves of one swap share it (``oncall swap`` writes it)
        if who and start and end:
            overrides.append(Override(who, start, end, f.text(t, path, "note") or ""))
    return overrides


def _steps(f: File, data: dict, people: dict[str, Person] | None, ids: set[str]) -> list[Step]:
    """The ``[[escalation]]`` steps; each names a rotation (by file id) or a person, not both."""
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
    return steps
