"""Property tests for templating.hbs: random templates from a grammar of tags and content.

- the printer gives the source back byte for byte;
- every tag node's span indexes its raw text in the source, and line/column agree with the offset;
- printing in canonical form (all `raw` dropped) gives a template that parses to the same structure and the same
  rendered text (ContentStatement values), i.e. canonical printing of synthesized nodes is correct.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating.hbs import (
    BlockStatement,
    CommentStatement,
    ContentStatement,
    DecoratorStatement,
    Hash,
    HashPair,
    MustacheStatement,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    RawBlock,
    SubExpression,
    TemplateSyntaxError,
    lexer,
    parse,
    to_source,
    walk,
)

WHITESPACE = st.sampled_from(["", " ", "  ", "\n", "\r\n", " \n", "\n  ", "\t", "\n\n"])
TEXT = st.sampled_from(["", "Hi", "<p>", "a b", "é ✓", "}", "{", "\\", "}}", "x\\"])
NAMES = st.sampled_from(
    ["a", "b.c", "foo", "../up", "./here", "this", "this.x", "@index", "@root.y", "[a b]", "a/b", "x.[y z]", "@../i"]
)
LITERALS = st.sampled_from(['"s"', "'q'", '"a\\"b"', "1", "-2.5", "true", "false", "null", "undefined"])
TILDE = st.sampled_from(["", "~"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 5 if depth < 2 else 4))
    if kind <= 2:
        return draw(NAMES)
    if kind <= 4:
        return draw(LITERALS)
    return "(" + draw(calls(depth + 1)) + ")"


@st.composite
def calls(draw: st.DrawFn, depth: int = 0) -> str:
    text = draw(NAMES)
    for _ in range(draw(st.integers(0, 2))):
        text += " " + draw(expressions(depth))
    if draw(st.booleans()):
        text += f" k={draw(expressions(depth))}"
    return text


@st.composite
def tags(draw: st.DrawFn) -> str:
    a, b = draw(TILDE), draw(TILDE)
    kind = draw(st.integers(0, 9))
    if kind <= 2:
        return "{{" + a + draw(calls()) + b + "}}"
    if kind == 3:
        return "{{" + a + "{" + draw(calls()) + "}" + b + "}}"
    if kind == 4:
        return "{{" + a + "&" + draw(NAMES) + b + "}}"
    if kind == 5:
        return "{{" + a + "!" + draw(st.sampled_from(["", " note ", "x"])) + b + "}}"
    if kind == 6:
        return "{{" + a + "!--" + draw(st.sampled_from(["", " }} ", " a-b "])) + "--" + b + "}}"
    if kind == 7:
        name = draw(st.sampled_from(["p", '"q r"', "[w x]", "(dyn)", "p.x"]))
        return "{{" + a + "> " + name + draw(st.sampled_from(["", " ctx", " k=1", " ctx k='v'"])) + b + "}}"
    if kind == 8:
        return draw(st.sampled_from(["\\{{x}}", "\\\\{{y}}", "\\{{", "{{* deco}}"]))
    return "{{{{raw}}}}" + draw(st.sampled_from(["", " {{x}} ", "\n{{{{n}}}}{{{{/n}}}}\n"])) + "{{{{/raw}}}}"


@st.composite
def blocks(draw: st.DrawFn, depth: int) -> str:
    a, b = draw(TILDE), draw(TILDE)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return (
            "{{" + a + "#> lay" + b + "}}" + draw(bodies(depth + 1)) + "{{" + draw(TILDE) + "/lay" + draw(TILDE) + "}}"
        )
    if kind == 1:
        head = "{{" + a + "^x" + b + "}}" + draw(bodies(depth + 1))
        if draw(st.booleans()):
            head += "{{" + draw(TILDE) + draw(st.sampled_from(["else", "^", " else "])) + draw(TILDE) + "}}"
            head += draw(bodies(depth + 1))
        return head + "{{/x}}"
    if kind == 2:
        return "{{" + a + '#*inline "n"' + b + "}}" + draw(bodies(depth + 1)) + "{{/inline}}"
    name = draw(st.sampled_from(["if", "each", "with", "unless", "x.y"]))
    params = draw(st.sampled_from(["", " p", " p q", " (f a) k=1"]))
    block_params = draw(st.sampled_from(["", " as |i|", " as |a b|"]))
    text = "{{" + a + "#" + name + params + block_params + b + "}}" + draw(bodies(depth + 1))
    if kind == 3:
        text += "{{" + draw(TILDE) + draw(st.sampled_from(["else", "^"])) + draw(TILDE) + "}}" + draw(bodies(depth + 1))
    else:
        for _ in range(draw(st.integers(0, 2))):
            chain = draw(st.sampled_from(["if c", "unless d", "each e as |z|", "helper 1"]))
            text += "{{" + draw(TILDE) + "else " + chain + draw(TILDE) + "}}" + draw(bodies(depth + 1))
        if draw(st.booleans()):
            text += "{{else}}" + draw(bodies(depth + 1))
    return text + "{{" + draw(TILDE) + "/" + name + draw(TILDE) + "}}"


@st.composite
def bodies(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 3 if depth < 3 else 2))
        if kind <= 1:
            pieces.append(draw(WHITESPACE) + draw(TEXT) + draw(WHITESPACE))
        elif kind == 2:
            pieces.append(draw(tags()))
        else:
            pieces.append(draw(blocks(depth)))
    return "".join(pieces)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_none(source: str) -> Program | None:
    try:
        return parse(source)
    except TemplateSyntaxError:
        return None


def _line_col(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


@SETTINGS
@given(bodies())
def test_round_trip_and_spans(source: str) -> None:
    program = _parse_or_none(source)
    if program is None:
        return
    assert to_source(program) == source
    for node in walk(program):
        span = getattr(node, "span", None)
        if span is None:
            continue
        assert 0 <= span.start <= span.end <= len(source)
        assert (span.line, span.column) == _line_col(source, span.start)
        raw = getattr(node, "raw", None)
        if raw is not None:
            assert source[span.start : span.end] == raw
        if isinstance(node, BlockStatement | PartialBlockStatement | RawBlock):
            assert source[node.open_span.start : node.open_span.end] == node.open_raw
            if node.close_span is not None:
                assert source[node.close_span.start : node.close_span.end] == node.close_raw
            assert to_source(node) == source[span.start : span.end]
        if isinstance(node, BlockStatement) and node.else_raw is not None:
            assert node.else_span is not None
            assert source[node.else_span.start : node.else_span.end] == node.else_raw
        if isinstance(node, ContentStatement):
            assert source[span.start : span.end] == node.original


def _drop_raw(program: Program) -> Program:
    for node in walk(program):
        for name in ("raw", "open_raw", "else_raw", "close_raw"):
            if hasattr(node, name):
                setattr(node, name, None)
    return program


def _shape(node: object) -> object:
    """Structure without spans, raw texts and source spelling."""
    if isinstance(node, Program):
        return ("program", tuple(_shape(s) for s in node.body), tuple(node.block_params), node.chained)
    if isinstance(node, ContentStatement):
        return ("content", node.value)
    if isinstance(node, CommentStatement):
        return ("comment", node.value, node.strip)
    if isinstance(node, PathExpression):
        return ("path", tuple(node.parts), node.depth, node.data, node.this_)
    if isinstance(node, SubExpression):
        return ("sexpr", _shape(node.path), tuple(_shape(p) for p in node.params), _shape(node.hash))
    if isinstance(node, Hash):
        return ("hash", tuple(_shape(p) for p in node.pairs))
    if isinstance(node, HashPair):
        return ("pair", node.key, _shape(node.value))
    if node is None:
        return None
    if isinstance(node, MustacheStatement | DecoratorStatement | PartialStatement):
        fields = {
            k: getattr(node, k)
            for k in ("path", "name", "params", "hash", "escaped", "strip", "indent")
            if hasattr(node, k)
        }
        return (type(node).__name__, tuple((k, _shape_any(v)) for k, v in fields.items()))
    if isinstance(node, BlockStatement):
        return (
            "block",
            _shape(node.path),
            tuple(_shape(p) for p in node.params),
            _shape(node.hash),
            _shape(node.program),
            _shape(node.inverse),
            node.inverted,
            node.decorator,
            node.chained,
            node.open_strip,
            node.inverse_strip,
        )
    if isinstance(node, PartialBlockStatement):
        return ("partial-block", _shape(node.name), tuple(_shape(p) for p in node.params), _shape(node.program))
    if isinstance(node, RawBlock):
        return ("raw", _shape(node.path), _shape(node.content))
    return (type(node).__name__, getattr(node, "value", None))


def _shape_any(value: object) -> object:
    if isinstance(value, list):
        return tuple(_shape(v) for v in value)
    if isinstance(value, str | bool) or value is None:
        return value
    return _shape(value)


@SETTINGS
@given(bodies())
def test_canonical_printing_reparses_to_the_same_tree(source: str) -> None:
    program = _parse_or_none(source)
    if program is None:
        return
    expected = _shape(program)
    canonical = to_source(_drop_raw(program))
    reparsed = parse(canonical)
    assert _shape(reparsed) == expected, canonical


SOUP = st.lists(
    st.sampled_from(
        [
            "{{",
            "}}",
            "{",
            "}",
            "~",
            "#",
            "/",
            "^",
            ">",
            "!",
            "--",
            "else",
            " ",
            "\n",
            "\r\n",
            "x",
            "a.b",
            ".",
            "..",
            "[",
            "]",
            '"',
            "'",
            "(",
            ")",
            "=",
            "|",
            "as |",
            "@",
            "\\",
            "&",
            "*",
            "1",
            "-",
            "this",
            "true",
            "{{{{",
            "}}}}",
            "if",
            "k=v",
            "é",
            "\t",
        ]
    ),
    max_size=16,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(SOUP)
def test_any_input_parses_or_raises_a_located_syntax_error(source: str) -> None:
    try:
        program = parse(source)
    except TemplateSyntaxError as error:
        assert 1 <= error.line <= source.count("\n") + 1
        assert error.column >= 1
        assert 0 <= error.offset <= len(source)
        return
    assert to_source(program) == source


def _parse_both_ways(source: str) -> tuple[object, object]:
    """The tree (or the error) with the lexer's fast path for plain tags on and off."""
    results = []
    for fast in (True, False):
        lexer.FAST_TAGS = fast
        try:
            results.append(parse(source))
        except TemplateSyntaxError as error:
            results.append((error.line, error.column, error.message))
        finally:
            lexer.FAST_TAGS = True
    return results[0], results[1]


PLAIN_TAGS = st.builds(
    lambda tilde1, opener, space, name, args, tilde2, tail: (
        "{{" + tilde1 + opener + space + name + args + tilde2 + ("}" if opener == "{" else "") + "}}" + tail
    ),
    TILDE,
    st.sampled_from(["", "{", "&", "#", "^", "/", ">", "#>", "*"]),
    st.sampled_from(["", " "]),
    st.sampled_from(["a", "foo.bar", "if", "x-y", "else", "true", "this.x"]),
    st.lists(
        st.sampled_from(["a", "b.c", "1", "-2.5", '"s"', "'q r'", "true", "null", "this", "k=v", "k='s'", "n=1"]),
        max_size=4,
    ).map(lambda args: "".join(" " + a for a in args)),
    TILDE,
    st.sampled_from(["", "}", " ", "x{{/a}}", "x{{/foo.bar}}"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(PLAIN_TAGS, bodies()), max_size=4).map("".join))
def test_fast_path_builds_the_same_tree_as_the_full_rules(source: str) -> None:
    fast, full = _parse_both_ways(source)
    assert fast == full
