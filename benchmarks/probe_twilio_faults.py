"""Issue 15 item 4 probe: how long a page lasts against a misbehaving Twilio.

The real ``oncall page`` (a subprocess, real time, real sleeps) against
``tests/faultserver.py`` on 127.0.0.1, with two steps of ``--wait`` seconds each (default 5:
waits totalling 10 s, as in the issue). Each scenario is bounded by ``--cap`` seconds.
Prints one row per scenario: the page's wall time, its ratio to the waits, the SMS and
call POSTs Twilio received, the outcome and the exit code.

Run: python benchmarks/probe_twilio_faults.py [--wait 5] [--cap 120] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import HANG, Answer, Dribble, FaultServer  # noqa: E402
from test_paging import PEOPLE  # noqa: E402


def rotation(wait: float) -> str:
    steps = "".join(f'[[escalation]]\nwho = "{who}"\nwait = "{wait:g}s"\n' for who in ("ops", "bob"))
    return ('name = "Ops"\ntimezone = "UTC"\n[[layer]]\nname = "w"\nmembers = ["alice"]\n'
            f'start = 2026-01-05T09:00:00\nevery = "1w"\n{steps}')


def scenarios() -> dict[str, dict]:
    busy = Answer(429, json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429}),
                  {"Retry-After": "3"})
    good = json.dumps({"sid": "SM" + "f" * 32, "status": "queued"})
    return {
        "429 Retry-After 3": {"sms": [busy], "call": [busy]},
        "500 on every send": {"sms": [Answer(500, "{}")], "call": [Answer(500, "{}")]},
        "hanging server": {"sms": [HANG], "call": [HANG]},
        "1 byte every 5 s": {"sms": [Dribble(Answer(201, good), 5.0)], "call": [Dribble(Answer(201, good), 5.0)]},
        "201 non-JSON SMS": {"sms": [Answer(201, "<html>ok</html>")]},
        "201 with {}": {"sms": [Answer(201, "{}")], "call": [Answer(201, "{}")]},
    }


def run(name: str, script: dict, wait: float, cap: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp, FaultServer(script) as server:
        folder = Path(tmp) / "rot"
        folder.mkdir()
        (folder / "people.toml").write_text(PEOPLE)
        (folder / "ops.toml").write_text(rotation(wait))
        env = os.environ | {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "probe",
                            "TWILIO_FROM": "+15005550006", "ONCALL_TWILIO_BASE_URL": server.url,
                            "ONCALL_STATE_DIR": str(Path(tmp) / "state"), "NO_COLOR": "1"}
        t0 = time.monotonic()
        try:
            p = subprocess.run([sys.executable, "-m", "oncall", "page", "ops", "-m", "db down", "--dir", str(folder),
                                "--json"], env=env, capture_output=True, text=True, timeout=cap)
            code, out = p.returncode, p.stdout
        except subprocess.TimeoutExpired:
            code, out = None, ""
        took = time.monotonic() - t0
        try:
            outcome = json.loads(out)["outcome"]
        except ValueError:
            outcome = "traceback" if code not in (None, 0) else f"still running at {cap:g} s"
        return {"scenario": name, "took": took, "sms": server.count("sms"), "calls": server.count("call"),
                "outcome": outcome, "exit": code}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait", type=float, default=5.0)
    ap.add_argument("--cap", type=float, default=120.0)
    ap.add_argument("--only")
    args = ap.parse_args()
    waits = 2 * args.wait
    print(f"two steps of {args.wait:g} s (waits {waits:g} s); each scenario capped at {args.cap:g} s")
    print(f"{'scenario':<20} {'page took':>10} {'/ waits':>8} {'SMS POSTs':>10} {'call POSTs':>11}  outcome (exit)")
    for name, script in scenarios().items():
        if args.only and args.only not in name:
            continue
        r = run(name, script, args.wait, args.cap)
        print(f"{r['scenario']:<20} {r['took']:>9.1f}s {r['took'] / waits:>8.2f} {r['sms']:>10} {r['calls']:>11}"
              f"  {r['outcome']} ({r['exit']})", flush=True)


if __name__ == "__main__":
    main()
