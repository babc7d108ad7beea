"""templating.render against live handlebars.js 4.7.8 (tests/oracle_support.py).

- Every part of every template in templates_in/ with every fixture: our SES render equals handlebars.js with
  `noEscape: true`, byte for byte (missing attributes are collected instead of raised, as handlebars.js prints "").
- Random small templates and data (hypothesis) in both dialects: same output, or both fail.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import oracle_support
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating.hbs import TemplateSyntaxError
from templating.render import MissingAttribute, RenderError, compile_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES_IN = ROOT / "templates_in"

needs_oracle = pytest.mark.skipif(oracle_support.backend() is None, reason="no handlebars.js oracle available")
needs_node = pytest.mark.skipif(
    oracle_support.backend() != "node", reason="Node's handlebars is needed (js2py is too slow for whole templates)"
)


def ours(template: str, data: Any, *, escape: bool, partials: dict[str, str] | None = None) -> dict[str, Any]:
    """Our render in the oracle's result shape; missing attributes are collected, not raised."""
    missing: list[MissingAttribute] = []
    try:
        compiled = compile_template(template)
        output = compiled.render(data, escape=escape, strict=True, partials=partials, on_missing=missing.append)
    except (RenderError, TemplateSyntaxError) as error:
        return {"ok": False, "error": str(error)}
    return {"ok": True, "output": output}


def assert_same(case: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    where = f"template {case['template']!r}\ndata {json.dumps(case['data'])[:500]}"
    if theirs["ok"]:
        assert mine == theirs, f"{where}\nhandlebars.js: {theirs['output']!r}\nours: {mine}"
    else:
        assert not mine["ok"], f"{where}\nhandlebars.js fails ({theirs['error']}), we render {mine.get('output')!r}"


# ---------------------------------------------------------------- templates_in


def _templates_in_cases() -> list[tuple[str, str, Any]]:
    if not TEMPLATES_IN.is_dir():
        return []
    from templating.loaders import load

    cases = []
    for template in load(TEMPLATES_IN).templates:
        for part, source in template.parts.items():
            for fixture in template.fixtures.values():
                cases.append((f"{template.name}/{part}/{fixture.name}", source, fixture.data))
    return cases


TEMPLATES_IN_CASES = _templates_in_cases()


@needs_node
def test_templates_in_has_cases() -> None:
    assert TEMPLATES_IN_CASES, "templates_in/ yields no template part with a fixture"


@needs_node
@pytest.mark.parametrize(("name", "source", "data"), TEMPLATES_IN_CASES, ids=[c[0] for c in TEMPLATES_IN_CASES])
def test_templates_in_matches_handlebars_js(name: str, source: str, data: Any) -> None:
    case = {"template": source, "data": data, "compileOptions": {"noEscape": True}}
    assert_same(case, ours(source, data, escape=False), oracle_support.render_one(case))


# ---------------------------------------------------------------- random templates

NAMES = ["a", "b", "list", "obj", "n", "s", "missing"]
TEXTS = ["x", " ", "\n", "  \n", "<b>", "&", "'", "=", "\t"]


def _paths() -> st.SearchStrategy[str]:
    simple = st.sampled_from(NAMES)
    nested = st.builds(lambda a, b: f"{a}.{b}", simple, st.sampled_from([*NAMES, "length", "[0]", "[1]"]))
    prefixed = st.builds(lambda p, x: p + x, st.sampled_from(["../", "this.", "./", "@root.", "../../"]), simple)
    data = st.sampled_from(["@index", "@key", "@first", "@last", "@root", "this", ".", "@../index"])
    return st.one_of(simple, simple, nested, prefixed, data, st.sampled_from(["item", "i", "item.a"]))


PATHS = _paths()


def _mustache(path: str, open_tilde: bool, close_tilde: bool, form: int) -> str:
    left, right = ("~" if open_tilde else ""), ("~" if close_tilde else "")
    if form == 1:
        return "{{{" + left + path + right + "}}}"
    if form == 2:
        return "{{" + left + "&" + path + right + "}}"
    return "{{" + left + path + right + "}}"


MUSTACHES = st.one_of(
    st.builds(_mustache, PATHS, st.booleans(), st.booleans(), st.integers(0, 2)),
    st.builds(lambda p, k: f'{{{{lookup {p} "{k}"}}}}', PATHS, st.sampled_from(NAMES)),
    st.builds(lambda p: f"{{{{lookup list {p}}}}}", st.sampled_from(["0", "1", "n", "@index"])),
    st.sampled_from(["{{! comment }}", "{{!-- {{x}} --}}", "{{log a}}", "\\{{a}}", "{{> part}}", "{{> part obj}}"]),
    st.sampled_from(
        ["{{> layout}}", "{{> (lookup . 's')}}", "{{{{raw}}}}{{a}}{{{{/raw}}}}", "{{lookup (lookup obj 'a') 'b'}}"]
    ),
)


def _block(helper: str, path: str, body: str, inverse: str | None, newline: bool, tildes: int) -> str:
    nl = "\n" if newline else ""
    if helper == "section":
        open_tag, close_tag = "{{#" + path + "}}", "{{/" + path + "}}"
    elif helper == "inverted":
        open_tag, close_tag = "{{^" + path + "}}", "{{/" + path + "}}"
    elif helper == "each-as":
        open_tag, close_tag = "{{#each " + path + " as |item i|}}", "{{/each}}"
    elif helper == "with-as":
        open_tag, close_tag = "{{#with " + path + " as |item|}}", "{{/with}}"
    elif helper == "if-sub":
        open_tag, close_tag = "{{#if (lookup " + path + " 'a')}}", "{{/if}}"
    elif helper == "partial-block":
        open_tag, close_tag = "{{#> layout " + path + "}}", "{{/layout}}"
    else:
        open_tag, close_tag = "{{#" + helper + " " + path + "}}", "{{/" + helper + "}}"
    awkward_close = path.startswith(("@", "../", "./")) or path in ("this", ".") or "[" in path
    if awkward_close and helper in ("section", "inverted"):  # keep the generated close tags simple
        open_tag, close_tag = "{{#with " + path + "}}", "{{/with}}"
    else_tag = "{{else}}"
    if tildes & 1:
        open_tag = open_tag.replace("{{", "{{~", 1)
    if tildes & 2:
        close_tag = close_tag[:-2] + "~}}"
    if tildes & 4:
        else_tag = "{{~else~}}"
    if helper == "partial-block":
        inverse = None
    middle = body if inverse is None else body + nl + else_tag + nl + inverse
    return open_tag + nl + middle + nl + close_tag + nl


def _templates() -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(TEXTS), MUSTACHES)

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        sequence = st.lists(children, min_size=0, max_size=4).map("".join)
        helpers = st.sampled_from(
            ["if", "unless", "each", "with", "section", "inverted", "each-as", "with-as", "if-sub", "partial-block"]
        )
        block = st.builds(_block, helpers, PATHS, sequence, st.none() | sequence, st.booleans(), st.integers(0, 7))
        else_if = st.builds(
            lambda a, b, x, y, z: f"{{{{#if {a}}}}}{x}{{{{else if {b}}}}}{y}{{{{else}}}}{z}{{{{/if}}}}",
            PATHS,
            PATHS,
            sequence,
            sequence,
            sequence,
        )
        inline = st.builds(
            lambda body, call: f'{{{{#*inline "part"}}}}{body}{{{{/inline}}}}\n{call}',
            sequence,
            st.sampled_from(["{{> part}}", "{{> part a}}", "{{> part n=1 s=a}}", "  {{> part}}\n"]),
        )
        return st.one_of(sequence, block, else_if, inline)

    return st.recursive(leaf, extend, max_leaves=12).map(lambda body: body)


