"""docs/rules.md documents exactly the registered codes, and its annotated examples are what the checker reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_rules_support import make_template

import templating.catalogue
import templating.rules  # noqa: F401  (the checker's modules may register more)
from templating.catalogue import RULES
from templating.rules import check_template

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
SECTION = re.compile(r"^## ([A-Z]\d{3})\b(.*)$", re.MULTILINE)
EXAMPLE = re.compile(r"```handlebars\n(.*?)```", re.DOTALL)
ANNOTATION = re.compile(r"\s*← ([A-Z]\d{3}) at (\d+):(\d+).*$")
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


def annotated_examples() -> list[tuple[str, str, list[tuple[str, int, int]]]]:
    examples = []
    for code, body in sections().items():
        if not code.startswith("C"):
            continue
        for block in EXAMPLE.findall(body):
            lines, expected = [], []
            for line in block.splitlines():
                annotation = ANNOTATION.search(line)
                if annotation:
                    expected.append((annotation.group(1), int(annotation.group(2)), int(annotation.group(3))))
                    line = line[: annotation.start()]
                lines.append(line)
            if expected:
                examples.append((code, "\n".join(lines), expected))
    return examples


@pytest.mark.parametrize(("code", "source", "expected"), annotated_examples())
def test_annotated_examples_are_reported_where_the_docs_say(
    code: str, source: str, expected: list[tuple[str, int, int]]
) -> None:
    findings = check_template(make_template(source))
    reported = {(f.code, f.line, f.column) for f in findings}
    for item in expected:
        assert item in reported, f"{code} example: {item} not in {sorted(reported)}"
