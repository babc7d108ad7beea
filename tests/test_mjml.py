"""MJML sources: Handlebars survives mrml exactly; MJML errors are findings in the .mjml file; the loader hook."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from templating.convert import convert_one
from templating.loaders import load
from templating.sources.mjml import compile_mjml, protect, restore

pytest.importorskip("mjml")

ROOT = Path(__file__).resolve().parents[1]


def in_column(content: str) -> str:
    return f"<mjml><mj-body><mj-section><mj-column>{content}</mj-column></mj-section></mj-body></mjml>"


def compiled(source: str) -> str:
    result = compile_mjml(source)
    assert result.problems == []
    assert result.html is not None
    return result.html


def test_unprotected_mrml_mangles_handlebars_which_is_why_we_protect_it() -> None:
    from mjml import mjml2html

    source = in_column("<mj-image src='{{t \"img\"}}' />")
    assert '{{t "img"}}' not in mjml2html(source)
    with pytest.raises(ValueError):
        mjml2html(in_column('<mj-text><a {{#if y}}target="_blank"{{/if}}>x</a></mj-text>'))


def test_single_quoted_attribute_with_a_quoted_helper_argument_comes_out_exactly() -> None:
    html = compiled(in_column('<mj-image src=\'{{t "img"}}\' alt="{{alt}}" />'))
    assert 'src="{{t "img"}}"' in html
    assert 'alt="{{alt}}"' in html


def test_expressions_inside_an_html_tag_are_restored_with_their_spacing() -> None:
    html = compiled(in_column('<mj-text><a {{#if y}}target="_blank"{{/if}} href="{{url}}">go</a></mj-text>'))
    assert '<a {{#if y}}target="_blank"{{/if}} href="{{url}}">go</a>' in html


def test_expression_glued_to_an_attribute_keeps_its_spacing() -> None:
    html = compiled(in_column('<mj-text><a href="x"{{#if y}} target="_blank"{{/if}}>go</a></mj-text>'))
    assert '<a href="x"{{#if y}} target="_blank"{{/if}}>go</a>' in html


def test_bare_less_than_in_text_compiles_and_stays() -> None:
    html = compiled(in_column("<mj-text>1 < 2 and {{a}} < {{b}}</mj-text>"))
    assert "1 < 2 and {{a}} < {{b}}" in html


def test_expressions_in_mj_attributes_mj_class_and_css_are_restored() -> None:
    source = (
        '<mjml><mj-head><mj-attributes><mj-text color="{{brand.color}}" />'
        '<mj-class name="big" font-family="{{font}}" /></mj-attributes>'
        '<mj-style>.hero { color: {{c}}; } a[href^="{{u}}"] { margin: 0 }</mj-style></mj-head>'
        '<mj-body><mj-section><mj-column><mj-text mj-class="big">x</mj-text></mj-column></mj-section></mj-body></mjml>'
    )
    html = compiled(source)
    assert '.hero { color: {{c}}; } a[href^="{{u}}"] { margin: 0 }' in html
    text = re.search(r"<div[^>]*>x</div>", html)
    assert text is not None and "color:{{brand.color}}" in text.group(0) and "font-family:{{font}}" in text.group(0)


def test_each_between_sections_wraps_the_sections() -> None:
    source = (
        "<mjml><mj-body>{{#each items}}<mj-section><mj-column><mj-text>{{name}}</mj-text></mj-column></mj-section>"
        "{{else}}<mj-section><mj-column><mj-text>NOTHING-HERE</mj-text></mj-column></mj-section>{{/each}}</mj-body></mjml>"
    )
    html = compiled(source)
    opening, name, else_, close = (html.index(x) for x in ("{{#each items}}", "{{name}}", "{{else}}", "{{/each}}"))
    assert opening < name < else_ < html.index("NOTHING-HERE") < close


@pytest.mark.parametrize(
    "expression",
    [
        "{{{raw}}}",
        "{{~#if x~}}",
        "{{! a < comment }}",
        "{{!-- a }} <b> comment --}}",
        '{{t "a}}b"}}',
        "{{t 'it''s'}}",
        "\\{{literal}}",
        "{{> partial}}",
        "{{#each list as |item i|}}",
        "{{lookup a 'b'}}",
    ],
)
def test_every_kind_of_expression_survives_in_text(expression: str) -> None:
    assert expression in compiled(in_column(f"<mj-text>before {expression} after</mj-text>"))


@pytest.mark.parametrize(
    "expression", ['{{t "img"}}', "{{{raw}}}", "{{#if a}}x{{else}}y{{/if}}", "{{!-- c --}}{{url}}"]
)
def test_every_kind_of_expression_survives_in_attribute_values(expression: str) -> None:
    html = compiled(
        in_column(f"<mj-text><a href='{expression}'>x</a></mj-text><mj-button href='{expression}'>b</mj-button>")
    )
    assert html.count(f'href="{expression}"') == 2


def test_placeholders_never_collide_with_the_users_text() -> None:
    source = in_column("<mj-text>hbsph0x HBSPH1X {{a}}</mj-text>")
    protected = protect(source)
    assert protected.prefix.lower() not in source.lower()
    assert "hbsph0x HBSPH1X {{a}}" in compiled(source)


def test_restore_reports_placeholders_that_mrml_dropped() -> None:
    protected = protect(in_column("<mj-text>{{a}} {{b}}</mj-text>"))
    html, missing = restore(protected.source.replace(protected.placeholders[1].token, ""), protected)
    assert [item.original for item in missing] == ["{{b}}"]
    assert "{{a}}" in html


@st.composite
def mjml_with_expressions(draw: st.DrawFn) -> tuple[str, list[str]]:
    names = st.sampled_from(["a", "b.c", "this", "@index", "../x"])
    expressions = []
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(names)
        kind = draw(st.sampled_from(["text", "value", "tag", "triple", "lt"]))
        if kind == "text":
            expression = "{{" + name + "}}"
            pieces.append(f"<p>x {expression} y</p>")
        elif kind == "value":
            expression = '{{t "' + name + '"}}'
            pieces.append(f"<a href='{expression}'>x</a>")
        elif kind == "tag":
            expression = "{{#if " + name + "}}"
            pieces.append(f'<a {expression}target="_blank"{{{{/if}}}} href="u">x</a>')
            expressions.append(expression)
            expression = "{{/if}}"
        elif kind == "triple":
            expression = "{{{" + name + "}}}"
            pieces.append(f"<b>{expression}</b>")
        else:
            expression = "{{" + name + "}} < 3"
            pieces.append(f"<i>{expression}</i>")
        expressions.append(expression)
    return in_column("<mj-text>" + "".join(pieces) + "</mj-text>"), expressions


@settings(max_examples=60, deadline=None)
@given(mjml_with_expressions())
def test_every_expression_comes_back_in_order(case: tuple[str, list[str]]) -> None:
    source, expressions = case
    html = compiled(source)
    position = 0
    for expression in expressions:
        found = html.find(expression, position)
        assert found >= 0, f"{expression!r} lost or out of order in {html!r}"
        position = found + len(expression)


# ------------------------------------------------------------------------------------------------------ problems


def test_mrml_error_position_points_into_the_mjml_source() -> None:
    source = "<mjml>\n  <mj-head>\n    <mj-title>{{t}}</mj-title><mj-foo/>\n  </mj-head><mj-body></mj-body></mjml>"
    result = compile_mjml(source)
    assert result.html is None
    [problem] = result.problems
    assert problem.code == "J101"
    assert (problem.line, problem.column) == (3, source.splitlines()[2].index("mj-foo") + 1)
    assert "position" not in problem.message


def test_error_position_after_non_ascii_text_counts_characters() -> None:
    source = "<mjml>\n<mj-head><mj-title>Grüße {{x}} €</mj-title><mj-foo/></mj-head><mj-body></mj-body></mjml>"
    [problem] = compile_mjml(source).problems
    assert (problem.line, problem.column) == (2, source.splitlines()[1].index("mj-foo") + 1)


def test_mrml_error_without_a_position_is_reported_for_the_whole_file() -> None:
    [problem] = compile_mjml(in_column("<mj-text><a href=x>y</a></mj-text>")).problems
    assert (problem.code, problem.line, problem.column) == ("J101", 0, 0)


def test_expression_dropped_inside_an_mjml_component_tag_is_a_j103_at_its_place() -> None:
    source = '<mjml><mj-body><mj-section><mj-column>\n<mj-button {{#if y}}href="x"{{/if}}>b</mj-button>\n'
    source += "</mj-column></mj-section></mj-body></mjml>"
    result = compile_mjml(source)
    assert result.html is None
    assert [(p.code, p.line, p.column) for p in result.problems] == [("J103", 2, 12), ("J103", 2, 29)]
    assert "{{#if y}}" in result.problems[0].message


def test_missing_mjml_python_is_a_clear_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mjml", None)
    [problem] = compile_mjml(in_column("<mj-text>x</mj-text>")).problems
    assert problem.code == "J102"
    assert "pip install mjml-python" in problem.message


# -------------------------------------------------------------------------------------------------------- loader

MJML_FOLDER = {
    "promo/html.mjml": in_column(
        "<mj-text>Hi {{name}}, <a {{#if y}}target=\"_blank\"{{/if}} href='{{u}}'>go</a></mj-text>"
    ),
    "promo/subject.hbs": "Hi {{name}}",
    "promo/data/ann.json": {"name": "Ann", "y": True, "u": "https://x.example/?a=1&b=2"},
}


def test_folder_with_html_mjml_loads_with_compiled_html(write_tree) -> None:  # type: ignore[no-untyped-def]
    src = write_tree(MJML_FOLDER)
    result = load(src)
    [template] = result.templates
    assert template.part_paths["html"] == src / "promo" / "html.mjml"
    assert template.parts["html"].startswith("<!doctype html>")
    assert '<a {{#if y}}target="_blank"{{/if}} href="{{u}}">go</a>' in template.parts["html"]
    assert sorted(template.fixtures) == ["ann"]
    assert not [f for f in result.findings if f.severity == "error"]


def test_html_mjml_passed_as_src_loads_its_folder(write_tree) -> None:  # type: ignore[no-untyped-def]
    src = write_tree(MJML_FOLDER)
    assert [t.name for t in load(src / "promo" / "html.mjml").templates] == ["promo"]


def test_html_hbs_wins_over_html_mjml(write_tree) -> None:  # type: ignore[no-untyped-def]
    src = write_tree({**MJML_FOLDER, "promo/html.hbs": "<p>{{name}}</p>"})
    [template] = load(src).templates
    assert template.parts["html"] == "<p>{{name}}</p>"


def test_broken_mjml_is_a_finding_in_the_mjml_file_and_the_batch_goes_on(write_tree) -> None:  # type: ignore[no-untyped-def]
    src = write_tree(
        {
            "bad/html.mjml": "<mjml>\n<mj-head><mj-nope/></mj-head><mj-body></mj-body></mjml>",
            "good/html.hbs": "<p>ok</p>",
        }
    )
    result = load(src)
    assert [t.name for t in result.templates] == ["good"]
    [problem] = [f for f in result.findings if f.code.startswith("J")]
    assert (problem.path, problem.line, problem.column) == (src / "bad" / "html.mjml", 2, 11)
    assert (problem.template, problem.part) == ("bad", "html")


@pytest.mark.parametrize("name", ["weekly-picks", "team-invite"])
def test_sample_mjml_templates_convert_and_verify(name: str) -> None:
    result = load(ROOT / "templates_in")
    [template] = [t for t in result.templates if t.name == name]
    assert template.part_paths["html"].name == "html.mjml"
    outcome = convert_one(template)
    assert outcome.status == "converted", [f.message for f in outcome.findings if f.severity == "error"]
    assert sorted(outcome.verified_fixtures) == sorted(template.fixtures)
    assert len(template.fixtures) >= 2


def test_sample_mjml_templates_cover_each_between_sections_and_conditional_attributes() -> None:
    picks = (ROOT / "templates_in/shop/weekly-picks/html.mjml").read_text(encoding="utf-8")
    assert re.search(r"\{\{#each picks\}\}\s*<mj-section", picks)
    invite = (ROOT / "templates_in/saas/team-invite/html.mjml").read_text(encoding="utf-8")
    assert re.search(r"<a [^>]*\{\{#if \w+\}\}target=\"_blank\"", invite)
    assert "src='{{" in invite


# -------------------------------------------------------------------------------- positions back in the .mjml file


def _team_invite_findings() -> tuple[list, list, str]:  # type: ignore[type-arg]
    from templating.rules import check

    result = load(ROOT / "templates_in" / "saas" / "team-invite")
    source = (ROOT / "templates_in" / "saas" / "team-invite" / "html.mjml").read_text(encoding="utf-8")
    return check(result), result.templates, source


def test_checker_findings_on_the_html_part_point_at_the_expression_in_the_mjml_file() -> None:
    from templating.sources.mjml import place_in_mjml

    findings, templates, source = _team_invite_findings()
    html_findings = [f for f in findings if f.part == "html" and f.code == "C101"]
    assert len(html_findings) >= 10
    lines = source.splitlines()
    for placed in place_in_mjml(html_findings, templates):
        assert placed.path.name == "html.mjml"
        expression = re.search(r"\{\{[^}]*\}\}", placed.message)
        assert expression is not None
        at = lines[placed.line - 1][placed.column - 1 :]
        assert at.startswith(expression.group(0)), (placed.line, placed.column, placed.message)


def test_positions_outside_expressions_become_the_whole_file_and_other_findings_stay() -> None:
    from dataclasses import replace

    from templating.sources.mjml import place_in_mjml

    findings, templates, _source = _team_invite_findings()
    html = templates[0].parts["html"]
    doctype = replace(findings[0], part="html", template="team-invite", line=1, column=1, code="C101")
    subject = next(f for f in findings if f.part == "subject")
    load_finding = replace(doctype, code="J101", line=5, column=7)
    placed = place_in_mjml([doctype, subject, load_finding], templates)
    assert html.startswith("<!doctype")
    assert (placed[0].line, placed[0].column) == (0, 0)
    assert placed[1] == subject
    assert placed[2] == load_finding


def test_positions_are_found_again_when_the_template_was_loaded_elsewhere() -> None:
    from templating.sources import mjml as mjml_module

    findings, templates, _source = _team_invite_findings()
    html_findings = [f for f in findings if f.part == "html" and f.code == "C101"]
    expected = mjml_module.place_in_mjml(html_findings, templates)
    mjml_module._source_maps.clear()
    assert mjml_module.place_in_mjml(html_findings, templates) == expected


@st.composite
def sources_with_expressions(draw: st.DrawFn) -> str:
    expression = st.sampled_from(
        ["{{a}}", "{{{b}}}", '{{t "x}}y"}}', "{{!-- <c> --}}", "{{#if d}}", "{{/if}}", "\\{{e}}"]
    )
    text = st.sampled_from(["hello ", " < ", "&amp;", "\n", "a <= b", "<br>", ""])
    pieces = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["text", "expression", "tag"]))
        if kind == "text":
            pieces.append(draw(text))
        elif kind == "expression":
            pieces.append(draw(expression))
        else:
            inside = draw(
                st.lists(
                    st.sampled_from(['x="1"', "{{#if y}}", "{{/if}}", "z='{{v}}'", 'w="{{#if q}}1{{/if}}"']), max_size=4
                )
            )
            glue = draw(st.sampled_from([" ", ""]))
            pieces.append("<a " + glue.join(inside) + ">")
    return "".join(pieces)


@settings(max_examples=200, deadline=None)
@given(sources_with_expressions())
def test_restoring_the_untouched_protected_source_gives_the_source_back(source: str) -> None:
    protected = protect(source)
    assert "{{" not in protected.source.replace("\\{{", "")
    restored, missing = restore(protected.source, protected)
    assert missing == []
    assert restored == source


# ---------------------------------------------------------------------------------------------------- mj-include

HEADER = '<mj-section><mj-column><mj-text><a {{#if y}}target="_blank"{{/if}} href="{{home}}">{{brand}}</a>'
HEADER += "</mj-text></mj-column></mj-section>"


def test_included_files_are_protected_too(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "header.mjml").write_text(HEADER, encoding="utf-8")
    source = '<mjml><mj-body><mj-include path="partials/header" />{{#each items}}<mj-section><mj-column>'
    source += "<mj-text>{{name}}</mj-text></mj-column></mj-section>{{/each}}</mj-body></mjml>"
    result = compile_mjml(source, tmp_path)
    assert result.problems == []
    assert result.html is not None
    assert '<a {{#if y}}target="_blank"{{/if}} href="{{home}}">{{brand}}</a>' in result.html
    assert result.html.index("{{brand}}") < result.html.index("{{#each items}}") < result.html.index("{{name}}")
    assert len(result.spans) == 3  # only the root file's expressions map into html.mjml


def test_missing_include_is_a_j101_at_the_include_tag(tmp_path: Path) -> None:
    source = '<mjml>\n<mj-body>\n  <mj-include path="nope.mjml" />\n</mj-body></mjml>'
    [problem] = compile_mjml(source, tmp_path).problems
    assert (problem.code, problem.line, problem.column, problem.path) == ("J101", 3, 4, None)
    assert "nope.mjml" in problem.message
    assert "cannot be read" in problem.message


def test_error_inside_an_included_file_points_into_that_file(tmp_path: Path) -> None:
    footer = "<mj-section><mj-column><mj-text>{{x}}</mj-text></mj-column></mj-section>\n<mjml></mjml>"
    (tmp_path / "footer.mjml").write_text(footer, encoding="utf-8")
    [problem] = compile_mjml('<mjml><mj-body><mj-include path="footer.mjml" /></mj-body></mjml>', tmp_path).problems
    assert problem.path == tmp_path / "footer.mjml"
    assert (problem.code, problem.line, problem.column) == ("J101", 2, 2)


def test_expression_dropped_in_an_included_file_is_reported_there(tmp_path: Path) -> None:
    (tmp_path / "button.mjml").write_text('<mj-button {{#if y}}href="x"{{/if}}>b</mj-button>', encoding="utf-8")
    source = '<mjml><mj-body><mj-section><mj-column><mj-include path="button.mjml" /></mj-column></mj-section>'
    source += "</mj-body></mjml>"
    problems = compile_mjml(source, tmp_path).problems
    assert [(p.code, p.path, p.line, p.column) for p in problems] == [
        ("J103", tmp_path / "button.mjml", 1, 12),
        ("J103", tmp_path / "button.mjml", 1, 29),
    ]


def test_loader_reads_includes_beside_html_mjml(write_tree) -> None:  # type: ignore[no-untyped-def]
    src = write_tree(
        {
            "promo/html.mjml": '<mjml><mj-body><mj-include path="header.mjml" /></mj-body></mjml>',
            "promo/header.mjml": HEADER,
            "promo/data/a.json": {"y": True, "home": "https://x.example", "brand": "X"},
        }
    )
    result = load(src)
    [template] = result.templates
    assert "{{brand}}</a>" in template.parts["html"]
