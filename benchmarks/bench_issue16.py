"""Issue 16 in one run: every row of its table as a ratio to its floor or twin, side by side.

Each command runs in a child process; its cost is the child's CPU time (user + system,
from ``wait4``, so other work on a shared machine disturbs it less than wall time) and its
peak memory (max RSS). Ratios compare measures taken in this same run. A command that
outlives ``--timeout`` is killed and shown as ``>T``.

    python benchmarks/bench_issue16.py            # everything (several minutes)
    python benchmarks/bench_issue16.py --quick    # smaller sizes, to try it out
    python benchmarks/bench_issue16.py --only now # just the `oncall now` rows (seconds)
    python benchmarks/bench_issue16.py --export   # only the export rows (and check, their peer)
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_core import MINIMAL_APP  # noqa: E402
from bench_scale import generate  # noqa: E402

YEAR = ["--from", "2026-01-01T00:00Z", "--to", "2027-01-01T00:00Z"]
ONCALL = [sys.executable, "-m", "oncall"]
ENV = dict(os.environ, NO_COLOR="1", TZ="UTC")


class Measure:
    def __init__(self, cpu: float | None, rss_mb: float, limit: float):
        self.cpu, self.rss_mb, self.limit = cpu, rss_mb, limit

    def __str__(self) -> str:
        if self.cpu is None:
            return f">{self.limit:.0f}s"
        return f"{self.cpu * 1000:.1f}ms" if self.cpu < 0.1 else f"{self.cpu:.2f}s"


def run(args: list[str], timeout: float, env: dict | None = None) -> Measure:
    """CPU seconds and peak MiB of one child run, output discarded."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return Measure(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, timeout)
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    _, _, usage = os.wait4(proc.pid, 0)
    return Measure(None, usage.ru_maxrss / 1024, timeout)


def best(args: list[str], repeat: int, timeout: float, env: dict | None = None) -> Measure:
    return fastest([run(args, timeout, env) for _ in range(repeat)])


def fastest(runs: list[Measure]) -> Measure:
    """The run that used the least CPU (the least disturbed); the first if all timed out."""
    done = [m for m in runs if m.cpu is not None]
    return min(done, key=lambda m: m.cpu) if done else runs[0]


def export_all(org: Path, out: Path, repeat: int, timeout: float) -> Measure:
    """``best`` of ``export --all`` of ``org``, each run into a folder of its own under
    ``out``, all removed after the last run. Replacing the last run's 100 MiB of feeds
    costs the file system (ext4 with ``discard`` here) a second of system time that varies
    from run to run. Removing each run's folder before the next is no better: ext4 skips
    inodes freed in the last one to five minutes when it makes a file (``recently_deleted``,
    a quarter of an export's samples in ``perf`` after a few runs), so each run would make
    its 800 files slower than the one before."""
    runs = [run([*ONCALL, "export", "--all", "-o", str(out / str(i)), "--dir", str(org), *YEAR], timeout)
            for i in range(repeat)]
    shutil.rmtree(out, ignore_errors=True)
    return fastest(runs)


def ratio(a: Measure, b: Measure) -> str:
    if a.cpu is None or b.cpu is None:
        return "n/a"
    return f"{a.cpu / b.cpu:.2f}x"


def row(work: str, m: Measure, peer_name: str, peer: Measure, target: str) -> None:
    print(f"| {work} | {m} | {m.rss_mb:.0f} MiB | {peer_name}: {peer} | {ratio(m, peer)} | {target} |", flush=True)


def header() -> None:
    print("| work | CPU | peak | floor / peer | ratio | target |")
    print("| --- | --- | --- | --- | --- | --- |")


