"""A generated 100-rotation organisation for the golden-output test: frozen here (not
shared with benchmarks/) so that the recorded outputs only change when the product does.

It has what makes the engine work hard: shared people across rotations (on-call-twice),
restricted layers in several DST zones, overrides (some overlapping, some outside the
members), time off, missing and invalid phones, coverage windows, escalation to other
rotations and to people, a layer that ends and one that never covers.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/Los_Angeles",
         "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Apia", "UTC"]
PEOPLE = 160


def _people(rng: random.Random) -> str:
    lines = []
    for i in range(PEOPLE):
        lines += [f"[people.p{i:03d}]", f'name = "Person {i}"']
        if i % 23 != 7:
            lines.append(f'phone = "+1415555{i:04d}"' if i % 31 != 5 else 'phone = "+10005550100"')
        if i % 3:
            lines.append(f'timezone = "{ZONES[i % len(ZONES)]}"')
        if i % 6 == 0:
            month = rng.randint(1, 12)
            day = rng.randint(1, 20)
            lines += [f"[[people.p{i:03d}.away]]", f"start = 2026-{month:02d}-{day:02d}",
                      f"end = 2026-{month:02d}-{day + 6:02d}", 'note = "leave"']
        lines.append("")
    return "\n".join(lines)


def _rotation(r: int, rng: random.Random) -> str:
    zone = ZONES[r % len(ZONES)]
    pick = [f"p{rng.randrange(PEOPLE):03d}" for _ in range(6)]
    members = list(dict.fromkeys(pick))
    body = [f'name = "Team {r}"', f'timezone = "{zone}"']
    if r % 7 == 3:
        body.append('coverage = ["mon-fri 08:00-18:00"]')
    every = ["1w", "1d", "12h", "2w", "1d12h"][r % 5]
    body += ["", "[[layer]]", 'name = "primary"', f"members = {members[:3]!r}".replace("'", '"'),
             f"start = 2025-12-{22 + r % 7:02d}T09:00:00", f'every = "{every}"']
    if r % 11 == 4:
        body.append("until = 2026-06-01T09:00:00")
    body += ["", "[[layer]]", 'name = "day"', f"members = {members[3:5] or members[:1]!r}".replace("'", '"'),
             "start = 2026-01-05T09:00:00", 'every = "1d"', 'only = ["mon-fri 09:00-17:00"]']
    if r % 4 == 1:
        body += ["", "[[layer]]", 'name = "nights"', f"members = {members[-2:]!r}".replace("'", '"'),
                 f'timezone = "{ZONES[(r + 3) % len(ZONES)]}"',
                 "start = 2026-01-05T22:00:00", 'every = "1d"', 'only = ["daily 22:00-06:00"]']
    if r % 13 == 6:
        body += ["", "[[layer]]", 'name = "later"', f"members = [{members[0]!r}]".replace("'", '"'),
                 "start = 2028-01-03T09:00:00", 'every = "1w"']
    for k in range(r % 4):
        a = datetime(2026, 1, 1, 9) + timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 12))
        who = members[rng.randrange(len(members))] if k != 2 else f"p{rng.randrange(PEOPLE):03d}"
        body += ["", "[[override]]", f'who = "{who}"', f"start = {a.isoformat()}",
                 f"end = {(a + timedelta(hours=rng.choice([4, 30, 50]))).isoformat()}", f'note = "o{k}"']
    if r % 3 == 2:
        body += ["", "[[escalation]]", f'who = "team-{r:03d}"', "", "[[escalation]]",
                 f'who = "team-{(r + 1) % 100:03d}"', 'wait = "10m"', "", "[[escalation]]",
                 f'who = "{members[0]}"']
    return "\n".join(body) + "\n"


def generate(root: Path, rotations: int = 100, seed: int = 16) -> Path:
    """Write the organisation to ``root`` (created) and return it."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "people.toml").write_text(_people(rng))
    for r in range(rotations):
        (root / f"team-{r:03d}.toml").write_text(_rotation(r, rng))
    return root
