"""Each rewrite: the converted source is exactly as expected, and the proof (SES render of the original == pybars3
render of the converted part) holds for every fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from templating.model import Fixture, Template
from templating.rewrite import convert_part, convert_template
from templating.verify import verify_conversion


def template(html: str, *fixtures: dict[str, Any], text: str | None = None, subject: str | None = None) -> Template:
    parts: dict[str, str] = {"html": html}
    if text is not None:
        parts["text"] = text
    if subject is not None:
        parts["subject"] = subject
    path = Path("t.json")
    return Template(
        "t",
        path,
        "v2",
        parts,  # type: ignore[arg-type]
        {part: path for part in parts},  # type: ignore[misc]
        {f"f{index}": Fixture(f"f{index}", data, path) for index, data in enumerate(fixtures)},
    )


def converted(html: str, *fixtures: dict[str, Any], escape: str = "preserve") -> str:
    """The converted html part; asserts that conversion succeeded and that every fixture is proven."""
    t = template(html, *fixtures)
    conversion = convert_template(t, escape)  # type: ignore[arg-type]
    assert conversion.ok, [f.message for f in conversion.findings]
    verification = verify_conversion(conversion)
    problems = [f.message for f in verification.findings if f.code in ("V101", "V103")]
    assert not problems, problems
    assert len(verification.verified_fixtures) == len(fixtures)
    return conversion.parts["html"]


def failure_codes(html: str, *fixtures: dict[str, Any]) -> list[str]:
    conversion = convert_template(template(html, *fixtures))
    return [f.code for f in conversion.findings if f.severity == "error"]


# ------------------------------------------------------------------------------------------------ escaping


def test_escaped_variables_become_triple_in_preserve_mode() -> None:
    src = "<p>{{name}} {{&raw}} {{{already}}} {{~ tight ~}}</p>"
    data = {"name": "<b>A</b>", "raw": "&", "already": "<i>", "tight": "x"}
    assert converted(src, data) == "<p>{{{name}}} {{{raw}}} {{{already}}} {{~{tight}~}}</p>"


def test_mailtrap_mode_keeps_escaping_and_warns_about_markup_in_html() -> None:
    t = template("<p>{{bio}} {{safe}}</p>", {"bio": "<b>hi</b>", "safe": "plain"})
    conversion = convert_template(t, "mailtrap")
    assert conversion.parts["html"] == "<p>{{bio}} {{safe}}</p>"
    warnings = [f for f in conversion.findings if f.code == "R140"]
    assert len(warnings) == 1 and "bio" in warnings[0].message and warnings[0].fixture == "f0"
    verification = verify_conversion(conversion)
    assert not [f for f in verification.findings if f.code == "V101"]


def test_unchanged_regions_are_byte_identical() -> None:
    src = "Line one\r\n  {{{ready}}}\r\n<tr>\t{{! plain comment }}</tr>"
    assert converted(src, {"ready": "x"}) == src


# ------------------------------------------------------------------------------------------------ else if


def test_standalone_else_if_chain_is_nested_line_by_line() -> None:
    src = "{{#if a}}\n  A\n{{else if b}}\n  B\n{{else}}\n  C\n{{/if}}\nZ\n"
    out = converted(src, {"a": True, "b": False}, {"a": False, "b": True}, {"a": False, "b": False})
    assert out == "{{#if a}}\n  A\n{{else}}\n{{#if b}}\n  B\n{{else}}\n  C\n{{/if~}}\n{{/if}}\nZ\n"


def test_standalone_else_if_with_tilde_stays_on_lines_of_its_own() -> None:
    # `{{~else if b}}` alone on its line is standalone in handlebars.js: `{{~else}}{{#if b}}` on one line is not
    src = "<div>\n{{#if a}}\n  A\n{{~else if b}}\n  B\n{{else~}}\n  C\n{{/if}}\n</div>"
    out = converted(src, {"a": True, "b": False}, {"a": False, "b": True}, {"a": False, "b": False})
    assert out == "<div>\n{{#if a}}\n  A\n{{~else}}\n{{#if b}}\n  B\n{{else~}}\n  C\n{{/if~}}\n{{/if}}\n</div>"


def test_indented_chain_keeps_handlebars_close_indentation_quirk() -> None:
    src = "  {{#if a}}\n  A\n  {{else if b}}\n  B\n  {{else}}\n  C\n  {{/if}}\n  Z\n"
    out = converted(src, {"a": True, "b": False}, {"a": False, "b": True}, {"a": False, "b": False})
    assert out.endswith("  C\n  {{!}}{{/if~}}\n{{/if}}\n  Z\n")


def test_inline_chain_with_three_branches_and_unless() -> None:
    src = "{{#if a}}A{{else if b}}B{{else unless c}}notC{{else}}C{{/if}}."
    fixtures = [{"a": 1, "b": 0, "c": 0}, {"a": 0, "b": 1, "c": 0}, {"a": 0, "b": 0, "c": 0}, {"a": 0, "b": 0, "c": 1}]
    assert (
        converted(src, *fixtures) == "{{#if a}}A{{else}}{{#if b}}B{{else}}{{#unless c}}notC{{else}}C"
        "{{/unless}}{{/if}}{{/if}}."
    )


# ------------------------------------------------------------------------------------------------ block params


def test_block_params_become_this_index_and_parent_paths() -> None:
    src = (
        "{{#each items as |item i|}}{{i}}:{{item.name}}"
        "{{#each item.tags as |tag|}}[{{tag}} of {{item.name}}]{{/each}};{{/each}}"
    )
    data = {"items": [{"name": "x", "tags": ["a", "b"]}, {"name": "y", "tags": []}]}
    assert converted(src, data) == (
        "{{#each items}}{{{@index}}}:{{{name}}}{{#each tags}}[{{{this}}} of {{{../name}}}]{{/each}};{{/each}}"
    )


def test_each_over_object_second_block_param_is_key() -> None:
    src = "{{#each prices as |price currency|}}{{currency}}={{price}} {{/each}}"
    assert converted(src, {"prices": {"EUR": 3, "USD": 4}}) == "{{#each prices}}{{{@key}}}={{{this}}} {{/each}}"


def test_ambiguous_second_block_param_is_an_error() -> None:
    assert failure_codes("{{#each things as |v k|}}{{k}}{{/each}}", {"things": [1]}, {"things": {"a": 1}}) == ["R130"]


# ------------------------------------------------------------------------------------------------ sections


def test_sections_are_typed_from_fixtures() -> None:
    src = "{{#list}}<li>{{name}}</li>{{/list}}{{#user}}Hi {{first}}{{/user}}{{#vip}}VIP{{/vip}}{{^list}}none{{/list}}"
    fixtures = [
        {"list": [{"name": "a"}], "user": {"first": "U"}, "vip": True},
        {"list": [], "user": None, "vip": False},
    ]
    assert converted(src, *fixtures) == (
        "{{#each list}}<li>{{{name}}}</li>{{/each}}{{#with user}}Hi {{{first}}}{{/with}}{{#if vip}}VIP{{/if}}"
        "{{#unless list}}none{{/unless}}"
    )


def test_section_without_fixture_value_is_an_error_with_hint() -> None:
    conversion = convert_template(template("{{#items}}x{{/items}}", {"other": 1}))
    (problem,) = [f for f in conversion.findings if f.severity == "error"]
    assert problem.code == "R128" and "add a fixture" in problem.message and (problem.line, problem.column) == (1, 1)


def test_section_with_conflicting_types_is_an_error() -> None:
    assert failure_codes("{{#x}}y{{/x}}", {"x": [1]}, {"x": {"a": 1}}) == ["R129"]
    assert failure_codes("{{#x}}y{{/x}}", {"x": ""}) == ["R129"]
    assert failure_codes("{{^x}}y{{/x}}", {"x": 0}) == ["R129"]


# ------------------------------------------------------------------------------------------------ partials


def test_standalone_inline_partial_is_expanded_with_indentation() -> None:
    src = '{{#*inline "card"}}\n<b>{{name}}</b>\n{{/inline}}\n<div>\n  {{> card}}\n</div>\n'
    assert converted(src, {"name": "N"}) == "<div>\n  <b>{{{name}}}</b>\n</div>\n"


def test_partial_with_context_argument_substitutes_paths() -> None:
    src = '{{#*inline "addr"}}{{line1}}, {{city}}{{#if zip}} {{zip}}{{/if}}{{/inline}}{{> addr order.address}}'
    data = {"order": {"address": {"line1": "1 Way", "city": "Oslo", "zip": "0150"}}}
    assert converted(src, data, {"order": {"address": {"line1": "2 Rd", "city": "Rome", "zip": ""}}}) == (
        "{{{order.address.line1}}}, {{{order.address.city}}}{{#if order.address.zip}} {{{order.address.zip}}}{{/if}}"
    )


def test_partial_with_hash_arguments_inside_each() -> None:
    src = (
        '{{#*inline "row"}}[{{label}}: {{item.name}} {{currency}}]{{/inline}}'
        '{{#each items}}{{> row item=this label="Item" currency=../cur}}{{/each}}'
    )
    data = {"cur": "EUR", "items": [{"name": "a"}, {"name": "b"}]}
    assert converted(src, data) == "{{#each items}}[Item: {{{name}}} {{{../cur}}}]{{/each}}"


def test_nested_partials_and_each_inside_partial_adjust_parent_depth() -> None:
    src = (
        '{{#*inline "tag"}}<i>{{t}}</i>{{/inline}}'
        '{{#*inline "post"}}{{title}}:{{#each tags}}{{> tag t=this}}{{../title}}{{/each}}{{/inline}}'
        "{{#each posts}}{{> post}}|{{/each}}{{> post posts.[0]}}"
    )
    data = {"posts": [{"title": "P1", "tags": ["x", "y"]}, {"title": "P2", "tags": []}]}
    converted(src, data)


def test_partial_definition_removal_takes_the_newline_ses_strips() -> None:
    src = 'A\n{{#* inline "p"}}\nP{{x}}\n{{/inline}}\nB {{> p}}\n'
    assert converted(src, {"x": 1}) == "A\nB P{{{x}}}\n\n"


def test_definition_at_the_start_or_end_next_to_a_standalone_block_is_removed() -> None:
    # the block stays standalone (at the start of the template instead of after a line ending): not an R132
    src = '{{#*inline "row"}}\n  <tr>{{it}}</tr>\n{{/inline}}\n{{#each l}}\n  {{> row it=this}}\n{{/each}}\n'
    assert converted(src, {"l": ["a", "b"]}, {"l": []}) == "{{#each l}}\n    <tr>{{{this}}}</tr>\n{{/each}}\n"
    src = '{{#if a}}\nA\n{{/if}}\n{{#*inline "p"}}\nP\n{{/inline}}'
    assert converted(src, {"a": True}, {"a": False}) == "{{#if a}}\nA\n{{/if}}\n"


def test_partial_problems_are_reported_at_the_call() -> None:
    assert failure_codes("{{> missing}}", {}) == ["R125"]
    assert failure_codes('{{#*inline "p"}}{{> p}}{{/inline}}{{> p}}', {}) == ["R126"]
    assert failure_codes('{{#*inline "p"}}{{../x}}{{/inline}}{{#each l}}{{> p}}{{/each}}', {"l": [1]}) == ["R127"]
    assert failure_codes('{{#*inline "p"}}{{this}}{{/inline}}{{> p k=1}}', {}) == ["R127"]


def test_dynamic_partials_raw_blocks_and_custom_helpers_fail_precisely() -> None:
    assert failure_codes("{{> (which) }}", {}) == ["R121"]
    assert failure_codes("{{{{raw}}}} {{x}} {{{{/raw}}}}", {}) == ["R122"]
    assert failure_codes("{{formatDate when}}", {}) == ["R120"]
    assert failure_codes("{{#if (eq a b)}}x{{/if}}", {}) == ["R131"]


# ------------------------------------------------------------------------------------------------ misc


def test_comments_holding_braces_are_made_parseable() -> None:
    src = "{{!-- {{#if old}} }} --}}<p>{{x}}</p>"
    assert converted(src, {"x": "1"}) == "{{!-- { {#if old} } } } --}}<p>{{{x}}}</p>"


def test_caret_else_becomes_else() -> None:
    src = "{{#each l}}\n{{this}}\n{{^}}\nnone\n{{/each}}\n"
    assert converted(src, {"l": []}, {"l": [1]}) == "{{#each l}}\n{{{this}}}\n{{else}}\nnone\n{{/each}}\n"


@pytest.mark.parametrize("part", ["subject", "text"])
def test_every_part_is_converted(part: str) -> None:
    converter = convert_part("Hello {{name}}", part, [("f", {"name": "<A>"})])  # type: ignore[arg-type]
    assert converter.text == "Hello {{{name}}}"
    assert [c.code for c in converter.changes] == ["R101"]


def test_rewrites_are_recorded_with_location() -> None:
    conversion = convert_template(template("x\n  {{#if a}}A{{else if b}}B{{/if}}", {"a": 1}))
    records = [r.to_json() for r in conversion.rewrites]
    assert records == [
        {
            "code": "R104",
            "part": "html",
            "line": 2,
            "column": 13,
            "before": "{{else if b}}",
            "after": "{{else}}{{#if b}}",
        }
    ]


def test_partial_block_expands_with_its_content_in_the_callers_scope() -> None:
    src = (
        '{{#*inline "box"}}[{{title}}: {{> @partial-block}}]{{/inline}}'
        "{{#each items as |it|}}{{#> box title=it.t}}{{it.n}}/{{../x}}/{{@index}}{{/box}}{{/each}}"
    )
    data = {"x": "X", "items": [{"t": "T1", "n": 1, "x": "x1"}, {"t": "T2", "n": 2, "x": "x2"}]}
    assert converted(src, data) == "{{#each items}}[{{{t}}}: {{{n}}}/{{{x}}}/{{{@index}}}]{{/each}}"


def test_standalone_partial_block_layout() -> None:
    src = (
        '{{#*inline "layout"}}\n<div>\n  {{> @partial-block}}\n</div>\n{{/inline}}\n'
        "{{#> layout}}\nHi {{name}}\n{{/layout}}\nend"
    )
    assert converted(src, {"name": "N"}) == "<div>\n  Hi {{{name}}}\n</div>\nend"


def test_partial_block_problems() -> None:
    assert failure_codes("{{#> nowhere}}fallback{{/nowhere}}", {}) == ["R125"]
    assert failure_codes('{{#*inline "p"}}{{> @partial-block}}{{/inline}}{{> p}}', {}) == ["R124"]


def test_indented_partial_output_that_cannot_be_reproduced_fails_precisely() -> None:
    last_line_tags = '{{#*inline "p"}}A\n{{#if x}}B{{/if}}{{/inline}}\n  {{> p}}\nZ'
    assert failure_codes(last_line_tags, {"x": False}) == ["R134"]
    multiline_value = '{{#*inline "p"}}A{{v}}\n{{/inline}}\n  {{> p}}\nZ'
    assert failure_codes(multiline_value, {"v": "1\n2"}) == ["R134"]
    assert converted(multiline_value, {"v": "12"}) == "  A{{{v}}}\nZ"
