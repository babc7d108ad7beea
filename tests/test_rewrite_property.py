"""Property: for random templates of the supported grammar and random fixtures, conversion either succeeds and
verification proves every fixture, or it fails with an R-code. It never silently differs (no V101/V103)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating.model import Fixture, Template
from templating.rewrite import convert_template
from templating.verify import verify_conversion

TEXT = st.text(alphabet=" \n\tab<&\"'é", min_size=0, max_size=6)
PAD = st.sampled_from(["", "\n", "  ", "\n  ", " \n", "\r\n"])

# variables printable in each scope, and conditions usable there
SCOPES: dict[str, dict[str, list[str]]] = {
    "root": {"vars": ["a", "b", "n", "obj.x", "@root.a"], "conds": ["c", "flag", "obj", "list", "tags"]},
    "item": {"vars": ["s", "../a", "@index", "@first", "@last"], "conds": ["t", "../c"]},
    "bp": {"vars": ["it.s", "i", "../a", "it.s"], "conds": ["it.t"]},
    "obj": {"vars": ["x", "y", "../a"], "conds": ["x", "../c"]},
    "tag": {"vars": ["this", "@index"], "conds": ["this"]},
    "partial": {"vars": ["x"], "conds": ["x"]},
}
OBJ_PATH = {"root": "obj", "item": "../obj", "bp": "../obj", "obj": "this", "tag": "../obj"}


@st.composite
def mustache(draw: st.DrawFn, scope: str) -> str:
    var = draw(st.sampled_from(SCOPES[scope]["vars"]))
    form = draw(st.sampled_from(["{{%s}}", "{{{%s}}}", "{{&%s}}", "{{~%s}}", "{{%s~}}"]))
    return form % var


@st.composite
def block(draw: st.DrawFn, scope: str, depth: int) -> str:
    pad = draw(PAD)
    kinds = ["if", "unless", "elseif"]
    if scope == "root":
        kinds += ["each", "eachbp", "with", "section_list", "section_obj", "section_flag", "inverted", "tags"]
    if scope not in ("partial",):
        kinds += ["partial_ctx", "partial_hash", "partial_block"]
    kind = draw(st.sampled_from(kinds))
    cond = draw(st.sampled_from(SCOPES[scope]["conds"]))
    inner = lambda s: draw(body(s, depth + 1))  # noqa: E731
    if kind == "if":
        alt = f"{pad}{{{{else}}}}{pad}{inner(scope)}" if draw(st.booleans()) else ""
        return f"{{{{#if {cond}}}}}{pad}{inner(scope)}{alt}{pad}{{{{/if}}}}"
    if kind == "unless":
        return f"{{{{#unless {cond}}}}}{pad}{inner(scope)}{pad}{{{{/unless}}}}"
    if kind == "elseif":
        other = draw(st.sampled_from(SCOPES[scope]["conds"]))
        tail = f"{{{{else}}}}{pad}{inner(scope)}" if draw(st.booleans()) else ""
        first = f"{{{{#if {cond}}}}}{pad}{inner(scope)}{pad}"
        return f"{first}{{{{else if {other}}}}}{pad}{inner(scope)}{pad}{tail}{{{{/if}}}}"
    if kind == "each":
        alt = f"{{{{else}}}}{inner(scope)}" if draw(st.booleans()) else ""
        return f"{{{{#each list}}}}{pad}{inner('item')}{alt}{pad}{{{{/each}}}}"
    if kind == "eachbp":
        return f"{{{{#each list as |it i|}}}}{pad}{inner('bp')}{pad}{{{{/each}}}}"
    if kind == "tags":
        return f"{{{{#each tags}}}}{inner('tag')}{{{{/each}}}}"
    if kind == "with":
        alt = f"{{{{else}}}}{inner(scope)}" if draw(st.booleans()) else ""
        return f"{{{{#with obj}}}}{pad}{inner('obj')}{alt}{pad}{{{{/with}}}}"
    if kind == "section_list":
        return f"{{{{#list}}}}{pad}{inner('item')}{pad}{{{{/list}}}}"
    if kind == "section_obj":
        return f"{{{{#obj}}}}{inner('obj')}{{{{/obj}}}}"
    if kind == "section_flag":
        return f"{{{{#c}}}}{pad}{inner(scope)}{pad}{{{{/c}}}}"
    if kind == "inverted":
        return f"{{{{^list}}}}{pad}{inner(scope)}{pad}{{{{/list}}}}"
    if kind == "partial_block":
        return f"{pad}{{{{#> frame}}}}{pad}{inner(scope)}{pad}{{{{/frame}}}}{pad}"
    if kind == "partial_ctx":
        return f"{pad}{{{{> card {OBJ_PATH[scope]}}}}}{pad}"
    value = draw(st.sampled_from([*SCOPES[scope]["vars"][:2], '"lit"']))
    return f"{pad}{{{{> card x={value}}}}}{pad}"


@st.composite
def body(draw: st.DrawFn, scope: str, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        choice = draw(st.integers(min_value=0, max_value=2 if depth < 2 else 1))
        if choice == 0:
            pieces.append(draw(TEXT))
        elif choice == 1:
            pieces.append(draw(mustache(scope)))
        else:
            pieces.append(draw(block(scope, depth)))
    return "".join(pieces)


@st.composite
def template_source(draw: st.DrawFn) -> str:
    card = draw(body("partial", 2))
    definition = f'{{{{#*inline "card"}}}}{draw(PAD)}{card}{draw(PAD)}{{{{/inline}}}}{draw(PAD)}'
    frame = f'{{{{#*inline "frame"}}}}{draw(PAD)}<{draw(PAD)}{{{{> @partial-block}}}}{draw(PAD)}>{{{{/inline}}}}\n'
    return definition + frame + draw(body("root"))


WORD = st.text(alphabet="ab <&\"'é\n", min_size=1, max_size=4)


@st.composite
def fixture(draw: st.DrawFn) -> dict[str, Any]:
    items = st.fixed_dictionaries({"s": WORD, "t": st.booleans()})
    return {
        "a": draw(WORD),
        "b": draw(WORD),
        "c": draw(st.booleans()),
        "n": draw(st.sampled_from([0, 1, 2.5, -3, 10**21])),
        "flag": draw(st.sampled_from([True, False, None])),
        "obj": {"x": draw(WORD), "y": draw(WORD)},
        "list": draw(st.lists(items, max_size=3)),
        "tags": draw(st.lists(WORD, max_size=3)),
    }


def make_template(source: str, fixtures: list[dict[str, Any]]) -> Template:
    path = Path("p.json")
    return Template(
        "p",
        path,
        "v2",
        {"html": source},
        {"html": path},
        {f"f{i}": Fixture(f"f{i}", data, path) for i, data in enumerate(fixtures)},
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(template_source(), st.lists(fixture(), min_size=1, max_size=3))
def test_conversion_is_proven_or_fails_with_an_r_code(source: str, fixtures: list[dict[str, Any]]) -> None:
    conversion = convert_template(make_template(source, fixtures))
    if not conversion.ok:
        codes = {f.code for f in conversion.findings if f.severity == "error"}
        assert codes and all(code.startswith("R") for code in codes), codes
        return
    verification = verify_conversion(conversion)
    differences = [f.message for f in verification.findings if f.code in ("V101", "V103")]
    assert not differences, (source, conversion.parts["html"], differences)
