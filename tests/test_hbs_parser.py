"""Parser, printer and whitespace-control tests for templating.hbs (values checked against handlebars.js 4.7.8)."""

from __future__ import annotations

import pytest

from templating.hbs import (
    BlockStatement,
    BooleanLiteral,
    CommentStatement,
    ContentStatement,
    DecoratorStatement,
    Hash,
    HashPair,
    MustacheStatement,
    NullLiteral,
    NumberLiteral,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    RawBlock,
    StringLiteral,
    Strip,
    SubExpression,
    TemplateSyntaxError,
    parse,
    to_source,
    walk,
)


def contents(source: str, **options: bool) -> list[str]:
    nodes = [n for n in walk(parse(source, **options)) if isinstance(n, ContentStatement)]
    return [n.value for n in sorted(nodes, key=lambda n: n.span.start)]


def test_simple_mustache_round_trip() -> None:
    source = "Hello {{name}}!"
    program = parse(source)
    assert to_source(program) == source
    mustache = program.body[1]
    assert isinstance(mustache, MustacheStatement)
    assert isinstance(mustache.path, PathExpression)
    assert mustache.path.parts == ["name"]
    assert source[mustache.span.start : mustache.span.end] == mustache.raw == "{{name}}"


def test_standalone_block_lines_are_removed() -> None:
    assert contents("{{#if a}}\n  x\n{{else}}\n  y\n{{/if}}\n") == ["  x\n", "  y\n", ""]


def test_standalone_partial_gets_indent() -> None:
    program = parse("  {{> p}}\n")
    partial = program.body[1]
    assert isinstance(partial, PartialStatement)
    assert partial.indent == "  "


def test_unclosed_block_names_its_opening() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse("a\n\n  {{#each xs}}\n")
    assert "opened at 3:3" in info.value.message


def test_mismatched_close_names_both() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse("{{#each xs}}\n{{/if}}")
    assert info.value.message == "{{/if}} at 2:1 does not close {{#each xs}} opened at 1:1"
    assert (info.value.line, info.value.column) == (2, 1)


def test_else_if_chain_shape() -> None:
    program = parse("{{#if a}}1{{else if b}}2{{else}}3{{/if}}")
    block = program.body[0]
    assert isinstance(block, BlockStatement)
    assert block.inverse is not None and block.inverse.chained
    inner = block.inverse.body[0]
    assert isinstance(inner, BlockStatement) and inner.chained
    assert inner.open_raw == "{{else if b}}"


# ---------------------------------------------------------------- syntax coverage


def only(source: str) -> object:
    program = parse(source)
    assert len(program.body) == 1, program.body
    return program.body[0]


def mustache_path(source: str) -> PathExpression:
    node = only(source)
    assert isinstance(node, MustacheStatement)
    assert isinstance(node.path, PathExpression)
    return node.path


@pytest.mark.parametrize(
    ("source", "parts", "depth", "data", "this_"),
    [
        ("{{this}}", [], 0, False, True),
        ("{{.}}", [], 0, False, True),
        ("{{./name}}", ["name"], 0, False, True),
        ("{{this.name}}", ["name"], 0, False, True),
        ("{{this/name}}", ["name"], 0, False, True),
        ("{{../name}}", ["name"], 1, False, False),
        ("{{../../a.b}}", ["a", "b"], 2, False, False),
        ("{{@index}}", ["index"], 0, True, False),
        ("{{@root.user.name}}", ["root", "user", "name"], 0, True, False),
        ("{{@../index}}", ["index"], 1, True, False),
        ("{{a.b.c}}", ["a", "b", "c"], 0, False, False),
        ("{{a/b/c}}", ["a", "b", "c"], 0, False, False),
        ("{{[a b].c}}", ["a b", "c"], 0, False, False),
        ("{{a.[this]}}", ["a", "this"], 0, False, False),
        ("{{[foo\\]bar]}}", ["foo]bar"], 0, False, False),
        ("{{foo-bar}}", ["foo-bar"], 0, False, False),
        ("{{élève}}", ["élève"], 0, False, False),
    ],
)
def test_paths(source: str, parts: list[str], depth: int, data: bool, this_: bool) -> None:
    path = mustache_path(source)
    assert (path.parts, path.depth, path.data, path.this_) == (parts, depth, data, this_)
    assert path.original == source[2:-2]
    assert source[path.span.start : path.span.end] == path.original


