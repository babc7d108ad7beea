"""templating.render: SES rules (missing attributes), handlebars.js semantics, the Python API."""

from __future__ import annotations

import time
from typing import Any

import pytest

from templating.render import (
    Compiled,
    MissingAttribute,
    Options,
    RenderError,
    SafeString,
    compile_template,
    render_part,
    ses_missing_message,
)
from templating.render import jsvalues as js


def ses(source: str, data: Any, **options: Any) -> str:
    return compile_template(source).render(data, **options)


def standard(source: str, data: Any, **options: Any) -> str:
    return compile_template(source).render(data, escape=True, strict=False, **options)


def collect(source: str, data: Any, **options: Any) -> tuple[str, list[MissingAttribute]]:
    found: list[MissingAttribute] = []
    output = compile_template(source).render(data, on_missing=found.append, **options)
    return output, found


# ---------------------------------------------------------------- SES missing attributes


@pytest.mark.parametrize("tag", ["{{order.total}}", "{{{order.total}}}", "{{& order.total}}", "{{~order.total~}}"])
def test_printing_a_missing_attribute_fails_with_ses_text(tag: str) -> None:
    with pytest.raises(RenderError) as caught:
        ses(f"Total:\n  {tag}", {"order": {}})
    error = caught.value
    assert error.message == "Attribute 'order.total' is not present in the rendering data."
    assert error.message == ses_missing_message("order.total")
    assert (error.line, error.column) == (2, 3)
    assert error.attribute == "order.total"


def test_printing_null_fails_like_missing() -> None:
    with pytest.raises(RenderError, match="Attribute 'name' is not present"):
        ses("Hi {{name}}", {"name": None})


def test_missing_under_conditions_and_blocks_does_not_fail() -> None:
    source = (
        "{{#if a}}A{{/if}}{{#unless b}}U{{/unless}}{{#each c}}E{{/each}}{{#with d}}W{{/with}}{{#e}}S{{/e}}{{^f}}I{{/f}}"
    )
    assert ses(source, {}) == "UI"


def test_missing_inside_an_untaken_branch_does_not_fail() -> None:
    assert ses("{{#if show}}{{absent}}{{/if}}ok", {"show": False}) == "ok"


def test_present_falsy_values_print() -> None:
    assert ses("{{a}}|{{b}}|{{c}}", {"a": 0, "b": False, "c": ""}) == "0|false|"


def test_data_variables_are_never_missing() -> None:
    assert ses("[{{@index}}{{@key}}{{@root.nothing}}]", {}) == "[]"


def test_helper_names_are_never_missing() -> None:
    assert ses("{{log}}{{lookup obj 'k'}}", {"obj": {"k": "v"}}) == "v"


def test_block_params_missing_fields_fail() -> None:
    with pytest.raises(RenderError, match=r"Attribute 'item\.name'"):
        ses("{{#each items as |item|}}{{item.name}}{{/each}}", {"items": [{}]})


def test_on_missing_collects_every_lookup_and_rendering_continues() -> None:
    source = "{{a}}\n{{#if b}}x{{/if}}{{#each c}}{{/each}}{{#d}}{{/d}}{{> p e}}{{f.g}}{{h}}"
    output, found = collect(source, {"f": None, "h": None}, partials={"p": "P"})
    assert output == "\nP"
    assert [(m.name, m.kind, m.null) for m in found] == [
        ("a", "print", False),
        ("b", "condition", False),
        ("c", "block", False),
        ("d", "block", False),
        ("e", "partial-context", False),
        ("f.g", "print", True),
        ("h", "print", True),
    ]
    assert (found[0].line, found[0].column) == (1, 1)
    assert (found[1].line, found[1].column) == (2, 7)


def test_on_missing_also_works_in_standard_mode() -> None:
    output, found = collect("<{{x}}>", {}, escape=True, strict=False)
    assert output == "<>"
    assert [m.name for m in found] == ["x"]


def test_strict_off_prints_nothing_for_missing() -> None:
    assert ses("[{{x}}]", {}, strict=False) == "[]"


