"""Scale benchmark: ``check`` and ``report`` over a year for a generated organisation.

Generates an organisation of N rotations in a temporary folder (see ``generate``: 3
layers each, two restricted, 100 overrides, time off, escalation), then times the engine calls
(``coverage.check``, ``fairness.report``) and the CLI (``oncall check``/``report`` in a
subprocess, so start-up and loading count) at 1x, 2x and 4x the organisation.

    python benchmarks/bench_scale.py            # 500, 1000, 2000 rotations
    python benchmarks/bench_scale.py --base 100 # a quicker run

Growth is linear when the time per segment (of the final schedules) stays flat down the table.
``schedules`` is the engine alone (``schedule.final_schedule`` for every rotation), the
floor under both ``check`` and ``report``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = ["America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney",
         "America/Los_Angeles", "UTC", "Asia/Kolkata"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2027, 1, 1, tzinfo=timezone.utc)


def generate(root: Path, rotations: int, seed: int = 4, engineers: int | None = None, distinct: bool = False) -> None:
    """Write an organisation of ``rotations`` teams to ``root``.

    Each team has six engineers of its own and three layers: a weekly 24/7 primary, a
    daily business-hours layer (mon-fri 09:00-17:00) and a daily night layer
    (22:00-06:00), on the team's own zone. One team in ten borrows an engineer of the
    team before it; half escalate to their manager; a fifth of the engineers take nine
    days off; 100 teams have a two-day override. With ``engineers``, engineer numbers
    wrap at that many: teams share people (issue 15 item 16's odd folders). With
    ``distinct``, each team hands over at its own minute and no two teams share a
    schedule's shape (the engine computes a shape once: this is the org where that never helps).
    """
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    # Engineer numbers wrap every `teams` teams, so team r shares its people with team r +
    # teams: that team's zone is always two after r's, so that an organisation twice the
    # size has twice the overlaps (a zone gap depending on the size made on-call-twice
    # findings grow 2.35x from 500 to 1000 teams).
    teams = (engineers or 6 * rotations) // 6 or 1

    def zone_of(r: int) -> str:
        return ZONES[(r % teams + 2 * (r // teams)) % len(ZONES)]

    for r in range(rotations):
        zone = zone_of(r)
        for i in range(6):
            n = r * 6 + i
            if engineers is not None and n >= engineers:
                continue
            lines += [f"[people.e{n}]", f'name = "Engineer {n}"', f'phone = "+1415555{n % 10000:04d}"',
                      f'timezone = "{zone}"']
            if n % 5 == 0:
                month = rng.randint(1, 11)
                lines += [f"[[people.e{n}.away]]", f"start = 2026-{month:02d}-03", f"end = 2026-{month:02d}-12"]
        lines += [f"[people.m{r}]", f'name = "Manager {r}"', f'phone = "+1646555{r % 10000:04d}"',
                  f'timezone = "{zone}"', ""]
    (root / "people.toml").write_text("\n".join(lines))
    with_override = set(rng.sample(range(rotations), min(100, rotations)))
    for r in range(rotations):
        wrap = engineers or 6 * rotations
        e = [f"e{(r * 6 + i) % wrap}" for i in range(6)]
        minute = f"{r // len(ZONES) % 60:02d}" if distinct else "00"
        if r % 10 == 9:
            e[2] = f"e{((r - 1) * 6 + 3) % wrap}"
        body = [f'name = "Team {r}"', f'timezone = "{zone_of(r)}"', "",
                "[[layer]]", 'name = "primary"', f'members = ["{e[0]}", "{e[1]}", "{e[2]}"]',
                f"start = 2025-12-29T09:{minute}:00", 'every = "1w"', "",
                "[[layer]]", 'name = "business"', f'members = ["{e[3]}", "{e[4]}"]',
                f"start = 2026-01-05T09:{minute}:00", 'every = "1d"', f'only = ["mon-fri 09:{minute}-17:{minute}"]', "",
                "[[layer]]", 'name = "nights"', f'members = ["{e[5]}", "{e[2]}"]',
                f"start = 2026-01-05T22:{minute}:00", 'every = "1d"', f'only = ["daily 22:{minute}-06:{minute}"]', ""]
        if r in with_override:
            a = datetime(2026, 1, 1) + timedelta(days=rng.randint(10, 340), hours=9)
            body += ["[[override]]", f'who = "{e[1]}"', f"start = {a.isoformat()}",
                     f"end = {(a + timedelta(days=2)).isoformat()}", ""]
        if r % 2:
            body += ["[[escalation]]", f'who = "team-{r:04d}"', "[[escalation]]", f'who = "m{r}"', ""]
        (root / f"team-{r:04d}.toml").write_text("\n".join(body))


def _best(fn, repeat: int) -> float:
    """The fastest of ``repeat`` runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(rotations: int, cli: bool, repeat: int) -> dict:
    from oncall import coverage, fairness
    from oncall.load import load_directory
    from oncall.schedule import final_schedule

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "org"
        generate(root, rotations)
        d = load_directory(root)
        ids = sorted(d.rotations)
        segments = sum(len(final_schedule(d.rotations[r], START, END)) for r in ids)
        row = {"rotations": rotations, "segments": segments,
               "load": _best(lambda: load_directory(root), repeat),
               "schedules": _best(lambda: [final_schedule(d.rotations[r], START, END) for r in ids], repeat),
               "check": _best(lambda: coverage.check(d, ids, START, END), repeat),
               "report": _best(lambda: fairness.report(d, ids, START, END), repeat)}
        if cli:
            for cmd in ("check", "report"):
                args = [sys.executable, "-m", "oncall", cmd, "--dir", str(root), "--from", "2026-01-01T00:00Z",
                        "--to", "2027-01-01T00:00Z", "--json"]
                row[f"cli_{cmd}"] = _best(lambda a=args: subprocess.run(a, capture_output=True, cwd=ROOT), repeat)
        return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=500, help="rotations at 1x (default 500)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per measure; the fastest counts (default 2)")
    ap.add_argument("--no-cli", action="store_true", help="time the engine calls only")
    args = ap.parse_args()
    cols = ["rotations", "segments", "load", "schedules", "check", "report"] + \
        ([] if args.no_cli else ["cli_check", "cli_report"])
    print("  ".join(f"{c:>10}" for c in cols) + "  check µs/seg  report µs/seg", flush=True)
    for k in (1, 2, 4):
        r = run(args.base * k, not args.no_cli, args.repeat)
        cells = [f"{r[c]:>10}" if isinstance(r[c], int) else f"{r[c]:>9.2f}s" for c in cols]
        per = [r[c] / r["segments"] * 1e6 for c in ("check", "report")]
        print("  ".join(cells) + f"  {per[0]:>12.1f}  {per[1]:>13.1f}", flush=True)


if __name__ == "__main__":
    main()
