"""`ses2mt plan OUT`, `ses2mt sync OUT` and `ses2mt mapping OUT`: upload the `convert` output to Mailtrap.

Configuration: MAILTRAP_API_TOKEN (environment only, or a hidden prompt on a terminal; never printed, logged or
written), MAILTRAP_ACCOUNT_ID (or --account-id), --api-base (or MAILTRAP_API_BASE) for another server.
Exit status: 0 ok; 1 some templates failed, were invalid or were refused by the 200 cap, or the API gave up;
2 usage or configuration errors (no token, no account id, token or account refused, sync without --yes and without
a terminal to confirm on, lock file of another account).

`--consolidate` (templating.variants): families of templates that differ only in literal text are merged in memory,
proven, and uploaded once each; the lock file records per SES name the `__text` values its sends need.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from templating.mailtrap.client import (
    DEFAULT_API_BASE,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    ApiError,
    AuthError,
    MailtrapClient,
    SlidingWindowLimiter,
    format_field_errors,
)
from templating.mailtrap.local import PRIORITY_FILE, LocalTemplate, load_local
from templating.mailtrap.lock import LOCK_FILE_NAME, LockFile, LockFileError
from templating.mailtrap.mapping import FORMATS, MappingError, format_mapping, mapping_from_lock
from templating.mailtrap.plan import TEMPLATE_CAP, Kind, Plan, build_plan
from templating.mailtrap.sync import DEFAULT_JOBS, Outcome, Status, SyncResult, apply_plan
from templating.variants import Consolidation, consolidate_local, describe, load_originals

TOKEN_VARIABLE = "MAILTRAP_API_TOKEN"
ACCOUNT_VARIABLE = "MAILTRAP_ACCOUNT_ID"
DEFAULT_MAX_TIME = 600.0
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
KIND_STYLE = {
    Kind.CREATE: "green",
    Kind.UPDATE: "yellow",
    Kind.DELETE: "red",
    Kind.BLOCKED: "magenta",
    Kind.INVALID: "red",
    Kind.UNCHANGED: "dim",
}


class Redactor:
    """Every line this module prints goes through here: the token can never reach the output."""

    def __init__(self) -> None:
        self.secret: str | None = None

    def __call__(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text


REDACT = Redactor()


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console = Console(stderr=stderr, highlight=False, width=160, no_color=True)
    return console


def _say(message: str, *, err: bool = False, style: str | None = None) -> None:
    _console(stderr=err).print(escape(REDACT(message)), style=style, soft_wrap=True)


def _fail(message: str, code: int) -> NoReturn:
    _say(f"error: {message}", err=True)
    sys.exit(code)


# -- configuration ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Settings:
    out: Path
    account_id: str
    api_base: str
    rate: tuple[int, float]
    prune: bool
    partial: bool
    consolidate: bool = False
    src: Path | None = None


def _token() -> str:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        if not stdin_is_terminal():
            _fail(f"{TOKEN_VARIABLE} is not set; export it (the token is never accepted as a flag)", EXIT_USAGE)
        token = click.prompt("Mailtrap API token", hide_input=True, err=True).strip()
        if not token:
            _fail("no API token given", EXIT_USAGE)
    REDACT.secret = token
    if not all("!" <= character <= "~" for character in token):
        _fail(
            f"{TOKEN_VARIABLE} has characters an API token cannot contain (spaces, line breaks, non-ASCII); "
            "check how it was set",
            EXIT_USAGE,
        )
    return token


def _account_id(flag: str | None) -> str:
    account_id = (flag or os.environ.get(ACCOUNT_VARIABLE, "")).strip()
    if not account_id:
        _fail(f"no Mailtrap account id: pass --account-id or set {ACCOUNT_VARIABLE}", EXIT_USAGE)
    if not account_id.isdigit():
        _fail(f"the Mailtrap account id is a number, not {account_id!r}", EXIT_USAGE)
    return account_id


def _parse_rate(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, float]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", value)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise click.BadParameter("use REQUESTS/SECONDS, e.g. 150/10")
    return int(match[1]), float(match[2])


def _common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option("--account-id", help=f"Mailtrap account id [env: {ACCOUNT_VARIABLE}]."),
        click.option(
            "--api-base",
            envvar="MAILTRAP_API_BASE",
            default=DEFAULT_API_BASE,
            show_default=True,
            help="Templates API host (a proxy or a local test server).",
        ),
        click.option(
            "--prune", is_flag=True, help="Also delete templates this tool created that are no longer in OUT."
        ),
        click.option(
            "--partial",
            is_flag=True,
            help=f"Over the 200 cap: upload in priority order (OUT/{PRIORITY_FILE}, then alphabetical) "
            "and report the rest, instead of refusing.",
        ),
        click.option(
            "--consolidate",
            is_flag=True,
            help="Merge families of templates that differ only in literal text (locales, brands) into one Mailtrap "
            "template each, proven exact, to fit more than 200; the lock file records the values to inject.",
        ),
        click.option(
            "--src",
            type=click.Path(exists=True, path_type=Path),
            default=None,
            help="With --consolidate: the SES templates OUT was converted from, so the proof compares with SES's "
            "render of each original (else with Mailtrap's render of each converted template).",
        ),
        click.option(
            "--rate-limit",
            "rate",
            default=f"{DEFAULT_RATE_LIMIT}/{DEFAULT_RATE_WINDOW:g}",
            show_default=True,
            callback=_parse_rate,
            help="Client-side pacing, REQUESTS/SECONDS.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# -- shared steps -------------------------------------------------------------------------------------------------


def _settings(
    out: Path,
    account_id: str | None,
    api_base: str,
    rate: tuple[int, float],
    prune: bool,
    partial: bool,
    consolidate: bool,
    src: Path | None,
) -> Settings:
    if src is not None and not consolidate:
        _fail("--src is used by --consolidate only", EXIT_USAGE)
    return Settings(out, _account_id(account_id), api_base, rate, prune, partial, consolidate, src)


def _consolidated(settings: Settings, templates: list[LocalTemplate]) -> list[LocalTemplate]:
    """With --consolidate: OUT's templates with every family member's payload replaced by its family's merged one
    (identical payloads are then uploaded once by the plan), after printing the families."""
    if not settings.consolidate:
        return templates
    _say(f"Consolidating {len(templates)} templates (merge and prove families)...", err=True)
    originals = load_originals(settings.src) if settings.src is not None else None
    consolidation, merged = consolidate_local(settings.out, templates, originals)
    _print_consolidation(consolidation)
    return merged


def _print_consolidation(consolidation: Consolidation) -> None:
    for line in describe(consolidation, TEMPLATE_CAP):
        _say(line)
    if not consolidation.families:
        _say("Consolidate: no family of templates differing only in text was merged; uploading as without it.")


@contextmanager
def _session(settings: Settings, max_time: float) -> Iterator[tuple[MailtrapClient, LockFile, Plan]]:
    local = load_local(settings.out)
    for problem in local.problems:
        _say(f"warning: {problem}", err=True)
    try:
        lock = LockFile.load(settings.out)
        lock.bind_account(settings.account_id)
    except LockFileError as error:
        _fail(str(error), EXIT_USAGE)
    token = _token()
    templates = _consolidated(settings, local.templates)
    limiter = SlidingWindowLimiter(*settings.rate)
    client = MailtrapClient(
        token, settings.account_id, settings.api_base, limiter=limiter, deadline=time.monotonic() + max_time
    )
    try:
        try:
            remote = client.list_templates()
        except AuthError as error:
            _fail(str(error), EXIT_USAGE)
        except ApiError as error:
            _fail(f"cannot read the account's templates at {settings.api_base}: {error}", EXIT_FAILED)
        plan = build_plan(templates, remote, lock, prune=settings.prune, partial=settings.partial, keep=local.present)
        yield client, lock, plan
    finally:
        client.close()


def _print_plan(plan: Plan, settings: Settings) -> None:
    console = _console()
    table = Table(title=REDACT(f"Mailtrap account {settings.account_id} at {settings.api_base}"), title_justify="left")
    table.add_column("Action")
    table.add_column("Mailtrap template")
    table.add_column("SES templates")
    table.add_column("Changes / note")
    for action in plan.actions:
        if action.kind is Kind.UPDATE:
            detail = ", ".join(action.changes)
        elif action.kind is Kind.INVALID:
            detail = format_field_errors(action.errors)
        else:
            detail = action.note
        table.add_row(
            f"[{KIND_STYLE[action.kind]}]{action.kind}[/]",
            escape(action.name),
            escape(", ".join(action.ses_names)),
            escape(REDACT(detail)),
        )
    if plan.actions:
        console.print(table)
    for warning in plan.warnings:
        _say(f"warning: {warning}", err=True)
    counts = ", ".join(f"{len(plan.of(kind))} {kind}" for kind in Kind)
    _say(f"Plan: {counts}.")
    if plan.dedupe_saved:
        uploaded = plan.local_count - len(plan.of(Kind.INVALID)) - plan.dedupe_saved
        label = "Dedupe (consolidated families count as identical)" if settings.consolidate else "Dedupe"
        _say(
            f"{label}: {plan.local_count - len(plan.of(Kind.INVALID))} SES templates -> {uploaded} Mailtrap templates "
            f"({plan.dedupe_saved} saved)."
        )
    if plan.refused:
        needed = plan.existing + len(plan.of(Kind.CREATE)) + len(plan.of(Kind.BLOCKED)) - len(plan.of(Kind.DELETE))
        blocked = ", ".join(a.name for a in plan.of(Kind.BLOCKED))
        _say(
            f"Refused: the account has {plan.existing} templates and this plan needs {needed}, "
            f"{plan.over_by} over the {plan.cap}-template cap. Nothing is sent. Do not fit: {blocked}. Use "
            + ("" if settings.consolidate else "--consolidate to merge variants (locales, brands), ")
            + f"--partial to upload in priority order (OUT/{PRIORITY_FILE}, then alphabetical), --prune, or delete "
            "templates in Mailtrap.",
            err=True,
        )
    elif plan.over_by:
        _say(
            f"Partial: {plan.over_by} templates do not fit under the {plan.cap}-template cap and are left out "
            "(blocked above).",
            err=True,
        )
    _say(
        f"Account: {plan.existing} templates now, {plan.after} of {plan.cap} after this plan; "
        f"{plan.slots_remaining} slots remain."
    )


def _plan_exit_code(plan: Plan) -> int:
    return EXIT_FAILED if plan.has_problems else EXIT_OK


# -- plan ---------------------------------------------------------------------------------------------------------


@click.command("plan")
@_common_options
def plan(
    out: Path,
    account_id: str | None,
    api_base: str,
    prune: bool,
    partial: bool,
    consolidate: bool,
    src: Path | None,
    rate: tuple[int, float],
) -> None:
    """Show what `sync` would do to the Mailtrap account, and the slots left under its 200-template cap.

    With --consolidate, first the families merged (members, slots saved) and the template count before and after."""
    settings = _settings(out, account_id, api_base, rate, prune, partial, consolidate, src)
    with _session(settings, DEFAULT_MAX_TIME) as (_client, _lock, the_plan):
        _print_plan(the_plan, settings)
    sys.exit(_plan_exit_code(the_plan))


# -- sync ---------------------------------------------------------------------------------------------------------


@click.command("sync")
@_common_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--dry-run", is_flag=True, help="Show the plan and stop; never writes anything.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=DEFAULT_JOBS,
    show_default=True,
    help="Requests in flight at once (the rate limit applies to all of them together).",
)
@click.option(
    "--max-time",
    type=click.FloatRange(min=1),
    default=DEFAULT_MAX_TIME,
    show_default=True,
    help="Give up after this many seconds, saying what was done and what was not.",
)
def sync(
    out: Path,
    account_id: str | None,
    api_base: str,
    prune: bool,
    partial: bool,
    consolidate: bool,
    src: Path | None,
    rate: tuple[int, float],
    yes: bool,
    dry_run: bool,
    jobs: int,
    max_time: float,
) -> None:
    """Create, update (and with --prune delete) Mailtrap templates to match OUT; remember them in the lock file.

    With --consolidate, each merged family is uploaded once and the lock file maps every member's SES name to it with
    the `__text` values to inject (translate-send --lock and the runtime adapter add them)."""
    settings = _settings(out, account_id, api_base, rate, prune, partial, consolidate, src)
    with _session(settings, max_time) as (client, lock, the_plan):
        _print_plan(the_plan, settings)
        if the_plan.refused:
            sys.exit(EXIT_FAILED)
        if dry_run:
            _say("Dry run: nothing was sent or written.")
            sys.exit(_plan_exit_code(the_plan))
        if the_plan.has_changes and not yes:
            _confirm()
        result = _apply_with_progress(the_plan, client, lock, jobs)
    code = _report(result, the_plan, settings.out)
    sys.exit(code)


def _confirm() -> None:
    if not stdin_is_terminal():
        _fail("no terminal to confirm on: pass --yes to apply the plan (or --dry-run to only show it)", EXIT_USAGE)
    if not click.confirm("Apply these changes to the Mailtrap account?", default=False, err=True):
        _say("Nothing changed.", err=True)
        sys.exit(EXIT_OK)


def _apply_with_progress(plan: Plan, client: MailtrapClient, lock: LockFile, jobs: int) -> SyncResult:
    total = len([a for a in plan.actions if a.kind in (Kind.CREATE, Kind.UPDATE, Kind.DELETE)])
    console = Console(stderr=True)
    if total == 0 or not console.is_terminal:
        return apply_plan(plan, client, lock, jobs=jobs)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("Syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("sync", total=total)

        def advance(_outcome: Outcome) -> None:
            bar.advance(task)

        return apply_plan(plan, client, lock, jobs=jobs, on_outcome=advance)


def _report(result: SyncResult, plan: Plan, out: Path) -> int:
    done = result.with_status(Status.DONE)
    failed = result.with_status(Status.FAILED)
    not_done = result.with_status(Status.NOT_DONE)
    by_kind = {
        kind: len([o for o in done if o.action.kind is kind]) for kind in (Kind.CREATE, Kind.UPDATE, Kind.DELETE)
    }
    _say(
        f"Done in {result.elapsed:.1f} s: {by_kind[Kind.CREATE]} created, {by_kind[Kind.UPDATE]} updated, "
        f"{by_kind[Kind.DELETE]} deleted, {len(plan.of(Kind.UNCHANGED))} unchanged; {len(failed)} failed, "
        f"{len(not_done)} not done. Lock file: {out / LOCK_FILE_NAME}"
    )
    for outcome in failed:
        detail = format_field_errors(outcome.errors) if outcome.errors else outcome.message
        _say(f"failed: {outcome.action.kind} {outcome.action.name}: {detail}", err=True)
    if result.stopped:
        _say(f"Stopped: {result.stopped}", err=True)
        if not_done:
            names = ", ".join(f"{o.action.kind} {o.action.name}" for o in not_done)
            _say(f"Not done (run sync again to finish; nothing will be duplicated): {names}", err=True)
    blocked = plan.of(Kind.BLOCKED)
    if blocked:
        _say(f"Left out by the cap: {', '.join(a.name for a in blocked)}", err=True)
    if result.auth_failed:
        return EXIT_USAGE
    return EXIT_OK if result.ok and not plan.has_problems else EXIT_FAILED


# -- mapping ------------------------------------------------------------------------------------------------------


@click.command("mapping")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="json", show_default=True)
def mapping(out: Path, output_format: str) -> None:
    """Print TemplateName -> template_uuid from OUT's lock file (what application code sends as template_uuid)."""
    if not (out / LOCK_FILE_NAME).exists():
        _fail(f"no {out / LOCK_FILE_NAME} yet: run `ses2mt sync {out}` first", EXIT_USAGE)
    try:
        lock = LockFile.load(out)
        text = format_mapping(mapping_from_lock(lock), output_format)
    except (LockFileError, MappingError) as error:
        _fail(str(error), EXIT_USAGE)
    consolidated = sorted(name for name, entry in lock.entries.items() if entry.variables)
    if consolidated:
        _say(
            f"warning: {len(consolidated)} SES templates were consolidated ({', '.join(consolidated[:3])}"
            f"{', ...' if len(consolidated) > 3 else ''}): their sends also need the `__text` values in "
            f"{out / LOCK_FILE_NAME}, which this mapping does not carry; send them through `translate-send --lock` "
            "or the runtime adapter with the lock file, or they print empty text where their words were",
            err=True,
        )
    click.echo(text, nl=False)
