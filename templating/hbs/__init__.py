"""Handlebars (handlebars.js 4.7.8 syntax): lexer, parser with source spans, whitespace control, printer."""

from __future__ import annotations

from collections.abc import Iterator

from .errors import TemplateSyntaxError
from .nodes import (
    NO_SPAN,
    BlockStatement,
    BooleanLiteral,
    CommentStatement,
    ContentStatement,
    DecoratorStatement,
    Expression,
    Hash,
    HashPair,
    Literal,
    MustacheStatement,
    Node,
    NullLiteral,
    NumberLiteral,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    RawBlock,
    Span,
    Statement,
    StringLiteral,
    Strip,
    SubExpression,
    UndefinedLiteral,
)
from .parser import parse, parse_expression
from .printer import expression_source, to_source

__all__ = [
    "NO_SPAN",
    "BlockStatement",
    "BooleanLiteral",
    "CommentStatement",
    "ContentStatement",
    "DecoratorStatement",
    "Expression",
    "Hash",
    "HashPair",
    "Literal",
    "MustacheStatement",
    "Node",
    "NullLiteral",
    "NumberLiteral",
    "PartialBlockStatement",
    "PartialStatement",
    "PathExpression",
    "Program",
    "RawBlock",
    "Span",
    "Statement",
    "StringLiteral",
    "Strip",
    "SubExpression",
    "TemplateSyntaxError",
    "UndefinedLiteral",
    "expression_source",
    "parse",
    "parse_expression",
    "to_source",
    "walk",
]


def walk(node: object) -> Iterator[object]:
    """Every node under `node` (itself first), in source order: statements, programs, expressions."""
    yield node
    if isinstance(node, Program):
        for statement in node.body:
            yield from walk(statement)
    elif isinstance(node, MustacheStatement | DecoratorStatement | SubExpression):
        yield from _walk_call(node.path, node.params, node.hash)
    elif isinstance(node, PartialStatement):
        yield from _walk_call(node.name, node.params, node.hash)
    elif isinstance(node, BlockStatement):
        yield from _walk_call(node.path, node.params, node.hash)
        first, second = (node.inverse, node.program) if node.inverted else (node.program, node.inverse)
        if first is not None:
            yield from walk(first)
        if second is not None:
            yield from walk(second)
    elif isinstance(node, PartialBlockStatement):
        yield from _walk_call(node.name, node.params, node.hash)
        if node.program is not None:
            yield from walk(node.program)
    elif isinstance(node, RawBlock):
        yield from _walk_call(node.path, node.params, node.hash)
        if node.content is not None:
            yield node.content
    elif isinstance(node, Hash):
        for pair in node.pairs:
            yield from walk(pair)
    elif isinstance(node, HashPair):
        yield from walk(node.value)


def _walk_call(path: object, params: list, hash_: Hash | None) -> Iterator[object]:
    yield from walk(path)
    for param in params:
        yield from walk(param)
    if hash_ is not None:
        yield from walk(hash_)
