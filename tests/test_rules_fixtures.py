"""D1xx: parts rendered with every fixture by the SES renderer; missing and null lookups at exact locations."""

from __future__ import annotations

from typing import Any

from test_rules_support import at, make_template, messages

from templating.model import Finding, Severity
from templating.rules import check_template


def check_with(html: str, *fixtures: dict[str, Any], **kwargs: Any) -> list[Finding]:
    named = {f"f{i}": data for i, data in enumerate(fixtures)}
    return check_template(make_template(html, fixtures=named, **kwargs))


def test_printed_missing_variable_is_d101_quoting_ses() -> None:
    findings = check_with("<p>\n  Hi {{firstName}}</p>", {"lastName": "Lee"})
    assert at(findings, "D101") == [("html", 2, 6)]
    [d101] = [f for f in findings if f.code == "D101"]
    assert "Attribute 'firstName' is not present in the rendering data." in d101.message
    assert d101.severity is Severity.ERROR and d101.fixture == "f0"


def test_present_variables_are_not_d101() -> None:
    findings = check_with(
        "Hi {{firstName}} {{{html}}} {{&raw}} {{a.b}}", {"firstName": "", "html": 0, "raw": False, "a": {"b": 1}}
    )
    assert [f for f in findings if f.code.startswith("D")] == []


def test_unescaped_forms_are_checked_too() -> None:
    findings = check_with("{{{body}}} {{&footer}}", {})
    assert at(findings, "D101") == [("html", 1, 1), ("html", 1, 12)]


def test_missing_nested_attribute_names_the_whole_path() -> None:
    findings = check_with("{{customer.name}}", {"customer": {}})
    assert at(findings, "D101") == [("html", 1, 1)]
    assert "Attribute 'customer.name'" in messages(findings, "D101")[0]


def test_null_printed_variable_is_d102() -> None:
    findings = check_with("Hi {{firstName}}", {"firstName": None})
    assert at(findings, "D102") == [("html", 1, 4)]
    assert at(findings, "D101") == []
    assert "Attribute 'firstName' is not present in the rendering data." in messages(findings, "D102")[0]
    assert "null" in messages(findings, "D102")[0]


def test_missing_under_conditions_and_blocks_is_d103_warning() -> None:
    html = "{{#if coupon}}x{{/if}}{{#unless vip}}y{{/unless}}{{#each items}}z{{/each}}"
    html += "{{#with w}}v{{/with}}{{#sec}}s{{/sec}}"
    findings = check_with(html, {})
    assert at(findings, "D103") == [("html", 1, 7), ("html", 1, 33), ("html", 1, 58), ("html", 1, 83), ("html", 1, 99)]
    assert all(f.severity is Severity.WARNING for f in findings if f.code == "D103")
    assert at(findings, "D101") == []


def test_null_under_a_condition_is_d103() -> None:
    findings = check_with("{{#if coupon}}x{{/if}}", {"coupon": None})
    assert at(findings, "D103") == [("html", 1, 7)]
    assert "null" in messages(findings, "D103")[0]


def test_present_condition_values_are_not_d103() -> None:
    findings = check_with("{{#if coupon}}x{{/if}}{{#each items}}z{{/each}}", {"coupon": False, "items": []})
    assert at(findings, "D103") == []


def test_each_fixture_is_reported_separately_and_loops_once_per_place() -> None:
    html = "{{#each items}}{{price}}{{/each}}"
    findings = check_with(html, {"items": [{"price": 1}, {}, {}]}, {"items": [{}]}, {"items": [{"price": 2}]})
    assert [(f.code, f.fixture, f.line, f.column) for f in findings if f.code.startswith("D")] == [
        ("D101", "f0", 1, 16),
        ("D101", "f1", 1, 16),
    ]


def test_every_part_is_rendered() -> None:
    t = make_template("{{b}}", subject="{{a}}", text="{{c}}", fixtures={"only": {"b": 1}})
    assert at(check_template(t), "D101") == [("subject", 1, 1), ("text", 1, 1)]


def test_other_render_failures_are_d104_with_location() -> None:
    findings = check_with("a\n {{> missing}}", {})
    assert at(findings, "D104") == [("html", 2, 2)]
    assert "missing" in messages(findings, "D104")[0]


def test_missing_helper_is_d104() -> None:
    findings = check_with("x {{formatDate d}}", {"d": 1})
    assert at(findings, "D104") == [("html", 1, 3)]
    assert "formatDate" in messages(findings, "D104")[0]


def test_renderable_template_has_no_d104() -> None:
    findings = check_with('{{#* inline "p"}}{{{x}}}{{/inline}}{{> p}}', {"x": 1})
    assert at(findings, "D104") == []


def test_inline_partial_bodies_are_checked_where_they_are_written() -> None:
    findings = check_with('{{#* inline "p"}}\n<b>{{x}}</b>{{/inline}}{{> p}}', {})
    assert at(findings, "D101") == [("html", 2, 4)]


def test_a_part_with_a_syntax_error_is_not_rendered() -> None:
    findings = check_with("{{#if a}}{{x}}", {})
    assert at(findings, "P101") and [f for f in findings if f.code.startswith("D")] == []


def test_no_fixture_means_no_d_findings_but_l110() -> None:
    findings = check_template(make_template("{{x}}"))
    assert [f.code for f in findings if f.code.startswith(("D", "L"))] == ["L110"]