# ---------------------------------------------------------------- values like JavaScript


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (1.0, "1"),
        (1e21, "1e+21"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (1e-7, "1e-7"),
        (123456789012345680000, "123456789012345680000"),
        (2**64, "18446744073709552000"),
        (True, "true"),
        ([1, [2, None], "x"], "1,2,,x"),
        ({"a": 1}, "[object Object]"),
        (None, ""),
    ],
)
def test_values_print_like_javascript(value: Any, printed: str) -> None:
    assert ses("{{{v}}}", {"v": value}, strict=False) == printed


def test_escaping_only_in_standard_double_stash() -> None:
    data = {"v": "a&<>\"'`=b"}
    assert standard("{{v}}", data) == "a&amp;&lt;&gt;&quot;&#x27;&#x60;&#x3D;b"
    assert standard("{{{v}}}|{{&v}}", data) == "a&<>\"'`=b|a&<>\"'`=b"
    assert ses("{{v}}", data) == "a&<>\"'`=b"


def test_length_and_index_segments() -> None:
    data = {"items": ["a", "b"], "word": "héllo"}
    assert ses("{{items.length}} {{items.[1]}} {{word.length}} {{word.[1]}}", data) == "2 b 5 é"


def test_truthiness_follows_handlebars() -> None:
    source = "{{#if v}}T{{else}}F{{/if}}"
    assert [ses(source, {"v": v}) for v in ({}, [], 0, "", "0", [0])] == ["T", "F", "F", "F", "T", "T"]
    assert ses("{{#if v includeZero=true}}T{{else}}F{{/if}}", {"v": 0}) == "T"


def test_adjacent_unescaped_numbers_add_up_like_handlebars_js() -> None:
    assert ses("{{a}}{{b}}", {"a": 1, "b": 2}) == "3"
    assert ses("x{{a}}{{b}}", {"a": 1, "b": 2}) == "x12"
    assert standard("{{a}}{{b}}", {"a": 1, "b": 2}) == "12"
    assert ses("{{a}}{{b}}{{#if a}}{{a}}{{/if}}", {"a": 1, "b": 2}, add_adjacent_numbers=False) == "121"


# ---------------------------------------------------------------- helpers, blocks, contexts


def test_each_over_objects_uses_javascript_key_order() -> None:
    data = {"o": {"b": 1, "10": 2, "a": 3, "2": 4}}
    source = "{{#each o}}{{@key}}={{this}}{{#if @first}}^{{/if}}{{#if @last}}${{/if}} {{/each}}"
    assert ses(source, data) == "2=4^ 10=2 b=1 a=3$ "


def test_block_params_and_parent_paths() -> None:
    source = "{{#each rows as |row i|}}{{#each row.cells as |cell|}}{{i}}{{cell}}{{../../title}}{{@../index}};{{/each}}"
    source += "{{/each}}"
    data = {"rows": [{"cells": ["a"]}, {"cells": ["b", "c"]}], "title": "T"}
    assert ses(source, data) == "0aT0;1bT1;1cT1;"


def test_depths_use_javascript_loose_equality() -> None:
    # handlebars.js pushes a context only when `context != depths[0]`: "a" == ["a"], so `../` skips a level there
    source = "{{#each rows}}{{#each this}}{{../title}};{{/each}}{{/each}}"
    assert ses(source, {"rows": [["a"], ["b", "c"]], "title": "T"}, strict=False) == "T;;;"


def test_else_if_chain_and_sections() -> None:
    source = "{{#if a}}A{{else if b}}B{{else}}C{{/if}}|{{#list}}<{{.}}>{{/list}}|{{^list}}none{{/list}}|"
    source += "{{#obj}}{{k}}{{/obj}}"
    assert ses(source, {"b": 1, "list": [1, 2], "obj": {"k": "K"}}) == "B|<1><2>||K"
    assert ses("{{^list}}none{{/list}}", {"list": []}) == "none"


def test_missing_helper_is_an_error() -> None:
    with pytest.raises(RenderError, match='Missing helper: "formatDate"') as caught:
        ses("\n {{formatDate when}}", {"when": 1})
    assert (caught.value.line, caught.value.column) == (2, 2)


