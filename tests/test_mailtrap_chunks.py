"""The Mailtrap adapter compiles a converted template in cached chunks (templating.mailtrap_render, "Compiling in
pieces"): rendering the chunks must give exactly pybars3's render of the whole template, or its error."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating import mailtrap_render
from templating.loaders import load
from templating.mailtrap_render import (
    CARRIAGE_RETURN_STANDIN,
    HELPERS,
    ChunkedTemplate,
    CompiledPybars,
    MailtrapRenderError,
    compile_in_chunks,
    compile_pybars,
    compile_whole,
    js_data,
    render_mailtrap,
    split_chunks,
    top_level_items,
)
from templating.rewrite import convert_template

REPO = Path(__file__).resolve().parents[1]
EVERY_CUT = {"min_size": 0, "max_size": 10**9, "spacing": 1}
Outcome = tuple[str, str]


def _render(template: CompiledPybars, data: dict[str, Any]) -> str:
    try:
        text = str(template(js_data(data), helpers=HELPERS))
    except Exception as exc:
        raise MailtrapRenderError(f"{type(exc).__name__}: {exc}") from None
    return text.replace(CARRIAGE_RETURN_STANDIN, "\r")


def whole_outcome(source: str, data: dict[str, Any]) -> Outcome:
    """What the adapter gave before chunking: pybars3 compiling and rendering the whole template."""
    try:
        return "ok", _render(compile_whole(source), data)
    except MailtrapRenderError as error:
        return "error", str(error)


def chunked_outcome(source: str, data: dict[str, Any], **sizes: int) -> tuple[Outcome, int]:
    """The chunked path (every possible cut taken by default), and how many chunks were used (1: the whole)."""
    sizes = sizes or EVERY_CUT
    try:
        template = compile_in_chunks(top_level_items(source), **sizes) or compile_whole(source)
        count = len(template.pieces) if isinstance(template, ChunkedTemplate) else 1
        return ("ok", _render(template, data)), count
    except MailtrapRenderError as error:
        return ("error", str(error)), 1


# ---------------------------------------------------------------------------------------------------------------------
# random templates of the converted subset, and random data

TEXT = st.text(alphabet="ab <>&\"'\n\t\r{}[]~\\é", max_size=6)
PAD = st.sampled_from(["", "\n", "  ", "\n  ", " \n", "\r\n"])
ROOT_VARS = ["a", "b", "n", "obj.x", "@root.a", "../a", "this.a", "list.length", "missing"]
ITEM_VARS = ["s", "../a", "@index", "@first", "@last", "@root.b", "this"]
OBJ_VARS = ["x", "../a", "@root.n", "y"]


@st.composite
def mustache(draw: st.DrawFn, names: list[str]) -> str:
    form = draw(st.sampled_from(["{{%s}}", "{{{%s}}}", "{{&%s}}", "{{~%s}}", "{{%s~}}", "{{~%s~}}", "{{ %s }}"]))
    return form % draw(st.sampled_from(names))


@st.composite
def block(draw: st.DrawFn, names: list[str], depth: int) -> str:
    pad = draw(PAD)
    kind = draw(st.sampled_from(["if", "unless", "each", "with", "comment", "long_comment"]))
    cond = draw(st.sampled_from(["c", "flag", "obj", "list", "n", "missing", "@root.c"]))
    if kind == "comment":
        return f"{pad}{{{{! {draw(TEXT).replace('}', '')} }}}}{pad}"
    if kind == "long_comment":
        return f"{pad}{{{{!-- {draw(TEXT).replace('}', '')} --}}}}{pad}"
    inner_names = {"each": ITEM_VARS, "with": OBJ_VARS}.get(kind, names)
    subject = {"each": "list", "with": "obj"}.get(kind, cond)
    inner = draw(body(inner_names, depth + 1))
    alt = f"{pad}{{{{else}}}}{pad}{draw(body(names, depth + 1))}" if draw(st.booleans()) else ""
    tilde = draw(st.sampled_from(["", "~"]))
    return f"{{{{{tilde}#{kind} {subject}}}}}{pad}{inner}{alt}{pad}{{{{/{kind}{tilde}}}}}"


@st.composite
def body(draw: st.DrawFn, names: list[str] = ROOT_VARS, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6 if depth == 0 else 3))):
        choice = draw(st.integers(0, 3 if depth < 2 else 2))
        if choice <= 1:
            parts.append(draw(TEXT) + draw(PAD))
        elif choice == 2:
            parts.append(draw(mustache(names)))
        else:
            parts.append(draw(block(names, depth)))
    return "".join(parts)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([1.0, 2.5, 1e16]), TEXT)
ITEM = st.fixed_dictionaries({"s": SCALARS}) | SCALARS
DATA = st.fixed_dictionaries(
    {},
    optional={
        "a": SCALARS,
        "b": SCALARS,
        "n": SCALARS,
        "c": SCALARS,
        "flag": st.booleans(),
        "obj": st.fixed_dictionaries({}, optional={"x": SCALARS, "y": SCALARS}) | SCALARS,
        "list": st.lists(ITEM, max_size=3) | SCALARS,
    },
)
# text and tags pybars3 and our scanner may read differently: the chunked path must still agree with the whole
SOUP = st.lists(
    st.sampled_from(
        [
            "{{a}}",
            "{{",
            "}}",
            "{",
            "}",
            "[",
            "]",
            "{{[a",
            "{{[a b]}}",
            "b]}}",
            '{{a "x}}',
            '"}}',
            "\\{{a}}",
            "{{{{raw}}}}",
            "{{{{/raw}}}}",
            "{{#if c}}",
            "{{/if}}",
            "{{else}}",
            "{{!-- }} --}}",
            "{{! x }}",
            "{{> p}}",
            "{{~a~}}",
            "\n",
            "  ",
            "x>",
            "text",
        ]
    ),
    max_size=12,
).map("".join)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(source=body(), data=DATA)
def test_chunked_render_equals_whole_render_on_converted_subset(source: str, data: dict[str, Any]) -> None:
    outcome, _count = chunked_outcome(source, data)
    assert outcome == whole_outcome(source, data)


@SETTINGS
@given(source=SOUP, data=DATA)
def test_chunked_render_equals_whole_render_on_text_pybars_may_read_differently(
    source: str, data: dict[str, Any]
) -> None:
    outcome, _count = chunked_outcome(source, data)
    assert outcome == whole_outcome(source, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=body(), data=DATA)
def test_converted_templates_render_the_same_chunked(source: str, data: dict[str, Any]) -> None:
    from templating.model import Template

    t = Template("t", Path("t"), "folder", {"html": source}, {"html": Path("t/html.hbs")})
    try:
        converted = convert_template(t).parts["html"]
    except Exception:
        return  # not convertible: nothing for the Mailtrap side to render
    outcome, _count = chunked_outcome(converted, data)
    assert outcome == whole_outcome(converted, data)


# ---------------------------------------------------------------------------------------------------------------------
# the cases where a chunk could mean something else on its own


@pytest.mark.parametrize(
    ("source", "data"),
    [
        # @root and a top-level ../ are the one data object every chunk gets
        ("{{a}}{{@root.a}}{{../a}}{{#with obj}}{{../a}}{{@root.a}}{{/with}}{{this.a}}", {"a": 1, "obj": {}}),
        (
            "{{#each list}}{{@index}}{{../a}}{{/each}}{{@index}}{{#each list}}{{@last}}{{/each}}",
            {"a": 1, "list": [1, 2]},
        ),
        # ~ and standalone lines are resolved on the whole template, before the cut
        ("x  {{~a}}  \n{{#if c}}\n  y\n{{/if}}\n  {{a~}}   z", {"a": 1, "c": True}),
        ("line\n  {{! note }}\n{{#each list}}\n {{this}}\n{{else}}\n none\n{{/each}}\n", {"list": []}),
        # a "{" before a tag: pybars3 reads "{{{" there in the whole template (an error), so no cut may go between
        ("a{ {{~a}}", {"a": 1}),
        ("{{a}}{ {{~b}}}", {"a": 1, "b": 2}),
        # a "[" without "]": pybars3 reads a [segment] up to the next "]", beyond any cut
        ("{{[a}}{{b]}}", {"a": 1, "b": 2, "a}}{{b": 3}),
        ("{{[a}} x {{b}} ] {{c}}", {"a": 1}),
        # the scanner and pybars3 disagree about a tag: chunks fail, the whole decides
        ('{{a "x}}"}} {{b}}', {"a": 1, "b": 2}),
        ("\\{{#if c}}{{a}}{{/if}}", {"a": 1, "c": True}),
        ("{{{{raw}}}} {{a}} {{{{/raw}}}}", {"a": 1}),
        ("{{!-- }} {{#if c}} --}} {{a}} {{/if}}", {"a": 1, "c": True}),
        ("{{#if c}}{{a}}", {"a": 1}),
        ("{{a}}{{/if}}", {"a": 1}),
        ("{{a}}{{else}}{{b}}", {"a": 1}),
        # render errors are the same error, raised at the same statement
        ("{{a}}{{lookup}}{{b x}}{{c}}", {"a": 1}),
        ("{{a}}\r\n{{b}}\r\n\r\n{{{c}}}\r\n", {"a": 1, "b": "<", "c": "<"}),
    ],
)
def test_cases_where_a_chunk_alone_could_differ(source: str, data: dict[str, Any]) -> None:
    outcome, _count = chunked_outcome(source, data)
    assert outcome == whole_outcome(source, data)


def test_no_cut_after_a_brace_or_an_unclosed_bracket() -> None:
    assert split_chunks(["a{", "{{b}}", "{{c}}"], **EVERY_CUT) == ["a{{{b}}", "{{c}}"]
    assert split_chunks(["{{[a}}", "{{b}}", "x]", "{{c}}"], **EVERY_CUT) == ["{{[a}}{{b}}x]", "{{c}}"]
    assert split_chunks(["a\nb>c", "{{#if x}}\n{{y}}\n{{/if}}", "d"], **EVERY_CUT) == [
        "a\n",
        "b>",
        "c",
        "{{#if x}}\n{{y}}\n{{/if}}",
        "d",
    ]


def test_cuts_are_never_inside_a_block() -> None:
    source = "{{#each list}}\n{{#if c}}\n{{a}}\n{{/if}}\n{{/each}}\n{{#with obj}}{{x}}{{/with}}"
    chunks = split_chunks(top_level_items(source), **EVERY_CUT)
    assert chunks == ["{{#each list}}{{#if c}}{{a}}\n{{/if}}{{/each}}", "{{#with obj}}{{x}}{{/with}}"]


# ---------------------------------------------------------------------------------------------------------------------
# real templates


def _templates_in() -> list[Any]:
    root = REPO / "templates_in"
    if not root.is_dir():
        pytest.skip("templates_in/ is not there")
    return load(root).templates


def _outcomes(compile_: Callable[[], CompiledPybars], datas: list[dict[str, Any]]) -> list[Outcome]:
    try:
        template = compile_()
    except MailtrapRenderError as error:
        return [("error", str(error))] * len(datas)
    outcomes: list[Outcome] = []
    for data in datas:
        try:
            outcomes.append(("ok", _render(template, data)))
        except MailtrapRenderError as error:
            outcomes.append(("error", str(error)))
    return outcomes


def test_every_templates_in_part_and_fixture_renders_the_same_chunked() -> None:
    checked = chunked_parts = 0
    for t in _templates_in():
        try:
            conversion = convert_template(t)
        except Exception:
            continue
        datas = [f.data for f in t.fixtures.values()] or [{}]
        for part, source in conversion.parts.items():
            expected = _outcomes(lambda source=source: compile_whole(source), datas)
            for sizes in (EVERY_CUT, {}):
                chunked = compile_in_chunks(top_level_items(source), **sizes)
                chunked_parts += chunked is not None
                got = _outcomes(lambda chunked=chunked, source=source: chunked or compile_whole(source), datas)
                assert got == expected, (t.name, part)
            checked += len(datas)
    assert checked >= 50 and chunked_parts >= 50


@pytest.fixture
def reference_email() -> tuple[str, list[dict[str, Any]]]:
    sys.path.insert(0, str(REPO / "bench"))
    from corpus import reference_email as make

    return make()


def test_the_reference_email_is_chunked_and_an_edit_compiles_few_chunks(
    reference_email: tuple[str, list[dict[str, Any]]],
) -> None:
    from templating.model import Template

    html, fixtures = reference_email
    t = Template("r", Path("r"), "folder", {"html": html}, {"html": Path("r/html.hbs")})
    converted = convert_template(t).parts["html"]
    template = compile_pybars(converted)
    assert isinstance(template, ChunkedTemplate) and len(template.pieces) >= 8
    for data in fixtures:
        assert render_mailtrap(converted, data) == whole_outcome(converted, data)[1]

    middle = converted.index("</td>", len(converted) // 2)
    for edit in range(2):
        edited = converted[:middle] + f" edit {edit}" + converted[middle:]
        before = mailtrap_render._compile_chunk.cache_info().misses
        pieces = compile_pybars(edited).pieces  # type: ignore[attr-defined]
        compiled = mailtrap_render._compile_chunk.cache_info().misses - before
        assert 1 <= compiled <= 4 and compiled <= len(pieces) // 4
        assert render_mailtrap(edited, fixtures[0]) == whole_outcome(edited, fixtures[0])[1]
