"""`ses2mt convert`, `ses2mt render` and `ses2mt verify`: the conversion, one render, and the proof without writing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from templating import diagnostics
from templating.convert import ConvertRun, convert_loaded, require_proof
from templating.emit import OutputPathError, SourceOverlapError, check_output_location, emit, source_label
from templating.hbs.errors import TemplateSyntaxError
from templating.loaders import load
from templating.mailtrap_render import MailtrapRenderError, render_mailtrap
from templating.model import Severity, Template
from templating.progress import progress_bar
from templating.render import RenderError
from templating.rewrite import convert_template
from templating.verify import render_ses

ESCAPE_HELP = (
    "preserve: {{x}} becomes {{{x}}} so Mailtrap prints what SES prints (default); "
    "mailtrap: keep Mailtrap's HTML escaping on purpose, warning (R140) where fixtures hold markup."
)
PART_FIELDS = {"subject": "subject", "html": "html", "text": "text"}


REQUIRE_PROOF_HELP = (
    "A template that no fixture proves (V104: it has none, or SES cannot render any) fails, "
    "instead of converting with a warning."
)


def _run(src: Path, escape: str, category: str | None, jobs: int, proof_required: bool) -> ConvertRun:
    result = load(src)
    with progress_bar(len(result.templates), "Converting") as advance:
        run = convert_loaded(result, src, escape, category, jobs, lambda _outcome: advance())  # type: ignore[arg-type]
    if proof_required:
        require_proof(run)
    return run


def _print_outcomes(run: ConvertRun, verb: str) -> None:
    problems = [
        f
        for o in run.outcomes
        for f in o.findings
        if f.severity == Severity.ERROR or f.code in ("R140", "V104", "V105")
    ]
    for f in diagnostics.sort_findings(problems):
        click.echo(diagnostics.format_finding(f))
    converted = sum(1 for o in run.outcomes if o.status == "converted")
    proven = sum(len(o.verified_fixtures) for o in run.outcomes)
    failed = ", ".join(o.name for o in run.failed)
    line = f"{len(run.outcomes)} templates: {converted} {verb}, {len(run.failed)} failed; {proven} fixtures proven"
    click.echo(line + (f" (failed: {failed})" if failed else ""))


@click.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option(
    "--escape", type=click.Choice(["preserve", "mailtrap"]), default="preserve", show_default=True, help=ESCAPE_HELP
)
@click.option(
    "--category",
    default=None,
    help="Mailtrap category when the template has no v2 `category` tag (default: migrated-from-ses).",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, help="Worker processes (0: one per CPU)."
)
@click.option("--require-proof", "proof_required", is_flag=True, help=REQUIRE_PROOF_HELP)
@click.pass_context
def convert(
    ctx: click.Context, src: Path, out: Path, escape: str, category: str | None, jobs: int, proof_required: bool
) -> None:
    """Convert the SES templates under SRC into Mailtrap templates in OUT, proving each one per fixture.

    Writes OUT/<name>/mailtrap.json, OUT/<name>/fixtures/*.json, OUT/report.json and OUT/report.md.
    Exit status: 0 all converted and verified, 1 any template failed (the others are still written), 2 usage error."""
    try:
        check_output_location(src, out)
    except OutputPathError as error:
        raise click.UsageError(str(error)) from None
    run = _run(src, escape, category, jobs, proof_required)
    try:
        result = emit(run, out)
    except SourceOverlapError as error:
        raise click.UsageError(f"{error}: choose another -o") from None
    except (OutputPathError, OSError) as error:
        raise click.ClickException(f"cannot write {out}: {error}") from None
    _print_outcomes(run, "converted")
    click.echo(f"{out}: {len(result.written)} files written, {len(result.unchanged)} unchanged")
    ctx.exit(0 if run.ok else 1)


@click.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--escape", type=click.Choice(["preserve", "mailtrap"]), default="preserve", show_default=True, help=ESCAPE_HELP
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, help="Worker processes (0: one per CPU)."
)
@click.option("--require-proof", "proof_required", is_flag=True, help=REQUIRE_PROOF_HELP)
@click.pass_context
def verify(ctx: click.Context, src: Path, escape: str, jobs: int, proof_required: bool) -> None:
    """Convert the templates under SRC in memory and prove them (SES render == Mailtrap render); write nothing.

    Exit status: 0 every template converted and proven, 1 any difference or failure, 2 usage error."""
    run = _run(src, escape, None, jobs, proof_required)
    _print_outcomes(run, "verified")
    ctx.exit(0 if run.ok else 1)


def _find_template(src: Path, name: str) -> Template:
    result = load(src)
    for t in result.templates:
        if t.name == name:
            return t
    names = ", ".join(sorted(t.name for t in result.templates)) or "none"
    raise click.UsageError(f"no template named {name!r} under {src} (templates: {names})")


@click.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.argument("name")
@click.option("--fixture", "fixture_name", default=None, help="Fixture name (default: the first one, by name).")
@click.option(
    "--dialect",
    type=click.Choice(["ses", "mailtrap"]),
    default="ses",
    show_default=True,
    help="ses: the original as SES renders it; mailtrap: the converted template as Mailtrap renders it.",
)
@click.option("--part", type=click.Choice(["subject", "html", "text"]), default="html", show_default=True)
@click.option(
    "--escape", type=click.Choice(["preserve", "mailtrap"]), default="preserve", show_default=True, help=ESCAPE_HELP
)
@click.pass_context
def render(
    ctx: click.Context, src: Path, name: str, fixture_name: str | None, dialect: str, part: str, escape: str
) -> None:
    """Print one part of template NAME under SRC rendered with a fixture, as SES or as Mailtrap would render it."""
    t = _find_template(src, name)
    if part not in t.parts:
        raise click.UsageError(f"template {name!r} has no {part} part")
    if fixture_name is None:
        data = t.fixtures[min(t.fixtures)].data if t.fixtures else {}
    elif fixture_name in t.fixtures:
        data = t.fixtures[fixture_name].data
    else:
        raise click.UsageError(
            f"template {name!r} has no fixture {fixture_name!r} (fixtures: {', '.join(sorted(t.fixtures)) or 'none'})"
        )
    try:
        if dialect == "ses":
            text = render_ses(t.parts[part], data)  # type: ignore[index]
        else:
            conversion = convert_template(t, escape)  # type: ignore[arg-type]
            if not conversion.ok or part not in conversion.parts:
                for f in diagnostics.sort_findings(conversion.findings):
                    click.echo(diagnostics.format_finding(f), err=True)
                click.echo(f"{source_label(t.source, src)}: {name} cannot be converted exactly", err=True)
                ctx.exit(1)
            text = render_mailtrap(conversion.parts[part], data)  # type: ignore[index]
    except TemplateSyntaxError as error:
        click.echo(f"{t.part_paths.get(part, t.source)}:{error.line}:{error.column}: {error.message}", err=True)  # type: ignore[call-overload]
        ctx.exit(1)
    except (RenderError, MailtrapRenderError) as error:
        click.echo(f"{name} ({part}): {getattr(error, 'message', str(error))}", err=True)
        ctx.exit(1)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode(encoding, "backslashreplace"))  # a lone surrogate from the data: `\ud800`
    sys.stdout.buffer.flush()
