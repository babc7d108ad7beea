"""`ses2mt export-ses -o DIR`: write every template of an SES account to DIR, one input-contract JSON file each."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from templating.progress import wants_progress
from templating.sources.export_ses import APIS, ExportError, ExportReport, export_templates, make_client


@contextmanager
def _progress() -> Iterator[tuple[Callable[[int], None], Callable[[], None]]]:
    """`(on_total, advance)` for a bar on stderr, shown only on a terminal once the number of templates is known."""
    state: dict[str, object] = {}

    def on_total(total: int) -> None:
        if not wants_progress(total):
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("Exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        bar = Progress(*columns, console=Console(file=sys.stderr), transient=True)
        bar.start()
        state["bar"], state["task"] = bar, bar.add_task("export", total=total)

    def advance() -> None:
        bar = state.get("bar")
        if bar is not None:
            bar.advance(state["task"])  # type: ignore[attr-defined]

    try:
        yield on_total, advance
    finally:
        bar = state.get("bar")
        if bar is not None:
            bar.stop()  # type: ignore[attr-defined]


def summary(report: ExportReport, out_dir: Path) -> str:
    text = f"Exported {len(report.written)} of {report.listed} templates to {out_dir}"
    details = []
    if report.skipped:
        details.append(f"{len(report.skipped)} already there, skipped")
    if report.failed:
        details.append(f"{len(report.failed)} failed")
    if report.retries:
        details.append(f"{report.retries} throttled calls retried")
    return text + (f" ({'; '.join(details)})" if details else "") + "."


@click.command("export-ses")
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write <TemplateName>.json files into (created if needed; files already there are kept).",
)
@click.option("--region", help="AWS region (default: the boto3 configuration, e.g. AWS_REGION).")
@click.option("--profile", help="Named profile from the AWS config files.")
@click.option("--endpoint-url", help="SES endpoint to call instead of AWS's (a test server, a VPC endpoint).")
@click.option(
    "--api",
    "api_name",
    type=click.Choice(sorted(APIS)),
    default="v2",
    show_default=True,
    help="v2: sesv2 email templates, written as {TemplateName, TemplateContent}; v1: ses templates, as {Template}.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="SES calls per second (SES allows about 1 management call per second).",
)
@click.pass_context
def export_ses(
    ctx: click.Context,
    out_dir: Path,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    api_name: str,
    rate: float,
) -> None:
    """Export every SES email template of an account to DIR, one JSON file per template, in the form `check` and
    `convert` read. Credentials are found the boto3 way and never printed. Run it again to resume: templates whose
    file exists are skipped.

    Exit status: 0 all exported, 1 some templates failed or the listing failed, 2 usage error."""
    try:
        client = make_client(api_name, region, profile, endpoint_url)
        with _progress() as (on_total, advance):
            report = export_templates(client, api_name, out_dir, rate=rate, on_total=on_total, advance=advance)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    for name, reason in report.failed:
        click.echo(f"{name}: {reason}", err=True)
    click.echo(summary(report, out_dir))
    ctx.exit(1 if report.failed else 0)
