"""The page store seam: one interface, one factory from configuration, SQLite behind it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from oncall.errors import StoreError
from oncall.paging import store as store_module
from oncall.paging.store import open_store

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def test_the_default_store_is_sqlite_in_the_state_dir(tmp_path):
    s = open_store()
    pid, dup = s.open_page("ops", "disk full", T0, T0 + timedelta(hours=1), "k")
    assert (pid, dup) == (1, False)
    assert s.open_page("ops", "again", T0 + timedelta(minutes=1), T0, "k") == (1, True)
    assert (tmp_path / "state" / "pages.sqlite3").is_file()
    s.close()


def test_a_sqlite_database_url_names_the_file(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "log.db"
    monkeypatch.setenv("ONCALL_DATABASE_URL", f"sqlite:///{target}")
    open_store().close()
    assert target.is_file() and not (tmp_path / "state").exists()
    assert open_store(readonly=True).pages() == []


def test_listing_an_absent_store_is_none_and_creates_nothing(tmp_path):
    assert open_store(readonly=True) is None
    assert not (tmp_path / "state").exists()


def test_an_unsupported_database_url_is_refused_naming_the_variable(monkeypatch, cli, tmp_path):
    monkeypatch.setenv("ONCALL_DATABASE_URL", "mysql://db.example/oncall")
    with pytest.raises(StoreError, match="ONCALL_DATABASE_URL: 'mysql'"):
        open_store()
    r = cli("pages", "--json")
    assert r.code == 5 and "ONCALL_DATABASE_URL" in r.err and "Traceback" not in r.err


def test_nothing_sqlite_specific_is_outside_its_module():
    """Escalation, the CLI and the interface see only ``PageStore``: no sqlite3, no
    transaction dialect, no locking or journal vocabulary outside the SQLite backend's
    modules (paging/sqlite*.py, and a package's sqlite.py); escalation, serve and the CLI
    reach it through the store."""
    leaks = re.compile(r"import sqlite3|sqlite3\.|BEGIN IMMEDIATE|journal_mode|\bWAL\b|_retry_locked|transaction\(")
    backend = set((ROOT / "oncall" / "paging").glob("sqlite*.py"))
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "oncall").rglob("*.py")
                 if p not in backend and p.name != "sqlite.py" and leaks.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_escalation_is_typed_against_the_interface():
    import inspect

    from oncall.paging.escalation import Escalation

    assert inspect.signature(Escalation).parameters["store"].annotation in ("PageStore", store_module.PageStore)


def test_the_state_dir_and_the_store_files_are_private(tmp_path):
    import os
    import stat

    s = open_store()
    s.open_page("ops", "disk full", T0, T0)  # the WAL and SHM exist while the store is open
    state = tmp_path / "state"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in state.iterdir()}
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert modes == {"pages.sqlite3": 0o600, "pages.sqlite3-wal": 0o600, "pages.sqlite3-shm": 0o600}
    s.close()


def test_a_store_of_another_schema_is_refused_clearly(tmp_path, cli):
    import sqlite3

    (tmp_path / "state").mkdir()
    db = sqlite3.connect(tmp_path / "state" / "pages.sqlite3")
    db.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, what TEXT)")
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    r = cli("pages", "--json")
    assert r.code == 5 and "schema version 7" in r.err and "newer" in r.err and "Traceback" not in r.err


def test_a_held_lock_is_reported_then_fails_after_a_bounded_time(tmp_path, monkeypatch):
    import sqlite3
    import time

    from oncall.errors import StoreBusy
    from oncall.paging import sqlite as backend

    open_store().close()
    holder = sqlite3.connect(tmp_path / "state" / "pages.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(backend, "NOTICE", 0.1)
    monkeypatch.setattr(backend, "PATIENCE", 0.5)
    notes: list[str] = []
    began = time.monotonic()
    with pytest.raises(StoreBusy, match="stayed locked"):
        open_store(on_wait=notes.append)
    assert time.monotonic() - began < 5
    assert len(notes) == 1 and "another process holds its lock" in notes[0]
    holder.execute("ROLLBACK")
    holder.close()



def test_pages_lists_the_newest_50_by_default_and_every_page_with_all(cli):
    import json

    s = open_store()
    for i in range(60):
        s.open_page("ops", f"m{i}", T0 + timedelta(minutes=i), T0)
    s.close()
    default = [p["message"] for p in json.loads(cli("pages", "--json").out)]
    assert default == [f"m{i}" for i in range(10, 60)]
    assert [p["message"] for p in json.loads(cli("pages", "--json", "--limit", "3").out)] == ["m57", "m58", "m59"]
    assert len(json.loads(cli("pages", "--json", "--all").out)) == 60


def test_pages_and_pages_show_work_on_a_read_only_state_folder(monkeypatch):
    """Issue 15 item 6: listing opens the store read-only. As root (the suite's user) the
    commands run as nobody, for whom the folder and its files are read-only; otherwise the
    folder and files are made read-only for us."""
    import json
    import os
    import shutil
    import stat
    import subprocess
    import sys
    import tempfile

    state = Path(tempfile.mkdtemp(prefix="oncall-ro-state-"))  # below /tmp: nobody can reach it
    try:
        monkeypatch.setenv("ONCALL_STATE_DIR", str(state))
        s = open_store()
        pid, _ = s.open_page("ops", "disk full", T0, T0 + timedelta(hours=1), "k")
        s.add_attempt(pid, 0, 0, "alice", "sms", "sent", T0 + timedelta(seconds=1), detail="queued")
        s.finish_page(pid, "sent", T0 + timedelta(seconds=2))
        s.close()
        root = os.getuid() == 0
        for p in [state, *state.iterdir()]:
            os.chmod(p, (0o755 if p.is_dir() else 0o644) if root else (0o555 if p.is_dir() else 0o444))
        before = {p.name: p.stat().st_mtime_ns for p in state.iterdir()}
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if root else []
        env = {"ONCALL_STATE_DIR": str(state), "TZ": "UTC", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(state)}

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*drop, sys.executable, "-m", "oncall", *args], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=60)

        if root:  # the store really is read-only for that user
            probe = subprocess.run([*drop, "sh", "-c", f"touch {state}/x || echo refused"], capture_output=True,
                                   text=True, timeout=30)
            assert "refused" in probe.stdout
        listed = run("pages", "--json")
        assert listed.returncode == 0, listed.stderr
        [page] = json.loads(listed.stdout)
        assert (page["id"], page["outcome"], page["attempts"]) == (pid, "sent", 1)
        shown = run("pages", "show", str(pid), "--json")
        assert shown.returncode == 0, shown.stderr
        assert [a["person"] for a in json.loads(shown.stdout)["attempts"]] == ["alice"]
        assert run("pages", "show", str(pid)).returncode == 0
        assert {p.name: p.stat().st_mtime_ns for p in state.iterdir()} == before  # nothing written
    finally:
        for p in [state, *state.iterdir()]:
            os.chmod(p, stat.S_IRWXU)
        shutil.rmtree(state)
