"""The compatibility checker: every finding about a loaded set of SES templates, as values with locations.

    check(result, jobs=1)        load findings + per-template findings + set-level findings
    check_template(t)            one template: syntax (P101), language (C1xx), limits (M1xx), fixtures (D1xx)
    check_many(templates, jobs)  check_template over many templates, on `jobs` processes

Each part is parsed once and its AST visited once; fixtures are rendered with the SES renderer. Codes and severities
live in templating/catalogue.py, one page per code in docs/rules.md.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path

from templating.catalogue import INTERNAL_ERROR, NO_FIXTURE, RULES, SYNTAX_ERROR, finding
from templating.hbs import parse
from templating.hbs.errors import NestingLimitError, TemplateSyntaxError
from templating.hbs.nodes import Program
from templating.model import PART_NAMES, Finding, LoadResult, PartName, Template
from templating.rules.fixtures import fixture_findings
from templating.rules.language import ESCAPED_MUSTACHE, PartAnalysis, analyse_part, partial_findings
from templating.rules.limits import limit_findings, set_findings

__all__ = ["check", "check_many", "check_template"]

Progress = Callable[[Template], None]

PART_ORDER = {part: index for index, part in enumerate(PART_NAMES)}
# below this many templates, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 32
MAX_CHUNK = 64
STREAM_CHUNK = 32  # chunk size when the number of templates is not known in advance
CHUNKS_IN_FLIGHT_PER_JOB = 3
GC_THRESHOLD = 20_000  # allocations between young-generation collections while checking


def check(result: LoadResult, jobs: int = 1, progress: Progress | None = None) -> list[Finding]:
    """All findings for a loaded set: the loader's, each template's, and the set's (Mailtrap's 200-template cap).
    `progress` is called once per template checked."""
    findings = list(result.findings)
    already_reported = {f.template for f in result.findings if f.code == NO_FIXTURE.code}
    for f in check_many(result.templates, jobs, progress):
        if f.code == NO_FIXTURE.code and f.template in already_reported:
            continue
        findings.append(f)
    findings += set_findings(result.templates)
    return findings


def check_template(t: Template) -> list[Finding]:
    """Findings for one template, in part order then source order."""
    programs: dict[PartName, Program] = {}
    findings: list[Finding] = []
    analyses: list[PartAnalysis] = []
    for part in PART_NAMES:
        source = t.parts.get(part)
        if source is None:
            continue
        path = t.part_paths.get(part, t.source)
        try:
            program = parse(source, whitespace_control=False)  # only lookups and tags are checked, never text
        except TemplateSyntaxError as error:
            if isinstance(error, NestingLimitError):
                message = f"{error.message} by ses2mt (handlebars.js has no such limit): nest less to convert it"
            else:
                message = f"{error.message}: SES rejects the template (InvalidTemplate), Mailtrap's editor refuses it"
            findings.append(
                finding(SYNTAX_ERROR.code, message, path, error.line, error.column, template=t.name, part=part)
            )
            continue
        programs[part] = program
        analyses.append(analyse_part(program, t.name, part, path))
    for analysis in analyses:
        findings += analysis.findings
    findings += partial_findings(analyses, t.name)
    escaped_in_subject = sum(
        1 for a in analyses if a.part == "subject" for f in a.findings if f.code == ESCAPED_MUSTACHE.code
    )
    findings += limit_findings(t, escaped_in_subject)
    if t.fixtures:
        findings += fixture_findings(t, programs)
    else:
        message = "template has no fixture: checks that need data, and the render proof, cannot run"
        findings.append(finding(NO_FIXTURE.code, message, t.source, template=t.name))
    findings.sort(key=_source_order)
    return findings


def check_many(templates: Iterable[Template], jobs: int = 1, progress: Progress | None = None) -> list[Finding]:
    """check_template over every template, in order; `jobs` worker processes (0: one per CPU). A template whose check
    crashes gets an X101 finding and the batch goes on. `templates` may be a lazy iterable: it is read a few chunks
    ahead of the workers, so a stream of templates is checked without holding them all."""
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    pending = iter(templates)
    head = list(islice(pending, PARALLEL_THRESHOLD))
    if jobs == 1 or len(head) < PARALLEL_THRESHOLD:
        return _check_chunk(chain(head, pending), progress)
    total = len(templates) if isinstance(templates, Sized) else None
    chunk_size = max(1, min(MAX_CHUNK, total // (jobs * 4))) if total is not None else STREAM_CHUNK
    chunks = _chunked(chain(head, pending), chunk_size)
    findings: list[Finding] = []
    in_flight: deque[tuple[list[Template], Future[list[list[Row]]]]] = deque()
    unsent: list[list[Template]] = []
    try:
        with _fewer_collections(), ProcessPoolExecutor(max_workers=jobs) as pool:
            for chunk in chunks:
                unsent = [chunk]
                in_flight.append((chunk, pool.submit(_check_chunk_rows, chunk)))
                unsent = []
                if len(in_flight) >= jobs * CHUNKS_IN_FLIGHT_PER_JOB:
                    findings += _collect_oldest(in_flight, progress)
            while in_flight:
                findings += _collect_oldest(in_flight, progress)
    except (BrokenProcessPool, OSError):  # no worker processes here (sandbox, killed worker): finish in-process
        for chunk in chain((chunk for chunk, _future in in_flight), unsent, chunks):
            findings += _check_chunk(chunk, progress)
    return findings


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Checking a template allocates its AST and closures and then drops them, almost never in cycles: with the
    default threshold (a collection every 700 allocations) the garbage collector takes ~25% of a check."""
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _chunked(templates: Iterator[Template], size: int) -> Iterator[list[Template]]:
    while chunk := list(islice(templates, size)):
        yield chunk


