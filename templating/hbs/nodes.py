"""Handlebars AST.

Every node carries the `Span` of the source it came from. Offsets index the part's source string; line and column
are 1-based (column counts characters, lines are split on "\n"). Tag nodes keep their exact source text in `raw`, so
that the printer can give the source back byte for byte; a node built by a rewrite has `raw=None` and is printed in
canonical form.

The shapes follow handlebars.js 4.x (compiler/ast.js), with Python names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Span(NamedTuple):
    """Where a node is: offsets into the part's source, 1-based line and column. A named tuple: spans are the parser's
    most frequent allocation, and a tuple is the cheapest immutable value to build."""

    start: int
    end: int
    line: int
    column: int


NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Strip:
    """`~` on the open (left) and close (right) side of one tag."""

    open: bool = False
    close: bool = False


# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class PathExpression:
    """`foo.bar`, `../x`, `this`, `./y`, `@index`, `@root.a`, `[a b].c`.

    `parts` are the segments after `this`/`..`/`.` are removed (literal segments unbracketed); `depth` counts `../`;
    `this_` is true when the path starts with `this` or `.`, which makes it a context lookup, never a helper.
    """

    original: str
    parts: list[str]
    depth: int = 0
    data: bool = False
    this_: bool = False
    span: Span = NO_SPAN


@dataclass(slots=True)
class StringLiteral:
    value: str
    original: str  # with its quotes, as written
    span: Span = NO_SPAN


@dataclass(slots=True)
class NumberLiteral:
    value: int | float
    original: str
    span: Span = NO_SPAN


@dataclass(slots=True)
class BooleanLiteral:
    value: bool
    original: str
    span: Span = NO_SPAN


@dataclass(slots=True)
class NullLiteral:
    original: str = "null"
    span: Span = NO_SPAN


@dataclass(slots=True)
class UndefinedLiteral:
    original: str = "undefined"
    span: Span = NO_SPAN


@dataclass(slots=True)
class HashPair:
    key: str
    value: Expression
    span: Span = NO_SPAN


@dataclass(slots=True)
class Hash:
    pairs: list[HashPair]
    span: Span = NO_SPAN


@dataclass(slots=True)
class SubExpression:
    """`(helper a b k=v)`."""

    path: PathExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    span: Span = NO_SPAN


Literal = StringLiteral | NumberLiteral | BooleanLiteral | NullLiteral | UndefinedLiteral
Expression = PathExpression | SubExpression | Literal


# ---------------------------------------------------------------- statements


@dataclass(slots=True)
class ContentStatement:
    """Literal text. `original` is the source text; `value` is what renders after whitespace control (`~`) and
    standalone-line removal have been applied by the parser, exactly as handlebars.js does."""

    original: str
    value: str
    span: Span = NO_SPAN


@dataclass(slots=True)
class CommentStatement:
    """`{{! x }}` or `{{!-- x --}}`; `value` is the text inside the markers."""

    value: str
    strip: Strip = Strip()
    raw: str | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class MustacheStatement:
    """`{{x}}` (escaped), `{{{x}}}` / `{{&x}}` (unescaped), with optional params and hash.

    `opener` is "{{", "{{{" or "{{&" (without `~`), so a rewrite knows which form it replaces."""

    path: PathExpression | SubExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    escaped: bool = True
    opener: str = "{{"
    strip: Strip = Strip()
    raw: str | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class DecoratorStatement:
    """`{{* decorator args}}` (rare; handlebars.js decorators)."""

    path: PathExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    strip: Strip = Strip()
    raw: str | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class PartialStatement:
    """`{{> name ctx k=v}}`; dynamic partials have a SubExpression as `name` (`{{> (whichPartial) }}`).

    `indent` is the leading whitespace of a standalone partial line (handlebars.js indents every line of the
    partial's output by it)."""

    name: PathExpression | SubExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    indent: str = ""
    strip: Strip = Strip()
    raw: str | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class Program:
    body: list[Statement]
    block_params: list[str] = field(default_factory=list)
    chained: bool = False  # an `{{else if ...}}` inverse: holds exactly one chained BlockStatement
    span: Span = NO_SPAN


@dataclass(slots=True)
class BlockStatement:
    """`{{#path params hash as |a b|}}program{{else}}inverse{{/path}}`, and its variants:

    - `{{^x}}...{{/x}}` (inverted section): `inverted=True`, the body is in `inverse`, `program` is None;
      a later `{{else}}` in an inverted section fills `program`.
    - `{{#* inline "name"}}...{{/inline}}` (decorator block): `decorator=True`.
    - `{{else if b}}...` chains: the outer block's `inverse` is a Program with `chained=True` whose only statement is
      a BlockStatement with `chained=True`, whose `open_raw` is the `{{else if b}}` tag and which has no close tag.

    `open_raw`, `else_raw` and `close_raw` are the exact texts of the tags (None for absent tags / synthesized nodes);
    `open_span`, `else_span`, `close_span` locate them."""

    path: PathExpression | SubExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    program: Program | None = None
    inverse: Program | None = None
    inverted: bool = False
    decorator: bool = False
    chained: bool = False
    open_strip: Strip = Strip()
    inverse_strip: Strip | None = None
    close_strip: Strip | None = None
    open_raw: str | None = None
    else_raw: str | None = None
    close_raw: str | None = None
    open_span: Span = NO_SPAN
    else_span: Span | None = None
    close_span: Span | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class PartialBlockStatement:
    """`{{#> layout ctx k=v}}default content{{/layout}}`."""

    name: PathExpression | SubExpression | Literal
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    program: Program | None = None
    open_strip: Strip = Strip()
    close_strip: Strip | None = None
    open_raw: str | None = None
    close_raw: str | None = None
    open_span: Span = NO_SPAN
    close_span: Span | None = None
    span: Span = NO_SPAN


@dataclass(slots=True)
class RawBlock:
    """`{{{{raw helper}}}} literal {{text}} {{{{/raw}}}}`: the body is never parsed."""

    path: PathExpression
    params: list[Expression] = field(default_factory=list)
    hash: Hash | None = None
    content: ContentStatement | None = None
    open_raw: str | None = None
    close_raw: str | None = None
    open_span: Span = NO_SPAN
    close_span: Span | None = None
    span: Span = NO_SPAN


Statement = (
    ContentStatement
    | CommentStatement
    | MustacheStatement
    | DecoratorStatement
    | PartialStatement
    | BlockStatement
    | PartialBlockStatement
    | RawBlock
)
Node = Statement | Expression | Program | Hash | HashPair
