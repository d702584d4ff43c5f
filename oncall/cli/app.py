"""The Typer app: lazy commands, the run's context, and the one place errors become exits.

``OncallGroup`` builds only the command being run (``commands.COMMANDS`` says which module
declares it), so `oncall now` does not pay for every other command, and turns any
``OncallError`` raised inside a command into its message on stderr and its exit code.
Both live inside the app, so ``CliRunner().invoke(app, [...])`` and the console script
behave the same.
"""

from __future__ import annotations

import importlib
import sys

import typer
from typer.core import TyperGroup

from ..errors import OncallError
from ..sanitize import terminal_safe
from . import context
from .commands import COMMANDS


def _build(name: str):
    """The Click command ``name``, built from the Typer app of the module declaring it."""
    from typer.main import get_command_from_info, get_group_from_info

    module = importlib.import_module(f"{__package__}.{COMMANDS[name]}")
    sub: typer.Typer = module.app
    for info in sub.registered_commands:
        if (info.name or info.callback.__name__.replace("_", "-")) == name:
            return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)
    for group in sub.registered_groups:
        if group.name == name:
            return get_group_from_info(group, pretty_exceptions_short=True, rich_markup_mode=None,
                                       suggest_commands=True)
    raise LookupError(f"{module.__name__} declares no command {name!r}")  # a bug in COMMANDS


# Typer re-exports no base class of Click's errors, and this package does not import Click.
_CLICK_ERROR = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "ClickException")
JSON_FAILURES = {"page"}  # commands whose --json puts every failure on stdout too


class OncallGroup(TyperGroup):
    """The root group: commands imported on demand, ``OncallError`` mapped to exits."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _build(cmd_name)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        ctx.meta["oncall.args"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OncallError as e:
            report(e)
            if not getattr(e, "said_on_stdout", False):  # the command wrote it as JSON already
                _json_failure(ctx, e.exit_code, "\n".join(terminal_safe(line) for line in e.lines()))
            raise typer.Exit(e.exit_code) from None
        except _CLICK_ERROR as e:  # wrong usage Click found while parsing the command's options
            _json_failure(ctx, e.exit_code, e.format_message())
            raise


def _json_failure(ctx, code: int, message: str) -> None:
    """With ``--json``, a command of ``JSON_FAILURES`` also says its failure on stdout as
    ``{"error": ..., "exit_code": ...}``: a script reading stdout always gets an object."""
    args = ctx.meta.get("oncall.args") or []
    pairs = zip(args, args[1:], strict=False)
    as_json = "--json" in args or "--format=json" in args or ("--format", "json") in pairs
    if not args or args[0] not in JSON_FAILURES or not as_json:
        return
    from ..render import to_json

    print(to_json({"error": message, "exit_code": code}))


def report(e: OncallError) -> None:
    """``e`` on stderr: each of its lines made terminal-safe, so text quoted from files can
    neither forge another line nor drive the terminal. Exit-3 lines are
    ``file:line: key: message`` already; other errors say who speaks on their first line."""
    lines = [terminal_safe(line) for line in e.lines()]
    if e.exit_code != 3:
        lines[0] = f"oncall: {lines[0]}"
    print("\n".join(lines), file=sys.stderr)


app = typer.Typer(
    name="oncall",
    cls=OncallGroup,
    help="Who is on call, when, and whether anyone is reachable: rotations kept as TOML files.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"oncall {version('oncall')}")
        raise typer.Exit()


@app.callback()
def _root(ctx: typer.Context, version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit.")) -> None:
    """Who is on call, when, and whether anyone is reachable: rotations kept as TOML files."""
    # A caller may hand in a context (tests, an embedding service); the CLI builds its own.
    if not isinstance(ctx.obj, context.Context):
        ctx.obj = context.Context(clock=context.CLOCK)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    app(args=sys.argv[1:] if argv is None else argv, prog_name="oncall")
