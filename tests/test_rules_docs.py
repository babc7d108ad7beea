"""docs/rules.md documents exactly the registered codes, and its annotated examples are what the checker reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_rules_support import make_template

import templating.catalogue
import templating.rules  # noqa: F401  (the checker's modules may register more)
from templating.catalogue import RULES
from templating.rules import check_template

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
SECTION = re.compile(r"^## ([A-Z]\d{3})\b(.*)$", re.MULTILINE)
EXAMPLE = re.compile(r"```handlebars\n(.*?)```", re.DOTALL)
ANNOTATION = re.compile(r"\s*← ([A-Z]\d{3}) at (\d+):(\d+)(?: with fixture (\{.*?\}))?.*$")
REQUIRED_BULLETS = ("- **SES:**", "- **Mailtrap:**", "- **What to do:**")


def sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    matches = list(SECTION.finditer(text))
    bodies: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        assert match.group(1) not in bodies, f"two sections for {match.group(1)}"
        bodies[match.group(1)] = text[match.start() : end]
    return bodies


def test_every_registered_code_has_a_section() -> None:
    missing = sorted(set(RULES) - set(sections()))
    assert not missing, f"codes without a section in docs/rules.md: {missing}"


def test_every_section_is_a_registered_code() -> None:
    unknown = sorted(set(sections()) - set(RULES))
    assert not unknown, f"sections for codes that are not registered: {unknown}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_section_says_severity_ses_mailtrap_what_to_do_and_shows_an_example(code: str) -> None:
    body = sections().get(code)
    if body is None:
        pytest.fail(f"{code} has no section")
    assert f"Severity: {RULES[code].severity}" in body
    for bullet in REQUIRED_BULLETS:
        assert bullet in body, f"{code}: missing {bullet}"
    assert "```" in body, f"{code}: no example"


Example = tuple[str, str, dict[str, Any] | None, list[tuple[str, int, int]]]


def annotated_examples() -> list[Example]:
    """`code`, template source, fixture and expected (code, line, column) of each example annotated `← CODE at L:C`
    (optionally `with fixture {...}`) in the C1xx and D1xx sections."""
    examples: list[Example] = []
    for code, body in sections().items():
        if not code.startswith(("C", "D")):
            continue
        for block in EXAMPLE.findall(body):
            lines, expected, fixture = [], [], None
            for line in block.splitlines():
                annotation = ANNOTATION.search(line)
                if annotation:
                    expected.append((annotation.group(1), int(annotation.group(2)), int(annotation.group(3))))
                    if annotation.group(4):
                        fixture = json.loads(annotation.group(4))
                    line = line[: annotation.start()]
                lines.append(line)
            if expected:
                examples.append((code, "\n".join(lines), fixture, expected))
    return examples


def test_every_d_code_has_an_annotated_example() -> None:
    annotated = {code for code, *_ in annotated_examples()}
    assert {code for code in RULES if code.startswith("D")} <= annotated


@pytest.mark.parametrize(("code", "source", "fixture", "expected"), annotated_examples())
def test_annotated_examples_are_reported_where_the_docs_say(
    code: str, source: str, fixture: dict[str, Any] | None, expected: list[tuple[str, int, int]]
) -> None:
    findings = check_template(make_template(source, fixtures=None if fixture is None else {"f": fixture}))
    reported = {(f.code, f.line, f.column) for f in findings}
    for item in expected:
        assert item in reported, f"{code} example: {item} not in {sorted(reported)}"
