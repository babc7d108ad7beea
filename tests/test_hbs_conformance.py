"""Conformance of templating.hbs.parse with handlebars.js 4.7.8's `Handlebars.parse`, plus printer round trips.

Every template (and every partial) of ../shared/conformance/handlebars-spec and mustache-spec (delimiters excluded:
handlebars has no set-delimiter tag) must be accepted exactly when handlebars.js's parser accepts it. The expected
outcome of each case is derived below from the spec data plus explicit, reasoned lists; the lists were established by
running handlebars.js 4.7.8's `parse` on every case during development.

Accepted templates must print back byte for byte; so must the shared real corpus and every part under templates_in/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from templating.hbs import TemplateSyntaxError, parse, to_source

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HBS_SPEC = SHARED / "conformance" / "handlebars-spec"
MUSTACHE_SPEC = SHARED / "conformance" / "mustache-spec"

# Cases marked `"exception": true` whose error is raised when rendering, not when parsing: handlebars.js's `parse`
# accepts these templates (the spec's exception comes from helpers, strict mode, missing partials, ...).
RUNTIME_EXCEPTIONS: dict[str, str] = {
    "builtins.json#38": "#each without an argument: the helper throws at render time",
    "helpers.json#48": "helperMissing: unknown helper with arguments throws at render time",
    "helpers.json#58": "knownHelpersOnly is a compile option, not a syntax rule",
    "helpers.json#78": "#if arity is checked by the helper at render time",
    "helpers.json#79": "#if arity is checked by the helper at render time",
    "helpers.json#80": "#if arity is checked by the helper at render time",
    "helpers.json#81": "#if arity is checked by the helper at render time",
    "helpers.json#82": "#unless arity is checked by the helper at render time",
    "helpers.json#83": "#unless arity is checked by the helper at render time",
    "helpers.json#84": "#with arity is checked by the helper at render time",
    "helpers.json#85": "#with arity is checked by the helper at render time",
    "partials.json#4": "dynamic partial whose name resolves to nothing: render-time error",
    "partials.json#10": "duplicate partial parameters are rejected by the compiler, not the parser",
    "partials.json#13": "undefined partial: render-time error",
    "partials.json#14": "template partial in vm mode: render-time error",
    "partials.json#45": "inline partial used outside its block: render-time error",
    "strict.json#0": "strict mode lookups fail at render time",
    "strict.json#2": "strict mode lookups fail at render time",
    "strict.json#4": "strict mode lookups fail at render time",
    "strict.json#5": "strict mode lookups fail at render time",
    "strict.json#6": "strict mode lookups fail at render time",
    "strict.json#8": "strict mode lookups fail at render time",
    "strict.json#9": "strict mode lookups fail at render time",
    "strict.json#10": "strict mode lookups fail at render time",
    "strict.json#11": "strict mode lookups fail at render time",
    "strict.json#12": "strict mode lookups fail at render time",
    "strict.json#15": "strict mode lookups fail at render time",
    "strict.json#18": "assumeObjects lookups fail at render time",
    "strict.json#19": "assumeObjects lookups fail at render time",
    "strict.json#20": "assumeObjects lookups fail at render time",
    "subexpressions.json#17": "a subexpression that is a plain lookup fails when called at render time",
}

# tokenizer.json only checks the token stream; these token streams are not complete programs, so `Handlebars.parse`
# rejects them (an unclosed block, a lone {{else}} / {{^}}, a tag without its close, ...).
TOKENIZER_ONLY: dict[str, str] = {
    "tokenizer.json#29": "{{#> foo}} partial block is never closed",
    "tokenizer.json#36": "{{^}} outside a block",
    "tokenizer.json#37": "{{else}} outside a block",
    "tokenizer.json#38": "{{ else }} outside a block",
    "tokenizer.json#39": "{{^foo}} inverted section is never closed",
    "tokenizer.json#40": "{{^ foo  }} inverted section is never closed",
    "tokenizer.json#66": "{{foo} lacks its closing braces",
    "tokenizer.json#67": "'&' in the middle of a tag",
    "tokenizer.json#72": "block with block params is never closed",
    "tokenizer.json#73": "block with block params is never closed",
    "tokenizer.json#74": "block with block params is never closed",
    "tokenizer.json#75": "block with block params is never closed",
    "tokenizer.json#76": "{{else ...}} outside a block",
}

# Syntax of the optional Mustache modules that handlebars.js does not have: `{{<parent}}` and `{{$block}}`
# (inheritance), `{{>*name}}` (dynamic names), `{{=| |=}}` (set delimiters, used by two lambda cases). handlebars.js
# rejects every template that uses them (`{{$x}}` parses as a mustache, but its `{{/x}}` then closes nothing).
MUSTACHE_ONLY_SYNTAX = re.compile(r"\{\{(<|\$|> ?\*|=)")


def _case_id(path: Path, index: int) -> str:
    return f"{path.name}#{index}"


def _handlebars_cases() -> Iterator[tuple[str, str, bool, bool]]:
    """(id, template, expect_accept, ignore_standalone) for every handlebars-spec template and partial."""
    for path in sorted(HBS_SPEC.glob("*.json")):
        for index, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            case_id = _case_id(path, index)
            ignore = bool((case.get("compileOptions") or {}).get("ignoreStandalone"))
            if case_id in TOKENIZER_ONLY:
                accept = False
            elif case.get("exception"):
                accept = case_id in RUNTIME_EXCEPTIONS
            else:
                accept = True
            yield case_id, case["template"], accept, ignore
            for name, partial in sorted((case.get("partials") or {}).items()):
                if isinstance(partial, str):
                    yield f"{case_id}:partial:{name}", partial, True, False


def _mustache_cases() -> Iterator[tuple[str, str, bool, bool]]:
    for path in sorted(MUSTACHE_SPEC.glob("*.json")):
        if path.name == "delimiters.json":
            continue
        for index, case in enumerate(json.loads(path.read_text(encoding="utf-8"))["tests"]):
            case_id = _case_id(path, index)
            templates = [(case_id, case["template"])]
            templates += [(f"{case_id}:partial:{k}", v) for k, v in sorted((case.get("partials") or {}).items())]
            for template_id, template in templates:
                yield template_id, template, not MUSTACHE_ONLY_SYNTAX.search(template), False


def _all_cases() -> list[tuple[str, str, bool, bool]]:
    if not HBS_SPEC.is_dir() or not MUSTACHE_SPEC.is_dir():
        pytest.skip("../shared/conformance is not available")
    return [*_handlebars_cases(), *_mustache_cases()]


def _disagreements(cases: list[tuple[str, str, bool, bool]]) -> list[str]:
    problems: list[str] = []
    for case_id, template, accept, ignore in cases:
        try:
            program = parse(template, ignore_standalone=ignore)
        except TemplateSyntaxError as error:
            if accept:
                problems.append(f"{case_id}: rejected ({error}) but handlebars.js accepts {template!r}")
            continue
        if not accept:
            problems.append(f"{case_id}: accepted but handlebars.js rejects {template!r}")
        elif to_source(program) != template:
            problems.append(f"{case_id}: printer does not round-trip {template!r}")
    return problems


def test_conformance_agreement_with_handlebars_js() -> None:
    cases = _all_cases()
    problems = _disagreements(cases)
    agreement = 1 - len(problems) / len(cases)
    assert len(cases) > 1000
    assert agreement >= 0.98, "\n".join(problems)
    assert problems == [], "\n".join(problems)


def test_expectation_lists_name_existing_exception_cases() -> None:
    """The reasoned lists must keep pointing at real `exception` cases (guards against spec drift)."""
    if not HBS_SPEC.is_dir():
        pytest.skip("../shared/conformance is not available")
    for case_id in RUNTIME_EXCEPTIONS:
        name, index = case_id.split("#")
        case = json.loads((HBS_SPEC / name).read_text(encoding="utf-8"))[int(index)]
        assert case.get("exception"), case_id
    for case_id in TOKENIZER_ONLY:
        name, index = case_id.split("#")
        assert json.loads((HBS_SPEC / name).read_text(encoding="utf-8"))[int(index)]["template"]


def test_rejections_carry_a_location() -> None:
    for case_id, template, accept, ignore in _all_cases():
        if accept:
            continue
        with pytest.raises(TemplateSyntaxError) as info:
            parse(template, ignore_standalone=ignore)
        error = info.value
        assert error.line >= 1 and error.column >= 1, case_id
        assert error.message and "\n" not in error.message, case_id


# ---------------------------------------------------------------- corpora round trips


def _real_corpus() -> list[Path]:
    folder = SHARED / "corpus" / "real"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/real is not available")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".tsv")


def test_real_corpus_round_trips() -> None:
    files = _real_corpus()
    assert files
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert to_source(parse(source)) == source, path.name


def _template_parts(data: object) -> Iterator[str]:
    """Part texts of an SES template JSON file: v1 `{"Template": {...}}`, v2 `{"TemplateContent": {...}}`, a list."""
    if isinstance(data, list):
        for item in data:
            yield from _template_parts(item)
        return
    if not isinstance(data, dict):
        return
    if isinstance(data.get("Template"), dict):
        for key in ("SubjectPart", "HtmlPart", "TextPart"):
            if isinstance(data["Template"].get(key), str):
                yield data["Template"][key]
    if isinstance(data.get("TemplateContent"), dict):
        for key in ("Subject", "Html", "Text"):
            if isinstance(data["TemplateContent"].get(key), str):
                yield data["TemplateContent"][key]


def _is_fixture(path: Path) -> bool:
    return path.name.endswith(".data.json") or any(
        part.endswith(".data") or part == "data" for part in path.parent.parts
    )


def _bundled_parts() -> list[tuple[str, str]]:
    root = REPO / "templates_in"
    if not root.is_dir():
        pytest.skip("templates_in/ is not there yet")
    parts: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*.json")):
        if _is_fixture(path.relative_to(root)):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        parts += [(f"{path}[{i}]", text) for i, text in enumerate(_template_parts(data))]
    for path in sorted(root.rglob("*.hbs")):
        parts.append((str(path), path.read_bytes().decode("utf-8", errors="replace")))
    return parts


def test_bundled_templates_round_trip() -> None:
    parts = _bundled_parts()
    if not parts:
        pytest.skip("templates_in/ holds no template parts yet")
    for where, text in parts:
        try:
            program = parse(text)
        except TemplateSyntaxError as error:
            # A deliberately broken sample is fine; its error must still point into the part.
            assert 1 <= error.line <= text.count("\n") + 1, where
            continue
        assert to_source(program) == text, where
