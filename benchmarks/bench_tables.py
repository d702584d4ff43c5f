"""Issue 16 item 2: a piped table costs about what the JSON of the same rows costs.

Generates a 100-rotation folder (bench_scale.generate), then times `oncall shifts` for a
year, piped, as a table and as JSON (best of N, one process each), and prints the ratio
(target <= 2). Run: python benchmarks/bench_tables.py [--rotations N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import generate  # noqa: E402


def best(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, env=dict(os.environ, NO_COLOR="1", TZ="UTC"))
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rotations", type=int, default=100)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "org"
        generate(root, args.rotations)
        base = [sys.executable, "-m", "oncall", "shifts", "--dir", str(root), "--from", "2027-01-01T00:00Z",
                "--days", "365", "--tz", "UTC"]
        table, js = best(base, args.runs), best([*base, "--json"], args.runs)
    print(f"{'shifts, ' + str(args.rotations) + ' rotations, one year, piped':<48} {'seconds':>8}")
    print(f"{'--json':<48} {js:>8.2f}")
    print(f"{'table':<48} {table:>8.2f}")
    print(f"{'ratio table / json (target <= 2)':<48} {table / js:>8.2f}")


if __name__ == "__main__":
    main()
