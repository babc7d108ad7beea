"""The conversion pipeline shared by the CLI, the preview server and the uploader:

    load -> check -> rewrite -> verify -> (emit)

`convert_source(src, ...)` runs it over a file or folder and returns a `ConvertRun`; `convert_one(t, ...)` runs it for
one loaded template. A template never stops the batch: an unexpected exception becomes an X101 finding for that
template. `jobs` > 1 spreads templates over worker processes.

A template is "failed" when any error finding concerns it, except fixture problems (D1xx, L108): a fixture SES cannot
render is reported and skipped by verification, the template itself still converts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from templating.catalogue import SYNTAX_ERROR, finding
from templating.diagnostics import place_findings
from templating.loaders import load
from templating.model import Finding, LoadResult, PartName, Severity, Template
from templating.rewrite import EscapePolicy, Rewrite, convert_template
from templating.verify import verify_conversion

DEFAULT_CATEGORY = "migrated-from-ses"
FIXTURE_PROBLEM_CODES = ("D", "L108")
# A template over SES's or Mailtrap's size limit fails whatever the proof says, and proving a body that size takes
# pybars3 minutes: the proof is skipped.
SIZE_LIMIT_CODES = ("M101", "M105")
PROOF_SKIPPED_OVER_LIMIT = "conversion not proven: the template is over a size limit (M101/M105), so it fails anyway"
PARALLEL_THRESHOLD = 8
Status = Literal["converted", "failed"]


@dataclass(slots=True)
class TemplateOutcome:
    """One template's result. `template` is None for a file that could not be loaded at all."""

    name: str
    source: Path
    status: Status
    findings: list[Finding] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    template: Template | None = None
    parts: dict[PartName, str] = field(default_factory=dict)
    category: str = DEFAULT_CATEGORY
    verified_fixtures: list[str] = field(default_factory=list)

    def mailtrap_json(self) -> dict[str, str]:
        """Exactly the `email_template` object of Mailtrap's create call. Absent parts are ""."""
        return {
            "name": self.name,
            "subject": self.parts.get("subject", ""),
            "category": self.category,
            "body_html": self.parts.get("html", ""),
            "body_text": self.parts.get("text", ""),
        }


@dataclass(slots=True)
class ConvertRun:
    src: Path
    escape: EscapePolicy
    outcomes: list[TemplateOutcome]

    @property
    def failed(self) -> list[TemplateOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed


def is_failure(f: Finding) -> bool:
    return f.severity == Severity.ERROR and not f.code.startswith(FIXTURE_PROBLEM_CODES)


def template_category(t: Template, default: str | None) -> str:
    return t.tags.get("category") or default or DEFAULT_CATEGORY


def convert_one(
    t: Template,
    escape: EscapePolicy = "preserve",
    category: str | None = None,
    load_findings: Sequence[Finding] = (),
) -> TemplateOutcome:
    """Check, rewrite and verify one template. Never raises."""
    outcome = TemplateOutcome(t.name, t.source, "failed", list(load_findings), template=t)
    outcome.category = template_category(t, category)
    try:
        outcome.findings += check_findings(t)
        conversion = convert_template(t, escape)
        outcome.rewrites = conversion.rewrites
        outcome.findings += [f for f in conversion.findings if f.code != SYNTAX_ERROR.code]  # the checker has them
        if conversion.ok and len(conversion.parts) == len(t.parts):
            outcome.parts = conversion.parts
            if any(f.code in SIZE_LIMIT_CODES for f in outcome.findings):
                outcome.findings.append(finding("V104", PROOF_SKIPPED_OVER_LIMIT, t.source, template=t.name))
            else:
                verification = verify_conversion(conversion)
                outcome.findings += verification.findings
                outcome.verified_fixtures = sorted(verification.verified_fixtures)
    except Exception as exc:  # a bug in ses2mt: report it for this template, keep the batch going
        message = f"converting this template failed: {type(exc).__name__}: {exc}"
        outcome.findings.append(finding("X101", message, t.source, template=t.name))
    outcome.findings = dedupe(place_findings(outcome.findings, [t]))
    failed = any(is_failure(f) for f in outcome.findings) or not outcome.parts
    outcome.status = "failed" if failed else "converted"
    if failed:
        outcome.parts = {}
    return outcome


def require_proof(run: ConvertRun) -> None:
    """`--require-proof`: a converted template that no fixture proved (V104) fails, its V104 an error."""
    for outcome in run.outcomes:
        if outcome.status == "converted" and any(f.code == "V104" for f in outcome.findings):
            outcome.findings = [
                replace(f, severity=Severity.ERROR) if f.code == "V104" else f for f in outcome.findings
            ]
            outcome.status = "failed"
            outcome.parts = {}


def check_findings(t: Template) -> list[Finding]:
    from templating.rules import check_template

    return check_template(t)


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    unique: list[Finding] = []
    for f in findings:
        key = (f.code, f.message, str(f.path), f.line, f.column, f.part, f.fixture)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _convert_job(args: tuple[Template, EscapePolicy, str | None, list[Finding]]) -> TemplateOutcome:
    t, escape, category, load_findings = args
    return convert_one(t, escape, category, load_findings)


def convert_source(
    src: Path,
    escape: EscapePolicy = "preserve",
    category: str | None = None,
    jobs: int = 1,
    progress: Callable[[TemplateOutcome], None] | None = None,
) -> ConvertRun:
    """Load SRC and convert every template in it; files that did not load become failed outcomes."""
    return convert_loaded(load(src), src, escape, category, jobs, progress)


def convert_loaded(
    result: LoadResult,
    src: Path,
    escape: EscapePolicy = "preserve",
    category: str | None = None,
    jobs: int = 1,
    progress: Callable[[TemplateOutcome], None] | None = None,
) -> ConvertRun:
    loaded = {t.name: t for t in result.templates}
    per_template: dict[str, list[Finding]] = {name: [] for name in loaded}
    unloaded: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.template in loaded and f.code != "L107":
            per_template[f.template].append(f)
        else:
            unloaded.setdefault(str(f.path), []).append(f)
    jobs_args = [(t, escape, category, per_template[t.name]) for t in result.templates]
    outcomes = run_jobs(jobs_args, jobs, progress)
    for path, findings in unloaded.items():
        if not any(f.severity == Severity.ERROR for f in findings):
            continue
        name = next((f.template for f in findings if f.template), None) or Path(path).stem
        outcomes.append(TemplateOutcome(name, Path(path), "failed", findings))
    outcomes.sort(key=lambda outcome: (outcome.name, str(outcome.source)))
    return ConvertRun(src, escape, outcomes)


def run_jobs(
    jobs_args: list[tuple[Template, EscapePolicy, str | None, list[Finding]]],
    jobs: int,
    progress: Callable[[TemplateOutcome], None] | None,
) -> list[TemplateOutcome]:
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    outcomes: list[TemplateOutcome] = []
    if jobs > 1 and len(jobs_args) >= PARALLEL_THRESHOLD:
        try:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for outcome in pool.map(_convert_job, jobs_args, chunksize=4):
                    outcomes.append(outcome)
                    if progress:
                        progress(outcome)
            return outcomes
        except (BrokenProcessPool, OSError):  # no worker processes available: finish in this process
            outcomes = []
    for args in jobs_args:
        outcome = _convert_job(args)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes
