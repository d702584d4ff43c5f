"""Where oncall keeps what is not in the data folder: one resolver for every such file.

``ONCALL_STATE_DIR`` names one folder for everything (the page store and the phone
cache); without it, the page store lives in the platform's user state dir and the phone
cache in its user cache dir (``platformdirs``: ``~/.local/state/oncall`` and
``~/.cache/oncall`` on Linux). What oncall creates there is private to the user: folders
0700, files 0600 (page logs hold phone numbers and messages).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def state_dir() -> Path:
    """The folder of the page store: durable state, not to be deleted casually."""
    return _resolve("state")


def cache_dir() -> Path:
    """The folder of caches: anything in it can be deleted at any time."""
    return _resolve("cache")


# platformdirs' Linux answer: $XDG_*_HOME if it is absolute, else this folder of $HOME.
_XDG = {"state": ("XDG_STATE_HOME", "~/.local/state"), "cache": ("XDG_CACHE_HOME", "~/.cache")}


def _resolve(kind: str) -> Path:
    env = os.environ.get("ONCALL_STATE_DIR")
    if env:
        return Path(env)
    if sys.platform.startswith("linux"):
        # `oncall now` resolves the phone cache's folder on every run: spare it the
        # import of platformdirs where its answer is two lines (tests/test_dirs.py pins
        # them to platformdirs' own).
        var, home = _XDG[kind]
        base = os.environ.get(var, "")
        return Path(base if os.path.isabs(base) else os.path.expanduser(home)) / "oncall"
    import platformdirs

    find = platformdirs.user_state_dir if kind == "state" else platformdirs.user_cache_dir
    return Path(find("oncall", appauthor=False))


def private_dir(path: Path) -> Path:
    """``path`` created if missing (parents too) with mode 0700; an existing folder is
    left as its owner set it. Raises ``OSError``."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty with mode 0600 if missing, so that whatever writes it next
    (SQLite, an atomic rename) starts from a private file. Raises ``OSError``."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path
