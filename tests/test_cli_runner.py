"""The Typer app run in-process (``CliRunner().invoke(app, ...)``) answers exactly as the
console script does: same stdout, same exit code, for every command the README shows,
its errors included. Both runs see the same fixed clock: the in-process one through the
context handed to the app, the process through ``oncall.cli.context.CLOCK``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import BUNDLED, ROOT
from typer.testing import CliRunner

T0 = "2026-12-20T12:00:00+00:00"
D = str(BUNDLED)
DAY = ["--from", "2027-01-05T00:00Z", "--days", "2", "--tz", "UTC"]

CASES = {
    "now": ["now", "--dir", D, "--tz", "UTC"],
    "now-at-json": ["now", "platform", "--dir", D, "--at", "2027-01-05T12:00Z", "--json"],
    "now-unknown-rotation": ["now", "platfrom", "--dir", D],
    "now-bad-at": ["now", "--dir", D, "--at", "yesterday"],
    "now-bad-tz": ["now", "--dir", D, "--tz", "Mars/Olympus"],
    "shifts": ["shifts", "--dir", D, *DAY],
    "shifts-person-json": ["shifts", "--person", "alice", "--dir", D, *DAY, "--json"],
    "check": ["check", "--dir", D, *DAY],
    "check-json": ["check", "--dir", D, *DAY, "--json", "--suggest"],
    "report": ["report", "--month", "2027-01", "--dir", D, "--tz", "UTC"],
    "report-json": ["report", "--month", "2027-01", "--dir", D, "--json"],
    "timeline": ["timeline", "--dir", D, "--from", "2027-01-05T00:00Z", "--days", "2", "--tz", "UTC"],
    "export": ["export", "platform", "--dir", D, "--from", "2027-01-01T00:00Z", "--to", "2027-02-01T00:00Z"],
    "export-person": ["export", "--person", "alice", "--dir", D],
    "page-dry-run": ["page", "platform", "-m", "disk full", "--dry-run", "--dir", D, "--tz", "UTC"],
    "page-dry-run-json": ["page", "platform", "-m", "disk full", "--dry-run", "--dir", D, "--json"],
    "page-no-credentials": ["page", "platform", "-m", "disk full", "--dir", D],
    "pages": ["pages", "--since", "-1d"],
    "pages-show-missing": ["pages", "show", "7"],
    "contacts": ["contacts", "--dir", D, "--json"],
    "override-list": ["override", "list", "platform", "--dir", D, "--tz", "UTC"],
    "override-add-dry-run": ["override", "add", "platform", "--who", "dave", "--from", "2026-12-22T00:00Z",
                             "--to", "2026-12-23T00:00Z", "--dir", D, "--tz", "UTC", "--dry-run"],
    "swap-dry-run": ["swap", "platform", "bob", "carol", "--from", "2026-12-21T14:00Z", "--to", "2027-01-04T14:00Z",
                     "--dir", D, "--tz", "UTC", "--dry-run"],
    "away-list": ["away", "list", "--dir", D, "--tz", "UTC", "--json"],
    "away-add-dry-run": ["away", "add", "bob", "--from", "2027-02-16", "--to", "2027-02-19", "--note", "conference",
                         "--dir", D, "--tz", "UTC", "--dry-run"],
    "member-add-dry-run": ["member", "add", "platform", "erin", "--effective", "2027-03-20", "--dir", D, "--tz", "UTC",
                           "--dry-run"],
    "new-person-dry-run": ["new", "person", "kim", "--name", "Kim Lee", "--phone", "+14155550199", "--dir", D,
                           "--dry-run"],
    "schema": ["schema", "rotation"],
    "layer-add-dry-run": ["layer", "add", "support", "--name", "evenings", "--members", "lena", "--start",
                          "2027-01-04T17:00", "--every", "1w", "--only", "mon-fri 17:00-20:00", "--dir", D,
                          "--tz", "UTC", "--dry-run"],
    "incidents": ["incidents", "--json"],
    "incidents-table": ["incidents"],
    "ack-missing": ["ack", "7"],
    "resolve-missing": ["resolve", "7"],
    "db-status": ["db", "status", "--json"],
    "notify-dry-run": ["notify", "--dir", D, "--at", "2027-01-05T08:00Z", "--dry-run"],
    "notifications": ["notifications", "--json"],
    "import-missing-file": ["import", "pagerduty", "nosuch.json", "-o", "nowhere"],
    "version": ["--version"],
    "init-into-an-existing-folder": ["init", D],
    "serve-refuses-a-public-listen-without-a-token": ["serve", "--dir", D, "--listen", "0.0.0.0:9"],
    # (No --help case: Click's CliRunner forces help text to 80 columns, a process wraps at 78.)
    "unknown-command": ["nosuch"],
    "bad-option": ["now", "--nosuch"],
}

PROCESS = ("import sys\nfrom datetime import datetime\n"
           "import oncall.cli.context as context\nfrom oncall.paging.fake import FakeClock\n"
           f"context.CLOCK = FakeClock(datetime.fromisoformat({T0!r}))\n"
           "from oncall.cli import main\nmain()\n")


def console_script(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROCESS, *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def in_process(args: list[str]):
    from oncall.cli import app
    from oncall.cli.context import Context
    from oncall.paging.fake import FakeClock

    return CliRunner().invoke(app, args, obj=Context(clock=FakeClock(datetime.fromisoformat(T0))))


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_runner_answers_like_the_console_script(name):
    args = CASES[name]
    real = console_script(args)
    assert "Traceback" not in real.stderr
    got = in_process(args)
    assert got.exception is None or isinstance(got.exception, SystemExit), got.exception
    assert (got.exit_code, got.stdout) == (real.returncode, real.stdout)
    assert got.stderr == real.stderr


def test_errors_inside_the_app_keep_their_exit_code_and_message():
    got = in_process(["now", "platfrom", "--dir", D])
    assert got.exit_code == 4
    assert got.stderr.startswith("oncall: no rotation 'platfrom' (did you mean 'platform'?)")


def test_the_installed_console_script_is_the_same_app(tmp_path):
    script = Path(sys.executable).parent / "oncall"
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    args = CASES["now-at-json"]
    real = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)
    got = in_process(args)
    assert (got.exit_code, got.stdout) == (real.returncode, real.stdout) == (0, got.stdout)
    assert '"rotation": "platform"' in got.stdout


def test_now_builds_only_its_own_command():
    code = ("import sys\nfrom oncall.cli import main\n"
            "try:\n    main(['now', '--dir', sys.argv[1], '--at', '2027-01-05T12:00Z'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('oncall.cli.')))\n")
    r = subprocess.run([sys.executable, "-c", code, D], cwd=ROOT, capture_output=True, text=True, timeout=60)
    loaded = eval(r.stdout.strip().splitlines()[-1])
    assert "oncall.cli.read" in loaded
    assert not {"oncall.cli.check", "oncall.cli.edit", "oncall.cli.overrides", "oncall.cli.away",
                "oncall.cli.members", "oncall.cli.new", "oncall.cli.export", "oncall.cli.page",
                "oncall.cli.report"} & set(loaded)


def test_a_key_quoting_a_newline_cannot_forge_a_problem_line(cli, tmp_path):
    from conftest import write_folder

    people = (BUNDLED / "people.toml").read_text()
    rot = ('name = "X"\ntimezone = "UTC"\n"x\\nx.toml:1: timezone: forged\\u001b[2J" = 1\n'
           '[[layer]]\nmembers = ["alice"]\nstart = 2026-01-05T09:00:00\nevery = "1w"\n')
    root = write_folder(tmp_path / "r", {"people.toml": people, "x.toml": rot})
    r = cli("check", "--dir", str(root))
    assert r.code == 3
    lines = r.err.splitlines()
    assert len(lines) == 1, lines
    assert "\x1b" not in r.err and "\\x0a" in lines[0] and "\\x1b[2J" in lines[0]
