"""Is a phone number dialable? ``phonenumbers`` decides; a small private cache remembers.

Importing ``phonenumbers`` costs more than everything else `oncall now` does, and its
answer is a pure function of the number and the installed ``phonenumbers``. So answers
are kept in ``phone-validity.json`` in the cache folder (``dirs.cache_dir``), keyed by the
installed package's path, size and mtime: a new ``phonenumbers`` starts a new cache.

The cache can only make `oncall` faster, never make anyone unreachable:

* only a cached *valid* is believed; a cached *invalid* is asked of ``phonenumbers``
  again, so a forged or stale ``false`` cannot skip a reachable person;
* it is read only if it is a regular file owned by this user in a folder owned by this
  user (or root), neither of them writable by group or others; it is written 0600 in a
  0700 folder (``dirs.private_dir``), atomically (``files.write_atomic``);
* it holds the numbers of the last folder loaded and no others: numbers gone from
  people.toml leave it on the next load.

If it cannot be read or written, we just ask ``phonenumbers``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .model import valid_number

CACHE_NAME = "phone-validity.json"


def _package_key() -> str:
    from importlib.util import find_spec

    spec = find_spec("phonenumbers")
    if spec is None or not spec.origin:
        return ""
    st = os.stat(spec.origin)
    return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"


def _ours(st: os.stat_result, folder: bool) -> bool:
    """Owned by us (a folder may be root's, as /tmp's parents are) and writable by
    nobody else."""
    owners = (os.getuid(), 0) if folder else (os.getuid(),)
    return st.st_uid in owners and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path, key: str) -> tuple[dict, bool]:
    """The cached answers (``{}`` if the cache is missing, foreign or unsafe) and whether
    the file is private enough to be left as it is."""
    try:
        st = os.lstat(path)
        if not (stat.S_ISREG(st.st_mode) and _ours(st, False) and _ours(os.stat(path.parent), True)):
            return {}, False
        cached = json.loads(path.read_text(encoding="utf-8"))
        known = cached["numbers"] if cached.get("key") == key else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, False
    if not isinstance(known, dict):  # valid JSON of another shape: as good as no cache
        return {}, False
    return known, not st.st_mode & 0o077


def validity(numbers: set[str]) -> dict[str, bool]:
    """``{number: valid}`` for E.164 ``numbers``: assignable in their country's plan."""
    if not numbers:
        return {}
    from .dirs import cache_dir

    try:
        path = cache_dir() / CACHE_NAME
        key = _package_key()
    except OSError:
        return {n: valid_number(n) for n in numbers}
    known, private = _read(path, key)
    answers = {n: True if known.get(n) is True else valid_number(n) for n in numbers}
    if answers != known or not private:
        _write(path, key, answers)
    return answers


def _write(path: Path, key: str, answers: dict[str, bool]) -> None:
    from .dirs import private_dir
    from .files import write_atomic

    try:
        private_dir(path.parent)
        if not _ours(os.stat(path.parent), True):
            return  # someone else's folder: what we write there could be forged
        write_atomic(path, json.dumps({"key": key, "numbers": answers}, sort_keys=True).encode(), 0o600)
    except OSError:
        pass
