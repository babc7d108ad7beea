"""`ses2mt check` of a big set without holding it: templates are loaded and checked one file (or folder) at a time in
worker processes, and the report is written while they work, exactly as the whole-set path would write it.

    check_tree(discovery, options, write, jobs=1, progress=None) -> exit status (0, or 1 when an error is shown)

1. discover(src) (templating.loaders) walks SRC in this process: a LoadUnit per template file or folder.
2. Names pass: the workers load every unit without fixtures and send back its templates' names and sources. From them
   come what needs the whole set before anything is printed: duplicate names (L107: those templates are not
   checked), the template count and Mailtrap's 200-template cap (M106). Each unit is read twice (about 0.1-0.3 ms).
3. Check pass: the workers load each unit with its fixtures, drop duplicates (L107), add L110, run every rule, place
   the findings, apply --select/--ignore, sort them and send them back as text (or JSON) blocks, one per file.
4. This process writes the blocks in global sort order: units are processed in the order of the lowest path they
   can report (LoadUnit.lowest_path), so a block can be written once no later unit can report a path before it.
   Only counts are kept for the summary.

Blocks of the same path from two sources (a Terraform file("...") target shared by two .tf files, the set's root
for M106) are merged finding by finding, so the output is the same as sort_findings over the whole set.
"""

from __future__ import annotations

import heapq
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from templating import diagnostics
from templating.catalogue import NO_FIXTURE, finding
from templating.loaders import (
    Discovery,
    LoadUnit,
    duplicate_name_finding,
    load_unit,
    no_fixture_finding,
)
from templating.model import Finding, Severity, Template
from templating.rules import _fewer_collections, _guarded_check
from templating.rules.limits import set_findings

__all__ = ["Block", "StreamOptions", "check_tree", "findings_to_blocks"]

UNITS_PER_CHECK_TASK = 8
UNITS_PER_NAMES_TASK = 64
TASKS_IN_FLIGHT_PER_JOB = 3
SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
ProgressBar = Callable[[int], AbstractContextManager[Callable[[], None]]]  # total -> advance()
T = TypeVar("T")
R = TypeVar("R")

# (unit index in walk order, template ordinal in its unit, source) of every template with a duplicated name
Duplicates = dict[str, list[tuple[int, int, str]]]


@dataclass(frozen=True, slots=True)
class StreamOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    output_format: str = "text"  # "text" or "json"


@dataclass(frozen=True, slots=True)
class Block:
    """The shown findings of one path from one unit, sorted, as output text (text lines, or JSON objects joined by
    ",\\n"), with their counts. `entries` (pickled (sort key, length of its text) pairs) is read only to merge two
    blocks of the same path."""

    path: str
    text: str
    errors: int
    warnings: int
    info: int
    load_error: bool
    entries: bytes


@dataclass(frozen=True, slots=True)
class _WorkerContext:
    """What every task of a pass shares. Workers receive it once, when they start (with the fork start method, by
    inheritance: nothing is pickled); a task names its units by their range in `units`. Sending LoadUnits with every
    task cost more than the names pass itself (their Paths are rebuilt when unpickled)."""

    options: StreamOptions
    duplicates: Duplicates
    units: Sequence[LoadUnit] = ()


Span = tuple[int, int]  # units[start:end]
_context = _WorkerContext(StreamOptions(), {})


def _set_context(context: _WorkerContext) -> None:
    global _context
    _context = context


# --------------------------------------------------------------------------------------------------- the workers


def _read_names(span: Span) -> list[list[tuple[str, str]]]:
    """(name, source) of the templates each unit of the span loads (fixtures are not read)."""
    units = _context.units[span[0] : span[1]]
    with _fewer_collections():
        return [[(t.name, str(t.source)) for t in load_unit(unit, fixtures=False).templates] for unit in units]


def _check_units(span: Span) -> list[tuple[int, list[Block]]]:
    """For each unit of the span: how many templates were checked, and its findings as blocks."""
    units = _context.units[span[0] : span[1]]
    with _fewer_collections():
        return [_check_unit(unit, _context) for unit in units]


def _check_unit(unit: LoadUnit, context: _WorkerContext) -> tuple[int, list[Block]]:
    try:
        templates, findings = _unit_findings(unit, context.duplicates)
    except Exception as exc:  # a bug here must not stop the batch
        message = f"internal error while checking: {type(exc).__name__}: {exc}"
        templates, findings = [], [finding("X101", message, unit.path)]
    options = context.options
    return len(templates), findings_to_blocks(findings, options)