def test_python_helpers_get_params_hash_and_blocks() -> None:
    def shout(text: str, options: Options) -> str:
        return text.upper() + options.hash.get("end", "!")

    def twice(options: Options) -> str:
        return options.fn(options.context) + options.fn({"x": "again"}) + options.inverse(None)

    helpers = {"shout": shout, "twice": twice}
    output = ses(
        "{{shout name end='?'}} {{#twice}}[{{x}}]{{else}}no{{/twice}}", {"name": "hi", "x": 1}, helpers=helpers
    )
    assert output == "HI? [1][again]no"


def test_python_helper_failure_becomes_render_error() -> None:
    def broken(value: Any, options: Options) -> str:
        raise ValueError("boom")

    with pytest.raises(RenderError, match="boom"):
        ses("{{broken 1}}", {}, helpers={"broken": broken})


def test_safe_string_is_not_escaped() -> None:
    assert standard("{{html}}", {}, helpers={"html": lambda options: SafeString("<b>")}) == "<b>"


# ---------------------------------------------------------------- partials


def test_partials_with_context_hash_and_indent() -> None:
    partials = {"card": "name={{name}}\nrole={{role}}\n"}
    source = "list:\n  {{> card person role='admin'}}\nend"
    assert ses(source, {"person": {"name": "Ann", "role": "user"}}, partials=partials) == (
        "list:\n  name=Ann\n  role=admin\nend"
    )


def test_inline_partials_are_scoped_and_usable_before_definition() -> None:
    source = '{{> greet}}\n{{#*inline "greet"}}Hi {{name}}{{/inline}}\n{{#each people}}{{> greet}};{{/each}}'
    assert ses(source, {"name": "all", "people": [{"name": "A"}, {"name": "B"}]}) == "Hi all\nHi A;Hi B;"


def test_partial_blocks_and_partial_block_fallback() -> None:
    partials = {"layout": "<main>{{> @partial-block}}</main>"}
    assert ses("{{#> layout}}body {{x}}{{/layout}}", {"x": 1}, partials=partials) == "<main>body 1</main>"
    assert ses("{{#> absent}}fallback{{/absent}}", {}) == "fallback"


def test_dynamic_partial_and_missing_partial() -> None:
    partials = {"a": "A!"}
    assert ses("{{> (lookup . 'which')}}", {"which": "a"}, partials=partials) == "A!"
    with pytest.raises(RenderError, match="The partial nope could not be found"):
        ses("{{> nope}}", {})


def test_recursive_partial_is_an_error_not_a_crash() -> None:
    with pytest.raises(RenderError, match="Maximum call stack"):
        ses("{{> loop}}", {}, partials={"loop": "{{> loop}}"})


# ---------------------------------------------------------------- handlebars.js options


def test_handlebars_strict_and_compat_options() -> None:
    with pytest.raises(RenderError, match='"b" not defined'):
        ses("{{a.b}}", {"a": {}}, strict=False, js_strict=True)
    assert ses("{{#a}}{{b}}{{/a}}", {"a": {"x": 1}, "b": "outer"}, compat=True) == "outer"
    assert ses("{{#a}}{{b}}{{/a}}", {"a": {"x": 1}, "b": "outer"}, strict=False) == ""


def test_compat_lookup_stops_at_a_falsy_context() -> None:
    """handlebars.js `lookup` tests `depths[i] && ...`: false, 0 and "" end the search (with their own property),
    only null goes on to the outer contexts. Outputs as handlebars.js 4.7.8 prints them."""
    items = [False, 0, "", None, {"x": 1}, {"a": "in"}]
    template = "{{#each b}}[{{a}}]{{/each}}"
    assert ses(template, {"a": "outer", "b": items}, strict=False, compat=True) == "[][][][outer][outer][in]"
    lengths = "{{#each b}}[{{length}}]{{/each}}"
    assert ses(lengths, {"length": "outer", "b": ["", "abc", False]}, strict=False, compat=True) == "[0][3][]"


def test_known_helpers_only_rejects_unknown_helpers() -> None:
    with pytest.raises(RenderError, match="knownHelpersOnly"):
        ses("{{custom 1}}", {}, known_helpers_only=True)


