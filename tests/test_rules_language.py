"""C1xx and P101: each rule fires on a minimal template at an exact location, and stays silent on a compliant one."""

from __future__ import annotations

import pytest
from test_rules_support import at, make_template, messages

from templating.catalogue import RULES
from templating.hbs import parse
from templating.hbs.errors import TemplateSyntaxError
from templating.model import Severity
from templating.rules import check_template


def html_findings(html: str, **kwargs: object):
    return check_template(make_template(html, **kwargs))  # type: ignore[arg-type]


# ---------------------------------------------------------------- P101


def test_syntax_error_is_p101_at_the_parsers_location() -> None:
    source = "<p>\n{{#if vip}}VIP"
    with pytest.raises(TemplateSyntaxError) as raised:
        parse(source)
    findings = check_template(make_template(source))
    assert at(findings, "P101") == [("html", raised.value.line, raised.value.column)]
    assert raised.value.line >= 1
    [p101] = [f for f in findings if f.code == "P101"]
    assert p101.severity is Severity.ERROR and p101.template == "t" and str(p101.path) == "src/t.json"


def test_syntax_error_in_one_part_does_not_hide_the_others() -> None:
    findings = check_template(make_template("{{#if a}}", text="{{x}}"))
    assert at(findings, "P101") and at(findings, "C101") == [("text", 1, 1)]


def test_valid_template_has_no_p101() -> None:
    assert at(html_findings("{{#if a}}x{{/if}}"), "P101") == []


# ---------------------------------------------------------------- C101 escaping


def test_escaped_mustache_fires_once_per_occurrence_in_every_part() -> None:
    t = make_template("<p>{{name}}</p>\n  {{ city }}", subject="Hi {{name}}", text="{{name}}")
    findings = check_template(t)
    assert at(findings, "C101") == [("subject", 1, 4), ("html", 1, 4), ("html", 2, 3), ("text", 1, 1)]
    assert "{{{name}}}" in messages(findings, "C101")[0]
    assert "{{{city}}}" in messages(findings, "C101")[2]


def test_unescaped_forms_do_not_fire_c101() -> None:
    assert at(html_findings("{{{name}}} {{&name}} {{! c }} {{#if a}}{{/if}}"), "C101") == []


def test_log_prints_nothing_so_it_is_not_c101() -> None:
    assert at(html_findings("{{log name}}"), "C101") == []


# ---------------------------------------------------------------- partials


def test_inline_partial_definition_is_c102_and_its_use_is_fine() -> None:
    findings = html_findings('{{#* inline "row"}}<td>{{name}}</td>{{/inline}}\n{{#each rows}}{{> row}}{{/each}}')
    assert at(findings, "C102") == [("html", 1, 1)]
    assert at(findings, "C103") == []


def test_no_inline_partial_no_c102() -> None:
    assert at(html_findings("<td>{{{name}}}</td>"), "C102") == []


def test_undefined_partial_is_c103() -> None:
    findings = html_findings("<p>\n {{> footer}}")
    assert at(findings, "C103") == [("html", 2, 2)]
    assert "'footer' is not defined in the html part" in messages(findings, "C103")[0]


def test_partial_defined_in_another_part_says_partials_do_not_cross_parts() -> None:
    t = make_template('{{#* inline "footer"}}F{{/inline}}\n{{> footer}}', text="{{> footer}}")
    findings = check_template(t)
    assert at(findings, "C103") == [("text", 1, 1)]
    assert "defined only in the html part" in messages(findings, "C103")[0]
    assert "do not cross parts" in messages(findings, "C103")[0]


def test_partial_defined_inside_another_block_is_out_of_scope() -> None:
    findings = html_findings('{{#if a}}{{#* inline "p"}}x{{/inline}}{{/if}}{{> p}}')
    assert at(findings, "C103") == [("html", 1, 46)]
    assert "inside another block" in messages(findings, "C103")[0]


def test_partial_used_inside_a_nested_block_sees_the_top_level_definition() -> None:
    findings = html_findings('{{#each a}}{{#if b}}{{> p}}{{/if}}{{/each}}\n{{#* inline "p"}}x{{/inline}}')
    assert at(findings, "C103") == []


def test_partial_block_data_outside_an_inline_partial_is_c103() -> None:
    assert at(html_findings("{{> @partial-block}}"), "C103") == [("html", 1, 1)]


def test_partial_block_of_an_inline_partial_is_c104() -> None:
    source = '{{#* inline "box"}}<div>{{> @partial-block}}</div>{{/inline}}\n{{#> box}}Hello{{/box}}'
    findings = html_findings(source)
    assert at(findings, "C104") == [("html", 2, 1)]
    assert at(findings, "C103") == [] and at(findings, "C105") == []


def test_partial_block_without_inline_partial_is_c105() -> None:
    findings = html_findings("x {{#> layout}}Hello{{/layout}}")
    assert at(findings, "C105") == [("html", 1, 3)]
    assert at(findings, "C104") == []


