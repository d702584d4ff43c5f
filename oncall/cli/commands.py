"""Which module declares which command.

The root group (``app.OncallGroup``) imports only the module of the command being run,
so `oncall now` does not pay for building every other command (Typer builds a Click
command, with pydantic adapters, for each). Each module declares its commands on its own
``app = typer.Typer()``; a command must be listed here to exist.
"""

COMMANDS = {
    "init": "init",
    "now": "read",
    "shifts": "shifts",
    "check": "check",
    "report": "report",
    "timeline": "report",
    "export": "export",
    "page": "page",
    "pages": "page",
    "contacts": "page",
    "override": "overrides",
    "swap": "overrides",
    "away": "away",
    "member": "members",
    "layer": "layer",
    "new": "new",
    "schema": "new",
    "import": "importer",
    "serve": "serve",
    "incidents": "serve",
    "ack": "serve",
    "resolve": "serve",
    "notify": "notify",
    "notifications": "notify",
    "db": "db",
}
