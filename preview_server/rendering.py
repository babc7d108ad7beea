"""Converting a template and rendering it for every fixture, in worker processes.

`prepare(t, load_findings)` runs the library's pipeline for one template (`templating.convert.convert_one`: check,
rewrite, verify) and renders every fixture both ways: the original as SES (`templating.verify.render_ses`) and the
converted template as Mailtrap (`templating.mailtrap_render.render_mailtrap`). A `Preparer` runs `prepare` in a small
pool of spawned processes, so that a slow conversion (pybars3 compiles a 24 KB email in about a third of a second, in
pure Python) never holds the web server's interpreter: pages and the event stream keep answering while a template is
re-rendered. Where worker processes cannot start, the work is done in this process instead.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal

from templating.convert import TemplateOutcome, convert_one
from templating.hbs.errors import TemplateSyntaxError
from templating.mailtrap_render import MailtrapRenderError, render_mailtrap
from templating.model import PART_NAMES, Finding, PartName, Severity, Template
from templating.render import RenderError
from templating.rewrite import convert_template
from templating.verify import render_ses

NO_FIXTURE = "(no fixture)"
MAX_WORKERS = 2
ErrorKind = Literal["syntax", "missing", "render", "not-converted"]


@dataclass(slots=True)
class RenderProblem:
    kind: ErrorKind
    message: str
    part: PartName
    line: int = 0
    column: int = 0

    @property
    def location(self) -> str:
        return f"{self.part} {self.line}:{self.column}" if self.line else self.part

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "part": self.part, "line": self.line, "column": self.column}


@dataclass(slots=True)
class Side:
    """One engine's render of every part; a part that failed has a problem instead of text."""

    texts: dict[PartName, str] = field(default_factory=dict)
    problems: dict[PartName, RenderProblem] = field(default_factory=dict)

    @property
    def first_problem(self) -> RenderProblem | None:
        return next((self.problems[part] for part in PART_NAMES if part in self.problems), None)

    def to_json(self, parts: list[PartName]) -> dict[str, Any]:
        return {
            part: {
                "text": self.texts.get(part),
                "error": self.problems[part].to_json() if part in self.problems else None,
            }
            for part in parts
        }


@dataclass(slots=True)
class Prepared:
    """A template's outcome; the rewritten parts the Mailtrap side renders (the outcome's parts, or, when the
    template failed after rewriting, for instance because verification found a difference, the rewrite's own
    parts, so the difference can be shown); and per fixture name its (SES, Mailtrap) renders."""

    outcome: TemplateOutcome
    converted: dict[PartName, str]
    renders: dict[str, tuple[Side, Side]]


def template_parts(t: Template | None) -> list[PartName]:
    return [part for part in PART_NAMES if t is not None and part in t.parts]


def fixture_data(t: Template | None, fixture: str) -> dict[str, Any]:
    if t is not None and fixture in t.fixtures:
        return t.fixtures[fixture].data
    return {}


def render_ses_side(t: Template | None, data: dict[str, Any]) -> Side:
    side = Side()
    if t is None:
        return side
    for part in template_parts(t):
        try:
            side.texts[part] = render_ses(t.parts[part], data)
        except TemplateSyntaxError as error:
            side.problems[part] = RenderProblem("syntax", error.message, part, error.line, error.column)
        except RenderError as error:
            kind: ErrorKind = "missing" if error.attribute else "render"
            side.problems[part] = RenderProblem(kind, error.message, part, error.line, error.column)
    return side


def render_mailtrap_side(outcome: TemplateOutcome, converted: dict[PartName, str], data: dict[str, Any]) -> Side:
    side = Side()
    for part in template_parts(outcome.template):
        if part not in converted:
            side.problems[part] = not_converted_problem(outcome, part)
            continue
        try:
            side.texts[part] = render_mailtrap(converted[part], data)
        except MailtrapRenderError as error:
            side.problems[part] = RenderProblem("render", str(error), part)
    return side


def not_converted_problem(outcome: TemplateOutcome, part: PartName) -> RenderProblem:
    errors = [f for f in outcome.findings if f.severity == Severity.ERROR]
    own = next((f for f in errors if f.part == part), None) or next(iter(errors), None)
    if own is None:
        return RenderProblem("not-converted", "the template was not converted", part)
    message = f"not converted: {own.code} {own.message}"
    return RenderProblem("not-converted", message, own.part or part, own.line, own.column)


def render_both(outcome: TemplateOutcome, converted: dict[PartName, str], fixture: str) -> tuple[Side, Side]:
    data = fixture_data(outcome.template, fixture)
    return render_ses_side(outcome.template, data), render_mailtrap_side(outcome, converted, data)


def converted_parts(t: Template, outcome: TemplateOutcome) -> dict[PartName, str]:
    """What the Mailtrap side renders: the converted parts; for a failed template, whatever the rewrite produced."""
    if outcome.parts:
        return dict(outcome.parts)
    try:
        return dict(convert_template(t, "preserve").parts)
    except Exception:  # the outcome already carries the reason as a finding
        return {}


def fixture_names(t: Template | None) -> list[str]:
    return sorted(t.fixtures) if t is not None and t.fixtures else [NO_FIXTURE]


def prepare(t: Template, load_findings: list[Finding]) -> Prepared:
    """Convert `t` (check, rewrite, verify) and render every fixture both ways."""
    outcome = convert_one(t, "preserve", None, load_findings)
    converted = converted_parts(t, outcome)
    return Prepared(outcome, converted, {name: render_both(outcome, converted, name) for name in fixture_names(t)})


def _warm_up() -> None:
    """Worker initializer: import the pipeline once, before the first job."""
    import templating.rules  # noqa: F401


class Preparer:
    """Runs `prepare` in `workers` spawned processes (0: in this process). A template always goes to the same
    process, so that process's caches (compiled parts that did not change) serve its next save."""

    def __init__(self, workers: int = MAX_WORKERS) -> None:
        self.workers = max(0, min(workers, os.cpu_count() or 1))
        self._pools: list[ProcessPoolExecutor] = []
        self._lock = threading.Lock()

    def run(self, jobs: list[tuple[Template, list[Finding]]]) -> list[Prepared]:
        if not jobs:
            return []
        pools = self._ensure_pools()
        if not pools:
            return [prepare(t, findings) for t, findings in jobs]
        try:
            futures: list[Future[Prepared]] = [
                pools[zlib.crc32(t.name.encode()) % len(pools)].submit(prepare, t, findings) for t, findings in jobs
            ]
            return [future.result() for future in futures]
        except (BrokenProcessPool, OSError, pickle.PicklingError, RuntimeError):
            self._disable()
            return [prepare(t, findings) for t, findings in jobs]

    def start(self) -> None:
        """Start the worker processes now (each takes a moment to import the pipeline)."""
        for pool in self._ensure_pools():
            pool.submit(_warm_up)

    def shutdown(self) -> None:
        """Stop the worker processes (pending jobs are cancelled; a running one is waited for)."""
        with self._lock:
            pools, self._pools = self._pools, []
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def _ensure_pools(self) -> list[ProcessPoolExecutor]:
        with self._lock:
            if not self._pools and self.workers > 0:
                try:
                    context = multiprocessing.get_context("spawn")
                    self._pools = [
                        ProcessPoolExecutor(1, mp_context=context, initializer=_warm_up) for _ in range(self.workers)
                    ]
                except (OSError, ValueError, ImportError):
                    self.workers = 0
            return list(self._pools)

    def _disable(self) -> None:
        self.shutdown()
        self.workers = 0
