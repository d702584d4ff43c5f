"""Issue 15 item 14: an edit holds one folder-wide lock across read, validate and write,
so two edits of different files that conflict cannot both pass the coverage guard."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock")

AWAY = ["away", "add", "bob", "--from", "2026-03-03T00:00Z", "--to", "2026-03-04T00:00Z"]
OVERRIDE = ["override", "add", "platform", "--who", "bob", "--from", "2026-03-03T06:00Z", "--to",
            "2026-03-03T12:00Z"]
ROUNDS = 6


def _script(args: list[str], folder: Path, go: Path) -> str:
    # Both processes import everything first, then wait for the same go file, so their
    # read-validate-write windows overlap as much as two processes' can.
    return (
        "import sys, time\n"
        "from datetime import datetime\n"
        "import oncall.cli.context as context\n"
        "from oncall.paging.fake import FakeClock\n"
        "context.CLOCK = FakeClock(datetime.fromisoformat('2026-03-01T12:00:00+00:00'))\n"
        "import oncall.edit, oncall.coverage, oncall.schedule, tomlkit\n"
        "from oncall.cli import main\n"
        f"go = {str(go)!r}\n"
        "deadline = time.monotonic() + 30\n"
        "import os\n"
        "while not os.path.exists(go) and time.monotonic() < deadline:\n"
        "    time.sleep(0.001)\n"
        f"main({[*args, '--dir', str(folder)]!r})\n"
    )


def _start(args: list[str], folder: Path, go: Path) -> subprocess.Popen:
    env = dict(os.environ, ONCALL_STATE_DIR=str(folder.parent / "state"))
    return subprocess.Popen([sys.executable, "-c", _script(args, folder, go)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _written(folder: Path) -> tuple[bool, bool]:
    away = "2026-03-03" in (folder / "people.toml").read_text()
    override = 'who = "bob"' in (folder / "platform.toml").read_text()
    return away, override


def test_away_and_override_one_after_the_other_the_second_is_refused(tmp_path, bundled):
    go = tmp_path / "go"
    go.touch()
    for args in (AWAY, OVERRIDE):
        p = _start(args, bundled, go)
        p.communicate(timeout=120)
    assert _written(bundled) == (True, False)


def test_conflicting_away_and_override_at_the_same_moment_write_exactly_one(tmp_path, bundled):
    import shutil

    outcomes = []
    for n in range(ROUNDS):
        folder = tmp_path / f"round{n}"
        shutil.copytree(bundled, folder)
        go = tmp_path / f"go{n}"
        procs = [_start(AWAY, folder, go), _start(OVERRIDE, folder, go)]
        time.sleep(1.5)  # let both finish importing
        go.touch()
        results = [p.communicate(timeout=120) for p in procs]
        codes = [p.returncode for p in procs]
        written = _written(folder)
        outcomes.append((codes, written))
        assert sum(written) == 1, (n, codes, written, results)
        assert sorted(codes) == [0, 1], (n, codes, results)
        refused = results[codes.index(1)][1]
        assert "refused, nothing was written" in refused, refused


# ---------------------------------------------------------------- racing edits


def test_two_oncall_edits_cannot_both_pass_the_stale_check_and_rename(tmp_path):
    import fcntl
    import os
    import threading

    from oncall.edit import write_atomic
    from oncall.errors import Refused

    p = tmp_path / "ops.toml"
    p.write_bytes(b"a = 1\n")
    outcome: list[object] = []

    def edit():
        try:
            write_atomic(p, "a = 2\n", b"a = 1\n")
            outcome.append("wrote")
        except Refused as e:
            outcome.append(e)

    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another oncall process is between its check and its rename
    t = threading.Thread(target=edit)
    t.start()
    t.join(0.3)
    assert t.is_alive() and p.read_bytes() == b"a = 1\n"  # it waits at the lock
    p.write_bytes(b"a = 3\n")  # the other process renames its edit in
    os.close(fd)
    t.join(5)
    assert isinstance(outcome[0], Refused) and p.read_bytes() == b"a = 3\n"
    assert [x.name for x in tmp_path.iterdir()] == ["ops.toml"]  # no temp file left
