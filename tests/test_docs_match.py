"""Issue 14 item 10: the contract in docs/ matches the tool where a machine can tell.

Every exit code the tool uses is in docs/exit-codes.md (and the README's table) and no
other; every key and value the JSON contract pins (tests/test_json_contract.py) is named
in docs/json.md; every key the loader accepts is in docs/format.md and every key the
format's tables list is accepted; every `oncall COMMAND` in the docs exists, and every
command is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_json_contract as contract

from oncall import errors, files, load
from oncall.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def _table_codes(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"^\| (\d) \|", text, re.M)}


def _used_codes() -> set[int]:
    def walk(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    assert files.Unreadable  # its module defines one of the classes
    codes = {cls.exit_code for cls in walk(errors.OncallError)}
    for path in (ROOT / "oncall").rglob("*.py"):
        codes |= {int(c) for c in re.findall(r"typer\.Exit\((\d)\)", path.read_text(encoding="utf-8"))}
    return codes | {0, 2}  # success, and Click's own usage errors


def test_every_exit_code_the_tool_uses_is_documented_and_no_other():
    documented = _table_codes((DOCS / "exit-codes.md").read_text(encoding="utf-8"))
    assert documented == _used_codes()
    assert _table_codes(README.read_text(encoding="utf-8")) == documented


def _spec_words(spec, keys: set[str], values: set[str]) -> None:
    if isinstance(spec, contract.Enum):
        values |= set(spec)
    elif isinstance(spec, (contract.Opt, contract.MapOf, list, tuple)):
        for s in spec:
            _spec_words(s, keys, values)
    elif isinstance(spec, dict):
        for k, s in spec.items():
            keys.add(k)
            _spec_words(s, keys, values)


NOT_SPECS = {"CASES", "PHONE", "WITH_TIMES", "ZONES"}  # the contract module's other upper-case names


def test_every_json_key_and_value_the_contract_pins_is_named_in_docs_json():
    keys: set[str] = set()
    values: set[str] = set()
    for name, spec in vars(contract).items():
        if name.isupper() and name not in NOT_SPECS and isinstance(spec, (dict, list, contract.Opt)):
            _spec_words(spec, keys, values)
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_.-]+)`", text))
    assert keys - named == set(), "JSON keys missing from docs/json.md"
    assert values - named == set(), "JSON values missing from docs/json.md"
    assert {"in_coverage", "exit_code", "error"} <= keys  # the fields issue 14 added are pinned


def _format_tables() -> dict[str, set[str]]:
    """The keys listed in each `| key | meaning |` table of docs/format.md, by section."""
    out: dict[str, set[str]] = {}
    section = ""
    for line in (DOCS / "format.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("A layer") or line.startswith("An override"):
            section = line
        m = re.match(r"^\| `([a-z_]+)`", line)
        if m:
            out.setdefault(section, set()).add(m.group(1))
    return out


def test_every_key_the_loader_accepts_is_in_docs_format_and_back():
    tables = _format_tables()
    people, rotation, layer = (next(v for k, v in tables.items() if k.startswith(h))
                               for h in ("## people.toml", "## <id>.toml", "A layer"))
    assert people == load.PERSON_KEYS
    assert rotation == load.ROTATION_KEYS
    assert layer == load.LAYER_KEYS
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    for key in load.AWAY_KEYS | load.OVERRIDE_KEYS | load.STEP_KEYS:
        assert f"`{key}`" in text, key


def test_the_windows_and_durations_the_format_shows_parse():
    from oncall.timeline import parse_duration, parse_window

    text = (DOCS / "format.md").read_text(encoding="utf-8")
    section = text[text.index("**Windows**"):text.index("**Durations**")]
    windows = re.findall(r'`"([^"]+)"`', section)
    assert len(windows) >= 6
    for w in windows:
        parse_window(w)
    section = text[text.index("**Durations**"):]
    for d in re.findall(r"`(\d[\dmhdw]*)`", section):
        parse_duration(d)


def _mentioned_commands() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in [README, *sorted(DOCS.glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"`[^`\n]+`|```.*?```", text, re.S):
            for word in re.findall(r"(?<![\w/.-])oncall ([a-z][a-z-]*)", block):
                out.setdefault(word, set()).add(path.name)
    return out


def test_every_command_the_docs_name_exists_and_every_command_is_documented():
    mentioned = _mentioned_commands()
    assert set(mentioned) - set(COMMANDS) == set(), {w: mentioned[w] for w in set(mentioned) - set(COMMANDS)}
    assert set(COMMANDS) - set(mentioned) == set()


@pytest.mark.parametrize("page", ["format.md", "semantics.md", "json.md", "exit-codes.md"])
def test_the_readme_points_to_each_contract_page(page):
    assert f"(docs/{page})" in README.read_text(encoding="utf-8")
