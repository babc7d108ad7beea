"""Parser, printer and whitespace-control tests for templating.hbs (values checked against handlebars.js 4.7.8)."""

from __future__ import annotations

import pytest

from templating.hbs import (
    BlockStatement,
    ContentStatement,
    MustacheStatement,
    PartialStatement,
    PathExpression,
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
