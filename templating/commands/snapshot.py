"""`ses2mt snapshot SRC --dir tests/snapshots`: write the regression snapshots that the pytest plugin checks."""

from __future__ import annotations

from pathlib import Path

import click

from templating import diagnostics
from templating.snapshot import DIALECTS, write_snapshots


@click.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("tests/snapshots"),
    show_default=True,
    help="Snapshot folder: <dir>/<template>/<fixture>.subject.txt, .html (normalized) and .txt.",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default="mailtrap",
    show_default=True,
    help="mailtrap: render the converted template as Mailtrap does; ses: render the original as SES does.",
)
def snapshot(src: Path, directory: Path, dialect: str) -> None:
    """Render every template x fixture in SRC and write its snapshot files (only changed files are rewritten)."""
    run = write_snapshots(src, directory, dialect)  # type: ignore[arg-type]
    for f in diagnostics.sort_findings(run.load_findings):
        click.echo(diagnostics.format_finding(f))
    for problem in run.problems:
        click.echo(problem)
    click.echo(
        f"{len(run.written)} snapshot files written, {len(run.unchanged)} unchanged in {directory}"
        + (f"; {len(run.problems)} template/fixture problems" if run.problems else "")
    )
    if not run.ok:
        raise SystemExit(1)
