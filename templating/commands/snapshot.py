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
@click.option("--prune", is_flag=True, help="Delete snapshot files of templates or fixtures that no longer exist.")
def snapshot(src: Path, directory: Path, dialect: str, prune: bool) -> None:
    """Render every template x fixture in SRC and write its snapshot files (only changed files are rewritten)."""
    run = write_snapshots(src, directory, dialect, prune)  # type: ignore[arg-type]
    for f in diagnostics.sort_findings(run.load_findings):
        click.echo(diagnostics.format_finding(f))
    for problem in run.problems:
        click.echo(problem)
    for path in run.stale:
        click.echo(f"{path}: stale (no template x fixture writes it any more; --prune deletes it)")
    summary = f"{len(run.written)} snapshot files written, {len(run.unchanged)} unchanged in {directory}"
    if run.removed:
        summary += f", {len(run.removed)} stale removed"
    if run.problems:
        summary += f"; {len(run.problems)} template/fixture problems"
    click.echo(summary)
    if not run.ok:
        raise SystemExit(1)
