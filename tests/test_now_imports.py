"""Issue 16: `oncall now` costs about what a minimal Typer+Rich app costs, because it
imports only what it uses. These tests pin that import set, so a module that creeps onto
the path (the channel registry, a piped table's Rich console, another command's module)
fails here rather than only in benchmarks/bench_issue16.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "rotations"

# Everything of ours `now` may import: not check's findings (coverage, coverage_warnings,
# findings, wording): in_coverage lives with the schedule.
ALLOWED = {
    "oncall", "oncall.cli", "oncall.cli.app", "oncall.cli.commands", "oncall.cli.context", "oncall.cli.read",
    "oncall.cli.times", "oncall.dirs", "oncall.errors", "oncall.fields", "oncall.files", "oncall.grid",
    "oncall.load", "oncall.model", "oncall.phones", "oncall.render", "oncall.sanitize", "oncall.schedule",
    "oncall.shape", "oncall.timeline", "oncall.toml_text",
}
# A piped table is written without Rich's console; cell widths come from rich.cells.
RICH_ALLOWED = {"rich", "rich._extension", "rich.cells", "rich._unicode_data", "rich._unicode_data._versions"}

PROBE = """
import json, sys
from oncall.cli import main
try:
    main(['now', '--dir', sys.argv[1], '--at', '2027-01-05T12:00Z', *sys.argv[2:]])
except SystemExit:
    pass
from oncall.sanitize import _compiled
print(json.dumps({"modules": sorted(sys.modules), "regexes": _compiled.cache_info().currsize}), file=sys.stderr)
"""


def _now(tmp_path, *args: str) -> dict:
    env = dict(os.environ, ONCALL_STATE_DIR=str(tmp_path / "state"), NO_COLOR="1", TZ="UTC")
    env.pop("COLUMNS", None)
    run = [sys.executable, "-c", PROBE, str(BUNDLED), *args]
    subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)  # warms the phone cache
    r = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "carol" in r.stdout, r.stderr
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_piped_now_imports_only_its_path(tmp_path):
    got = _now(tmp_path)
    ours = {m for m in got["modules"] if m == "oncall" or m.startswith("oncall.")}
    assert ours <= ALLOWED, sorted(ours - ALLOWED)
    rich = {m for m in got["modules"] if m == "rich" or m.startswith("rich.")}
    assert rich <= RICH_ALLOWED, sorted(rich - RICH_ALLOWED)
    assert not {"oncall.paging", "oncall.paging.channels", "oncall.cli.shifts", "oncall.cli.numbers",
                "rich.console", "rich.text", "rich.table", "phonenumbers"} & set(got["modules"])
    assert got["regexes"] == 0  # sanitize compiles a pattern only for text that needs it


def test_json_now_imports_no_table_writer(tmp_path):
    got = _now(tmp_path, "--json")
    assert not {"rich.console", "rich.table", "oncall.paging"} & set(got["modules"])


def test_a_builtin_channel_cannot_be_unregistered():
    # The loader accepts the built-in names without the registry: they must stay registered.
    from oncall.model import BUILTIN_CHANNELS
    from oncall.paging import channels

    assert channels.BUILTIN == BUILTIN_CHANNELS and set(BUILTIN_CHANNELS) <= set(channels.names())
    with pytest.raises(ValueError):
        channels.unregister("sms")
    assert "sms" in channels.names()
