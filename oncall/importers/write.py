"""A Plan -> files in the output folder, and nothing anywhere else.

People are merged by email (case-insensitive) with an existing people.toml, whose bytes
are kept: new people are appended. A rotation file that exists with other bytes is not
replaced without ``force``. Everything is staged in a hidden folder inside the output
folder, loaded with the normal loader, and only then moved into place, so a plan that
would not load writes nothing.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from ..errors import InvalidFiles, Problem, Refused
from ..files import folder_lock, read_regular, write_atomic
from ..load import PEOPLE_FILE
from . import NewPerson, Plan
from .dump import toml_str, unique

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


LIMIT = 16 << 20


class Written(NamedTuple):
    ids: dict[str, str]  # source user key -> person id
    added: list[str]  # person ids appended to people.toml
    merged: list[str]  # person ids that were already there (same email)
    files: list[Path]  # files written (unchanged ones are not)


def write_plan(plan: Plan, out: Path, force: bool = False) -> Written:
    """Write ``plan`` into ``out`` (created if missing); see the module docstring."""
    people_path = out / PEOPLE_FILE
    old = read_regular(people_path, LIMIT).decode("utf-8-sig") if people_path.exists() else ""
    ids, added, merged, text = _merge_people(plan.people, old, str(people_path))
    files = {PEOPLE_FILE: text}
    for rot in plan.rotations:
        body = rot.body
        for key, pid in ids.items():
            body = body.replace(f'"@@{key}@@"', toml_str(pid))
        files[f"{rot.id}.toml"] = body
    changed = {name: body for name, body in files.items()
               if not (out / name).is_file() or (out / name).read_bytes() != body.encode()}
    clash = [name for name in changed if name != PEOPLE_FILE and (out / name).exists()]
    if clash and not force:
        raise Refused(f"{', '.join(str(out / n) for n in clash)} already exist with other content: "
                      "nothing written (pass --force to replace them)")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".oncall-import-", dir=out))
    try:
        for name, body in files.items():
            (stage / name).write_bytes(body.encode())
        _check(stage, [r.id for r in plan.rotations], out)
        with folder_lock(out):
            for name in changed:
                write_atomic(out / name, files[name].encode())
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return Written(ids, added, merged, [out / n for n in changed])


def _check(stage: Path, rotation_ids: list[str], out: Path) -> None:
    from ..load import load_directory

    try:
        load_directory(stage, rotation_ids)
    except InvalidFiles as e:  # the import wrote something our loader refuses: say so, write nothing
        raise InvalidFiles([p._replace(file=p.file.replace(str(stage), str(out))) for p in e.problems]) from None


def _merge_people(people: list[NewPerson], old: str, display: str) -> tuple[dict, list, list, str]:
    try:
        existing = tomllib.loads(old).get("people", {}) if old else {}
    except tomllib.TOMLDecodeError as e:
        raise InvalidFiles([Problem(display, None, "", f"TOML syntax error: {e}")]) from None
    by_email = {str(p.get("email", "")).lower(): pid for pid, p in existing.items()
                if isinstance(p, dict) and p.get("email")}
    taken = set(existing)
    ids, added, merged, blocks = {}, [], [], []
    for p in people:
        known = by_email.get((p.email or "").lower()) if p.email else None
        if known:
            ids[p.key] = known
            merged.append(known)
            continue
        pid = unique(_person_id(p), taken)
        ids[p.key] = pid
        added.append(pid)
        if p.email:
            by_email[p.email.lower()] = pid
        lines = [f"# {p.source}", f"[people.{pid}]", f"name = {toml_str(p.name)}"]
        lines += [f"{k} = {toml_str(v)}" for k, v in (("email", p.email), ("phone", p.phone),
                                                      ("timezone", p.timezone)) if v]
        blocks.append("\n".join(lines) + "\n")
    text = old
    if blocks:
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + "\n".join(blocks)
    return ids, added, merged, text


def _person_id(p: NewPerson) -> str:
    base = (p.email or "").split("@")[0] or p.name
    return "-".join(re.findall(r"[a-z0-9_]+", base.lower())) or "person"