@pytest.mark.parametrize("source", ["{{this.foo/..}}", "{{foo/../bar}}", "{{a.this}}", "{{a/.}}"])
def test_invalid_paths(source: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse(source)
    assert info.value.message.startswith("Invalid path: ")
    assert (info.value.line, info.value.column) == (1, 3)


def test_literals_params_hash_and_subexpressions() -> None:
    node = only("{{helper \"a \\\"q\\\"\" 'b' -1.5 42 true false null undefined (sub x k=1) key=(s) other='v'}}")
    assert isinstance(node, MustacheStatement)
    kinds = [type(p).__name__ for p in node.params]
    assert kinds == [
        "StringLiteral",
        "StringLiteral",
        "NumberLiteral",
        "NumberLiteral",
        "BooleanLiteral",
        "BooleanLiteral",
        "NullLiteral",
        "UndefinedLiteral",
        "SubExpression",
    ]
    values = [getattr(p, "value", None) for p in node.params[:6]]
    assert values == ['a "q"', "b", -1.5, 42, True, False]
    assert isinstance(node.params[3].value, int)
    sub = node.params[8]
    assert isinstance(sub, SubExpression)
    assert sub.hash is not None and sub.hash.pairs[0].key == "k"
    assert node.hash is not None
    assert [p.key for p in node.hash.pairs] == ["key", "other"]
    assert isinstance(node.hash.pairs[0].value, SubExpression)
    assert isinstance(node.hash.pairs[1].value, StringLiteral)
    source = node.raw
    assert source is not None
    for expr in [*node.params, node.hash, *node.hash.pairs]:
        assert source[expr.span.start : expr.span.end] == to_source(expr) or expr is node.hash


def test_unescaped_forms() -> None:
    triple = only("{{{html}}}")
    amp = only("{{&html}}")
    plain = only("{{html}}")
    assert isinstance(triple, MustacheStatement) and isinstance(amp, MustacheStatement)
    assert isinstance(plain, MustacheStatement)
    assert (triple.escaped, triple.opener) == (False, "{{{")
    assert (amp.escaped, amp.opener) == (False, "{{&")
    assert (plain.escaped, plain.opener) == (True, "{{")


def test_block_with_inverse_and_spans() -> None:
    source = "x\n{{#each items as |item i|}}{{item}}{{else}}none{{/each}}"
    program = parse(source)
    block = program.body[1]
    assert isinstance(block, BlockStatement)
    assert block.program is not None and block.inverse is not None
    assert block.program.block_params == ["item", "i"]
    assert source[block.span.start : block.span.end] == source[2:]
    assert block.open_raw == "{{#each items as |item i|}}"
    assert block.else_raw == "{{else}}" and block.close_raw == "{{/each}}"
    assert (block.open_span.line, block.open_span.column) == (2, 1)
    assert block.else_span is not None and source[block.else_span.start : block.else_span.end] == "{{else}}"
    assert block.close_span is not None and source[block.close_span.start : block.close_span.end] == "{{/each}}"


def test_caret_else_and_inverted_sections() -> None:
    block = only("{{#if a}}y{{^}}n{{/if}}")
    assert isinstance(block, BlockStatement) and block.else_raw == "{{^}}"
    inverted = only("{{^items}}empty{{else}}full{{/items}}")
    assert isinstance(inverted, BlockStatement) and inverted.inverted
    assert inverted.inverse is not None and inverted.program is not None
    assert to_source(inverted.inverse) == "empty" and to_source(inverted.program) == "full"
    bare = only("{{^items}}empty{{/items}}")
    assert isinstance(bare, BlockStatement) and bare.program is None


def test_else_chains_with_any_helper_and_block_params() -> None:
    block = only("{{#if a}}1{{else unless b}}2{{else each c as |y|}}{{y}}{{else}}4{{/if}}")
    assert isinstance(block, BlockStatement)
    first = block.inverse.body[0]  # type: ignore[union-attr]
    assert isinstance(first, BlockStatement) and first.chained and first.open_raw == "{{else unless b}}"
    second = first.inverse.body[0]  # type: ignore[union-attr]
    assert isinstance(second, BlockStatement) and second.open_raw == "{{else each c as |y|}}"
    assert second.program is not None and second.program.block_params == ["y"]
    assert second.else_raw == "{{else}}"
    assert block.close_raw == "{{/if}}"


def test_partials_of_every_kind() -> None:
    program = parse('{{> card user title="Hi"}}{{> "quoted-name"}}{{> [weird name]}}{{> (pick kind) }}')
    names = [p.name for p in program.body if isinstance(p, PartialStatement)]
    assert [type(n).__name__ for n in names] == ["PathExpression", "StringLiteral", "PathExpression", "SubExpression"]
    first = program.body[0]
    assert isinstance(first, PartialStatement)
    assert len(first.params) == 1 and first.hash is not None and first.hash.pairs[0].key == "title"
    assert isinstance(names[2], PathExpression) and names[2].parts == ["weird name"]


def test_partial_block_inline_partial_and_decorator() -> None:
    program = parse('{{#> layout title="x"}}default{{/layout}}{{#*inline "row"}}<tr>{{/inline}}{{* deco 1}}')
    partial_block, inline, decorator = program.body
    assert isinstance(partial_block, PartialBlockStatement) and partial_block.close_raw == "{{/layout}}"
    assert isinstance(inline, BlockStatement) and inline.decorator
    assert isinstance(inline.params[0], StringLiteral) and inline.params[0].value == "row"
    assert isinstance(decorator, DecoratorStatement)


def test_comments() -> None:
    short, long_ = parse("{{! short }}{{!-- has }} inside --}}").body
    assert isinstance(short, CommentStatement) and short.value == " short "
    assert isinstance(long_, CommentStatement) and long_.value == " has }} inside "


@pytest.mark.parametrize(
    ("source", "open_", "close"),
    [
        ("{{~x~}}", True, True),
        ("{{~{x}~}}", True, True),
        ("{{~&x}}", True, False),
        ("{{> p~}}", False, True),
        ("{{~> p~}}", True, True),
        ("{{~!-- c --~}}", True, True),
        ("{{~! c ~}}", True, True),
        ("{{~* d}}", True, False),
    ],
)
def test_tilde_on_tags(source: str, open_: bool, close: bool) -> None:
    node = only(source)
    assert node.strip == Strip(open_, close)  # type: ignore[attr-defined]


def test_tilde_on_block_tags() -> None:
    block = only("{{~#if x~}} a {{~else~}} b {{~/if~}}")
    assert isinstance(block, BlockStatement)
    assert block.open_strip == Strip(True, True)
    assert block.inverse_strip == Strip(True, True)
    assert block.close_strip == Strip(True, True)
    caret = only("{{#if x}}a{{~^~}}b{{/if}}")
    assert isinstance(caret, BlockStatement) and caret.inverse_strip == Strip(True, True)
    assert contents("{{~#if x~}} a {{~else~}} b {{~/if~}}") == ["a", "b"]


def test_raw_block() -> None:
    source = "{{{{raw}}}} {{x}} {{{{inner}}}}{{{{/inner}}}} {{{{/raw}}}}"
    raw = only(source)
    assert isinstance(raw, RawBlock)
    assert raw.content is not None and raw.content.value == " {{x}} {{{{inner}}}}{{{{/inner}}}} "
    assert raw.open_raw == "{{{{raw}}}}" and raw.close_raw == "{{{{/raw}}}}"
    assert to_source(raw) == source


def test_escaped_mustaches() -> None:
    program = parse("\\{{x}} and \\\\{{y}}")
    first, second, third = program.body
    assert isinstance(first, ContentStatement) and first.value == "{{x}} and " and first.original == "\\{{x}} and "
    assert isinstance(second, ContentStatement) and (second.original, second.value) == ("\\\\", "\\")
    assert isinstance(third, MustacheStatement)


def test_crlf_standalone_and_ignore_standalone() -> None:
    source = "{{#if a}}\r\n  x\r\n{{/if}}\r\n"
    assert contents(source) == ["  x\r\n", ""]
    assert contents(source, ignore_standalone=True) == ["\r\n  x\r\n", "\r\n"]


def test_line_and_column_are_one_based() -> None:
    source = "line one\n  é {{name}}\n"
    node = parse(source).body[1]
    assert isinstance(node, MustacheStatement)
    assert (node.span.line, node.span.column, node.span.start) == (2, 5, 13)
    assert isinstance(node.path, PathExpression) and node.path.span.column == 7


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("{{#if a}}\n  {{#each b}}\n", 2, 3, "unclosed {{#each b}} opened at 2:3"),
        ("{{#if a}}{{/each}}", 1, 10, "{{/each}} at 1:10 does not close {{#if a}} opened at 1:1"),
        ("{{/if}}", 1, 1, "{{/if}} closes a block that was never opened"),
        ("a {{else}}", 1, 3, "{{else}} outside of a block"),
        ("{{x", 1, 1, "unclosed tag: '{{' needs a matching '}}'"),
        ("{{!-- x }}", 1, 1, "unclosed comment: '{{!--' needs a matching '--}}'"),
        ("{{{x}}", 1, 5, "tag opened with '{{{' must end with '}}}', not '}}'"),
        ("{{foo k=1 b}}", 1, 11, "positional parameters must come before 'key=value' pairs"),
        ("{{foo as |x|}}", 1, 7, "block parameters ('as |x|') are only allowed on block tags ('{{#...}}')"),
        ("{{{{raw}}}}x{{{{/raw2}}}}", 1, 13, "{{{{/raw2}}}} at 1:13 does not close {{{{raw}}}} opened at 1:1"),
        ("{{#> layout}}x{{/other}}", 1, 15, "{{/other}} at 1:15 does not close {{#> layout}} opened at 1:1"),
    ],
)
def test_syntax_errors(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse(source)
    assert (info.value.line, info.value.column, info.value.message) == (line, column, message)


# ---------------------------------------------------------------- printer


def test_canonical_mustaches() -> None:
    path = PathExpression("x", ["x"])
    assert to_source(MustacheStatement(path=path, escaped=False, opener="{{{")) == "{{{x}}}"
    assert to_source(MustacheStatement(path=path, escaped=False, opener="{{&")) == "{{&x}}"
    assert to_source(MustacheStatement(path=path, strip=Strip(True, True))) == "{{~x~}}"
    assert to_source(MustacheStatement(path=path, escaped=False, opener="{{{", strip=Strip(True, True))) == "{{~{x}~}}"


def test_canonical_block() -> None:
    block = BlockStatement(
        path=PathExpression("if", ["if"]),
        params=[PathExpression("x", ["x"])],
        program=Program([ContentStatement("a", "a")]),
        inverse=Program([ContentStatement("b", "b")]),
    )
    assert to_source(block) == "{{#if x}}a{{else}}b{{/if}}"


def test_canonical_expressions() -> None:
    call = MustacheStatement(
        path=PathExpression("", ["format"]),
        params=[
            StringLiteral('say "hi"', ""),
            StringLiteral("it's", ""),
            NumberLiteral(-2.5, ""),
            PathExpression("", ["a b", "c"], depth=1),
            PathExpression("", ["index"], data=True),
            SubExpression(PathExpression("", ["lower"]), [PathExpression("", [], this_=True)]),
        ],
        hash=Hash([HashPair("key", BooleanLiteral(True, "")), HashPair("n", NullLiteral())]),
    )
    printed = to_source(call)
    assert printed == '{{format \'say "hi"\' "it\'s" -2.5 ../[a b]/c @index (lower this) key=true n=null}}'
    reparsed = parse(printed).body[0]
    assert isinstance(reparsed, MustacheStatement)
    assert isinstance(reparsed.params[0], StringLiteral) and reparsed.params[0].value == 'say "hi"'
    assert isinstance(reparsed.params[3], PathExpression) and reparsed.params[3].parts == ["a b", "c"]


def test_stale_original_is_not_printed() -> None:
    path = PathExpression("old.name", ["new", "name"])
    assert to_source(MustacheStatement(path=path)) == "{{new.name}}"


def test_mixed_raw_and_synthesized_nodes() -> None:
    program = parse("{{#if a}}\n  {{name}}\n{{/if}}")
    block = program.body[0]
    assert isinstance(block, BlockStatement) and block.program is not None
    block.program.body[1] = MustacheStatement(path=PathExpression("name", ["name"]), escaped=False, opener="{{{")
    assert to_source(program) == "{{#if a}}\n  {{{name}}}\n{{/if}}"


# ---------------------------------------------------------------- walk


def test_walk_is_in_source_order() -> None:
    program = parse("a{{#each xs as |x|}}{{x.name (up x) k=1}}{{else}}none{{/each}}{{^y}}n{{else}}p{{/y}}")
    kinds = [type(n).__name__ for n in walk(program)]
    assert kinds == [
        "Program",
        "ContentStatement",
        "BlockStatement",
        "PathExpression",
        "PathExpression",
        "Program",
        "MustacheStatement",
        "PathExpression",
        "SubExpression",
        "PathExpression",
        "PathExpression",
        "Hash",
        "HashPair",
        "NumberLiteral",
        "Program",
        "ContentStatement",
        "BlockStatement",
        "PathExpression",
        "Program",
        "ContentStatement",
        "Program",
        "ContentStatement",
    ]
    contents_in_order = [n.original for n in walk(program) if isinstance(n, ContentStatement)]
    assert contents_in_order == ["a", "none", "n", "p"]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    fine = "{{#if a}}" * 100 + "x" + "{{/if}}" * 100
    assert to_source(parse(fine)) == fine
    with pytest.raises(TemplateSyntaxError) as info:
        parse("{{#if a}}" * 101 + "{{/if}}" * 101)
    assert "100 levels" in info.value.message
    with pytest.raises(TemplateSyntaxError):
        parse("{{x " + "(a " * 150 + "y" + ")" * 150 + "}}")


@pytest.mark.parametrize("source", ["a\x00b", "{{a}}\x00", "{{{{raw}}}}\x00{{{{/raw}}}}", "\\{{x\x00}}"])
def test_nul_in_text_is_rejected_like_handlebars_js(source: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse(source)
    assert info.value.offset == source.index("\x00")


def test_nul_inside_comments_and_strings_is_accepted() -> None:
    for source in ["{{!-- \x00 --}}", '{{x "\x00"}}']:
        assert to_source(parse(source)) == source


@pytest.mark.parametrize("parts", [["else"], ["else-x"], ["a b"], ["1"], ["true"], ["this"], ["x", "else"], ["a]b"]])
def test_canonical_segments_that_need_brackets(parts: list[str]) -> None:
    printed = to_source(MustacheStatement(path=PathExpression("", parts)))
    reparsed = parse(printed).body[0]
    assert isinstance(reparsed, MustacheStatement) and isinstance(reparsed.path, PathExpression)
    assert reparsed.path.parts == parts
