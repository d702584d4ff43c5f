"""Which module registers which command.

``main`` imports only the module of the command being run, so `oncall now` does not
pay for building every other command (Typer builds a Click command, with pydantic
adapters, for every registered one). A command missing from ``COMMANDS`` still works:
an unknown first word, or ``--help``, imports every module in ``MODULES``.
"""

from __future__ import annotations

import importlib

MODULES = ("read", "check", "export", "page", "report", "edit", "importer")

COMMANDS = {
    "now": "read",
    "shifts": "read",
    "check": "check",
    "export": "export",
    "page": "page",
    "pages": "page",
    "contacts": "page",
    "report": "report",
    "timeline": "report",
    "override": "edit",
    "swap": "edit",
    "away": "edit",
    "member": "edit",
    "new": "edit",
    "schema": "edit",
    "import": "importer",
}


def register(argv: list[str]) -> None:
    """Import the command module(s) needed for ``argv`` so they register on the app."""
    word = next((a for a in argv if not a.startswith("-")), None)
    names = (COMMANDS[word],) if word in COMMANDS else MODULES
    for name in names:
        importlib.import_module(f"{__package__}.{name}")
