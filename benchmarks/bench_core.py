"""Issue 2 benchmarks, measured side by side in one run (ratios, not absolute targets):

1. `oncall now` wall time against a minimal Typer+Rich app printing one table
   (target ratio <= 1.15), and whether twilio/icalendar/tomlkit got imported on that path.
2. The engine's time for one year of final schedule for a generated 500-rotation
   organisation (target < 1 s on a 2-core machine).

Run: python benchmarks/bench_core.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/Los_Angeles",
         "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe"]

MINIMAL_APP = textwrap.dedent("""
    import typer
    from rich.console import Console
    from rich.table import Table
    app = typer.Typer(add_completion=False)
    @app.command()
    def now() -> None:
        t = Table(title="On call")
        for c in ("Rotation", "On call", "Since", "Until", "Next"):
            t.add_column(c)
        t.add_row("platform", "Alice", "Mon 09:00", "Mon 09:00", "bob")
        Console().print(t)
    @app.command()
    def other() -> None:
        pass
    app()
""")


def timed(cmd: list[str], runs: int, env: dict) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def heavy_imports(env: dict) -> list[str]:
    code = ("import sys; from oncall.cli import main\n"
            "try:\n    main(['now', '--at', '2027-01-05T12:00Z'])\nexcept SystemExit: pass\n"
            "heavy = ('twilio', 'icalendar', 'tomlkit', 'phonenumbers', 'platformdirs')\n"
            "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    return r.stderr.split()


def startup(runs: int) -> None:
    env = dict(os.environ, NO_COLOR="1", TZ="UTC")
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "minimal.py"
        app.write_text(MINIMAL_APP)
        oncall = [sys.executable, "-c", "from oncall.cli import main; main()",
                  "now", "--dir", str(ROOT / "rotations"), "--at", "2027-01-05T12:00Z"]
        minimal = [sys.executable, str(app), "now"]
        timed(oncall, 2, env), timed(minimal, 2, env)  # warm the page cache
        a, b = [], []
        for _ in range(runs):  # interleaved, so machine noise hits both alike
            a += timed(oncall, 1, env)
            b += timed(minimal, 1, env)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{'startup (median of ' + str(runs) + ')':<40} {'seconds':>10}")
    print(f"{'minimal Typer+Rich app':<40} {mb:>10.3f}")
    print(f"{'oncall now (bundled rotations)':<40} {ma:>10.3f}")
    print(f"{'ratio (target <= 1.15)':<40} {ma / mb:>10.3f}")
    heavy = heavy_imports(env)
    print(f"{'heavy modules imported by now':<40} {' '.join(heavy) or 'none':>10}")


def organisation(n: int, seed: int = 1, stress: bool = False):
    """A generated organisation of ``n`` rotations, 3 layers each: a weekly 24/7 base,
    a weekly business-hours layer (mon-fri 09:00-17:00) and a daily weekend layer
    (sat-sun); one rotation in five has an override, one person in five an away week.
    ``stress`` swaps the top layers for a daily mon-fri 08:00-18:00 layer and 12-hour
    night shifts restricted to 22:00-06:00: about twice the segments."""
    import random

    from oncall.model import Away, Layer, Override, Person, Rotation
    from oncall.timeline import parse_window

    rnd = random.Random(seed)
    people = {}
    for i in range(n * 4):
        day = datetime(2026, 7, 1, tzinfo=timezone.utc) + timedelta(days=i % 200)
        aways = (Away(day, day + timedelta(days=7)),) if i % 5 == 0 else ()
        people[f"p{i}"] = Person(f"p{i}", f"Person {i}", "+14155550101", rnd.choice(ZONES), away=aways)
    rotations = []
    for r in range(n):
        zone = rnd.choice(ZONES)
        members = tuple(f"p{(r * 4 + k) % (n * 4)}" for k in range(4))
        base = Layer("base", members, datetime(2025, 1, 6, 9), timedelta(weeks=1), zone)
        if stress:
            top = (Layer("day", members[::-1], datetime(2025, 1, 6, 8), timedelta(days=1), zone,
                         only=parse_window("mon-fri 08:00-18:00")),
                   Layer("night", members[1:], datetime(2025, 1, 6, 22), timedelta(hours=12), zone,
                         only=parse_window("daily 22:00-06:00")))
        else:
            top = (Layer("business", members[::-1], datetime(2025, 1, 6, 9), timedelta(weeks=1), zone,
                         only=parse_window("mon-fri 09:00-17:00")),
                   Layer("weekend", members[1:], datetime(2025, 1, 4), timedelta(days=1), zone,
                         only=parse_window("sat-sun")))
        overrides = ()
        if r % 5 == 0:
            s = datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(days=r % 300)
            overrides = (Override(members[2], s, s + timedelta(days=2)),)
        rotations.append(Rotation(f"r{r}", f"R{r}", zone, (base, *top), overrides))
    return people, rotations


def engine(sizes: list[int]) -> None:
    from oncall.schedule import _windows, final_schedule
    from oncall.timeline import resolve

    def cold() -> None:  # every measurement starts with empty memo caches, like a new process
        resolve.cache_clear()
        _windows.cache_clear()

    a = datetime(2026, 1, 1, tzinfo=timezone.utc)
    b = datetime(2027, 1, 1, tzinfo=timezone.utc)
    print(f"\n{'engine: one year, cold caches, best of 3':<40} {'seconds':>10} {'segments':>10} {'µs/seg':>8}")
    for n, stress in sizes:
        _, rotations = organisation(n, stress=stress)
        best = float("inf")
        for _ in range(3):
            cold()
            t0 = time.perf_counter()
            count = sum(len(final_schedule(r, a, b)) for r in rotations)
            best = min(best, time.perf_counter() - t0)
        label = f"{n} rotations x 3 layers{' (stress)' if stress else ''}"
        print(f"{label:<40} {best:>10.3f} {count:>10} {best / count * 1e6:>8.1f}")
    far_a = datetime(2400, 1, 1, tzinfo=timezone.utc)
    _, rotations = organisation(50)
    cold()
    t0 = time.perf_counter()
    sum(len(final_schedule(r, a, a + timedelta(days=30))) for r in rotations)
    near = time.perf_counter() - t0
    cold()
    t0 = time.perf_counter()
    sum(len(final_schedule(r, far_a, far_a + timedelta(days=30))) for r in rotations)
    far = time.perf_counter() - t0
    print(f"{'30 days in 2026 vs in 2400 (50 rot.)':<40} {far / near:>10.2f}x  (cost does not grow with distance)")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    startup(args.runs)
    engine([(500, False), (1000, False), (500, True)])
