"""`ses2mt translate-send REQUEST.json [--lock OUT/mailtrap.lock.json]`: an SES send call -> the Mailtrap body;
`ses2mt consolidate OUT -o MERGED`: merge template variants to fit Mailtrap's 200 (templating.variants).

stdout: the `/api/send` body as JSON, or for a bulk call a JSON list of `/api/batch` bodies (at most 500 requests
each). stderr: findings, one a line (`path:line:col: CODE severity message [template]`).
Exit status: 0 translated (warnings allowed); 1 not translated: the template is not in the lock file, or another
error finding; 2 usage errors: unreadable request or lock file, not JSON, not an SES send call.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from templating.diagnostics import format_finding, sort_findings
from templating.fileio import json_text, write_atomic
from templating.send.index import LockReadError, TemplateIndex, lock_file_path
from templating.send.translate import (
    MAILTRAP_TEMPLATE_CAP,
    RequestError,
    Translation,
    inline_template_file,
    translate,
)

EXIT_OK, EXIT_NOT_TRANSLATED, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _read_request(request: str) -> tuple[Any, str, Path]:
    try:
        if request == "-":
            text, path = sys.stdin.read(), Path("<stdin>")
        else:
            path = Path(request)
            text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"{request}: cannot read the request ({error})")
    try:
        return json.loads(text), text, path
    except ValueError as error:
        _fail(f"{request}: not valid JSON ({error})")
    except RecursionError:
        _fail(f"{request}: not valid JSON (nested too deeply)")


def save_inline(translation: Translation, folder: Path, fixture_stem: str) -> list[Path]:
    """Write the inline TemplateContent as `<folder>/inline-<hash>.json` (v2 CreateEmailTemplate input) and each
    message's data as a fixture under `<folder>/inline-<hash>.data/`, ready for `ses2mt convert`."""
    assert translation.inline_content is not None
    template = inline_template_file(translation.inline_content)
    name = template["TemplateName"]
    template_path = folder / f"{name}.json"
    write_atomic(template_path, json_text(template) + "\n")
    written = [template_path]
    many = len(translation.variable_sets) > 1
    for number, variables in enumerate(translation.variable_sets, start=1):
        fixture_path = folder / f"{name}.data" / (f"{fixture_stem}-{number}.json" if many else f"{fixture_stem}.json")
        write_atomic(fixture_path, json_text(variables) + "\n")
        written.append(fixture_path)
    return written


@click.command("translate-send")
@click.argument("request", metavar="REQUEST.json")
@click.option(
    "--lock",
    "lock_path",
    type=click.Path(path_type=Path),
    default=None,
    help="OUT/mailtrap.lock.json written by `ses2mt sync` (or its folder). Without it: $MAILTRAP_LOCK_FILE, else "
    "MAILTRAP_TEMPLATE_<NAME> variables as `ses2mt mapping --format env` prints them.",
)
@click.option(
    "--save-inline",
    "save_inline_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Inline TemplateContent: write it to this folder as an SES template (inline-<hash>.json, with the call's "
    "data as fixtures) to convert and sync; later calls with the same content then resolve to it.",
)
@click.option("--compact", is_flag=True, help="Print the JSON on one line.")
def translate_send(request: str, lock_path: Path | None, save_inline_dir: Path | None, compact: bool) -> None:
    """Translate an SES send call (REQUEST.json, or - for stdin) into the Mailtrap send body.

    Takes the parameters of SES v1 SendTemplatedEmail / SendBulkTemplatedEmail or v2 SendEmail / SendBulkEmail as
    boto3 and `aws ses(v2) ... --cli-input-json` take them. Prints the /api/send body, or for bulk calls a JSON list
    of /api/batch bodies; findings go to stderr. Exit 1 when the template is not in the lock file."""
    data, text, path = _read_request(request)
    if save_inline_dir is not None and lock_path is not None and not lock_file_path(lock_path).exists():
        # --save-inline before the first sync: nothing is mapped yet, the inline template is still saved
        click.echo(f"{lock_file_path(lock_path)}: no lock file yet, so no template is mapped", err=True)
        index = TemplateIndex.from_mapping({}, description=str(lock_file_path(lock_path)))
    else:
        try:
            index = TemplateIndex.discover(lock_path)
        except LockReadError as error:
            _fail(str(error))
    try:
        translation = translate(data, index, source_text=text, path=path)
    except RequestError as error:
        _fail(f"{path}: {error}")
    for item in sort_findings(translation.findings):
        click.echo(format_finding(item), err=True)
    if save_inline_dir is not None and translation.inline_content is not None and translation.template_missing:
        written = save_inline(translation, save_inline_dir, path.stem if request != "-" else "request")
        click.echo(
            f"wrote {written[0]} and {len(written) - 1} fixture(s): run `ses2mt convert {save_inline_dir} -o OUT` "
            "and `ses2mt sync OUT`, then translate this call again",
            err=True,
        )
    if not translation.ok:
        sys.exit(EXIT_NOT_TRANSLATED)
    click.echo(json_text(translation.output(), indent=None if compact else 2))


@click.command("consolidate")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "merged_out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the consolidated templates to (OUT-shaped: sync it with `ses2mt sync`).",
)
@click.option(
    "--src",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="The SES templates OUT was converted from: the proof then compares with SES's render of each original "
    "(without it, with Mailtrap's render of each converted template, which `convert` proved equal to SES's).",
)
def consolidate(out: Path, merged_out: Path, src: Path | None) -> None:
    """Merge families of converted templates that differ only in literal text (locales, brands) into one Mailtrap
    template each, to fit under Mailtrap's 200 templates.

    Writes MERGED (-o): every template folder, a family member's holding its family's merged template (so `ses2mt
    sync MERGED` uploads each family once and maps every SES name to it), and MERGED/mailtrap.variants.json with the
    `__text` values each SES name needs, which `sync` records in the lock file for `translate-send --lock` and the
    runtime adapter to inject. Every family is proven fixture by fixture; one that is not exact is not merged.
    `ses2mt plan|sync OUT --consolidate` do the same in memory, without MERGED."""
    from templating.variants import VARIANTS_FILE, consolidate_out, describe, load_originals

    if merged_out.resolve() == out.resolve():
        _fail("-o must be another folder than OUT (OUT keeps the unmerged templates)")
    originals = load_originals(src) if src is not None else None
    consolidation, problems = consolidate_out(out, merged_out, originals)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    for line in describe(consolidation, MAILTRAP_TEMPLATE_CAP):
        click.echo(line)
    click.echo(f"Wrote {merged_out} and {merged_out / VARIANTS_FILE}; next: `ses2mt sync {merged_out}`.")