def _unit_findings(unit: LoadUnit, duplicates: Duplicates) -> tuple[list[Template], list[Finding]]:
    """What load() + rules.check() + place_findings() report about this unit's templates (set-level findings aside)."""
    loaded = load_unit(unit)
    findings = list(loaded.findings)
    templates: list[Template] = []
    for ordinal, template in enumerate(loaded.templates):
        group = duplicates.get(template.name)
        if group is None:
            templates.append(template)
            continue
        others = [source for index, place, source in group if (index, place) != (unit.index, ordinal)]
        findings.append(duplicate_name_finding(template.name, loaded.name_position(template), others))
    without_fixtures = {template.name for template in templates if not template.fixtures}
    findings += [no_fixture_finding(template) for template in templates if template.name in without_fixtures]
    for template in templates:
        for item in _guarded_check(template):
            if item.code != NO_FIXTURE.code or item.template not in without_fixtures:
                findings.append(item)
    return templates, diagnostics.place_findings(findings, templates)


def findings_to_blocks(findings: Iterable[Finding], options: StreamOptions) -> list[Block]:
    """The shown findings (--select/--ignore), sorted and without repeats, as one Block per path."""
    if options.select or options.ignore:
        findings = diagnostics.filter_findings(findings, options.select, options.ignore)
    unique = {_key(item): item for item in findings}  # as diagnostics.sort_findings: exact repeats appear once
    render = diagnostics.format_finding if options.output_format == "text" else diagnostics.format_json_finding
    return [
        _block(path, [(key, render(unique[key])) for key in keys], options.output_format)
        for path, keys in groupby(sorted(unique), key=itemgetter(0))
    ]


def _key(item: Finding) -> tuple[Any, ...]:
    return (*diagnostics.sort_key(item), str(item.severity))


def _block(path: str, entries: list[tuple[tuple[Any, ...], str]], output_format: str) -> Block:
    separator = "\n" if output_format == "text" else ",\n"
    severities = [key[-1] for key, _text in entries]
    load_codes = diagnostics.LOAD_CODE_PREFIXES
    load_error = any(key[-1] == Severity.ERROR and key[3].startswith(load_codes) for key, _text in entries)
    return Block(
        path,
        separator.join([text for _key, text in entries]),
        severities.count(Severity.ERROR),
        severities.count(Severity.WARNING),
        severities.count(Severity.INFO),
        load_error,
        pickle.dumps([(key, len(text)) for key, text in entries], protocol=pickle.HIGHEST_PROTOCOL),
    )


def _entries(block: Block, output_format: str) -> list[tuple[tuple[Any, ...], str]]:
    """The (sort key, text) pairs of a block, its texts cut back out of block.text."""
    gap = 1 if output_format == "text" else 2
    entries: list[tuple[tuple[Any, ...], str]] = []
    start = 0
    for key, length in pickle.loads(block.entries):
        entries.append((key, block.text[start : start + length]))
        start += length + gap
    return entries


# ----------------------------------------------------------------------------------------------- this process


class _SortedOutput:
    """Blocks waiting for their turn (a heap by path), written once no unit still to come can report a path before
    them; the counts of what was written, for the summary."""

    def __init__(self, report: diagnostics.ReportWriter) -> None:
        self.report = report
        self.pending: list[tuple[str, int, Block]] = []
        self.received = 0
        self.templates = 0
        self.counts = dict.fromkeys(SEVERITIES, 0)
        self.failed_paths: set[str] = set()

    def add(self, blocks: Iterable[Block]) -> None:
        for block in blocks:
            heapq.heappush(self.pending, (block.path, self.received, block))
            self.received += 1

    def write_before(self, bound: str | None) -> None:
        """Write every pending block whose path sorts before `bound` (None: all), merging blocks of the same path."""
        pending = self.pending
        while pending and (bound is None or pending[0][0] < bound):
            path, _received, block = heapq.heappop(pending)
            if pending and pending[0][0] == path:
                same = [block]
                while pending and pending[0][0] == path:
                    same.append(heapq.heappop(pending)[2])
                block = _merge(same, self.report.output_format)
            self._write(block)

    def _write(self, block: Block) -> None:
        self.report.write_block(block.text)
        self.counts[Severity.ERROR] += block.errors
        self.counts[Severity.WARNING] += block.warnings
        self.counts[Severity.INFO] += block.info
        if block.load_error:
            self.failed_paths.add(block.path)

    def finish(self) -> diagnostics.Summary:
        self.write_before(None)
        errors, warnings, info = (self.counts[severity] for severity in SEVERITIES)
        summary = diagnostics.Summary(self.templates, errors, warnings, info, len(self.failed_paths))
        self.report.finish(summary)
        return summary


