"""``oncall db migrate`` and ``oncall db status``: the store's schema and what it holds."""

from __future__ import annotations

import typer

from .. import render
from ..render import Column, Section
from .context import Context, options

app = typer.Typer()
db_app = typer.Typer(help="The store (SQLite, or ONCALL_DATABASE_URL): schema version, migrations, counts.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")

STATUS = (Column("backend"), Column("location"), Column("schema"), Column("migrated_from"),
          *(Column(f"counts.{k}") for k in ("incidents", "triggered", "acknowledged", "resolved", "pages",
                                            "attempts", "timers")))


@db_app.command("migrate")
@options(dir=False, tz=False)
def migrate(c: Context) -> None:
    """Bring the store to this version's schema (creating it if missing); exit 5 if it is newer."""
    from .page import open_store

    store = open_store()
    info = store.status()
    store.close()
    was, now = info["migrated_from"], info["schema"]
    what = {0: f"created at schema version {now}", now: f"already at schema version {now}"}.get(
        was, f"migrated from schema version {was} to {now}")
    render.emit(c, Section([info], STATUS), body={k: v for k, v in info.items() if k != "counts"},
                show=lambda: print(f"{info['location']}: {what}"))


@db_app.command("status")
@options(dir=False, tz=False)
def status(c: Context) -> None:
    """Schema version and counts, read-only (migrating an older store first where writable)."""
    from .page import open_store

    store = open_store(readonly=True)
    info = {"backend": None, "location": None, "schema": None, "migrated_from": None, "counts": {}}
    if store is not None:
        info = store.status()
        store.close()

    def show() -> None:
        if store is None:
            print("No store yet: nothing was paged (`oncall db migrate` creates it).")
            return
        n = info["counts"]
        print(f"{info['backend']} store {info['location']}: schema version {info['schema']}")
        print(f"incidents: {n['incidents']} ({n['triggered']} triggered, {n['acknowledged']} acknowledged, "
              f"{n['resolved']} resolved), of them pages: {n['pages']}; attempts: {n['attempts']}; "
              f"timers: {n['timers']}")

    render.emit(c, Section([info], STATUS), body=info, show=show)
