"""Issue 15 item 1 probe: does a killed page swallow its retry?

For each of ``--kills`` runs: the real ``oncall page --dedup-key K`` (a subprocess) against
``tests/faultserver.py`` on 127.0.0.1, Twilio hanging on every send; SIGKILL it once its
first SMS request is in flight; then the alert hook's retry (same key, ``--no-wait``,
against a second local Twilio that answers as documented). Prints one row per run: the retry's outcome, exit code, its
wall time and what it sent; then how many retries paged. Bounded: 30 s per wait, 60 s
per retry.

Run: python benchmarks/probe_killed_page.py [--kills 10] [--code DIR]
(``--code``: the checkout whose oncall runs, e.g. an older one to compare.)
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

from conftest import write_folder  # noqa: E402
from faultserver import HANG, FaultServer  # noqa: E402
from test_paging import OPS, PEOPLE  # noqa: E402


def one(code: Path, tmp: Path) -> tuple[str, int, float, int]:
    folder = write_folder(tmp / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})
    base = os.environ | {"PYTHONPATH": str(code), "ONCALL_STATE_DIR": str(tmp / "state"),
                         "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"}
    cmd = [sys.executable, "-m", "oncall", "page", "ops", "-m", "db down", "--dir", str(folder), "--json",
           "--dedup-key", "K"]
    with FaultServer({"sms": [HANG], "call": [HANG]}) as server:
        env = base | {"ONCALL_TWILIO_BASE_URL": server.url}
        first = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        began = time.monotonic()
        while server.count("sms") < 1 and time.monotonic() - began < 30:
            time.sleep(0.05)
        first.kill()
        first.wait(10)
    with FaultServer() as twilio:
        began = time.monotonic()
        r = subprocess.run(cmd + ["--no-wait"], env=base | {"ONCALL_TWILIO_BASE_URL": twilio.url}, cwd=tmp,
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - began
        sent = twilio.count("sms")
    return json.loads(r.stdout)["outcome"], r.returncode, took, sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--code", type=Path, default=ROOT)
    a = ap.parse_args()
    paged = 0
    print(f"{'run':>4}  {'retry outcome':<14} {'exit':>4}  {'retry s':>7}  {'sent':>4}")
    for i in range(min(a.kills, 100)):
        with tempfile.TemporaryDirectory() as tmp:
            outcome, code, took, sent = one(a.code.resolve(), Path(tmp))
        paged += outcome == "sent" and sent == 1
        print(f"{i + 1:>4}  {outcome:<14} {code:>4}  {took:>7.2f}  {sent:>4}")
    print(f"retries that paged: {paged}/{a.kills}")


if __name__ == "__main__":
    main()
