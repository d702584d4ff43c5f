"""Edits keep a file's layout: section comments stay where they belong, CRLF stays CRLF,
a BOM stays, and a dry run shows the diff and writes nothing. Each test names the kind of
file or edit it pins down. The clock is fixed at 2026-03-01T12:00Z."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import write_folder
from test_edit_files import FIXTURE, NOW

SECTIONS = """\
name = "Ops"
timezone = "UTC"

[[layer]]
name = "weekly"
members = ["alice", "bob"]
start = 2026-01-05T09:00:00
every = "1w"

# ---- overrides ----

[[override]]
who = "dave"
start = 2026-03-09T09:00:00
end = 2026-03-10T09:00:00

# ---- escalation ----

[[escalation]]
who = "ops"
wait = "5m"
"""


@pytest.fixture
def clock(use_clock):
    use_clock(NOW)


@pytest.fixture
def sections(tmp_path) -> Path:
    return write_folder(tmp_path / "sections", {"people.toml": (FIXTURE / "people.toml").read_text(),
                                                "ops.toml": SECTIONS})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------- section comments


def test_removing_a_table_keeps_the_section_comment_below_it(cli, clock, sections):
    r = cli("override", "remove", "ops", "1", "--dir", str(sections), "--allow-gaps")
    assert r.code == 0, r.err
    assert (sections / "ops.toml").read_text() == SECTIONS.replace(
        '[[override]]\nwho = "dave"\nstart = 2026-03-09T09:00:00\nend = 2026-03-10T09:00:00\n\n', "")


def test_a_new_override_goes_above_the_next_sections_heading(cli, clock, sections):
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z",
            "--dir", str(sections))
    assert r.code == 0, r.err
    added = '[[override]]\nwho = "erin"\nstart = 2026-03-20T13:00:00\nend = 2026-03-21T13:00:00\n\n'
    assert (sections / "ops.toml").read_text() == SECTIONS.replace("# ---- escalation", added + "# ---- escalation")


def test_a_new_layer_version_goes_above_the_next_sections_heading(cli, clock, sections):
    r = cli("member", "add", "ops", "carol", "--effective", "2026-03-20T00:00Z", "--dir", str(sections))
    assert r.code == 0, r.err
    added = ('[[layer]]\nname = "weekly-2"\nmembers = ["bob", "alice", "carol"]\nstart = 2026-03-23T09:00:00\n'
             'every = "1w"\n\n')
    until = 'every = "1w"\nuntil = 2026-03-23T09:00:00\n\n'
    assert (sections / "ops.toml").read_text() == SECTIONS.replace(
        'every = "1w"\n\n# ---- overrides', until + added + "# ---- overrides")


def test_removing_the_last_table_keeps_a_comment_that_ends_the_file(cli, clock, ops):
    text = (ops / "people.toml").read_text()
    assert text.endswith('[people.zed]\nname = "Zed Zhang"\n\n# last line comment\n')
    assert cli("away", "add", "zed", "--from", "2026-03-02T00:00Z", "--to", "2026-03-03T00:00Z",
               "--dir", str(ops)).code == 0
    assert (ops / "people.toml").read_text().endswith(
        '[people.zed]\nname = "Zed Zhang"\n\n[[people.zed.away]]\nstart = 2026-03-02\nend = 2026-03-03\n\n'
        '# last line comment\n')
    assert cli("away", "remove", "zed", "1", "--dir", str(ops)).code == 0
    assert (ops / "people.toml").read_text() == text


# ---------------------------------------------------------------- line endings, BOM


@pytest.fixture
def ops(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "ops"))


def _crlf(folder: Path) -> None:
    for p in folder.glob("*.toml"):
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("args, name", [
    (["override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z"],
     "ops.toml"),
    (["override", "remove", "ops", "2"], "ops.toml"),
    (["member", "add", "ops", "bob", "--layer", "after-reorg", "--effective", "2026-03-20T00:00Z"], "ops.toml"),
    (["member", "add", "ops", "bob", "--layer", "after-reorg"], "ops.toml"),  # in place: tomlkit sets members
    (["swap", "ops", "dave", "erin", "--from", "2026-03-12T00:00Z", "--to", "2026-03-30T00:00Z"], "ops.toml"),
    (["away", "add", "carol", "--from", "2026-03-20T00:00Z", "--to", "2026-03-22T00:00Z"], "people.toml"),
    (["away", "remove", "alice", "1"], "people.toml"),
    (["new", "person", "kim", "--name", "Kim", "--phone", "+14155550199"], "people.toml"),
])
def test_a_crlf_file_stays_crlf(cli, clock, ops, args, name):
    _crlf(ops)
    lf = ops.parent / "lf"
    shutil.copytree(FIXTURE, lf)
    r = cli(*args, "--dir", str(ops), "--allow-gaps" if args[0] != "new" else "--tz=UTC")
    assert r.code == 0, r.err
    assert cli(*args, "--dir", str(lf), "--allow-gaps" if args[0] != "new" else "--tz=UTC").code == 0
    data = (ops / name).read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n"), "mixed line endings"
    assert data == (lf / name).read_bytes().replace(b"\n", b"\r\n")  # the same edit, byte for byte


def test_a_file_with_a_bom_can_be_edited_and_keeps_it(cli, clock, ops):
    for p in ops.glob("*.toml"):
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    before = (ops / "people.toml").read_bytes()
    r = cli("away", "list", "alice", "--dir", str(ops), "--json")
    assert r.code == 0, r.err
    assert [a["start"] for a in json.loads(r.out)] == ["2026-05-04T07:00:00+00:00"]
    r = cli("away", "add", "carol", "--from", "2026-03-20T00:00Z", "--to", "2026-03-22T00:00Z", "--dir", str(ops))
    assert r.code == 0, r.err
    added = b"[[people.carol.away]]\nstart = 2026-03-20\nend = 2026-03-22\n\n"
    assert (ops / "people.toml").read_bytes() == before.replace(b"[people.dave]", added + b"[people.dave]")
    assert cli("away", "remove", "carol", "1", "--dir", str(ops)).code == 0
    assert (ops / "people.toml").read_bytes() == before
    r = cli("override", "add", "ops", "--who", "erin", "--from", "2026-03-20T13:00Z", "--to", "2026-03-21T13:00Z",
            "--dir", str(ops))
    assert r.code == 0, r.err
    assert (ops / "ops.toml").read_bytes().startswith(b"\xef\xbb\xbf# Ops rotation")


# ---------------------------------------------------------------- dry runs


def test_member_remove_dry_run(cli, clock, bundled):
    before = snapshot(bundled)
    r = cli("member", "remove", "platform", "bob", "--dir", str(bundled), "--tz", "UTC", "--dry-run")
    assert r.code == 0, r.err
    assert snapshot(bundled) == before
    assert "+until = 2026-03-02T09:00:00" in r.out and '+name = "weekly-2"' in r.out
    assert "Dry run: nothing was written." in r.out
