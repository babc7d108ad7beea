"""Snapshots of rendered emails: one set of files per template x fixture, shared by `ses2mt snapshot` and the pytest
plugin (templating/pytest_plugin.py).

    render_email(t, fixture, dialect="mailtrap") -> RenderedEmail     # raises SnapshotError (a message, no traceback)
    snapshot_files(rendered) -> {file name suffix: content}             # what is stored
    write_snapshots(src, directory, dialect="mailtrap") -> SnapshotRun  # the CLI's job

Layout under the snapshot folder, for template `welcome` and fixture `invited`:

    welcome/invited.subject.txt   the subject as rendered
    welcome/invited.html          the HTML part, normalized (templating.normalize)
    welcome/invited.txt           the text part as rendered

A part the template does not have has no file. The files do not depend on the dialect: the Mailtrap render of the
converted template must equal the SES render of the original (that is what `ses2mt verify` proves), so a snapshot
written from one dialect checks the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from templating.fileio import write_atomic
from templating.loaders import load
from templating.model import PART_NAMES, Finding, PartName, Severity, Template
from templating.normalize import normalize_html

Dialect = Literal["mailtrap", "ses"]
DIALECTS: tuple[Dialect, ...] = ("mailtrap", "ses")
PART_SUFFIXES: dict[PartName, str] = {"subject": ".subject.txt", "html": ".html", "text": ".txt"}

__all__ = [
    "DIALECTS",
    "PART_SUFFIXES",
    "Dialect",
    "RenderedEmail",
    "SnapshotError",
    "SnapshotRun",
    "case_id",
    "converted_parts",
    "render_email",
    "snapshot_files",
    "snapshot_paths",
    "write_snapshots",
]


class SnapshotError(Exception):
    """A template x fixture that cannot be rendered; `message` says why, with locations."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One template rendered with one fixture: the parts the template has, as the dialect prints them."""

    template: str
    fixture: str
    dialect: Dialect
    parts: dict[PartName, str]


def case_id(template: str, fixture: str) -> str:
    """The readable id of a template x fixture: `welcome[invited]`."""
    return f"{template}[{fixture}]"


def _format_findings(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.path}:{f.line}:{f.column}: {f.code} {f.severity} {f.message}" for f in findings)


def converted_parts(t: Template) -> dict[PartName, str]:
    from templating.rewrite import convert_template

    conversion = convert_template(t)
    errors = [f for f in conversion.findings if f.severity == Severity.ERROR]
    if errors or len(conversion.parts) != len(t.parts):
        detail = _format_findings(errors) or "  (a part could not be converted)"
        raise SnapshotError(f"{t.name}: the template cannot be converted for Mailtrap:\n{detail}")
    return conversion.parts


def render_email(
    t: Template, fixture: str, dialect: Dialect = "mailtrap", converted: dict[PartName, str] | None = None
) -> RenderedEmail:
    """Render every part of `t` with fixture `fixture`: "mailtrap" renders the converted template with the Mailtrap
    dialect (pybars3, as verification does); "ses" renders the original as SES does. `converted` may carry the
    converted parts when the caller already has them."""
    if fixture not in t.fixtures:
        known = ", ".join(sorted(t.fixtures)) or "none"
        raise SnapshotError(f"{t.name}: no fixture {fixture!r} (fixtures: {known})")
    data = t.fixtures[fixture].data
    if dialect == "mailtrap":
        sources = converted if converted is not None else converted_parts(t)
        parts = {part: _render_mailtrap(t, part, sources[part], data, fixture) for part in sources}
    elif dialect == "ses":
        parts = {part: _render_ses(t, part, source, data, fixture) for part, source in t.parts.items()}
    else:
        raise SnapshotError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    ordered = {part: parts[part] for part in PART_NAMES if part in parts}
    return RenderedEmail(t.name, fixture, dialect, ordered)


