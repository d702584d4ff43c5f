"""Issue 14 item 1 and item 3: starting a data folder from nothing, finding it from
anywhere inside the repository, and `now` telling "outside coverage" from a gap."""

from __future__ import annotations

import sys

import pytest
from conftest import BUNDLED

AT_NIGHT = "2027-01-05T20:00Z"  # Tuesday 21:00 in Berlin: support is outside its coverage


@pytest.fixture
def terminal(monkeypatch):
    """Stdout looks like a colour terminal, so styles reach the output."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def patch():
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    return patch


def test_now_says_outside_coverage_in_a_neutral_style_and_a_gap_in_red(cli, terminal, tmp_path):
    terminal()
    off = cli("now", "support", "--at", AT_NIGHT, "--dir", str(BUNDLED))
    assert off.code == 0, off.err
    assert "outside coverage" in off.out and "NO ONE ON CALL" not in off.out
    assert "\x1b[31m" not in off.out and ";31m" not in off.out  # no red anywhere
    terminal()
    gap = cli("now", "platform", "--at", "2025-06-01T00:00Z", "--dir", str(BUNDLED))
    assert "NO ONE ON CALL" in gap.out and "31m" in gap.out


# ------------------------------------------------------------------ a fresh folder


def test_new_person_and_new_rotation_start_an_empty_folder(cli, tmp_path):
    root = tmp_path / "rotations"
    root.mkdir()
    d = ("--dir", str(root))
    r = cli("new", "person", "ann", "--name", "Ann Lee", "--phone", "+14155550111", *d)
    assert r.code == 0, r.err
    assert (root / "people.toml").read_text() == '[people.ann]\nname = "Ann Lee"\nphone = "+14155550111"\n'
    assert cli("new", "person", "bo", "--name", "Bo Ek", "--phone", "+14155550112", *d).code == 0
    r = cli("new", "rotation", "desk", "--timezone", "Europe/Berlin", "--members", "ann,bo", "--every", "1w",
            "--start", "2026-11-30T09:00", "--coverage", "mon-fri 09:00-17:00", *d)
    assert r.code == 0, r.err
    text = (root / "desk.toml").read_text()
    assert 'coverage = ["mon-fri 09:00-17:00"]' in text and 'only = ["mon-fri 09:00-17:00"]' in text
    r = cli("check", "--from", "2026-12-01T00:00Z", "--days", "28", "--json", *d)
    assert (r.code, r.out.split()) == (0, '{ "problems": [], "warnings": [] }'.split())
    r = cli("now", "--at", "2026-12-01T20:00Z", "--json", *d)
    assert '"in_coverage": false' in r.out and '"reachable": true' in r.out


@pytest.mark.parametrize("people", ["", "[people]\n", "# nobody yet\n"])
def test_new_rotation_needs_no_existing_rotation_and_new_person_no_person(cli, tmp_path, people):
    root = tmp_path / "team"
    root.mkdir()
    (root / "people.toml").write_text(people)
    r = cli("new", "person", "ann", "--name", "Ann", "--phone", "+14155550111", "--dir", str(root))
    assert r.code == 0, r.err
    assert (root / "people.toml").read_text().startswith(people)
    r = cli("new", "rotation", "ops", "--timezone", "UTC", "--members", "ann", "--every", "1d",
            "--start", "2026-11-30T00:00Z", "--dir", str(root))
    assert r.code == 0, r.err
    assert cli("now", "--at", "2026-12-01T00:00Z", "--dir", str(root), "--json").out.count('"person": "ann"') == 1


def test_a_folder_without_rotations_still_says_so_to_read_commands(cli, tmp_path):
    root = tmp_path / "team"
    root.mkdir()
    (root / "people.toml").write_text("[people]\n")
    r = cli("now", "--dir", str(root))
    assert r.code == 3 and "no rotation files" in r.err and "oncall new rotation" in r.err
    r = cli("now", "--dir", str(tmp_path / "nowhere"))
    assert r.code == 3 and "no such folder" in r.err and "oncall init" in r.err


# ------------------------------------------------------------------ oncall init

START = ("--timezone", "Europe/Berlin", "--start", "2026-11-30T09:00")
CLEAN = '{ "problems": [], "warnings": [] }'.split()


def _check(cli, root, *extra):
    return cli("check", "--from", "2026-12-01T00:00Z", "--days", "56", "--json", "--dir", str(root), *extra)


def test_init_without_a_terminal_or_flags_writes_a_commented_starter_that_check_accepts(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("init", *START)
    assert r.code == 0, r.err
    root = tmp_path / "rotations"
    assert sorted(p.name for p in root.iterdir()) == ["people.toml", "primary.toml"]
    people, primary = (root / "people.toml").read_text(), (root / "primary.toml").read_text()
    assert "EXAMPLES" in people and "# E.164" in people and "# [[people.alice.away]]" in people
    assert "# [[override]]" in primary and "# [[escalation]]" in primary and "# only = " in primary
    assert 'timezone = "Europe/Berlin"' in primary and "start = 2026-11-30T09:00:00" in primary
    c = _check(cli, root)
    assert (c.code, c.out.split()) == (0, CLEAN), c.out + c.err
    assert "Next: `oncall check`" in r.out  # found from here: no --dir needed
    now = cli("now", "--at", "2026-12-01T12:00Z", "--json")  # found by walking, no --dir
    assert '"person": "alice"' in now.out


def test_init_takes_people_zones_and_a_business_hours_secondary_from_flags(cli, tmp_path):
    root = tmp_path / "team"
    r = cli("init", str(root), *START, "--person", "ann:Ann Lee:+14155550111:America/New_York",
            "--person", "bo:Bo Ek:+14155550112", "--rotation", "ops", "--business-hours", "desk")
    assert r.code == 0, r.err
    assert f"--dir {root}" in r.out
    assert sorted(p.name for p in root.iterdir()) == ["desk.toml", "ops.toml", "people.toml"]
    assert "EXAMPLES" not in (root / "people.toml").read_text()
    assert 'timezone = "America/New_York"' in (root / "people.toml").read_text()
    c = _check(cli, root)
    assert (c.code, c.out.split()) == (0, CLEAN), c.out + c.err
    rows = {r["rotation"]: r for r in __import__("json").loads(
        cli("now", "--at", "2026-12-01T12:00Z", "--json", "--dir", str(root)).out)}
    assert (rows["ops"]["person"], rows["desk"]["person"]) == ("ann", "bo")  # never the same person at once
    [night] = __import__("json").loads(cli("now", "desk", "--at", "2026-12-01T20:00Z", "--json", "--dir",
                                           str(root)).out)
    assert (night["person"], night["in_coverage"], night["reachable"]) == (None, False, True)


def test_init_asks_on_a_terminal_and_checks_each_answer(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from oncall.cli.app import app

    monkeypatch.chdir(tmp_path)
    answers = "\n".join([
        "Mars/Base", "Europe/Berlin",  # a bad zone is said and asked again
        "ann", "Ann Lee", "555-0111", "+14155550111", "",  # a bad phone too; her zone: the default
        "", "ops", "1d", "2026-11-30T09:00", "y", "desk", "mon-fri 08:00-16:00"]) + "\n"
    r = CliRunner().invoke(app, ["init", "--ask"], input=answers)
    assert r.exit_code == 0, r.output
    assert "unknown timezone 'Mars/Base'" in r.output and "'555-0111' is not a phone number" in r.output
    desk = (tmp_path / "rotations" / "desk.toml").read_text()
    assert 'coverage = ["mon-fri 08:00-16:00"]' in desk and 'members = ["ann"]' in desk
    assert 'every = "1d"' in (tmp_path / "rotations" / "ops.toml").read_text()


@pytest.mark.parametrize("args, code, words", [
    (("--person", "ann:Ann"), 2, "is not ID:NAME:PHONE"),
    (("--person", "ann:Ann:+1555"), 2, "is not a phone number that can be dialled"),
    (("--timezone", "Mars/Base"), 2, "unknown timezone"),
    (("--rotation", "Ops Team"), 2, "is not a rotation id"),
    (("--business-hours", "desk", "--hours", "mon-fri 9-5"), 2, "is not a window"),
])
def test_init_refuses_bad_answers_and_writes_nothing(cli, tmp_path, args, code, words):
    r = cli("init", str(tmp_path / "new"), *args)
    assert (r.code, words in r.err, (tmp_path / "new").exists()) == (code, True, False), r.err


def test_init_never_overwrites_a_folder(cli, tmp_path, monkeypatch):
    root = tmp_path / "rotations"
    assert cli("init", str(root), *START).code == 0
    before = (root / "people.toml").read_bytes()
    r = cli("init", str(root))
    assert r.code == 1 and "already holds rotation files" in r.err
    monkeypatch.chdir(root)
    r = cli("init")  # inside a data folder: not a second one nested in it
    assert r.code == 1 and "is a data folder already" in r.err and not (root / "rotations").exists()
    assert (root / "people.toml").read_bytes() == before


# ------------------------------------------------------------------ finding the folder


def test_the_data_folder_is_found_walking_up_like_git_and_dir_wins(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert cli("init", str(repo / "rotations"), *START).code == 0
    other = tmp_path / "other"
    assert cli("init", str(other), *START, "--rotation", "elsewhere").code == 0
    deep = repo / "docs" / "deep"
    deep.mkdir(parents=True)
    at = ("--at", "2026-12-01T12:00Z", "--json")
    for cwd in (repo, deep, repo / "rotations"):
        monkeypatch.chdir(cwd)
        assert '"rotation": "primary"' in cli("now", *at).out, cwd
    monkeypatch.chdir(deep)
    assert '"rotation": "elsewhere"' in cli("now", *at, "--dir", str(other)).out
    monkeypatch.setenv("ONCALL_DIR", str(other))
    assert '"rotation": "elsewhere"' in cli("now", *at).out
    monkeypatch.delenv("ONCALL_DIR")
    # The walk stops at the repository's root: a data folder above it is not this repository's.
    (tmp_path / "people.toml").write_text("[people]\n")
    nested = repo / "sub"
    (nested / ".git").mkdir(parents=True)
    monkeypatch.chdir(nested)
    r = cli("now", *at)
    assert r.code == 3 and "rotations: no such folder" in r.err


# ------------------------------------------------------------------ version and completion


def test_version_prints_the_installed_version(cli):
    from importlib.metadata import version

    r = cli("--version")
    assert (r.code, r.out) == (0, f"oncall {version('oncall')}\n")


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o default -F _oncall_completion oncall"),
                                           ("zsh", "#compdef oncall"), ("fish", "complete --command oncall")])
def test_show_completion_prints_a_script_for_each_shell(cli, monkeypatch, shell, marker):
    monkeypatch.setattr("typer.completion._get_shell_name", lambda: shell)
    r = cli("--show-completion")
    assert r.code == 0 and marker in r.out, r.out


def test_completion_names_the_lazy_commands_and_their_options(cli, monkeypatch):
    monkeypatch.setenv("_ONCALL_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "oncall shi")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert cli().out.split() == ["shifts"]
    monkeypatch.setenv("COMP_WORDS", "oncall now --t")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert cli().out.split() == ["--tz"]
