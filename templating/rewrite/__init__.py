"""Rewrite an SES template into Mailtrap's documented Handlebars subset, exactly, or say precisely why not.

    convert_template(t, escape="preserve") -> Conversion

Rewrites (each recorded with code, part, line, column, before, after): `{{x}}` -> `{{{x}}}` (R101, --escape preserve),
inline partials expanded (R102) and their definitions removed (R103), `{{else if}}` chains nested (R104), block
parameters renamed (R105), mustache sections typed from the fixtures (R106, R107), comments holding braces (R108),
`{{^}}` -> `{{else}}` (R109). Regions no rewrite touches are copied byte for byte. docs/convert.md has the details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from templating.catalogue import finding
from templating.hbs import parse
from templating.hbs.errors import TemplateSyntaxError
from templating.model import PART_NAMES, Finding, PartName, Severity, Template

from .converter import EscapePolicy, PartConverter

__all__ = ["Conversion", "EscapePolicy", "Rewrite", "convert_part", "convert_template"]


@dataclass(frozen=True, slots=True)
class Rewrite:
    code: str
    part: PartName
    line: int
    column: int
    before: str
    after: str

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "part": self.part,
            "line": self.line,
            "column": self.column,
            "before": self.before,
            "after": self.after,
        }


@dataclass(slots=True)
class Conversion:
    """The converted parts (only the parts the template has), what was rewritten, and what could not be."""

    template: Template
    escape: EscapePolicy
    parts: dict[PartName, str] = field(default_factory=dict)
    rewrites: list[Rewrite] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == Severity.ERROR for f in self.findings)


def fixture_pairs(t: Template) -> list[tuple[str, dict[str, Any]]]:
    return [(name, t.fixtures[name].data) for name in sorted(t.fixtures)]


def convert_part(
    source: str, part: PartName, fixtures: list[tuple[str, dict[str, Any]]], escape: EscapePolicy = "preserve"
) -> PartConverter:
    """Convert one part's source (raises TemplateSyntaxError); the converter holds text, changes and problems."""
    converter = PartConverter(source, part, fixtures, escape)
    converter.convert(parse(source))
    return converter


def convert_template(t: Template, escape: EscapePolicy = "preserve") -> Conversion:
    conversion = Conversion(t, escape)
    fixtures = fixture_pairs(t)
    for part in PART_NAMES:
        source = t.parts.get(part)
        if source is None:
            continue
        path = t.part_paths.get(part, t.source)
        try:
            converter = convert_part(source, part, fixtures, escape)
        except TemplateSyntaxError as error:
            conversion.findings.append(
                finding("P101", error.message, path, error.line, error.column, template=t.name, part=part)
            )
            continue
        conversion.parts[part] = converter.text
        for change in converter.changes:
            conversion.rewrites.append(
                Rewrite(change.code, part, change.span.line, change.span.column, change.before, change.after)
            )
        for problem in converter.problems:
            conversion.findings.append(
                finding(
                    problem.code,
                    problem.message,
                    path,
                    problem.span.line,
                    problem.span.column,
                    template=t.name,
                    part=part,
                    fixture=problem.fixture,
                )
            )
    return conversion
