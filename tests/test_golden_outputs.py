"""Every command's output, byte for byte, on the bundled folder and on a generated
100-rotation organisation (tests/golden_org.py), against outputs recorded in
tests/golden/outputs/. Optimisations must change none of them.

Re-record (only for a change of output you mean and explain in the commit):
``ONCALL_RECORD_GOLDEN=1 python -m pytest tests/test_golden_outputs.py``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from conftest import BUNDLED
from golden_org import generate

OUTPUTS = Path(__file__).parent / "golden" / "outputs"
RECORD = os.environ.get("ONCALL_RECORD_GOLDEN") == "1"
# Larger outputs are kept as their SHA-256 and length, so the repository stays small.
FULL_TEXT_LIMIT = 64 * 1024
YEAR = ("--from", "2026-01-01T00:00Z", "--to", "2027-01-01T00:00Z")
MONTH = ("--from", "2026-03-01T00:00Z", "--to", "2026-04-01T00:00Z")
QUARTER = ("--from", "2026-09-01T00:00Z", "--to", "2026-12-01T00:00Z")
FORTNIGHT = ("--from", "2026-10-25T00:00Z", "--to", "2026-11-08T00:00Z")
DST = ("--from", "2026-10-20T00:00Z", "--to", "2026-11-10T00:00Z")
AT = ("--at", "2026-11-01T06:30Z")

BUNDLED_CASES = {
    "now": ("now", *AT, "--tz", "America/New_York"),
    "now-json": ("now", *AT, "--json"),
    "shifts": ("shifts", *DST, "--tz", "America/New_York"),
    "shifts-json": ("shifts", *YEAR, "--json"),
    "shifts-person": ("shifts", "--person", "alice", *YEAR, "--tz", "Europe/London"),
    "check": ("check", *YEAR, "--tz", "UTC"),
    "check-json": ("check", *YEAR, "--json", "--suggest"),
    "check-early": ("check", "--from", "2025-12-20T00:00Z", "--to", "2026-02-01T00:00Z", "--tz", "UTC", "--suggest"),
    "report": ("report", "--month", "2026-11", "--tz", "America/New_York"),
    "report-json": ("report", *YEAR, "--json"),
    "timeline": ("timeline", "--from", "2026-10-30T00:00Z", "--days", "4", "--tz", "America/New_York"),
    "timeline-person": ("timeline", "--by-person", "--from", "2026-03-06T00:00Z", "--days", "3", "--tz", "UTC"),
    "export-platform": ("export", "platform", *YEAR),
    "export-sre-gaps": ("export", "sre", *DST, "--gaps", "--remind", "15m"),
    "export-person": ("export", "--person", "erin", *YEAR),
    "override-list": ("override", "list", "platform", "--tz", "UTC"),
    "away-list": ("away", "list", "--tz", "UTC"),
}

ORG_CASES = {
    "now": ("now", *AT, "--tz", "UTC"),
    "now-json": ("now", *AT, "--json"),
    "shifts": ("shifts", *FORTNIGHT, "--tz", "Europe/London"),
    "shifts-json": ("shifts", *YEAR, "--json"),
    "check": ("check", *MONTH, "--tz", "UTC"),
    "check-json": ("check", *QUARTER, "--json", "--suggest"),
    "check-some": ("check", "team-002", "team-005", "team-017", *MONTH, "--json"),
    "report": ("report", *YEAR, "--tz", "UTC"),
    "report-json": ("report", *YEAR, "--json"),
    "timeline": ("timeline", "--from", "2026-03-27T00:00Z", "--days", "5", "--tz", "UTC"),
    "export-rotation": ("export", "team-002", *YEAR, "--gaps"),
    "export-person": ("export", "--person", "p083", *YEAR),
}


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("golden") / "org")


def _transcript(result, folder: Path) -> str:
    text = f"exit {result.code}\n--- stdout\n{result.out}--- stderr\n{result.err}"
    return text.replace(str(folder), "<DIR>")


def _digest(text: str) -> str:
    data = text.encode("utf-8")
    return f"sha256 {hashlib.sha256(data).hexdigest()} bytes {len(data)}\n"


def _compare(name: str, text: str, scratch: Path) -> None:
    full, digest = OUTPUTS / f"{name}.txt", OUTPUTS / f"{name}.sha256"
    if RECORD:
        OUTPUTS.mkdir(parents=True, exist_ok=True)
        big = len(text.encode("utf-8")) > FULL_TEXT_LIMIT
        (digest if big else full).write_text(_digest(text) if big else text, encoding="utf-8", newline="")
        return
    if full.exists():
        expected, got = full.read_bytes().decode("utf-8"), text
    else:
        assert digest.exists(), f"no recorded output for {name}: record it (see the module docstring)"
        expected, got = digest.read_text(encoding="utf-8"), _digest(text)
    if got != expected:
        (scratch / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
    assert got == expected, f"{name}: output differs from the recorded one (this run's: {scratch / name}.txt)"


@pytest.mark.parametrize("name", sorted(BUNDLED_CASES))
def test_bundled_folder_outputs_are_unchanged(cli, name, tmp_path):
    args = BUNDLED_CASES[name]
    _compare(f"bundled-{name}", _transcript(cli(*args, "--dir", str(BUNDLED)), BUNDLED), tmp_path)


@pytest.mark.parametrize("name", sorted(ORG_CASES))
def test_generated_organisation_outputs_are_unchanged(cli, org, name, tmp_path):
    args = ORG_CASES[name]
    _compare(f"org-{name}", _transcript(cli(*args, "--dir", str(org)), org), tmp_path)


def test_export_all_folder_is_unchanged(cli, tmp_path):
    """`export --all` of a 20-rotation cut of the organisation over two weeks: every file's
    name and bytes."""
    org = generate(tmp_path / "org", rotations=20)
    out = tmp_path / "feeds"
    result = cli("export", "--all", "-o", str(out), *FORTNIGHT, "--dir", str(org))
    parts = [_transcript(result, org).replace(str(out), "<OUT>")]
    for f in sorted(p for p in out.rglob("*") if p.is_file()):
        parts.append(f"=== {f.relative_to(out)}\n{f.read_bytes().decode('utf-8')}")
    _compare("org-export-all", "\n".join(parts), tmp_path)
