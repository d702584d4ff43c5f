"""Issue 10 benchmark: `oncall serve` intake on loopback, a bounded number of alerts.

Starts the real service (uvicorn subprocess, 127.0.0.1, a free port) against the Twilio
mock, posts ``--alerts`` Alertmanager payloads (one in ``--dup`` repeats an earlier
groupKey, so dedup is exercised), one at a time, and prints:
alerts/s accepted, p50/p99 intake latency, and p50/p99 time from the intake answer to the
send being recorded with Twilio's SID (i.e. the Twilio request done).

Run: ONCALL_TEST_TWILIO_MOCK=http://127.0.0.1:4018 python benchmarks/bench_serve.py [--alerts 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from serve_support import Server, start_mock  # noqa: E402

PEOPLE = '[people.alice]\nphone = "+14155550101"\nnotify = ["sms"]\n'
ROT = ('name = "P"\ntimezone = "UTC"\n[[layer]]\nname = "l"\nmembers = ["alice"]\nstart = 2000-01-03T00:00:00\n'
       'every = "1w"\n[[escalation]]\nwho = "platform"\nwait = "1h"\n')


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--dup", type=int, default=4, help="every Nth alert repeats an earlier groupKey")
    args = ap.parse_args()
    n = max(1, min(args.alerts, 5000))
    mock, pid = start_mock()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    (tmp / "rotations").mkdir()
    (tmp / "rotations" / "people.toml").write_text(PEOPLE)
    (tmp / "rotations" / "platform.toml").write_text(ROT)
    server = Server(tmp / "rotations", tmp / "state", mock, tick=0.05).start()
    latencies, answered, opened = [], {}, 0
    try:
        began = time.perf_counter()
        for i in range(n):
            key = f"group-{i - 1 if i and i % args.dup == 0 else i}"
            payload = {"version": "4", "status": "firing", "groupKey": key,
                       "alerts": [{"status": "firing", "labels": {"alertname": "A"}, "annotations": {}}]}
            t = time.perf_counter()
            code, body = server.post_json("/v1/alertmanager/platform", payload)
            latencies.append(time.perf_counter() - t)
            if code == 202:
                opened += 1
                answered[int(body.split('"incident":')[1].split(",")[0])] = time.time()
        elapsed = time.perf_counter() - began
        deadline = time.monotonic() + 60
        sent: dict[int, float] = {}
        while len(sent) < len(answered) and time.monotonic() < deadline:
            for inc in server.incidents():
                a = next((a for a in inc["attempts"] if a["sid"]), None)
                if a and inc["id"] not in sent:
                    sent[inc["id"]] = a["ended"].timestamp()
            time.sleep(0.2)
        to_twilio = [max(0.0, sent[i] - answered[i]) for i in sent]
    finally:
        server.stop()
        if pid:
            import os
            import signal

            os.kill(pid, signal.SIGTERM)
    print(f"| measure ({n} alerts, {n - opened} duplicates, loopback, sequential) | value |")
    print("| --- | --- |")
    print(f"| alerts accepted per second | {n / elapsed:.0f} |")
    print(f"| intake latency p50 / p99 | {pct(latencies, 50) * 1000:.1f} ms / {pct(latencies, 99) * 1000:.1f} ms |")
    if to_twilio:
        print(f"| intake answer -> Twilio request done, p50 / p99 | {pct(to_twilio, 50) * 1000:.0f} ms / "
              f"{pct(to_twilio, 99) * 1000:.0f} ms ({len(to_twilio)}/{opened} sent) |")


if __name__ == "__main__":
    main()
