"""Verification catches differences (V101 with a diff excerpt naming fixture and part), skips fixtures SES cannot
render (V102), reports unprovable templates (V104) and engine failures (V103); and the Mailtrap-dialect adapter
behaves like handlebars.js where it claims to (expected values below were produced by handlebars.js 4.7.8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from templating.mailtrap_render import apply_whitespace_control, render_mailtrap
from templating.model import Fixture, Template
from templating.rewrite import Conversion, convert_template
from templating.verify import diff_excerpt, first_difference, verify_conversion


def make_template(parts: dict[str, str], fixtures: dict[str, dict[str, Any]]) -> Template:
    path = Path("v.json")
    return Template(
        "v",
        path,
        "v2",
        parts,  # type: ignore[arg-type]
        {part: path for part in parts},  # type: ignore[misc]
        {name: Fixture(name, data, path) for name, data in fixtures.items()},
    )


def test_a_wrong_conversion_is_caught_with_fixture_part_and_diff() -> None:
    t = make_template({"subject": "Hi {{name}}", "html": "<p>{{name}}</p>\n<p>end</p>\n"}, {"ann": {"name": "<A>"}})
    conversion = convert_template(t)
    conversion.parts["html"] = "<p>{{name}}</p>\n<p>end</p>\n"  # a "rewrite bug": escaping left on
    result = verify_conversion(conversion)
    (mismatch,) = [f for f in result.findings if f.code == "V101"]
    assert mismatch.part == "html" and mismatch.fixture == "ann"
    assert "-<p><A></p>" in mismatch.message and "+<p>&lt;A&gt;</p>" in mismatch.message
    assert result.matched == [("ann", "subject")]


def test_fixture_ses_cannot_render_is_skipped_with_info() -> None:
    t = make_template({"html": "{{a}} {{b}}"}, {"full": {"a": 1, "b": 2}, "partial": {"a": 1}})
    result = verify_conversion(convert_template(t))
    assert [f.code for f in result.findings] == ["V102"]
    assert result.findings[0].fixture == "partial" and "not present" in result.findings[0].message
    assert result.verified_fixtures == {"full"}


def test_template_without_provable_fixture_is_reported() -> None:
    assert [f.code for f in verify_conversion(convert_template(make_template({"html": "x"}, {}))).findings] == ["V104"]
    only_bad = make_template({"html": "{{a}}"}, {"f": {}})
    assert [f.code for f in verify_conversion(convert_template(only_bad)).findings] == ["V102", "V104"]


def test_unrenderable_converted_template_is_v103() -> None:
    t = make_template({"html": "{{a}}"}, {"f": {"a": 1}})
    conversion = Conversion(t, "preserve", {"html": "{{unknownHelper a}}"})
    assert [f.code for f in verify_conversion(conversion).findings] == ["V103"]


def test_mailtrap_escape_mode_compares_against_escaped_ses() -> None:
    t = make_template({"html": "<p>{{x}}</p>"}, {"f": {"x": "<b>&"}})
    result = verify_conversion(convert_template(t, "mailtrap"))
    assert result.matched == [("f", "html")]


def test_diff_helpers() -> None:
    assert first_difference("abc", "abd") == 2
    assert first_difference("ab", "abc") == 2
    excerpt = diff_excerpt("a\nb\nc\n", "a\nB\nc\n")
    assert "-b\\n" in excerpt and "+B\\n" in excerpt


# ------------------------------------------------------------------------------------------------ the adapter


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        # pybars3 alone leaves an extra newline after a standalone {{else}} when the first branch renders
        ("{{#if a}}\n W\n{{else}}\n E\n{{/if}}\n", {"a": 1}, " W\n"),
        ("{{#with a}}\n W\n{{else}}\n E\n{{/with}}\n", {"a": ""}, " E\n"),
        ("{{#unless a}}\n U\n{{else}}\n E\n{{/unless}}\n", {"a": 1}, " E\n"),
        (
            "{{#each l}}{{#with o}}{{@index}}{{../q}}{{/with}}{{/each}}",
            {"l": [{"o": {"a": 1}, "q": 1}], "q": "Q"},
            "01",
        ),
        ("{{#with a}}{{../y}}{{b}}{{/with}}", {"a": {"b": 1}, "y": "Y"}, "Y1"),
        ("a\r\nb{{{x}}}\r\n{{#if x}}\r\nc\r\n{{/if}}\r\n", {"x": 1}, "a\r\nb1\r\nc\r\n"),
        ("{{x}} {{y}} {{z}}", {"x": 1.0, "y": 1e16, "z": 2.5}, "1 10000000000000000 2.5"),
        ("x {{~y~}} z", {"y": 1}, "x1z"),
        ("A\n  {{! note }}\nB", {}, "A\nB"),
    ],
)
def test_adapter_matches_handlebars_js(source: str, data: dict[str, Any], expected: str) -> None:
    assert render_mailtrap(source, data) == expected


def test_adapter_whitespace_control_leaves_non_standalone_lines_alone() -> None:
    source = "{{#if a}}x{{/if}}\n  {{#each l}}\n  y\n  {{/each}}\n"
    assert apply_whitespace_control(source) == "{{#if a}}x{{/if}}\n{{#each l}}  y\n{{/each}}"


def test_adapter_leaves_data_alone_except_number_printing() -> None:
    assert render_mailtrap("{{{l}}}|{{#if o}}t{{else}}f{{/if}}", {"l": [1, 2], "o": {}}) == "[1, 2]|f"


def test_escaping_set_difference_is_a_precise_warning_not_a_failure() -> None:
    t = make_template({"html": "<a href='?t={{token}}'>x</a>"}, {"f": {"token": "a=b"}})
    result = verify_conversion(convert_template(t, "mailtrap"))
    assert [f.code for f in result.findings] == ["V105"]
    assert result.matched == [("f", "html")]
