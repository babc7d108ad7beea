"""D1xx: every parsed part rendered with every fixture by the SES renderer, every missing or null lookup reported.

The renderer (templating.render) reports each lookup that finds nothing, with its kind: "print" (`{{x}}`, which SES
refuses to render: the email is dropped), "condition"/"block" (`#if`, `#each`, sections...: undocumented in SES, so
a warning) and "partial-context". Any other render failure (a helper SES does not have, a partial not found) ends
that render and is reported with its location."""

from __future__ import annotations

from dataclasses import dataclass, field

from templating.catalogue import MISSING_ATTRIBUTE, MISSING_CONDITION, NULL_ATTRIBUTE, RENDER_ERROR, Rule, finding
from templating.hbs.nodes import Program
from templating.model import Finding, Fixture, PartName, Template
from templating.render import Compiled, MissingAttribute, RenderError, ses_missing_message

KIND_WORDS = {
    "condition": "tested by #if/#unless",
    "block": "opened by a block (#each, #with or a section)",
    "partial-context": "passed as a partial's context",
}


@dataclass(slots=True)
class _Collector:
    """The distinct missing lookups of one render (a loop reports the same place once per item)."""

    seen: set[tuple[str, int, int, str, bool]] = field(default_factory=set)
    found: list[MissingAttribute] = field(default_factory=list)

    def __call__(self, missing: MissingAttribute) -> None:
        key = (missing.name, missing.line, missing.column, missing.kind, missing.null)
        if key not in self.seen:
            self.seen.add(key)
            self.found.append(missing)


def fixture_findings(t: Template, programs: dict[PartName, Program]) -> list[Finding]:
    """D101-D104 for each part that parsed, with each fixture of the template."""
    findings: list[Finding] = []
    for part, program in programs.items():
        compiled = Compiled(t.parts[part], program)
        for fixture in t.fixtures.values():
            findings += _render_findings(t, part, compiled, fixture)
    return findings


def _render_findings(t: Template, part: PartName, compiled: Compiled, fixture: Fixture) -> list[Finding]:
    collector = _Collector()
    failure: RenderError | None = None
    try:
        compiled.render(fixture.data, escape=False, strict=True, on_missing=collector, output=False)
    except RenderError as error:
        failure = error
    path = t.part_paths.get(part, t.source)
    findings: list[Finding] = []
    for missing in collector.found:
        rule, message = _missing_verdict(missing, fixture.name)
        findings.append(
            finding(
                rule.code,
                message,
                path,
                missing.line,
                missing.column,
                template=t.name,
                part=part,
                fixture=fixture.name,
            )
        )
    if failure is not None:
        rule, message = _failure_verdict(failure, part, fixture.name)
        findings.append(
            finding(
                rule.code, message, path, failure.line, failure.column, template=t.name, part=part, fixture=fixture.name
            )
        )
    return findings


def _missing_verdict(missing: MissingAttribute, fixture: str) -> tuple[Rule, str]:
    name = missing.name
    if missing.kind == "print":
        ses = ses_missing_message(name)
        if missing.null:
            return NULL_ATTRIBUTE, (
                f'SES: "{ses}" ({name} is null in fixture {fixture!r}): SES drops the email, Mailtrap prints "": '
                f'send "" instead of null, or wrap it in {{{{#if {name}}}}}'
            )
        return MISSING_ATTRIBUTE, (
            f'SES: "{ses}" (fixture {fixture!r}): SES drops the email, Mailtrap prints "": add {name} to the '
            f"data, or wrap it in {{{{#if {name}}}}}"
        )
    state = "null" if missing.null else "missing"
    where = KIND_WORDS.get(missing.kind, "used")
    return MISSING_CONDITION, (
        f"{name} is {state} in fixture {fixture!r} where it is {where}: SES may drop the email (undocumented), "
        'Mailtrap treats it as empty: send it explicitly (false, [] or "")'
    )


def _failure_verdict(error: RenderError, part: PartName, fixture: str) -> tuple[Rule, str]:
    if error.attribute is not None:
        return MISSING_ATTRIBUTE, (
            f'SES: "{ses_missing_message(error.attribute)}" (fixture {fixture!r}): SES drops the email, Mailtrap '
            f'prints "": add {error.attribute} to the data'
        )
    return RENDER_ERROR, (
        f"SES cannot render the {part} part with fixture {fixture!r}: {error.message}; SES drops the email, "
        "Mailtrap renders something else: fix the template here"
    )
