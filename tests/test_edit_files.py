"""oncall.edit on files: byte-exact round trips, atomic writes, refusal of stale reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import BUNDLED, ROOT

from oncall.edit import write_atomic
from oncall.errors import Refused
from oncall.toml_blocks import Edit, split_blocks

FIXTURE = Path(__file__).parent / "fixtures" / "edit"
NOW = datetime.fromisoformat("2026-03-01T12:00:00+00:00")


@pytest.fixture
def clock(use_clock):
    use_clock(NOW)
    return use_clock


@pytest.fixture
def ops(tmp_path) -> Path:
    dest = tmp_path / "ops"
    shutil.copytree(FIXTURE, dest)
    return dest


def inserted(old: str, new: str, added: str) -> int:
    """Where ``new`` is ``old`` with ``added`` inserted and not one other byte changed."""
    k = new.index(added)
    assert new[:k] + new[k + len(added):] == old, "bytes of the original changed"
    return k


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.toml")) + sorted(FIXTURE.glob("*.toml")),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_blocks_join_back_to_the_exact_file(path):
    text = path.read_text(encoding="utf-8")
    blocks = split_blocks(text)
    assert "".join(b.text for b in blocks) == text
    assert len([b for b in blocks if b.path]) == text.count("\n[") + text.startswith("[")


def test_comments_above_a_header_belong_to_that_table():
    blocks = split_blocks((FIXTURE / "ops.toml").read_text())
    bridge = next(b for b in blocks if b.path == ("override",))
    assert bridge.text.startswith("# Bridge: dave covers the day between the two layers.\n[[override]]\n")
    weekly = next(b for b in blocks if b.path == ("layer",))
    assert weekly.text.endswith('# only = ["mon-fri 09:00-17:00"]   (kept for reference)\n\n\n')


@pytest.mark.parametrize("args, expect", [
    (["override", "add", "platform", "--who", "dave", "--from", "2026-12-24T22:00Z", "--to", "2026-12-26T14:00Z"],
     '[[override]]\nwho = "dave"\nstart = 2026-12-24T17:00:00\nend = 2026-12-26T09:00:00\n\n'),
    (["override", "add", "sre", "--who", "jon", "--from", "2026-03-03T00:00Z", "--to", "2026-03-04T00:00Z",
      "--note", 'a "quoted" note'],
     '\n[[override]]\nwho = "jon"\nstart = 2026-03-03T00:00:00\nend = 2026-03-04T00:00:00\n'
     'note = "a \\"quoted\\" note"\n'),
    (["override", "add", "support", "--who", "erin", "--from", "2026-03-03T08:00Z", "--to", "2026-03-03T16:00Z"],
     '\n[[override]]\nwho = "erin"\nstart = 2026-03-03T09:00:00\nend = 2026-03-03T17:00:00\n'),
    (["away", "add", "dave", "--from", "2026-03-03T06:00Z", "--to", "2026-03-07T06:00Z", "--note", "school"],
     '[[people.dave.away]]\nstart = 2026-03-03\nend = 2026-03-07\nnote = "school"\n\n'),
    (["new", "person", "kim", "--name", "Kim Lee", "--phone", "+14155550199", "--timezone", "America/Denver"],
     '\n[people.kim]\nname = "Kim Lee"\nphone = "+14155550199"\ntimezone = "America/Denver"\n'),
])
def test_edits_of_the_bundled_files_only_insert(cli, clock, bundled, args, expect):
    name = "people.toml" if args[0] in ("away", "new") else f"{args[2]}.toml"
    before = (bundled / name).read_text()
    r = cli(*args, "--dir", str(bundled), "--tz", "UTC")
    assert r.code == 0, r.err + r.out
    inserted(before, (bundled / name).read_text(), expect)
    assert cli("check", "--dir", str(bundled), "--from", "2026-03-01T12:00Z", "--json").code == 0


def test_a_new_override_goes_after_the_last_one_and_before_the_next_sections_comment(cli, clock, ops):
    before = (ops / "ops.toml").read_text()
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z",
            "--dir", str(ops), "--tz", "UTC")
    assert r.code == 0, r.err
    after = (ops / "ops.toml").read_text()
    added = '[[override]]\nwho = "erin"\nstart = 2026-03-20T09:00:00\nend = 2026-03-21T09:00:00\n\n'
    at = inserted(before, after, added)
    assert after.index('who   =   "bob"') < at < after.index("# ---- escalation")


def test_removing_an_override_takes_its_comment_and_nothing_else(cli, clock, ops):
    before = (ops / "ops.toml").read_text()
    bridge = ('# Bridge: dave covers the day between the two layers.\n[[override]]\nwho = "dave"\n'
              'start = 2026-03-09T09:00:00\nend = 2026-03-10T09:00:00\n'
              'note = "bridge"  # keep until the layers meet\n\n')
    r = cli("override", "remove", "ops", "1", "--dir", str(ops), "--tz", "UTC", "--allow-gaps")
    assert r.code == 0, r.err
    assert (ops / "ops.toml").read_text() == before.replace(bridge, "")
    assert ("from Mon 2026-03-09 13:00 to Tue 2026-03-10 13:00 UTC nobody would be on call for ops (a gap in its "
            "coverage)") in r.err


def test_removing_the_last_table_keeps_the_files_ending(cli, clock, bundled):
    before = (bundled / "people.toml").read_text()
    assert cli("new", "person", "kim", "--name", "Kim", "--phone", "+14155550199", "--dir", str(bundled)).code == 0
    assert cli("away", "add", "kim", "--from", "2026-03-02T00:00Z", "--to", "2026-03-03T00:00Z",
               "--dir", str(bundled)).code == 0
    assert cli("away", "remove", "kim", "1", "--dir", str(bundled)).code == 0
    assert (bundled / "people.toml").read_text() == before + '\n[people.kim]\nname = "Kim"\nphone = "+14155550199"\n'


def test_a_new_key_goes_after_the_last_key_and_keeps_inline_comments():
    f = Edit(Path("ops.toml"), (FIXTURE / "ops.toml").read_bytes())
    before = f.text
    weekly, reorg = f.find("layer")
    f.set(reorg, {"until": datetime(2026, 6, 1, 9)})
    f.set(weekly, {"name": "day"})
    inserted(before.replace('name = "weekly"   #', 'name = "day"   #'), f.text, "until = 2026-06-01T09:00:00\n")
    assert 'every = "1w"\nuntil = 2026-06-01T09:00:00\n\n# ---- overrides' in f.text


def test_a_failure_before_the_rename_leaves_the_original_and_no_temp_file(cli, clock, bundled, monkeypatch):
    before = (bundled / "platform.toml").read_bytes()

    def crash(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk on fire"):
        cli("override", "add", "platform", "--who", "dave", "--from", "2026-03-03T00:00Z", "--to", "2026-03-04T00:00Z",
            "--dir", str(bundled))
    assert (bundled / "platform.toml").read_bytes() == before
    assert sorted(p.name for p in bundled.iterdir()) == sorted(p.name for p in BUNDLED.iterdir())


def test_a_kill_between_the_temp_file_and_the_rename_leaves_the_original(tmp_path, bundled):
    before = (bundled / "platform.toml").read_bytes()
    script = (
        "import os, signal, sys\n"
        "from datetime import datetime\n"
        "import oncall.cli.context as context\n"
        "from oncall.paging.fake import FakeClock\n"
        "context.CLOCK = FakeClock(datetime.fromisoformat('2026-03-01T12:00:00+00:00'))\n"
        "from oncall.load import load_directory\n"
        f"load_directory({str(bundled)!r})  # fills the phone-validity cache, which also renames\n"
        "os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from oncall.cli import main\n"
        f"main(['override', 'add', 'platform', '--who', 'dave', '--from', '2026-03-03T00:00Z',"
        f" '--to', '2026-03-04T00:00Z', '--dir', {str(bundled)!r}])\n"
    )
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert r.returncode == -9, r.stderr
    assert (bundled / "platform.toml").read_bytes() == before
    [left] = [p for p in bundled.iterdir() if p.name.startswith(".platform.toml.")]
    assert left.suffix == ".tmp" and b'who = "dave"' in left.read_bytes()  # complete, just never renamed
    # The leftover is not a *.toml file: the folder still loads and checks clean.
    r = subprocess.run([sys.executable, "-m", "oncall", "check", "--dir", str(bundled), "--from", "2026-03-01T00:00Z",
                        "--json"], cwd=ROOT, capture_output=True, timeout=60, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["problems"] == []


def test_a_file_changed_between_read_and_write_is_refused(cli, clock, bundled, monkeypatch):
    import oncall.edit

    real = oncall.edit.validate

    def validate_then_someone_edits(root, path, text):
        d = real(root, path, text)
        with open(path, "a") as f:
            f.write("# added by a git pull meanwhile\n")
        return d

    monkeypatch.setattr(oncall.edit, "validate", validate_then_someone_edits)
    r = cli("override", "add", "platform", "--who", "dave", "--from", "2026-03-03T00:00Z", "--to", "2026-03-04T00:00Z",
            "--dir", str(bundled))
    assert r.code == 1
    assert "changed on disk since it was read" in r.err and "nothing was written" in r.err
    text = (bundled / "platform.toml").read_text()
    assert text.endswith("# added by a git pull meanwhile\n") and 'who = "dave"' not in text


def test_write_atomic_keeps_the_mode_and_refuses_to_create_over_an_existing_file(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("a = 1\n")
    p.chmod(0o640)
    write_atomic(p, "a = 2\n", b"a = 1\n")
    assert p.read_text() == "a = 2\n" and (p.stat().st_mode & 0o777) == 0o640
    with pytest.raises(Refused, match="already exists"):
        write_atomic(p, "a = 3\n", None)
    assert p.read_text() == "a = 2\n"


def test_write_atomic_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text("a = 1\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    write_atomic(link, "a = 2\n", b"a = 1\n")
    assert link.is_symlink() and real.read_text() == "a = 2\n"


def test_edit_commands_do_not_load_tomlkit_for_now():
    code = ("import sys\nfrom oncall.cli import main\n"
            "try:\n    main(['now', '--dir', 'rotations', '--at', '2026-03-01T00:00Z'])\n"
            "except SystemExit:\n    pass\nprint('tomlkit' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().endswith("False"), r.stderr