TEMPLATES = _templates()

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, 1e21, -0.0, 1.25, 100.0]),
    st.text(alphabet=string.ascii_letters + "<>&\"'`= ", max_size=5),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(NAMES[:-1]), children, max_size=4),
    ),
    max_leaves=10,
)
DATA = st.dictionaries(st.sampled_from(NAMES[:-1]), VALUES, max_size=6)
PARTIALS = {"part": "[{{a}}|{{n}}|{{s}}]", "layout": "<{{#if a}}{{> @partial-block}}{{else}}{{b}}{{/if}}>\n", "x": "X"}


@needs_oracle
@settings(
    max_examples=150 if oracle_support.backend() == "node" else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(template=TEMPLATES, data=DATA, escape=st.booleans())
def test_random_templates_match_handlebars_js(template: str, data: dict[str, Any], escape: bool) -> None:
    case = {"template": template, "data": data, "compileOptions": {"noEscape": not escape}, "partials": PARTIALS}
    assert_same(case, ours(template, data, escape=escape, partials=PARTIALS), oracle_support.render_one(case))


@needs_oracle
@settings(max_examples=60 if oracle_support.backend() == "node" else 10, deadline=None)
@given(template=TEMPLATES, data=DATA, compat=st.booleans(), js_strict=st.booleans())
def test_random_templates_with_compile_options(
    template: str, data: dict[str, Any], compat: bool, js_strict: bool
) -> None:
    """handlebars.js's `compat` (mustache-style context lookups) and `strict` compile options."""
    options = {"noEscape": True, "compat": compat, "strict": js_strict}
    case = {"template": template, "data": data, "compileOptions": options, "partials": PARTIALS}
    try:
        compiled = compile_template(template)
        output = compiled.render(data, strict=False, compat=compat, js_strict=js_strict, partials=PARTIALS)
        mine: dict[str, Any] = {"ok": True, "output": output}
    except (RenderError, TemplateSyntaxError) as error:
        mine = {"ok": False, "error": str(error)}
    assert_same(case, mine, oracle_support.render_one(case))
