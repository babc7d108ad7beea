"""Printer: AST -> Handlebars source.

Tag nodes print their `raw` text, so `to_source(parse(s)) == s`. Nodes built by a rewrite (`raw=None`) print in
canonical form from their fields; expressions always print from their fields (their `original` is used when it
still says what the fields say).
"""

from __future__ import annotations

import re

from .lexer import ID_CHARS
from .nodes import (
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
    UndefinedLiteral,
)

_PLAIN_SEGMENT = re.compile(ID_CHARS + r"+\Z")
_ELSE_PREFIX = re.compile(r"else(?![A-Za-z0-9_])")  # would lex as `{{else` at the start of a tag
_LITERAL_WORDS = frozenset({"true", "false", "null", "undefined"})
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def to_source(node: object) -> str:
    """Handlebars source for any node (statement, program or expression)."""
    out: list[str] = []
    _emit(node, out)
    return "".join(out)


def _emit(node: object, out: list[str]) -> None:
    if isinstance(node, Program):
        for statement in node.body:
            _emit(statement, out)
    elif isinstance(node, ContentStatement):
        out.append(node.original)
    elif isinstance(node, MustacheStatement):
        out.append(node.raw if node.raw is not None else _mustache(node))
    elif isinstance(node, BlockStatement):
        _block(node, out)
    elif isinstance(node, CommentStatement):
        out.append(node.raw if node.raw is not None else _comment(node))
    elif isinstance(node, PartialStatement):
        out.append(
            node.raw if node.raw is not None else _tag("{{>", node.strip, _call(node.name, node.params, node.hash))
        )
    elif isinstance(node, PartialBlockStatement):
        _partial_block(node, out)
    elif isinstance(node, RawBlock):
        _raw_block(node, out)
    elif isinstance(node, DecoratorStatement):
        out.append(
            node.raw if node.raw is not None else _tag("{{*", node.strip, _call(node.path, node.params, node.hash))
        )
    else:
        out.append(expression_source(node))


# ---------------------------------------------------------------- statements


def _tag(opener: str, strip: Strip, inside: str, closer: str = "}}") -> str:
    """`{{` + `~`? + rest-of-opener + inside + `~`? + `}}`; `opener` is e.g. "{{#", "{{>", "{{{"."""
    left = "{{~" + opener[2:] if strip.open else opener
    right = "~" + closer if strip.close else closer
    space = " " if opener[2:] in (">", "#>", "*", "#*") and not inside.startswith(" ") else ""
    return f"{left}{space}{inside}{right}"


def _mustache(node: MustacheStatement) -> str:
    inside = _call(node.path, node.params, node.hash)
    if not node.escaped and node.opener != "{{&":
        left = "{{~{" if node.strip.open else "{{{"
        right = "}~}}" if node.strip.close else "}}}"
        return f"{left}{inside}{right}"
    opener = "{{&" if not node.escaped else "{{"
    return _tag(opener, node.strip, inside)


def _comment(node: CommentStatement) -> str:
    left = "{{~!" if node.strip.open else "{{!"
    right = "~}}" if node.strip.close else "}}"
    if "}}" in node.value or node.value.startswith("-") or node.value.endswith(("-", "~")):
        return f"{left}--{node.value}--{right}"
    return f"{left}{node.value}{right}"


def _block_params(params: list[str]) -> str:
    return f" as |{' '.join(_segment(p) for p in params)}|" if params else ""


def _open_tag(node: BlockStatement) -> str:
    if node.open_raw is not None:
        return node.open_raw
    body = node.program if not node.inverted else node.inverse
    params = _block_params(body.block_params if body is not None else [])
    inside = _call(node.path, node.params, node.hash) + params
    if node.chained:
        return _tag("{{", node.open_strip, "else " + inside)
    if node.decorator:
        return _tag("{{#*", node.open_strip, inside)
    return _tag("{{^" if node.inverted else "{{#", node.open_strip, inside)


def _else_tag(node: BlockStatement) -> str:
    if node.else_raw is not None:
        return node.else_raw
    return _tag("{{", node.inverse_strip or Strip(), "else")


def _close_tag(raw: str | None, strip: Strip | None, path: object) -> str:
    if raw is not None:
        return raw
    return _tag("{{/", strip or Strip(), expression_source(path))


