"""``oncall import``: a data folder from a PagerDuty, Opsgenie or Grafana OnCall API dump,
verified against the platform's own rendered schedule when the dump holds it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..wording import plural

app = typer.Typer()
SOURCE_HELP = "pagerduty, opsgenie or grafana."


@app.command(name="import", short_help="A data folder from a PagerDuty, Opsgenie or Grafana OnCall dump, "
                                        "verified.")
def import_cmd(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
    files: Annotated[list[Path], typer.Argument(help="JSON response bodies of the source's REST API "
                                                     "(docs/import.md lists the requests).", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="The data folder to write (created if missing).")] =
    Path("rotations"),
    force: Annotated[bool, typer.Option("--force", help="Replace rotation files that exist with other content.")] =
    False,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Compare with the platform's own rendered "
                                                                      "schedule when the dump holds it.")] = True,
) -> None:
    """Write people.toml and one <id>.toml per schedule from API dumps, then prove the
    result: exit 0 when it reproduces the platform's rendered schedule (or none was in
    the dump), 1 when it differs (every difference printed), 3 for a dump it cannot read."""
    from ..importers import importer
    from ..importers.dump import read_json
    from ..importers.write import write_plan

    plan = importer(source)(read_json(files))
    written = write_plan(plan, out, force)
    for path in written.files:
        typer.echo(f"wrote {path}")
    if written.merged:
        typer.echo(f"people merged by email with {out / 'people.toml'}: {', '.join(written.merged)}")
    for note in plan.notes:
        typer.echo(f"note: {note}")
    if verify and _verify(plan, written.ids, out):
        raise typer.Exit(1)


def _verify(plan, ids: dict[str, str], out: Path) -> bool:
    """Print the comparison per rotation; True if any differs."""
    from ..importers.verify import compare
    from ..load import load_directory

    todo = [r for r in plan.rotations if r.rendered]
    if not todo:
        return False
    d = load_directory(out, [r.id for r in todo])
    differs = False
    for r in todo:
        diffs = compare(d.rotations[r.id], r.rendered, ids)
        days = (r.rendered.end - r.rendered.start).total_seconds() / 86400
        if not diffs:
            typer.echo(f"{r.id}: identical over {days:.2f} days to the platform's own rendered schedule "
                       f"({r.rendered.start:%Y-%m-%dT%H:%MZ} to {r.rendered.end:%Y-%m-%dT%H:%MZ})")
            continue
        differs = True
        total = sum(x.minutes for x in diffs)
        typer.echo(f"{r.id}: differs from the platform's rendered schedule in {plural(total, 'minute')}:")
        for x in diffs:
            typer.echo(f"  {x.start:%Y-%m-%dT%H:%MZ} to {x.end:%Y-%m-%dT%H:%MZ} ({x.minutes} min): "
                       f"theirs {x.theirs or 'nobody'}, ours {x.ours or 'nobody'}")
    return differs
