"""The scale benchmark's generated organisation stays valid and checkable (at a tiny size)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from conftest import ROOT

from oncall import coverage, fairness
from oncall.load import load_directory

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scale import generate  # noqa: E402

UTC = timezone.utc


def test_generated_organisation_loads_and_checks(tmp_path):
    generate(tmp_path / "org", 10)
    d = load_directory(tmp_path / "org")
    assert len(d.rotations) == 10 and len(d.people) == 70
    a, b = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    report = coverage.check(d, sorted(d.rotations), a, b, suggestions=True)
    assert {f.kind for f in report.problems} <= {"gap", "unreachable"}
    assert {f.reason for f in report.problems} <= {None, "away", "no-step-reachable"}
    # Team 9 borrows an engineer of team 8: the two are sometimes on call at once.
    assert any(w.kind == "on-call-twice" for w in report.warnings)
    assert len(report.suggestions) == len({(f.rotation, f.start, f.end) for f in report.problems})
    numbers = fairness.report(d, sorted(d.rotations), a, b)
    assert all(r.coverage == 1.0 for r in numbers.rotations)  # the primary layer is 24/7