def _block(node: BlockStatement, out: list[str]) -> None:
    out.append(_open_tag(node))
    first, second = (node.inverse, node.program) if node.inverted else (node.program, node.inverse)
    if first is not None:
        _emit(first, out)
    if second is not None:
        if not second.chained:
            out.append(_else_tag(node))
        _emit(second, out)
    if not node.chained:
        out.append(_close_tag(node.close_raw, node.close_strip, node.path))


def _partial_block(node: PartialBlockStatement, out: list[str]) -> None:
    if node.open_raw is not None:
        out.append(node.open_raw)
    else:
        out.append(_tag("{{#>", node.open_strip, _call(node.name, node.params, node.hash)))
    if node.program is not None:
        _emit(node.program, out)
    out.append(_close_tag(node.close_raw, node.close_strip, node.name))


def _raw_block(node: RawBlock, out: list[str]) -> None:
    if node.open_raw is not None:
        out.append(node.open_raw)
    else:
        out.append("{{{{" + _call(node.path, node.params, node.hash) + "}}}}")
    if node.content is not None:
        out.append(node.content.original)
    out.append(node.close_raw if node.close_raw is not None else "{{{{/" + expression_source(node.path) + "}}}}")


# ---------------------------------------------------------------- expressions


def _call(path: object, params: list, hash_: Hash | None) -> str:
    pieces = [expression_source(path)]
    pieces.extend(expression_source(p) for p in params)
    if hash_ is not None and hash_.pairs:
        pieces.append(expression_source(hash_))
    return " ".join(pieces)


def expression_source(node: object) -> str:
    """Canonical source of an expression node (path, literal, subexpression, hash, hash pair)."""
    if isinstance(node, PathExpression):
        return _path(node)
    if isinstance(node, StringLiteral):
        return _string(node)
    if isinstance(node, NumberLiteral):
        return _number(node)
    if isinstance(node, BooleanLiteral):
        return "true" if node.value else "false"
    if isinstance(node, NullLiteral):
        return "null"
    if isinstance(node, UndefinedLiteral):
        return "undefined"
    if isinstance(node, SubExpression):
        return "(" + _call(node.path, node.params, node.hash) + ")"
    if isinstance(node, Hash):
        return " ".join(expression_source(pair) for pair in node.pairs)
    if isinstance(node, HashPair):
        return f"{_segment(node.key)}={expression_source(node.value)}"
    raise TypeError(f"cannot print {type(node).__name__}")


def _segment(part: str) -> str:
    plain = _PLAIN_SEGMENT.match(part) and not _ELSE_PREFIX.match(part)
    if plain and part != "this" and not _NUMBER.match(part) and part not in _LITERAL_WORDS:
        return part
    return "[" + part.replace("\\", "\\\\").replace("]", "\\]") + "]"


def _path(node: PathExpression) -> str:
    if node.original and _path_matches(node):
        return node.original
    prefix = "@" if node.data else ""
    if node.depth:
        head = "../" * node.depth
        return prefix + head + "/".join(_segment(p) for p in node.parts) if node.parts else prefix + head[:-1]
    if node.this_:
        return prefix + ("this." + ".".join(_segment(p) for p in node.parts) if node.parts else "this")
    if not node.parts:
        return prefix + "this"
    return prefix + ".".join(_segment(p) for p in node.parts)


def _path_matches(node: PathExpression) -> bool:
    """Whether `node.original` parses back to the node's fields (a rewrite may have changed them)."""
    from .errors import TemplateSyntaxError
    from .parser import parse_expression

    try:
        parsed = parse_expression(node.original)
    except TemplateSyntaxError:
        return False
    return (
        isinstance(parsed, PathExpression)
        and parsed.parts == node.parts
        and parsed.depth == node.depth
        and parsed.data == node.data
        and parsed.this_ == node.this_
    )


def _string(node: StringLiteral) -> str:
    value = node.value
    if (
        node.original
        and len(node.original) >= 2
        and node.original[0] in "\"'"
        and node.original[-1] == node.original[0]
    ):
        quote = node.original[0]
        if node.original[1:-1].replace("\\" + quote, quote) == value:
            return node.original
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', '\\"') + '"'


def _number(node: NumberLiteral) -> str:
    if node.original and _NUMBER.match(node.original):
        original_value = float(node.original) if "." in node.original else int(node.original)
        if original_value == node.value:
            return node.original
    if isinstance(node.value, float) and node.value.is_integer():
        return str(int(node.value))
    return repr(node.value)