def check_tree(
    discovery: Discovery,
    options: StreamOptions,
    write: Callable[[str], None],
    jobs: int = 1,
    progress: ProgressBar | None = None,
) -> int:
    """Check every unit of `discovery`, write the report through `write`, return the exit status (0 or 1).
    `progress(total)` is a context manager yielding advance(), called once per template checked."""
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    units = sorted(discovery.units, key=lambda unit: (unit.lowest_path, unit.index))
    names_context = _WorkerContext(options, {}, units)
    names_chunks = _ordered(_read_names, _spans(len(units), UNITS_PER_NAMES_TASK), jobs, names_context)
    duplicates, kept = _duplicates(units, [unit_names for chunk in names_chunks for unit_names in chunk])
    output = _SortedOutput(diagnostics.ReportWriter(write, options.output_format))
    output.add(findings_to_blocks([*discovery.findings, *set_findings(kept)], options))
    bounds = [unit.lowest_path for unit in units[1:]]
    context = _WorkerContext(options, duplicates, units)
    with progress(len(kept)) if progress is not None else nullcontext(lambda: None) as advance:
        reports = _ordered(_check_units, _spans(len(units), UNITS_PER_CHECK_TASK), jobs, context)
        for position, (checked, blocks) in enumerate(report for chunk in reports for report in chunk):
            output.templates += checked
            output.add(blocks)
            output.write_before(bounds[position] if position < len(bounds) else None)
            for _ in range(checked):
                advance()
    return 1 if output.finish().errors else 0


def _duplicates(units: list[LoadUnit], names: list[list[tuple[str, str]]]) -> tuple[Duplicates, list[Template]]:
    """Names used by more than one template (each with its places, in walk order) and stand-ins for the others (the
    templates that will be checked: only their name and source are read, by set_findings)."""
    places: dict[str, list[tuple[int, int, str]]] = {}
    for unit, unit_names in zip(units, names, strict=True):
        for ordinal, (name, source) in enumerate(unit_names):
            places.setdefault(name, []).append((unit.index, ordinal, source))
    duplicates = {name: sorted(group) for name, group in places.items() if len(group) > 1}
    kept = [
        Template(name, Path(source), "", {}, {})
        for name, group in places.items()
        if len(group) == 1
        for _index, _ordinal, source in group
    ]
    return duplicates, kept


def _merge(blocks: list[Block], output_format: str) -> Block:
    streams = [_entries(block, output_format) for block in blocks]
    entries: list[tuple[tuple[Any, ...], str]] = []
    for key, text in heapq.merge(*streams):
        if not entries or entries[-1][0] != key:
            entries.append((key, text))
    return _block(blocks[0].path, entries, output_format)


def _spans(count: int, size: int) -> list[Span]:
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _ordered(function: Callable[[T], R], chunks: list[T], jobs: int, context: _WorkerContext) -> Iterator[R]:
    """function(chunk) for every chunk, in order; on `jobs` worker processes with a few chunks in flight (in this
    process when jobs is 1, when there is one chunk, or when worker processes cannot run)."""
    _set_context(context)
    if jobs <= 1 or len(chunks) <= 1:
        yield from map(function, chunks)
        return
    in_flight: deque[Future[R]] = deque()
    sent = 0
    try:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_set_context, initargs=(_context,)) as pool:
            while sent < len(chunks) or in_flight:
                while sent < len(chunks) and len(in_flight) < jobs * TASKS_IN_FLIGHT_PER_JOB:
                    in_flight.append(pool.submit(function, chunks[sent]))
                    sent += 1
                result = in_flight[0].result()
                in_flight.popleft()  # only once its result is in: a broken pool re-runs what is still in flight
                yield result
    except (BrokenProcessPool, OSError):  # no worker processes here (sandbox, killed worker): finish in this process
        yield from map(function, chunks[sent - len(in_flight) :])
