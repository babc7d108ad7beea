"""The checker never crashes: on generated Handlebars-ish text, on templates_in/ and on the shared real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rules_support import make_template

from templating.catalogue import RULES
from templating.loaders import load
from templating.model import Finding
from templating.rules import check, check_template

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

PIECES = [
    "{{x}}", "{{{y}}}", "{{&z}}", "{{#if a}}", "{{else}}", "{{else if b}}", "{{/if}}", "{{#each items as |i|}}",
    "{{/each}}", "{{^s}}", "{{/s}}", "{{#s}}", '{{#* inline "p"}}', "{{/inline}}", "{{> p}}", "{{> q ctx k=1}}",
    "{{#> p}}", "{{/p}}", "{{@index}}", "{{../up}}", "{{lookup a b}}", "{{(sub x)}}", "{{eq a b}}", "{{!-- }} --}}",
    "{{~x~}}", "{{{{raw}}}}", "{{{{/raw}}}}", "\\{{esc}}", "{{", "}}", "\n", "  ", "text", "é", "\r\n",
    "{{amazonSESUnsubscribeUrl}}", "{{* deco}}", "{{#with w}}", "{{/with}}",
]  # fmt: skip


def assert_well_formed(findings: list[Finding], sources: dict[str, str]) -> None:
    for f in findings:
        assert f.code in RULES and RULES[f.code].severity is f.severity
        assert f.code != "X101", f.message
        if f.part is not None and f.line:
            lines = sources[f.part].split("\n")
            assert 1 <= f.line <= len(lines), f
            assert 1 <= f.column <= len(lines[f.line - 1]) + 1, f


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
    st.dictionaries(st.sampled_from(["x", "y", "a", "items", "s", "w"]), st.none() | st.integers() | st.booleans()),
)
def test_generated_templates_give_well_formed_findings(source: str, data: dict[str, object]) -> None:
    t = make_template(source, subject=source, fixtures={"f": data})
    assert_well_formed(check_template(t), t.parts)


def test_templates_in_checks_without_internal_errors() -> None:
    result = load(REPO / "templates_in")
    if not result.templates:
        pytest.skip("templates_in/ is empty")
    for f in check(result):
        assert f.code != "X101", f.message
        assert f.code in RULES


def test_shared_real_corpus_checks_without_internal_errors() -> None:
    corpus = SHARED / "corpus" / "real"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus/real is not available")
    files = [p for p in sorted(corpus.iterdir()) if p.suffix in {".html", ".txt", ".hb2", ".md"}]
    for path in files:
        source = path.read_text(encoding="utf-8")
        t = make_template(source)
        assert_well_formed(check_template(t), t.parts)


def test_nesting_past_the_parser_limit_is_blamed_on_ses2mt_not_ses() -> None:
    depth = 120
    source = "{{#if a}}" * depth + "x" + "{{/if}}" * depth
    findings = [f for f in check_template(make_template(html=source)) if f.code == "P101"]
    assert len(findings) == 1
    assert "handlebars.js has no such limit" in findings[0].message
    assert "SES rejects" not in findings[0].message
    assert (findings[0].line, findings[0].column) == (1, 1 + 9 * 100)


def test_an_ordinary_syntax_error_still_says_ses_rejects_it() -> None:
    findings = [f for f in check_template(make_template(html="{{#if a}}x")) if f.code == "P101"]
    assert len(findings) == 1 and "SES rejects the template" in findings[0].message