def _render_mailtrap(t: Template, part: PartName, source: str, data: dict, fixture: str) -> str:
    from templating.mailtrap_render import MailtrapRenderError, render_mailtrap

    try:
        return render_mailtrap(source, data)
    except MailtrapRenderError as error:
        raise SnapshotError(f"{t.name}[{fixture}] {part}: {error}") from None


def _render_ses(t: Template, part: PartName, source: str, data: dict, fixture: str) -> str:
    from templating.hbs.errors import TemplateSyntaxError
    from templating.render import RenderError, compile_template

    try:
        return compile_template(source).render(data, escape=False, strict=True)
    except (RenderError, TemplateSyntaxError) as error:
        path = t.part_paths.get(part, t.source)
        line, column = getattr(error, "line", 0) or 0, getattr(error, "column", 0) or 0
        message = getattr(error, "message", str(error))
        raise SnapshotError(
            f"{path}:{line}:{column}: {t.name}[{fixture}] {part}: SES cannot render: {message}"
        ) from None


def snapshot_files(rendered: RenderedEmail) -> dict[str, str]:
    """The stored form of each part, keyed by file name suffix (`.subject.txt`, `.html`, `.txt`)."""
    files: dict[str, str] = {}
    for part, text in rendered.parts.items():
        files[PART_SUFFIXES[part]] = normalize_html(text) if part == "html" else text
    return files


def snapshot_paths(directory: Path, template: str, fixture: str) -> dict[str, Path]:
    """Where each part's snapshot lives, keyed by file name suffix."""
    return {suffix: directory / template / f"{fixture}{suffix}" for suffix in PART_SUFFIXES.values()}


# ----------------------------------------------------------------------------------------------- writing a folder


@dataclass(slots=True)
class SnapshotRun:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)  # snapshot files no template x fixture produces any more
    removed: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    load_findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(f.severity == Severity.ERROR for f in self.load_findings)


def _store(path: Path, content: str, run: SnapshotRun) -> None:
    try:
        current = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current == content:
        run.unchanged.append(path)
    else:
        write_atomic(path, content)
        run.written.append(path)


def write_snapshots(src: Path, directory: Path, dialect: Dialect = "mailtrap", prune: bool = False) -> SnapshotRun:
    """Render every template x fixture under `src` and write its snapshot files under `directory` (only files whose
    content changed are rewritten). A template that cannot be rendered is a problem; the others are still written.
    Snapshot files of templates/fixtures that no longer exist are listed as stale, and deleted with `prune` (only
    when every template rendered, so that a broken template never loses its snapshots)."""
    result = load(src)
    run = SnapshotRun(load_findings=[f for f in result.findings if f.severity == Severity.ERROR])
    broken: set[str] = set()
    for t in result.templates:
        try:
            converted = converted_parts(t) if dialect == "mailtrap" else None
        except SnapshotError as error:
            run.problems.append(error.message)
            broken.add(t.name)
            continue
        for fixture in sorted(t.fixtures):
            try:
                rendered = render_email(t, fixture, dialect, converted)
            except SnapshotError as error:
                run.problems.append(error.message)
                broken.add(t.name)
                continue
            paths = snapshot_paths(directory, t.name, fixture)
            for suffix, content in snapshot_files(rendered).items():
                _store(paths[suffix], content, run)
    run.stale = _stale_files(directory, {*run.written, *run.unchanged}, broken)
    if prune and run.ok:
        for path in run.stale:
            path.unlink(missing_ok=True)
        run.removed, run.stale = run.stale, []
    return run


def _stale_files(directory: Path, current: set[Path], broken: set[str]) -> list[Path]:
    """Snapshot-shaped files under `directory` that this run did not produce (templates that failed to render keep
    theirs: they are not stale, just broken for now)."""
    if not directory.is_dir():
        return []
    suffixes = tuple(PART_SUFFIXES.values())
    return sorted(
        path
        for path in directory.glob("*/*")
        if path.is_file() and path.name.endswith(suffixes) and path not in current and path.parent.name not in broken
    )
