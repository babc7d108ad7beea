"""What the pages show for one template and fixture: both renders, their comparison, and the annotated sources.

Renders come from `preview_server.rendering` (the library's SES and Mailtrap renderers); differences are located with
`templating.verify.first_difference`. Nothing is rendered or compared any other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from preview_server.rendering import NO_FIXTURE, Side, render_both, template_parts
from preview_server.workspace import TemplateEntry
from templating.model import PART_NAMES, PartName
from templating.rewrite import Rewrite
from templating.verify import first_difference

EXCERPT_CONTEXT = 60
Verdict = Literal["identical", "differs", "unavailable"]


@dataclass(slots=True)
class Excerpt:
    """Around the first difference: text before it, the differing character (may be empty at an end), text after."""

    before: str
    mark: str
    after: str


@dataclass(slots=True)
class PartComparison:
    part: PartName
    verdict: Verdict
    offset: int = 0
    line: int = 0
    column: int = 0
    ses_excerpt: Excerpt | None = None
    mailtrap_excerpt: Excerpt | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "offset": self.offset if self.verdict == "differs" else None,
            "line": self.line if self.verdict == "differs" else None,
            "column": self.column if self.verdict == "differs" else None,
        }


@dataclass(slots=True)
class RenderSet:
    template_id: str
    generation: int
    fixture: str
    fixtures: list[str]
    parts: list[PartName]
    ses: Side
    mailtrap: Side
    comparisons: dict[PartName, PartComparison]

    @property
    def verdict(self) -> Verdict:
        verdicts = {c.verdict for c in self.comparisons.values()}
        if "differs" in verdicts:
            return "differs"
        if verdicts == {"identical"}:
            return "identical"
        return "unavailable"

    @property
    def first_difference(self) -> PartComparison | None:
        return next((c for c in self.comparisons.values() if c.verdict == "differs"), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template_id,
            "generation": self.generation,
            "fixture": self.fixture,
            "fixtures": self.fixtures,
            "verdict": self.verdict,
            "ses": self.ses.to_json(self.parts),
            "mailtrap": self.mailtrap.to_json(self.parts),
            "comparison": {part: c.to_json() for part, c in self.comparisons.items()},
        }


def choose_fixture(entry: TemplateEntry, wanted: str | None) -> str:
    names = entry.fixture_names
    if wanted in names:
        return wanted  # type: ignore[return-value]
    if "default" in names:
        return "default"
    return names[0] if names else NO_FIXTURE


def build_render_set(entry: TemplateEntry, wanted_fixture: str | None) -> RenderSet:
    """The original rendered as SES and the converted template as Mailtrap for one fixture, compared. The renders
    prepared with the template's outcome are used; a fixture without them is rendered now."""
    fixture = choose_fixture(entry, wanted_fixture)
    prepared = entry.renders.get(fixture)
    ses, mailtrap = prepared if prepared is not None else render_both(entry.outcome, entry.converted, fixture)
    parts = template_parts(entry.template)
    comparisons = {part: compare_part(part, ses, mailtrap) for part in parts}
    return RenderSet(entry.id, entry.generation, fixture, entry.fixture_names, parts, ses, mailtrap, comparisons)


def compare_part(part: PartName, ses: Side, mailtrap: Side) -> PartComparison:
    left, right = ses.texts.get(part), mailtrap.texts.get(part)
    if left is None or right is None:
        return PartComparison(part, "unavailable")
    if left == right:
        return PartComparison(part, "identical")
    offset = first_difference(left, right)
    line = left.count("\n", 0, offset) + 1
    column = offset - (left.rfind("\n", 0, offset) + 1) + 1
    return PartComparison(part, "differs", offset, line, column, excerpt(left, offset), excerpt(right, offset))


def excerpt(text: str, offset: int) -> Excerpt:
    start = max(0, offset - EXCERPT_CONTEXT)
    end = min(len(text), offset + 1 + EXCERPT_CONTEXT)
    return Excerpt(text[start:offset], text[offset : offset + 1], text[offset + 1 : end])


# --------------------------------------------------------------------------------------------- annotated sources


@dataclass(slots=True)
class Segment:
    text: str
    rewrite: Rewrite | None = None

    @property
    def title(self) -> str:
        if self.rewrite is None:
            return ""
        r = self.rewrite
        return f"{r.code} at {r.part} {r.line}:{r.column}: {_short(r.before)} → {_short(r.after)}"


@dataclass(slots=True)
class AnnotatedPart:
    part: PartName
    original: list[Segment]
    converted: list[Segment] | None
    rewrites: list[Rewrite]
    unplaced: int  # rewrites whose text could not be found in the converted source


def annotate_sources(entry: TemplateEntry) -> list[AnnotatedPart]:
    """Each part's original source with the rewritten spans marked, and its converted source with the new text
    marked (found by searching each rewrite's `after` text in order)."""
    t = entry.template
    if t is None:
        return []
    annotated: list[AnnotatedPart] = []
    for part in PART_NAMES:
        if part not in t.parts:
            continue
        rewrites = sorted((r for r in entry.outcome.rewrites if r.part == part), key=lambda r: (r.line, r.column))
        original = mark_original(t.parts[part], rewrites)
        converted_text = entry.converted.get(part)
        converted, unplaced = (None, 0) if converted_text is None else mark_converted(converted_text, rewrites)
        annotated.append(AnnotatedPart(part, original, converted, rewrites, unplaced))
    return annotated


def line_offsets(text: str) -> list[int]:
    offsets = [0]
    index = text.find("\n")
    while index >= 0:
        offsets.append(index + 1)
        index = text.find("\n", index + 1)
    return offsets


def mark_original(source: str, rewrites: list[Rewrite]) -> list[Segment]:
    starts = line_offsets(source)
    spans: list[tuple[int, int, Rewrite]] = []
    for r in rewrites:
        if not r.before or not 1 <= r.line <= len(starts):
            continue
        start = starts[r.line - 1] + r.column - 1
        if source.startswith(r.before, start):
            spans.append((start, start + len(r.before), r))
    return _segments(source, spans)


def mark_converted(converted: str, rewrites: list[Rewrite]) -> tuple[list[Segment], int]:
    spans: list[tuple[int, int, Rewrite]] = []
    cursor = 0
    unplaced = 0
    for r in rewrites:
        if not r.after:
            continue
        found = converted.find(r.after, cursor)
        if found < 0:
            unplaced += 1
            continue
        spans.append((found, found + len(r.after), r))
        cursor = found + len(r.after)
    return _segments(converted, spans), unplaced


def _segments(text: str, spans: list[tuple[int, int, Rewrite]]) -> list[Segment]:
    segments: list[Segment] = []
    cursor = 0
    for start, end, rewrite in sorted(spans, key=lambda span: span[0]):
        if start < cursor:
            continue  # overlapping (nested) rewrites: the outer one is marked
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], rewrite))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def _short(text: str, limit: int = 80) -> str:
    flat = text.replace("\n", "⏎")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
