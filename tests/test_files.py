"""oncall.files: reads only regular files within a limit; writes atomically."""

from __future__ import annotations

import os
import threading

import pytest

from oncall.files import Unreadable, folder_lock, read_regular, write_atomic


def test_read_regular_returns_the_bytes_of_a_regular_file(tmp_path):
    p = tmp_path / "x.toml"
    p.write_bytes(b"a = 1\n")
    assert read_regular(p, 100) == b"a = 1\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_is_refused_at_once_instead_of_hanging(tmp_path):
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)
    result: list = []
    t = threading.Thread(target=lambda: result.append(_reason(fifo)), daemon=True)
    t.start()
    t.join(timeout=10)
    assert result == ["is a FIFO (named pipe), not a regular file"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path):
    link = tmp_path / "x.toml"
    link.symlink_to("/dev/zero")
    assert _reason(link) == "is a character device, not a regular file"


def test_a_folder_a_looping_link_and_a_dangling_link_each_say_what_they_are(tmp_path):
    (tmp_path / "d.toml").mkdir()
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    dangling = tmp_path / "gone.toml"
    dangling.symlink_to(tmp_path / "nowhere.toml")
    assert _reason(tmp_path / "d.toml") == "is a folder, not a regular file"
    assert _reason(loop) == "is a symlink that loops (it points back to itself)"
    assert "which does not exist" in _reason(dangling)
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing.toml", 100)


def test_a_file_over_the_limit_is_refused(tmp_path):
    p = tmp_path / "x.toml"
    p.write_bytes(b"#" * 101)
    assert _reason(p) == "is 101 bytes; the limit is 100"
    assert read_regular(p, 101) == b"#" * 101


def _reason(path) -> str:
    with pytest.raises(Unreadable) as e:
        read_regular(path, 100)
    assert e.value.exit_code == 3
    return e.value.reason


def test_write_atomic_replaces_keeps_the_mode_and_leaves_no_temporary_file(tmp_path):
    p = tmp_path / "feed.ics"
    write_atomic(p, b"one")
    assert p.read_bytes() == b"one" and (p.stat().st_mode & 0o777) == 0o644
    p.chmod(0o640)
    write_atomic(p, b"two")
    assert p.read_bytes() == b"two" and (p.stat().st_mode & 0o777) == 0o640
    write_atomic(p, b"three", mode=0o600)
    assert (p.stat().st_mode & 0o777) == 0o600
    assert [q.name for q in tmp_path.iterdir()] == ["feed.ics"]


def test_write_atomic_writes_through_a_symlink_and_refuses_a_device(tmp_path):
    real = tmp_path / "real.ics"
    real.write_bytes(b"old")
    link = tmp_path / "link.ics"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    if os.path.exists("/dev/null"):
        dev = tmp_path / "dev.ics"
        dev.symlink_to("/dev/null")
        with pytest.raises(OSError, match="not a regular file"):
            write_atomic(dev, b"x")
        assert dev.is_symlink() and os.path.realpath(dev) == "/dev/null"


def test_write_atomic_failing_leaves_the_target_and_no_temporary_file(tmp_path, monkeypatch):
    p = tmp_path / "x.toml"
    p.write_bytes(b"old")

    def boom(a, b):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(p, b"new")
    assert p.read_bytes() == b"old" and [q.name for q in tmp_path.iterdir()] == ["x.toml"]


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_folder_lock_excludes_a_second_holder_until_released(tmp_path):
    order: list[str] = []
    with folder_lock(tmp_path):
        t = threading.Thread(target=lambda: _take(tmp_path, order), daemon=True)
        t.start()
        t.join(timeout=0.3)
        order.append("first released")
    t.join(timeout=10)
    assert order == ["first released", "second held"]


def _take(folder, order: list[str]) -> None:
    with folder_lock(folder):
        order.append("second held")


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_folder_lock_is_re_entrant_in_one_thread(tmp_path):
    with folder_lock(tmp_path), folder_lock(tmp_path):
        pass  # a second flock on a new descriptor would wait for ever here
    with folder_lock(tmp_path):  # and it was released
        pass


def test_atomic_writes_replace_every_file_when_the_block_ends(tmp_path):
    from oncall.files import AtomicWrites

    old = tmp_path / "old.ics"
    old.write_bytes(b"old")
    old.chmod(0o600)
    (tmp_path / "sub").mkdir()
    with AtomicWrites() as batch:
        batch.write(old, b"new")
        batch.write(tmp_path / "sub" / "new.ics", b"made", mode=0o644)
        assert old.read_bytes() == b"old" and not (tmp_path / "sub" / "new.ics").exists()
    assert old.read_bytes() == b"new" and (old.stat().st_mode & 0o777) == 0o600
    assert (tmp_path / "sub" / "new.ics").read_bytes() == b"made"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["old.ics", "sub", "sub/new.ics"]


def test_atomic_writes_replace_nothing_and_leave_no_temporary_file_on_an_error(tmp_path):
    from oncall.files import AtomicWrites

    kept = tmp_path / "kept.ics"
    kept.write_bytes(b"old")
    with pytest.raises(RuntimeError), AtomicWrites() as batch:
        batch.write(kept, b"new")
        batch.write(tmp_path / "other.ics", b"x")
        raise RuntimeError("made half the folder")
    assert kept.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["kept.ics"]
    if os.path.exists("/dev/null"):
        dev = tmp_path / "dev.ics"
        dev.symlink_to("/dev/null")
        with pytest.raises(OSError, match="not a regular file"), AtomicWrites() as batch:
            batch.write(kept, b"new")
            batch.write(dev, b"x")
        assert kept.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["dev.ics", "kept.ics"]