def test_dynamic_partial_is_c106() -> None:
    findings = html_findings("{{> (whichPartial) }}")
    assert at(findings, "C106") == [("html", 1, 1)]
    assert at(findings, "C113") == []


def test_static_partial_is_not_c106() -> None:
    assert at(html_findings('{{#* inline "p"}}x{{/inline}}{{> p}}'), "C106") == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{* activate}}", [("html", 1, 1)]),
        ("a\n{{#* wrap}}x{{/wrap}}", [("html", 2, 1)]),
        ("{{#* inline name}}x{{/inline}}", [("html", 1, 1)]),
    ],
)
def test_decorators_other_than_inline_are_c107(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert at(html_findings(source), "C107") == expected


def test_inline_decorator_is_not_c107() -> None:
    assert at(html_findings('{{#* inline "p"}}x{{/inline}}'), "C107") == []


# ---------------------------------------------------------------- rewritable blocks


def test_else_if_chain_is_c108_at_the_else_tag() -> None:
    findings = html_findings("{{#if a}}A{{else if b}}B{{else unless c}}C{{/if}}")
    assert at(findings, "C108") == [("html", 1, 11), ("html", 1, 25)]
    assert "{{else unless" in messages(findings, "C108")[1]


def test_plain_else_is_not_c108() -> None:
    assert at(html_findings("{{#if a}}A{{else}}B{{/if}}"), "C108") == []


def test_block_params_are_c109() -> None:
    findings = html_findings("<ul>\n{{#each items as |item i|}}{{item.name}}{{/each}}")
    assert at(findings, "C109") == [("html", 2, 1)]
    assert "|item i|" in messages(findings, "C109")[0]


def test_each_without_block_params_is_not_c109() -> None:
    assert at(html_findings("{{#each items}}{{name}}{{/each}}"), "C109") == []


def test_mustache_section_is_c110() -> None:
    findings = html_findings("<ul>{{#items}}<li>{{{name}}}</li>{{/items}}</ul>")
    assert at(findings, "C110") == [("html", 1, 5)]


@pytest.mark.parametrize(
    "source", ["{{#each items}}x{{/each}}", "{{#with a}}x{{/with}}", "{{#if a}}x{{/if}}", "{{#unless a}}x{{/unless}}"]
)
def test_builtin_blocks_are_not_sections(source: str) -> None:
    assert at(html_findings(source), "C110") == []


def test_inverted_section_is_c111_not_c110() -> None:
    findings = html_findings("{{^items}}none{{/items}}")
    assert at(findings, "C111") == [("html", 1, 1)]
    assert at(findings, "C110") == []
    assert "{{#unless items}}" in messages(findings, "C111")[0]


def test_unless_is_not_c111() -> None:
    assert at(html_findings("{{#unless items}}none{{/unless}}"), "C111") == []


def test_raw_block_is_c112() -> None:
    findings = html_findings("a\n{{{{raw}}}}{{x}}{{{{/raw}}}}")
    assert at(findings, "C112") == [("html", 2, 1)]
    assert at(findings, "C101") == []  # the body of a raw block is text


def test_no_raw_block_no_c112() -> None:
    assert at(html_findings("\\{{x}}"), "C112") == []


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{{formatDate createdAt "YYYY"}}', [("html", 1, 1)]),
        ("{{#if (eq tier 'gold')}}x{{/if}}", [("html", 1, 7)]),
        ("{{#myBlock a}}x{{/myBlock}}", [("html", 1, 1)]),
        ("{{{shout name}}}", [("html", 1, 1)]),
        ("{{upper x=1}}", [("html", 1, 1)]),
        ("{{a.b c}}", [("html", 1, 1)]),
        ("{{#each (sort items)}}x{{/each}}", [("html", 1, 9)]),
    ],
)
def test_unknown_helpers_are_c113(source: str, expected: list[tuple[str, int, int]]) -> None:
    findings = html_findings(source)
    assert at(findings, "C113") == expected
    assert all(f.severity is Severity.ERROR for f in findings if f.code == "C113")


def test_builtin_helpers_and_plain_variables_are_not_c113() -> None:
    source = "{{#each a}}{{#with b}}{{#if c}}{{#unless d}}{{{x}}}{{/unless}}{{/if}}{{/with}}{{/each}}"
    source += "{{lookup a b}}{{log a}}"
    assert at(html_findings(source), "C113") == []


def test_unknown_helper_name_is_quoted() -> None:
    assert "'formatDate'" in messages(html_findings("{{formatDate d}}"), "C113")[0]


# ---------------------------------------------------------------- undocumented standard features


def test_data_variables_are_c114_at_the_path() -> None:
    findings = html_findings("{{#each items}}{{@index}}{{#if @first}}F{{/if}}{{{@root.title}}}{{/each}}")
    assert at(findings, "C114") == [("html", 1, 18), ("html", 1, 32), ("html", 1, 51)]


