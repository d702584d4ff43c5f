"""The bad-input corpus: every broken folder in tests/corpus/ is refused with exit 3 and
one readable line per problem, `file:line: key: message`, and never a traceback.

What each folder must produce is in tests/corpus/cases.toml."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import BUNDLED

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))


def test_the_manifest_and_the_folders_agree():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders == set(CASES)
    assert len(CASES) >= 24


def _pattern(case: str, file: str, line: int, key: str, words: str) -> re.Pattern:
    where = re.escape(f"{case}/{file}") + (f":{line}" if line else "")
    what = re.escape(f"{key}: ") if key else ""
    return re.compile(rf"^(.*/)?{where}: {what}.*{re.escape(words)}")


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def _replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


# The hostile part of a corpus folder that does not belong in git, made in a copy.
MAKE = {
    "deep-array": lambda d: _append(d / "platform.toml", "only = " + "[" * 3000 + "]" * 3000 + "\n"),
    "deep-inline-table": lambda d: _append(d / "platform.toml", "only = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"),
    "fifo": lambda d: os.mkfifo(d / "platform.toml"),
    "huge-unclosed-string": lambda d: _append(d / "platform.toml", 'only = "' + "x" * 10_000_000),
    "huge-member-id": lambda d: _replace(d / "platform.toml", '"alice", "bob"', '"alice", "' + "b" * 10_000_000 + '"'),
    "huge-key": lambda d: _append(d / "platform.toml", "k" * 200_000 + " = 1\n"),
}

# What a terminal must never get from a file's text: C0 controls but newline, DEL, C1.
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _folder(case: str, tmp_path: Path) -> Path:
    make = CASES[case].get("make")
    if make is None:
        return CORPUS / case
    if make == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    folder = tmp_path / case
    shutil.copytree(CORPUS / case, folder)
    MAKE[make](folder)
    return folder


@pytest.mark.parametrize("case", sorted(c for c in CASES if "import" not in CASES[c]))
def test_broken_folder_is_refused_with_file_line_and_key(cli, case, tmp_path):
    r = cli("check", "--dir", str(_folder(case, tmp_path)), "--from", "2026-06-01T00:00Z")
    assert "Traceback" not in r.err
    assert r.code == 3, r.err[:2000]
    assert r.out == ""
    reported = r.err.splitlines()
    # Quoted text is capped and nothing raw reaches the terminal, whatever the file holds.
    assert all(len(line) < 1000 for line in reported), [line[:300] for line in reported]
    assert not _RAW.search(r.err), r.err
    expected = CASES[case]["expect"]
    # One line per problem, in order, nothing more: no cascades of follow-on errors.
    assert len(reported) == len(expected), r.err
    for line, (file, number, key, words) in zip(reported, expected, strict=True):
        assert _pattern(case, file, number, key, words).match(line), f"{line!r} does not match {file}:{number}: {key}"


def test_the_same_folder_fails_the_same_way_for_every_command(cli):
    # Loading is shared: `now` and `shifts` refuse bad files exactly like `check`.
    folder = str(CORPUS / "multiple-errors")
    check = cli("check", "--dir", folder, "--from", "2026-06-01T00:00Z")
    for args in (("now", "--at", "2026-06-01T00:00Z"), ("shifts", "--from", "2026-06-01T00:00Z")):
        r = cli(*args, "--dir", folder)
        assert (r.code, r.out, r.err) == (3, "", check.err)


@pytest.mark.parametrize("args", [
    ("now", "--at", "9999-12-30T00:00Z"),  # the engine looks a year either side: used to overflow
    ("now", "--at", "0001-01-01T00:00Z"),
    ("now", "--at", "+99999999w"),
    ("shifts", "--from", "9999-12-25T00:00Z"),
    ("check", "--from", "2026-06-01T00:00Z", "--days", "1e9"),
    ("check", "--from", "2026-06-01T00:00Z", "--days", "nan"),
])
def test_absurd_command_line_times_are_usage_errors_not_tracebacks(cli, args):
    r = cli(*args, "--dir", str(CORPUS.parent.parent / "rotations"))
    assert "Traceback" not in r.err
    assert r.code == 2, r.err
    assert r.out == ""
    assert re.match(r"oncall: --(at|from|days):? .*(out of range|must end by the year 2999|number of days)", r.err)


def test_a_utf8_bom_and_an_editors_hidden_lock_file_are_not_errors(cli, tmp_path):
    # Windows editors may start a file with a byte-order mark; Emacs marks a file it is
    # editing with a dangling ".#name.toml" link. Neither should break `oncall now`.
    data = tmp_path / "data"
    shutil.copytree(CORPUS / "unknown-member", data)
    text = (data / "platform.toml").read_text().replace('"bobb"', '"bob"')
    (data / "platform.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (data / ".#platform.toml").symlink_to("user@host.4242:1700000000")
    r = cli("now", "--dir", str(data), "--at", "2026-06-01T00:00Z", "--json")
    assert r.code == 0, r.err
    assert [row["person"] for row in json.loads(r.out)] == ["carol"]


@pytest.mark.parametrize("args", [
    ("now", "--at", ""),
    ("shifts", "--from", ""),
    ("shifts", "--from", "2026-03-08T00:00Z", "--to", " "),
    ("check", "--from", ""),
    ("export", "--from", ""),
    ("export", "--from", "2026-03-08T00:00Z", "--to", ""),
])
def test_an_empty_time_is_a_usage_error_not_the_current_time(cli, args):
    # `oncall now --at "$WHEN"` with WHEN unset silently answered for the current instant.
    r = cli(*args, "--dir", str(BUNDLED))
    assert r.code == 2, r.err
    assert r.out == ""
    assert re.match(r"oncall: --(at|from|to): '\s*' is not a time", r.err)


@pytest.mark.parametrize("args, option", [
    (("page", "platform", "-m", "x", "--rate-limit", "١٠/15m"), "--rate-limit"),  # Arabic-Indic 10
    (("page", "platform", "-m", "x", "--rate-limit", "１０/15m"), "--rate-limit"),  # fullwidth 10
    (("report", "--month", "２０２６-０３"), "--month"),
    (("report", "--month", "٢٠٢٦-03"), "--month"),
    (("shifts", "--days", "７"), "--days"),  # Click's FLOAT takes float("７") == 7.0
    (("shifts", "--days", "nan"), "--days"),
    (("timeline", "--days", "٧"), "--days"),
    (("page", "platform", "-m", "x", "--dry-run", "--repeat", "１"), "--repeat"),  # and INT takes int("１")
    (("notify", "--dry-run", "--days", "３"), "--days"),
    (("override", "remove", "platform", "１"), "NUMBER"),
    (("away", "remove", "alice", "٣"), "NUMBER"),
])
def test_unicode_digits_on_the_command_line_are_refused_with_one_line(cli, args, option):
    """Issue 15 item 9: only ASCII digits; `int()` and `\\d` take any script's."""
    r = cli(*args, "--dir", str(BUNDLED))
    assert r.code == 2, (r.code, r.err)
    assert r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and r.err.startswith(f"oncall: {option}: ")


