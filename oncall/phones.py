"""Is a phone number dialable? ``phonenumbers`` decides; a small cache remembers.

Importing ``phonenumbers`` costs more than everything else `oncall now` does, and its
answer is a pure function of the number and the installed ``phonenumbers``. So answers
are kept in ``phone-validity.json`` (in ``ONCALL_STATE_DIR``, else the user cache dir),
keyed by the installed package's path, size and mtime: a new ``phonenumbers`` starts a
new cache. The cache is best-effort: if it cannot be read or written, we just ask
``phonenumbers``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .model import valid_number

CACHE_NAME = "phone-validity.json"


def _cache_file() -> Path:
    state = os.environ.get("ONCALL_STATE_DIR")
    if state:
        return Path(state) / CACHE_NAME
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "oncall" / CACHE_NAME


def _package_key() -> str:
    from importlib.util import find_spec

    spec = find_spec("phonenumbers")
    if spec is None or not spec.origin:
        return ""
    st = os.stat(spec.origin)
    return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"


def validity(numbers: set[str]) -> dict[str, bool]:
    """``{number: valid}`` for E.164 ``numbers``: assignable in their country's plan."""
    if not numbers:
        return {}
    path = _cache_file()
    try:
        key = _package_key()
        cached = json.loads(path.read_text(encoding="utf-8"))
        known = cached["numbers"] if cached.get("key") == key else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        known = {}
    if not isinstance(known, dict):  # valid JSON of another shape: as good as no cache
        known = {}
    missing = [n for n in numbers if not isinstance(known.get(n), bool)]
    if missing:
        known = dict(known, **{n: valid_number(n) for n in missing})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": _package_key(), "numbers": known}, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    return {n: known[n] for n in numbers}