def test_initial_data_frame() -> None:
    assert ses("{{@greeting}} {{@root.x}}", {"x": "X"}, initial_data={"greeting": "hello"}) == "hello X"


# ---------------------------------------------------------------- API


def test_compiled_templates_are_cached_by_content() -> None:
    first = compile_template("cached {{x}}")
    assert isinstance(first, Compiled)
    assert compile_template("cached {{x}}") is first
    first.render({"x": 1})
    spec = next(iter(first._variants.values()))
    first.render({"x": 2})
    assert next(iter(first._variants.values())) is spec


def test_ignore_standalone_option() -> None:
    source = "a\n{{#if x}}\nb\n{{/if}}\n"
    assert ses(source, {"x": True}) == "a\nb\n"
    assert compile_template(source, ignore_standalone=True).render({"x": True}) == "a\n\nb\n\n"


def test_render_part_dialects() -> None:
    data = {"name": "<Ann>"}
    assert render_part("Hi {{name}}", data) == "Hi <Ann>"
    assert render_part("Hi {{name}}", data, dialect="standard") == "Hi &lt;Ann&gt;"
    assert render_part("Hi {{name}} {{absent}}", data, dialect="mailtrap") == "Hi &lt;Ann&gt; "
    with pytest.raises(RenderError):
        render_part("{{absent}}", {}, dialect="ses")
    with pytest.raises(ValueError, match="dialect"):
        render_part("", {}, dialect="other")  # type: ignore[arg-type]


# ---------------------------------------------------------------- jsvalues


def test_js_add_follows_javascript_plus() -> None:
    assert js.add(1, 2) == 3
    assert js.add(True, 1) == 2
    assert js.add("1", 2) == "12"
    assert js.add([1, 2], 3) == "1,23"
    assert js.number_to_string(js.add(0.1, 0.2)) == "0.30000000000000004"


def test_loose_equality_for_depth_checks() -> None:
    assert js.loose_equal(1, 1.0)
    assert js.loose_equal("1", 1)
    assert js.loose_equal(["a"], "a")
    assert not js.loose_equal({}, {})
    assert not js.loose_equal(None, 0)


# ---------------------------------------------------------------- performance


def reference_email() -> tuple[str, dict[str, Any]]:
    """The 24 KB reference email: 40 table rows with if/else and 3 variables, an each of 20 items, 18 KB of text."""
    paragraph = '<p style="font-family:Arial,sans-serif;color:#333;line-height:1.5">Lorem ipsum dolor sit amet.</p>\n'
    static = (paragraph * 200)[:9800]
    rows = "".join(
        f"<tr><td>Row {i}</td><td>{{{{#if row{i}.flag}}}}{{{{row{i}.name}}}} ({{{{row{i}.qty}}}})"
        f"{{{{else}}}}{{{{row{i}.alt}}}}{{{{/if}}}}</td></tr>\n"
        for i in range(40)
    )
    items = "<ul>{{#each items}}<li>{{name}}: {{price}} #{{@index}}</li>{{/each}}</ul>\n"
    source = f"<html><body><h1>Hi {{{{user.name}}}}</h1>\n{static}<table>{rows}</table>\n{items}{static}</body></html>"
    data: dict[str, Any] = {
        "user": {"name": "Ann"},
        "items": [{"name": f"item{i}", "price": i * 1.5} for i in range(20)],
    }
    for i in range(40):
        data[f"row{i}"] = {"flag": i % 2 == 0, "name": f"N{i}", "qty": i, "alt": "none"}
    return source, data


def test_reference_email_compiles_and_renders_within_30_ms() -> None:
    source, data = reference_email()
    assert 24_000 < len(source) < 25_000
    timings = []
    for _ in range(5):
        compile_template.cache_clear()
        start = time.perf_counter()
        output = compile_template(source).render(data)
        timings.append(time.perf_counter() - start)
    assert "N0 (0)" in output and "none" in output and "item19: 28.5 #19" in output
    assert min(timings) < 0.030, f"compile + render took {min(timings) * 1000:.1f} ms"