def override_folder(root: Path, n: int) -> Path:
    """One rotation with ``n`` two-hour overrides, each overlapping the next by an hour."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "people.toml").write_text("".join(f'[people.u{i}]\nname = "U{i}"\nphone = "+1415555010{i}"\n'
                                              for i in range(3)))
    body = ['name = "Ops"', 'timezone = "UTC"', "[[layer]]", 'name = "a"', 'members = ["u0", "u1"]',
            "start = 2026-01-05T09:00:00", 'every = "1w"']
    t0 = datetime(2026, 1, 1)
    for i in range(n):
        a = t0 + timedelta(minutes=i * 50)
        body += ["[[override]]", f'who = "u{2 if i % 2 else 1}"', f"start = {a.isoformat()}",
                 f"end = {(a + timedelta(minutes=100)).isoformat()}"]
    (root / "ops.toml").write_text("\n".join(body) + "\n")
    return root


def page_log(state: Path, n: int) -> None:
    """A page log of ``n`` pages, two attempts each."""
    os.environ["ONCALL_STATE_DIR"] = str(state)
    from oncall.paging.sqlite import SQLiteStore, default_path

    store = SQLiteStore(default_path())
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stamp = [(t0 + timedelta(minutes=i)).isoformat() for i in range(n)]
    with store.transaction() as db:
        db.executemany("INSERT INTO incidents (rotation, message, dedup_key, opened, deadline, outcome, finished,"
                       " state, source) VALUES (?,?,?,?,?,?,?,'acknowledged','page')",
                       [("ops", f"disk {i} full", None, stamp[i], stamp[i], "acknowledged", stamp[i])
                        for i in range(n)])
        db.executemany("INSERT INTO attempts (incident_id, round, step, person, channel, status, error_code, detail,"
                       " started, ended) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       [(i // 2 + 1, 1, 1, "u1", "sms", "delivered", None, "", stamp[i // 2], stamp[i // 2])
                        for i in range(2 * n)])
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller organisations (a fifth)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measure; the fastest counts")
    ap.add_argument("--timeout", type=float, default=180, help="seconds before a run is killed")
    ap.add_argument("--only", choices=["now"], help="run only these rows")
    ap.add_argument("--export", action="store_true", help="only the export --all rows and their peer, check")
    a = ap.parse_args()
    k = 5 if a.quick else 1
    rep, tmo = a.repeat, a.timeout
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        orgs = {}
        for n in (100, 1000) if a.export else (100, 500, 1000, 2000):
            orgs[n] = t / f"org{n}"
            generate(orgs[n], max(n // k, 4))
        app = t / "minimal.py"
        app.write_text(MINIMAL_APP)
        if a.only == "now":
            header()
            return now_rows(t, app, tmo)
        floor = best([sys.executable, str(app), "now"], 5, tmo)
        print(f"Typer+Rich floor (minimal app printing one table): {floor}; sizes divided by {k}\n")
        header()
        o100 = orgs[100]
        chk100 = best([*ONCALL, "check", "--dir", str(o100), *YEAR, "--json"], rep, tmo)
        exp100 = export_all(o100, t / "feeds100", rep, tmo)
        row("export --all, 100 rotations, 1 year", exp100, "check", chk100, "<= 3x")
        exp1000 = export_all(orgs[1000], t / "feeds1000", rep, tmo)
        row("export --all, 1000 rotations, 1 year", exp1000, "export --all 100", exp100, "<= 11x")
        if a.export:
            return
        js = best([*ONCALL, "shifts", "--dir", str(o100), *YEAR, "--json"], rep, tmo)
        table = best([*ONCALL, "shifts", "--dir", str(o100), *YEAR], rep, tmo)
        row("shifts table, piped, 100 rotations, 1 year", table, "shifts --json", js, "<= 2x")
        state = t / "state"
        page_log(state, 100_000 // k)
        penv = dict(ENV, ONCALL_STATE_DIR=str(state))
        pjs = best([*ONCALL, "pages", "--json"], rep, tmo, penv)
        ptab = best([*ONCALL, "pages"], rep, tmo, penv)
        row(f"pages table, {100_000 // k}-page log", ptab, "pages --json", pjs, "< 0.5 s")
        folders = {n: override_folder(t / f"ovr{n}", n) for n in (50, 5000, 10_000, 20_000)}
        small = best([*ONCALL, "check", "--dir", str(folders[50]), *YEAR, "--json"], rep, tmo)
        by_count = {}
        for n in (5000, 10_000, 20_000):
            by_count[n] = m = best([*ONCALL, "check", "--dir", str(folders[n]), *YEAR, "--json"], rep, tmo)
            if n < 20_000:
                row(f"check, one rotation, {n} overrides", m, "50 overrides", small, "<= 3x" if n == 5000 else "-")
        row("check, one rotation, 20,000 overlapping overrides (issue 15 item 16)", by_count[20_000],
            "5000 overrides", by_count[5000], "<= 4.4x (linear)")
        shared_rows(t, k, rep, tmo)
        ex = best([*ONCALL, "export", "ops", "--dir", str(folders[10_000]), *YEAR], rep, tmo)
        ex50 = best([*ONCALL, "export", "ops", "--dir", str(folders[50]), *YEAR], rep, tmo)
        row("export, one rotation, 10,000 overrides", ex, "50 overrides", ex50, "-")
        engine_rows()
        for n in (500, 1000, 2000):
            m = best([*ONCALL, "check", "--dir", str(orgs[n]), *YEAR, "--json"], rep, tmo)
            row(f"check, {n} rotations, 1 year", m, "floor", floor, "<= 5x" if n == 500 else "linear")
            r = best([*ONCALL, "report", "--dir", str(orgs[n]), *YEAR, "--json"], rep, tmo)
            row(f"report, {n} rotations, 1 year", r, "floor", floor, "-")
        distinct = t / "distinct500"
        generate(distinct, 500 // k, distinct=True)
        d = best([*ONCALL, "check", "--dir", str(distinct), *YEAR, "--json"], rep, tmo)
        row("check, 500 rotations, no two of one shape, 1 year", d, "floor", floor, "- (shape memo cannot help)")
        mem = best([*ONCALL, "shifts", "--dir", str(orgs[2000]), *YEAR, "--json"], 1, max(tmo, 600))
        row("shifts --json, 2000 rotations, 1 year", mem, "check 2000", m, "peak < 500 MiB")
        now_rows(t, app, tmo)


def now_rows(t: Path, app: Path, tmo: float) -> None:
    """`oncall now` against the floor, three times. The phone-validity cache lives in this
    run's own state folder, warmed first: one shared by other checkouts (each with its own
    phonenumbers, so its own cache key) would be rewritten under us, and `now` measured cold."""
    env = dict(ENV, ONCALL_STATE_DIR=str(t / "now-state"))
    now = [*ONCALL, "now", "--dir", str(ROOT / "rotations"), "--at", "2027-01-05T12:00Z"]
    minimal = [sys.executable, str(app), "now"]
    run(now, tmo, env)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("| (PYTHONDONTWRITEBYTECODE is set: oncall's modules are compiled from source on each run,"
              " Typer's and Rich's come from their installed bytecode) | | | | | |")
    for i in range(3):
        # Interleaved, best of 5 each: a burst of load on a shared machine hits both alike.
        pairs = [(run(now, tmo, env), run(minimal, tmo, env)) for _ in range(5)]
        fastest = [min((p[k] for p in pairs if p[k].cpu is not None), key=lambda m: m.cpu, default=pairs[0][k])
                   for k in (0, 1)]
        row(f"oncall now (run {i + 1})", fastest[0], "floor", fastest[1], "<= 1.10x")


def shared_rows(t: Path, k: int, rep: int, tmo: float) -> None:
    """Issue 15 item 16: organisations whose teams share people (each engineer in two
    teams, so on-call-twice warnings abound): check should grow linearly."""
    cost = {}
    for n in (500, 1000):
        root = t / f"shared{n}"
        generate(root, n // k, engineers=3 * n // k)
        cost[n] = best([*ONCALL, "check", "--dir", str(root), *YEAR, "--json"], rep, tmo)
    row("check, 1000 rotations sharing people, 1 year", cost[1000], "500 sharing", cost[500], "<= 2.2x (linear)")


def engine_rows() -> None:
    """final_schedule with 1,000 separate overrides against 10, in this process."""
    from oncall.model import Layer, Override, Rotation
    from oncall.schedule import final_schedule

    def rotation(n: int) -> Rotation:
        layer = Layer("a", ("u0", "u1"), datetime(2026, 1, 5, 9), timedelta(weeks=1), "UTC")
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        return Rotation("ops", "Ops", "UTC", (layer,),
                        tuple(Override("u2", t0 + timedelta(hours=3 * i), t0 + timedelta(hours=3 * i + 1))
                              for i in range(n)))

    def cpu(n: int) -> Measure:
        rot = rotation(n)
        t0 = time.process_time()
        final_schedule(rot, datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))
        return Measure(time.process_time() - t0, 0, 0)

    row("final_schedule, 1,000 separate overrides (in process)", cpu(1000), "10 overrides", cpu(10), "bisection")


if __name__ == "__main__":
    main()
