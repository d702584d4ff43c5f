"""oncall.dirs: the one resolver of the state and cache folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from conftest import BUNDLED, ROOT

from oncall import dirs


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG shortcut is Linux's")
@pytest.mark.parametrize("value", [None, "", "  ", "/srv/xdg", "relative/xdg"])
def test_the_folders_are_the_ones_platformdirs_names(monkeypatch, tmp_path, value):
    monkeypatch.delenv("ONCALL_STATE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("XDG_STATE_HOME", "XDG_CACHE_HOME"):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    assert dirs.state_dir() == Path(platformdirs.user_state_dir("oncall", appauthor=False))
    assert dirs.cache_dir() == Path(platformdirs.user_cache_dir("oncall", appauthor=False))


def test_oncall_state_dir_names_one_folder_for_both(monkeypatch, tmp_path):
    monkeypatch.setenv("ONCALL_STATE_DIR", str(tmp_path / "s"))
    assert dirs.state_dir() == dirs.cache_dir() == tmp_path / "s"


def test_now_without_oncall_state_dir_imports_no_platformdirs(tmp_path):
    """The phone cache's folder is resolved on every `oncall now`: no import for it."""
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TZ": "UTC"}
    code = ("import sys\nfrom oncall.cli import main\n"
            f"try:\n    main(['now', '--dir', {str(BUNDLED)!r}, '--at', '2027-01-05T12:00Z'])\n"
            "except SystemExit:\n    pass\n"
            "print('platformdirs' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "carol" in r.stdout
    assert r.stderr.strip().splitlines()[-1] == "False"
    assert (tmp_path / ".cache" / "oncall" / "phone-validity.json").is_file()
