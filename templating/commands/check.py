"""`ses2mt check SRC`: load the templates, run every rule, print the findings as text or JSON, exit 0 or 1."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType

import click

from templating import diagnostics
from templating.catalogue import finding
from templating.loaders import Discovery, discover, load
from templating.model import Finding, LoadResult, Template
from templating.progress import progress_bar

# From this many template files and folders on, `check` streams: the set is never held in memory (the whole-set path
# holds ~70 KB per template and every finding). Below it, both paths print the same; the whole-set one starts no
# worker processes and reads each file once.
STREAM_MIN_UNITS = 200
CODES_HELP = "Comma-separated codes or prefixes (L101, C1, ALL); see docs/rules.md."


def rules_module() -> ModuleType | None:
    """templating.rules, or None while it does not exist yet (then only load findings are reported)."""
    try:
        return importlib.import_module("templating.rules")
    except ModuleNotFoundError as exc:
        if exc.name == "templating.rules":
            return None
        raise


def _accepted_keywords(function: Callable[..., object], offered: dict[str, object]) -> dict[str, object]:
    """The keyword arguments among `offered` that `function` takes (rules.check grew `jobs` and `progress`)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
    return {name: value for name, value in offered.items() if name in parameters}


def run_rules(
    result: LoadResult, src: Path, advance: Callable[[], None] = lambda: None, jobs: int = 0
) -> list[Finding]:
    """All findings for the set (load findings included). A bug in the rules never ends the run: the set is checked
    again one template at a time, and each template whose check fails gets an X101 finding instead."""
    try:
        rules = rules_module()
    except Exception as exc:
        return [*result.findings, finding("X101", f"the rules could not be imported: {_describe(exc)}", src)]
    if rules is None or not hasattr(rules, "check"):
        return list(result.findings)
    try:
        offered = {"jobs": jobs, "progress": lambda _template: advance()}
        return list(rules.check(result, **_accepted_keywords(rules.check, offered)))
    except Exception as exc:
        failure = finding("X101", f"checking the whole set failed: {_describe(exc)}", src)
        return [*result.findings, failure, *_check_one_by_one(rules, result.templates)]


def _check_one_by_one(rules: ModuleType, templates: list[Template]) -> list[Finding]:
    findings: list[Finding] = []
    for template in templates:
        try:
            findings.extend(rules.check_template(template))
        except Exception as exc:
            message = f"checking this template failed: {_describe(exc)}"
            findings.append(finding("X101", message, template.source, template=template.name))
    return findings


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _streams(src: Path) -> bool:
    """Whether SRC may be checked one file at a time: a folder, checked by the real rules (a stand-in rules module, as
    in tests, gets the whole LoadResult)."""
    if not src.is_dir():
        return False
    try:
        rules = rules_module()
    except Exception:
        return False
    return getattr(rules, "__name__", None) == "templating.rules"


def check_streaming(
    discovery: Discovery, selected: tuple[str, ...], ignored: tuple[str, ...], output_format: str, jobs: int
) -> int:
    """The report of a big set, written while worker processes load and check it (templating.rules.stream)."""
    from templating.rules.stream import StreamOptions, check_tree

    def progress(total: int) -> AbstractContextManager[Callable[[], None]]:
        return progress_bar(total, "Checking")

    options = StreamOptions(selected, ignored, output_format)
    return check_tree(discovery, options, lambda text: click.echo(text, nl=False), jobs, progress)


def parse_code_option(value: str | None, option: str) -> tuple[str, ...]:
    try:
        return diagnostics.parse_codes(value)
    except diagnostics.CodeListError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one ruff-style line per finding and a summary; json: one document (schema in README.md).",
)
@click.option("--select", metavar="CODES", help=f"Report only these codes. {CODES_HELP}")
@click.option("--ignore", metavar="CODES", help=f"Do not report these codes. {CODES_HELP}")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes for large sets (0: one per CPU).",
)
@click.pass_context
def check(ctx: click.Context, src: Path, output_format: str, select: str | None, ignore: str | None, jobs: int) -> None:
    """Check the SES templates under SRC (a file or a folder) for what would not survive the move to Mailtrap.

    Exit status: 0 no errors, 1 errors found, 2 usage error."""
    selected = parse_code_option(select, "--select")
    ignored = parse_code_option(ignore, "--ignore")
    if _streams(src):
        discovery = discover(src)
        if len(discovery.units) >= STREAM_MIN_UNITS:
            ctx.exit(check_streaming(discovery, selected, ignored, output_format, jobs))
    result = load(src)
    with progress_bar(len(result.templates), "Checking") as advance:
        findings = diagnostics.place_findings(run_rules(result, src, advance, jobs), result.templates)
    shown = diagnostics.sort_findings(diagnostics.filter_findings(findings, selected, ignored))
    summary = diagnostics.summarize(shown, len(result.templates))
    if output_format == "json":
        text = json.dumps(diagnostics.json_report(shown, summary), indent=2, ensure_ascii=False) + "\n"
    else:
        text = diagnostics.text_report(shown, summary)
    click.echo(text, nl=False)
    ctx.exit(diagnostics.exit_code(shown))
