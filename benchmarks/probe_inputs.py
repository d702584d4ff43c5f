"""Issue 15 probe: hostile or unlucky input never gives a traceback, and nothing raw reaches a terminal.

Part 1, broken folders: ``--cases`` copies of the bundled ``rotations/``, each with one random
mutation (seeded, so a run can be repeated) in one file: truncated, a control character
inserted, a line removed or doubled, a value replaced by something hostile (nesting 3000 deep,
a 5000-digit integer, fullwidth digits, a 1 MB string, an unclosed string...). ``oncall check``
and ``oncall now`` run on each; a row counts exits, tracebacks and exit-3 lines that do not
name a file.

Part 2, injected text: escape sequences, NUL, a forged problem line and U+2028 written into
names, notes, layer names and override notes; every read command runs piped, and any ESC or
other C0 control byte in its output (other than newline and tab) is raw text from a file.

Run: python benchmarks/probe_inputs.py [--cases 200] [--seed 15]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "rotations"
AT = "2026-12-01T12:00:00Z"
HOSTILE = ["[" * 3000 + "]" * 3000, "9" * 5000, '"１w"', '"٧d"', '"' + "x" * 1_000_000 + '"', '"unclosed',
           '"\x1b[2J"', '"a\x00b"', "{ a = { b = { c = 1 } } }", '"right/America/New_York"', "[]", "-0",
           '"+１４１５５５５０１０１"', "2026-02-30T09:00:00", '"24:00 - 24:00"', '"sun 24:00 - mon 00:00"']
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\x85]")


def mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    kind = rng.randrange(6)
    i = rng.randrange(len(lines))
    if kind == 0:
        return text[: rng.randrange(len(text))]
    if kind == 1:
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(["\x00", "\x1b", "\u2028", "\x85", "\ufeff", "\r", "\t"]) + text[at:]
    if kind == 2:
        del lines[i]
    elif kind == 3:
        lines.insert(i, lines[i])
    else:
        candidates = [j for j, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
        j = rng.choice(candidates or [i])
        key = lines[j].split("=", 1)[0] if "=" in lines[j] else "x "
        lines[j] = f"{key}= {rng.choice(HOSTILE)}"
    return "\n".join(lines)


def oncall(*args: str, folder: Path, state: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "ONCALL_STATE_DIR": str(state),
                        "PYTHONPATH": str(ROOT)}
    env.pop("ONCALL_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "oncall", *args, "--dir", str(folder)], env=env,
                          capture_output=True, text=True, timeout=60, errors="replace")


def broken_folders(cases: int, seed: int, tmp: Path) -> None:
    rng = random.Random(seed)
    files = sorted(p.name for p in BUNDLED.glob("*.toml"))
    tally: Counter = Counter()
    for n in range(cases):
        folder = tmp / f"case{n}"
        shutil.copytree(BUNDLED, folder)
        target = folder / rng.choice(files)
        target.write_text(mutate(target.read_text(), rng))
        for args in (("check", "--from", AT, "--days", "7"), ("now", "--at", AT)):
            r = oncall(*args, folder=folder, state=tmp / "state")
            tally[f"exit {r.returncode}"] += 1
            tally["traceback"] += "Traceback" in r.stderr
            if r.returncode == 3:
                tally["exit-3 line without file:line"] += not all(re.match(r"\S+\.toml(:\d+)?: ", line)
                                                                  for line in r.stderr.strip().splitlines())
        shutil.rmtree(folder)
    print(f"{cases} broken folders x 2 commands (seed {seed})")
    for key in sorted(tally):
        print(f"  {key:32} {tally[key]}")


def injected(tmp: Path) -> None:
    folder = tmp / "injected"
    shutil.copytree(BUNDLED, folder)
    # TOML escapes, so the files stay valid and the text reaches every view.
    evil = r"\u001b[2J\u001b]0;pwned\u0007\u0000\u2028\nplatform.toml:1: timezone: forged"
    for toml in folder.glob("*.toml"):
        text = re.sub(r'^(name|note) = "([^"]*)"', lambda m: f'{m.group(1)} = "{m.group(2)}{evil}"', toml.read_text(),
                      flags=re.M)
        toml.write_text(text)
    commands = [("now", "--at", AT), ("shifts", "--from", AT, "--days", "3"), ("report", "--month", "2026-12"),
                ("timeline", "--from", AT, "--days", "2"), ("check", "--from", AT, "--days", "3"),
                ("contacts",), ("override", "list", "platform"), ("away", "list")]
    print("injected names (ESC, NUL, U+2028, a forged problem line) in people and rotations")
    for args in commands:
        r = oncall(*args, folder=folder, state=tmp / "state")
        raw = len(CONTROL.findall(r.stdout + r.stderr))
        forged = sum(line.startswith("platform.toml:1: timezone: forged") for line in (r.stdout + r.stderr).split("\n"))
        shown = (r.stdout + r.stderr).count("\\x1b")
        print(f"  {' '.join(args[:2]):16} exit {r.returncode}  raw control characters {raw}  forged lines {forged}"
              f"  ESC shown escaped {shown}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broken_folders(args.cases, args.seed, Path(tmp))
        injected(Path(tmp))


if __name__ == "__main__":
    main()
