"""Conformance of templating.render with handlebars.js 4.7.8: the handlebars-spec and mustache-spec suites.

Scope: every rendering case that needs no JavaScript (cases with `helpers`, `decorators` or JavaScript functions in
their data are out of scope and skipped with that reason). parser.json and tokenizer.json test the parser's AST and
token dumps, not rendering. The mustache spec runs in compat mode and skips what handlebars.js's own test suite skips.
Every other skip is listed in KNOWN_DIFFERENCES with its reason; `test_conformance_rate` keeps the pass rate of the
in-scope cases at 95 % or more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from templating.hbs import TemplateSyntaxError
from templating.render import RenderError, compile_template

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
HANDLEBARS_SPEC = SHARED / "conformance" / "handlebars-spec"
MUSTACHE_SPEC = SHARED / "conformance" / "mustache-spec"

NOT_RENDERING_FILES = {
    "parser": "parser AST dumps (Handlebars.print), not rendering: tested by the parser's own tests",
    "tokenizer": "lexer token dumps, not rendering: tested by the parser's own tests",
}
MUSTACHE_SKIPPED_FILES = {
    "~lambdas": "handlebars.js knowingly deviates from the optional lambda spec (and lambdas are JavaScript)",
    "delimiters": "handlebars.js does not support alternative delimiters",
    "~dynamic-names": "handlebars.js does not support dynamic names",
    "~inheritance": "handlebars.js does not support template inheritance",
}
MUSTACHE_SKIPPED_CASES = {
    "Failed Lookup": "handlebars.js throws for a missing partial where mustache renders nothing",
    "Standalone Indentation": "handlebars.js indents differently (skipped by handlebars.js's own test suite)",
}
UNSUPPORTED_COMPILE_OPTIONS = {"stringParams", "trackIds"}

# Cases in scope that we do not pass, each with the reason (key: case id as built by `_case_id`).
KNOWN_DIFFERENCES: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    id: str
    template: str
    data: Any
    expected: str | None
    exception: bool
    compile_options: dict[str, Any] = field(default_factory=dict)
    partials: dict[str, str] = field(default_factory=dict)
    runtime_data: dict[str, Any] | None = None
    out_of_scope: str | None = None


def _case_id(stem: str, raw: dict[str, Any]) -> str:
    if "name" in raw:
        return f"mustache/{stem}: {raw['name']}"
    number = f" #{raw['number']}" if raw.get("number") else ""
    return f"{stem}: {raw['description']} / {raw['it']}{number}"


def _has_code(value: Any) -> bool:
    if isinstance(value, dict):
        return "!code" in value or any(_has_code(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_code(item) for item in value)
    return False


def _out_of_scope(raw: dict[str, Any]) -> str | None:
    if raw.get("helpers"):
        return "needs JavaScript helpers"
    if raw.get("decorators"):
        return "needs JavaScript decorators"
    if "!sparsearray" in json.dumps(raw.get("data")):
        return "its data is a JavaScript sparse array (no Python equivalent)"
    if _has_code(raw.get("data")) or _has_code(raw.get("runtimeOptions")) or _has_code(raw.get("partials")):
        return "its data holds JavaScript functions"
    unsupported = UNSUPPORTED_COMPILE_OPTIONS & set(raw.get("compileOptions") or {})
    if unsupported:
        return f"compile options for JavaScript helpers: {', '.join(sorted(unsupported))}"
    return None


def handlebars_cases() -> Iterator[Case]:
    for path in sorted(HANDLEBARS_SPEC.glob("*.json")):
        if path.stem in NOT_RENDERING_FILES:
            continue
        for raw in json.loads(path.read_text(encoding="utf-8")):
            runtime = raw.get("runtimeOptions") or {}
            yield Case(
                id=_case_id(path.stem, raw),
                template=raw["template"],
                data=raw.get("data"),
                expected=raw.get("expected"),
                exception=bool(raw.get("exception")),
                compile_options=raw.get("compileOptions") or {},
                partials=raw.get("partials") or {},
                runtime_data=runtime.get("data"),
                out_of_scope=_out_of_scope(raw),
            )


def mustache_cases() -> Iterator[Case]:
    for path in sorted(MUSTACHE_SPEC.glob("*.json")):
        file_reason = MUSTACHE_SKIPPED_FILES.get(path.stem)
        for raw in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            reason = file_reason or MUSTACHE_SKIPPED_CASES.get(raw["name"])
            partials = raw.get("partials") or {}
            if reason is None and ("{{=" in raw["template"] or any("{{=" in p for p in partials.values())):
                reason = "handlebars.js does not support alternative delimiters"
            yield Case(
                id=_case_id(path.stem, raw),
                template=raw["template"],
                data=raw.get("data"),
                expected=raw.get("expected"),
                exception=False,
                compile_options={"compat": True},
                partials=partials,
                out_of_scope=reason,
            )


def all_cases() -> list[Case]:
    if not HANDLEBARS_SPEC.is_dir() or not MUSTACHE_SPEC.is_dir():
        return []
    return [*handlebars_cases(), *mustache_cases()]


def render_case(case: Case) -> str:
    options = case.compile_options
    compiled = compile_template(case.template, ignore_standalone=bool(options.get("ignoreStandalone")))
    known = options.get("knownHelpers") or {}
    return compiled.render(
        case.data,
        escape=not options.get("noEscape", False),
        strict=False,
        js_strict=bool(options.get("strict")),
        assume_objects=bool(options.get("assumeObjects")),
        compat=bool(options.get("compat")),
        prevent_indent=bool(options.get("preventIndent")),
        known_helpers_only=bool(options.get("knownHelpersOnly")),
        known_helpers=frozenset(name for name, on in known.items() if on),
        data_frames=options.get("data", True) is not False,
        explicit_partial_context=bool(options.get("explicitPartialContext")),
        partials=case.partials,
        initial_data=case.runtime_data,
    )


def case_passes(case: Case) -> tuple[bool, str]:
    """Whether our render agrees with the case, and what we produced."""
    try:
        output = render_case(case)
    except (RenderError, TemplateSyntaxError) as error:
        return case.exception, f"error: {error}"
    if case.exception:
        return False, f"no error, rendered {output!r}"
    return output == case.expected, repr(output)


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_conformance_case(case: Case) -> None:
    if case.out_of_scope:
        pytest.skip(case.out_of_scope)
    if case.id in KNOWN_DIFFERENCES:
        pytest.skip(f"known difference: {KNOWN_DIFFERENCES[case.id]}")
    passed, produced = case_passes(case)
    expected = "an error" if case.exception else repr(case.expected)
    assert passed, f"{case.id}\ntemplate: {case.template!r}\nexpected {expected}, got {produced}"


def test_known_differences_are_real_cases() -> None:
    if not CASES:
        pytest.skip("../shared/conformance is absent")
    ids = {case.id for case in CASES if not case.out_of_scope}
    assert set(KNOWN_DIFFERENCES) <= ids


def test_conformance_rate() -> None:
    """At least 95 % of the in-scope handlebars-spec cases pass (known differences count as failures)."""
    in_scope = [case for case in CASES if not case.out_of_scope and not case.id.startswith("mustache/")]
    if not in_scope:
        pytest.skip("../shared/conformance is absent")
    passed = sum(1 for case in in_scope if case_passes(case)[0])
    assert passed / len(in_scope) >= 0.95, f"{passed}/{len(in_scope)} in-scope handlebars-spec cases pass"
