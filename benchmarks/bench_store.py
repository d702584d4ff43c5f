"""Issue 11 benchmark: `oncall serve` intake on SQLite vs PostgreSQL, one run, side by side.

For each backend, starts the real service (uvicorn subprocess, 127.0.0.1, a free port)
against the Twilio mock and posts ``--alerts`` Alertmanager payloads (every ``--dup``-th
repeats an earlier groupKey: dedup on), first one at a time, then from ``--clients``
threads at once; prints alerts accepted per second and p50/p99 intake latency.

PostgreSQL: the server named by ``--postgres-url`` or ``ONCALL_TEST_POSTGRES_URL`` (as
``eval "$(.ci/postgres start)"`` exports); the benchmark uses a database ``oncall_bench``
on it, created if missing and emptied first. It reports the server's fsync and
synchronous_commit settings, since they decide the cost of a commit.

Run: ONCALL_TEST_TWILIO_MOCK=http://127.0.0.1:4018 python benchmarks/bench_store.py [--alerts 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT), str(ROOT / "benchmarks")]

from bench_serve import PEOPLE, ROT, pct  # noqa: E402
from serve_support import Server, start_mock  # noqa: E402


def bench_database(url: str) -> tuple[str, str]:
    """``url``'s server, database ``oncall_bench`` (created, emptied); and its durability settings."""
    from urllib.parse import urlsplit

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'oncall_bench'").fetchone():
            conn.execute("CREATE DATABASE oncall_bench")
        settings = ", ".join(f"{k}={conn.execute(f'SHOW {k}').fetchone()[0]}" for k in ("fsync", "synchronous_commit"))
    bench = urlsplit(url)._replace(path="/oncall_bench").geturl()
    with psycopg.connect(bench, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return bench, settings


def post(server: Server, keys: list[str]) -> list[float]:
    latencies = []
    for key in keys:
        payload = {"version": "4", "status": "firing", "groupKey": key,
                   "alerts": [{"status": "firing", "labels": {"alertname": "A"}, "annotations": {}}]}
        t = time.perf_counter()
        code, _ = server.post_json("/v1/alertmanager/platform", payload)
        latencies.append(time.perf_counter() - t)
        if code not in (200, 202):
            raise SystemExit(f"intake answered {code}")
    return latencies


def measure(server: Server, prefix: str, n: int, dup: int, clients: int) -> tuple[float, list[float]]:
    """Alerts per second and the latencies of ``n`` alerts from ``clients`` threads."""
    keys = [f"{prefix}-{i - 1 if i and i % dup == 0 else i}" for i in range(n)]
    shares = [keys[c::clients] for c in range(clients)]
    results: list[list[float]] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=lambda c=c: results.__setitem__(c, post(server, shares[c])))
               for c in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return n / (time.perf_counter() - began), [x for r in results for x in r]


def run(backend: str, url: str, mock, args) -> list[tuple[float, list[float]]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-store-{backend}-"))
    (tmp / "rotations").mkdir()
    (tmp / "rotations" / "people.toml").write_text(PEOPLE)
    (tmp / "rotations" / "platform.toml").write_text(ROT)
    os.environ.pop("ONCALL_DATABASE_URL", None)
    if url:
        os.environ["ONCALL_DATABASE_URL"] = url
    server = Server(tmp / "rotations", tmp / "state", mock, tick=0.05).start()
    try:
        return [measure(server, "seq", args.alerts, args.dup, 1),
                measure(server, "par", args.alerts, args.dup, args.clients)]
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=300)
    ap.add_argument("--dup", type=int, default=4, help="every Nth alert repeats an earlier groupKey")
    ap.add_argument("--clients", type=int, default=8, help="threads posting at once in the second run")
    ap.add_argument("--postgres-url", default=os.environ.get("ONCALL_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    args.alerts, args.clients = max(1, min(args.alerts, 5000)), max(1, min(args.clients, 32))
    if not args.postgres_url:
        raise SystemExit("no PostgreSQL server: pass --postgres-url or eval \"$(.ci/postgres start)\"")
    pg, settings = bench_database(args.postgres_url)
    mock, pid = start_mock()
    try:
        rows = {"SQLite": run("sqlite", "", mock, args), "PostgreSQL": run("postgres", pg, mock, args)}
    finally:
        if pid:
            import signal

            os.kill(pid, signal.SIGTERM)
    print(f"| {args.alerts} alerts each, 1 in {args.dup} a duplicate, loopback (PostgreSQL: {settings}) "
          "| SQLite | PostgreSQL | PostgreSQL / SQLite |")
    print("| --- | --- | --- | --- |")
    for i, label in enumerate(("sequential", f"{args.clients} clients at once")):
        (sr, sl), (pr, pl) = rows["SQLite"][i], rows["PostgreSQL"][i]
        print(f"| {label}: alerts accepted per second | {sr:.0f} | {pr:.0f} | {pr / sr:.2f} |")
        for p in (50, 99):
            a, b = pct(sl, p) * 1000, pct(pl, p) * 1000
            print(f"| {label}: intake latency p{p} | {a:.1f} ms | {b:.1f} ms | {b / a:.2f} |")


if __name__ == "__main__":
    main()