def test_plain_paths_are_not_c114_or_c115() -> None:
    findings = html_findings("{{#each items}}{{{this.name}}}{{{./x}}}{{/each}}")
    assert at(findings, "C114") == [] and at(findings, "C115") == []


def test_parent_paths_are_c115() -> None:
    findings = html_findings("{{#each items}}\n{{{../customer.name}}}{{/each}}")
    assert at(findings, "C115") == [("html", 2, 4)]


def test_lookup_and_log_are_c116() -> None:
    findings = html_findings("{{{lookup prices tier}}}\n{{log x}}")
    assert at(findings, "C116") == [("html", 1, 1), ("html", 2, 1)]


def test_no_lookup_no_c116() -> None:
    assert at(html_findings("{{{prices.gold}}}"), "C116") == []


def test_builtin_subexpression_is_c117() -> None:
    findings = html_findings("{{#with (lookup plans tier)}}{{{price}}}{{/with}}")
    assert at(findings, "C117") == [("html", 1, 9)]
    assert at(findings, "C113") == []


def test_no_subexpression_no_c117() -> None:
    assert at(html_findings("{{#with plan}}{{{price}}}{{/with}}"), "C117") == []


def test_ses_unsubscribe_url_is_c118() -> None:
    html = '<a href="{{{amazonSESUnsubscribeUrl}}}">Unsubscribe</a>'
    findings = html_findings(html, text="{{amazonSESUnsubscribeUrl}}")
    assert at(findings, "C118") == [("html", 1, 13), ("text", 1, 3)]
    assert "ListManagementOptions" in messages(findings, "C118")[0]


def test_other_urls_are_not_c118() -> None:
    assert at(html_findings('<a href="{{{unsubscribeUrl}}}">x</a>'), "C118") == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{#if a b}}x{{/if}}", [("html", 1, 1)]),
        ("{{#if}}x{{/if}}", [("html", 1, 1)]),
        ("{{#with}}x{{/with}}", [("html", 1, 1)]),
        ("{{#each}}x{{/each}}", [("html", 1, 1)]),
        ("{{{each items}}}", [("html", 1, 1)]),
        ("{{{if a}}}", [("html", 1, 1)]),
        ("{{{lookup a}}}", [("html", 1, 1)]),
        ("{{#lookup a b}}x{{/lookup}}", [("html", 1, 1)]),
    ],
)
def test_misused_builtins_are_c119(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert at(html_findings(source), "C119") == expected


def test_well_formed_builtins_are_not_c119() -> None:
    source = "{{#if a}}{{/if}}{{#unless a}}{{/unless}}{{#each a}}{{/each}}{{#with a}}{{/with}}"
    source += "{{{lookup a b}}}{{log a b}}"
    assert at(html_findings(source), "C119") == []


def test_hash_on_builtin_is_c120() -> None:
    findings = html_findings("{{#if count includeZero=true}}{{{count}}}{{/if}}")
    assert at(findings, "C120") == [("html", 1, 13)]
    assert "includeZero=" in messages(findings, "C120")[0]


def test_builtin_without_hash_is_not_c120() -> None:
    assert at(html_findings("{{#if count}}{{{count}}}{{/if}}{{log a level='warn'}}"), "C120") == []


def test_missing_subject_is_c121() -> None:
    assert at(check_template(make_template("<p>x</p>", subject=None)), "C121") == [(None, 0, 0)]
    assert at(check_template(make_template("<p>x</p>", subject="  ")), "C121") == [(None, 0, 0)]
    assert at(check_template(make_template("<p>x</p>", subject="Hello")), "C121") == []


# ---------------------------------------------------------------- general properties


def test_findings_come_in_part_then_source_order() -> None:
    t = make_template("{{b}}\n{{a}}{{@index}}", subject="{{s}}", text="{{t}}")
    findings = [f for f in check_template(t) if f.part]
    keys = [(["subject", "html", "text"].index(f.part), f.line, f.column) for f in findings]
    assert keys == sorted(keys)


def test_every_finding_uses_a_registered_code_with_its_severity() -> None:
    source = (
        '{{#* inline "p"}}{{x}}{{/inline}}{{> p}}{{> q}}{{#items}}{{/items}}{{^a}}{{/a}}{{#if a}}{{else if b}}{{/if}}'
        "{{#each a as |b|}}{{@index}}{{../c}}{{/each}}{{eq a b}}{{{{raw}}}}{{{{/raw}}}}{{* d}}{{> (e)}}{{#> f}}{{/f}}"
    )
    findings = html_findings(source)
    for f in findings:
        assert RULES[f.code].severity is f.severity
    codes = {f.code for f in findings}
    assert {"C101", "C102", "C103", "C105", "C106", "C107", "C108", "C109", "C110", "C111", "C112", "C113"} <= codes