def _collect_oldest(
    in_flight: deque[tuple[list[Template], Future[list[list[Row]]]]], progress: Progress | None
) -> list[Finding]:
    chunk, future = in_flight[0]
    findings = _from_rows(chunk, future.result())
    in_flight.popleft()  # only once its result is in: a broken pool re-checks what is still in flight
    if progress is not None:
        for t in chunk:
            progress(t)
    return findings


def _check_chunk(templates: Iterable[Template], progress: Progress | None = None) -> list[Finding]:
    findings: list[Finding] = []
    with _fewer_collections():
        for t in templates:
            findings += _guarded_check(t)
            if progress is not None:
                progress(t)
    return findings


# Findings travel back from worker processes as plain tuples, their paths as indexes into the template's own paths:
# unpickling thousands of Path objects and dataclasses costs more than the check of a small template.
Row = tuple[str, str, int, int, str | None, PartName | None, str | None, int | Path]


def _template_paths(t: Template) -> list[Path]:
    return [t.source, *t.part_paths.values(), *(fixture.path for fixture in t.fixtures.values())]


def _check_chunk_rows(templates: Sequence[Template]) -> list[list[Row]]:
    chunk_rows: list[list[Row]] = []
    with _fewer_collections():
        for t in templates:
            index = {path: i for i, path in reversed(list(enumerate(_template_paths(t))))}
            chunk_rows.append(
                [
                    (f.code, f.message, f.line, f.column, f.template, f.part, f.fixture, index.get(f.path, f.path))
                    for f in _guarded_check(t)
                ]
            )
    return chunk_rows


def _from_rows(templates: Sequence[Template], chunk_rows: list[list[Row]]) -> list[Finding]:
    """Findings rebuilt in the parent. A big set has millions of them (one per {{x}} for C101), so equal strings and
    numbers are shared, not kept once per finding: the parent's memory grows with distinct messages only."""
    findings: list[Finding] = []
    intern = sys.intern
    numbers = _SHARED_NUMBERS
    for t, rows in zip(templates, chunk_rows, strict=True):
        paths = _template_paths(t)
        for code, message, line, column, template, part, fixture, path in rows:
            where = paths[path] if isinstance(path, int) else path
            findings.append(
                Finding(
                    intern(code),
                    RULES[code].severity,
                    intern(message),
                    where,
                    numbers.setdefault(line, line),
                    numbers.setdefault(column, column),
                    t.name if template == t.name else template,
                    intern(part) if part else part,  # type: ignore[arg-type]
                    intern(fixture) if fixture else fixture,
                )
            )
    return findings


_SHARED_NUMBERS: dict[int, int] = {}


def _guarded_check(t: Template) -> list[Finding]:
    try:
        return check_template(t)
    except Exception as error:  # a bug in a rule must not stop the batch
        message = f"the checker crashed on this template ({type(error).__name__}: {error}); the others were checked"
        return [finding(INTERNAL_ERROR.code, message, t.source, template=t.name)]


def _source_order(f: Finding) -> tuple[int, int, int]:
    return (PART_ORDER.get(f.part, -1) if f.part else -1, f.line, f.column)