@pytest.mark.parametrize("args, option", [
    (("pages", "--limit", "５"), "--limit"),
    (("pages", "show", "１"), "ID"),
    (("ack", "١"), "ID"),
    (("resolve", "１"), "ID"),
    (("incidents", "--days", "７"), "--days"),
    (("notifications", "--limit", "２"), "--limit"),
])
def test_unicode_digits_in_counts_and_ids_are_refused_with_one_line(cli, args, option):
    """Issue 15 item 9, the options Click parses itself: a fullwidth or Arabic-Indic id
    must not select page 1 (or list 5 pages) as if ASCII had been typed."""
    r = cli(*args)
    assert r.code == 2, (r.code, r.err)
    assert r.out == ""
    assert r.err.strip().splitlines() == [f"oncall: {option}: {args[-1]!r} is not a whole number (digits 0-9)"]


def test_a_5000_digit_count_is_out_of_range_not_pythons_int_limit_message(cli):
    """Issue 15 item 7 for the command line: ``int()`` refuses 4300+ digits with advice
    about ``sys.set_int_max_str_digits``, which is not ours to give."""
    r = cli("pages", "--limit", "9" * 5000)
    assert r.code == 2 and r.out == ""
    assert r.err.strip().splitlines() == ["oncall: --limit: a number of 5000 digits is out of range (at least 1)"]
