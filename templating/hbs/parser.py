"""Handlebars parser: handlebars.js 4.7.8's grammar (`handlebars.yy` + `compiler/helpers.js`) as recursive descent.

`parse(source)` returns the root `Program` with whitespace control applied (see `whitespace.py`), exactly as
`Handlebars.parse` does. Conventions beyond nodes.py:

- `PathExpression.original` is the path as written (`[a b].c`, `./x`, `@root.y`); handlebars.js drops the brackets.
  `parts` hold the unbracketed segments, as in handlebars.js.
- An escaped mustache `\\{{x}}` is content whose `original` keeps the backslash and whose `value` drops it;
  `\\\\{{x}}` is content `\\` (original `\\\\`) followed by a real mustache.
- `{{else x}}` chains: the outer block's `else_raw` is None and its `else_span` locates the `{{else x}}` tag, which is
  the chained block's `open_raw`. `close_strip` of chained blocks follows handlebars.js (whitespace control uses it).
- A raw block's body is one ContentStatement (None when empty); handlebars.js splits it at nested `{{{{` tags.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from . import lexer as lx
from .errors import NestingLimitError, TemplateSyntaxError
from .lexer import (
    COMMENT,
    CONTENT,
    INVERSE,
    OPEN,
    OPEN_BLOCK,
    OPEN_ENDBLOCK,
    OPEN_INVERSE,
    OPEN_INVERSE_CHAIN,
    OPEN_PARTIAL,
    OPEN_PARTIAL_BLOCK,
    OPEN_RAW_BLOCK,
    OPEN_UNESCAPED,
    SIMPLE_TAG,
    LineIndex,
    Token,
    syntax_error,
    tokenize,
)
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
    MustacheStatement,
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
from .whitespace import apply_whitespace_control

_HELPER_NAME_STARTS = frozenset({lx.ID, lx.DATA, lx.STRING, lx.NUMBER, lx.BOOLEAN, lx.UNDEFINED, lx.NULL})
_PARAM_STARTS = _HELPER_NAME_STARTS | {lx.OPEN_SEXPR}
_BODY_ENDS = frozenset({lx.OPEN_ENDBLOCK, lx.INVERSE, lx.OPEN_INVERSE_CHAIN, lx.EOF})
_UNDEFINED_KEY = ("undefined",)
# Blocks, `{{else x}}` chains and subexpressions nest by recursion (here, in whitespace control, the printer and the
# renderer); far deeper than any real template, low enough to stay clear of Python's recursion limit.
MAX_NESTING = 100
_new_tuple = tuple.__new__  # _new_tuple(Span, (start, end, line, column)): a span without Span.__new__'s call


_LITERAL_NODES: dict[str, Any] = {
    "true": lambda text, span: BooleanLiteral(True, text, span),
    "false": lambda text, span: BooleanLiteral(False, text, span),
    "null": NullLiteral,
    "undefined": UndefinedLiteral,
}
_STRIPS = {(a, b): Strip(a, b) for a in (False, True) for b in (False, True)}
_NO_STRIP = _STRIPS[False, False]

_TOKEN_NAMES = {
    lx.CLOSE: "'}}'",
    lx.CLOSE_UNESCAPED: "'}}}'",
    lx.CLOSE_SEXPR: "')'",
    lx.OPEN_SEXPR: "'('",
    lx.EQUALS: "'='",
    lx.SEP: "a path separator",
    lx.EOF: "the end of the template",
    lx.OPEN_BLOCK_PARAMS: "'as |'",
    lx.CLOSE_BLOCK_PARAMS: "'|'",
    lx.CONTENT: "text",
    lx.CLOSE_RAW_BLOCK: "'}}}}'",
}


def parse(source: str, ignore_standalone: bool = False, whitespace_control: bool = True) -> Program:
    """Parse a Handlebars template. Raises TemplateSyntaxError.

    `whitespace_control=False` leaves every ContentStatement's value as written and partial indents empty: only for
    callers that never use the rendered text (the checker's lookups); the printer and the tags do not depend on it."""
    parser = _Parser(source)
    program = parser.parse_root()
    if whitespace_control:
        apply_whitespace_control(program, ignore_standalone=ignore_standalone)
    return program


def parse_expression(text: str) -> Expression:
    """Parse one expression written as it would appear in a tag (`foo.bar`, `"x"`, `(helper a)`)."""
    parser = _Parser("{{" + text + "}}")
    body = parser.parse_root().body
    if len(body) != 1 or not isinstance(body[0], MustacheStatement) or body[0].params or body[0].hash:
        raise parser.error(0, f"not a single expression: {text!r}")
    return body[0].path


class _Head:
    """The inside of an opening tag: helper name, params, hash, block params, strip flags, raw text and span."""

    __slots__ = ("block_params", "hash", "key", "open", "params", "path", "raw", "span", "start", "strip")

    def __init__(
        self,
        path: Any = None,
        key: tuple = _UNDEFINED_KEY,
        params: list[Expression] | None = None,
        hash: Hash | None = None,
        strip: Strip = _NO_STRIP,
        raw: str = "",
        span: Span = NO_SPAN,
        open: str = "",
    ) -> None:
        self.path = path
        self.key = key
        self.params = [] if params is None else params
        self.hash = hash
        self.block_params: list[str] = []
        self.strip = strip
        self.raw = raw
        self.span = span
        self.open = open
        self.start = 0


class _Inverse:
    """An `{{else}}`/`{{^}}` part or an `{{else x}}` chain (handlebars.js's `inverseAndProgram` / `inverseChain`)."""

    __slots__ = ("chain", "program", "raw", "span", "strip")

    def __init__(self, strip: Strip, program: Program, chain: bool, raw: str | None, span: Span | None) -> None:
        self.strip = strip
        self.program = program
        self.chain = chain
        self.raw = raw
        self.span = span


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = LineIndex(source)
        self.line_starts = self.lines.starts
        self.tokens = tokenize(source, self.lines)
        self.pos = 0
        self.depth = 0

    # ------------------------------------------------------------ helpers

    def span(self, start: int, end: int) -> Span:
        starts = self.line_starts
        line = bisect_right(starts, start)
        return _new_tuple(Span, (start, end, line, start - starts[line - 1] + 1))

    def error(self, offset: int, message: str) -> TemplateSyntaxError:
        return syntax_error(self.source, offset, message, self.lines)

    def text(self, tok: Token) -> str:
        return self.source[tok.start : tok.end]

    def describe(self, tok: Token) -> str:
        if tok.kind in _TOKEN_NAMES:
            return _TOKEN_NAMES[tok.kind]
        text = self.text(tok)
        if len(text) > 20:
            text = text[:20] + "..."
        return repr(text)

    def unexpected(self, tok: Token, expected: str) -> TemplateSyntaxError:
        opener = self.source.rfind("{{", 0, tok.start + 1) if tok.kind not in (lx.CONTENT, lx.EOF) else -1
        if opener >= 0 and "}}" not in self.source[tok.start :]:
            return self.error(opener, "unclosed tag: '{{' needs a matching '}}'")
        message = f"unexpected {self.describe(tok)}; expected {expected}"
        if tok.kind == lx.INVALID and self.text(tok) in "#/>^!&*" and self.source[tok.start - 1].isspace():
            message += f" (write '{{{{{self.text(tok)}' with no space between '{{{{' and '{self.text(tok)}')"
        return self.error(tok.start, message)

    def expect(self, kind: str, expected: str) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != kind:
            raise self.unexpected(tok, expected)
        self.pos += 1
        return tok

    def tag_name(self, start: int, end: int) -> str:
        text = self.source[start:end]
        return text if len(text) <= 40 else text[:37] + "..."

    # ------------------------------------------------------------ statements

    def parse_root(self) -> Program:
        body = self.parse_body()
        tok = self.tokens[self.pos]
        if tok.kind != lx.EOF:
            raise self.stray(tok)
        return Program(body, span=self.span(0, len(self.source)))

    def stray(self, tok: Token) -> TemplateSyntaxError:
        if tok.kind == lx.OPEN_ENDBLOCK:
            end = self.skip_tag()
            return self.error(tok.start, f"{self.tag_name(tok.start, end)} closes a block that was never opened")
        if tok.kind in (lx.INVERSE, lx.OPEN_INVERSE_CHAIN):
            end = self.skip_tag() if tok.kind == lx.OPEN_INVERSE_CHAIN else tok.end
            return self.error(tok.start, f"{self.tag_name(tok.start, end)} outside of a block")
        return self.unexpected(tok, "a statement")

    def skip_tag(self) -> int:
        """Offset after the tag starting at the current token (for messages)."""
        tokens = self.tokens
        if tokens[self.pos].value is not None:  # a whole fast-path tag
            return tokens[self.pos].end
        i = self.pos + 1
        while tokens[i].kind not in (lx.CLOSE, lx.CLOSE_UNESCAPED, lx.EOF, lx.CONTENT):
            i += 1
        return tokens[i].end if tokens[i].kind != lx.CONTENT else tokens[i].start

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            tok = self.tokens[self.pos]
            line, column = self.lines.position(tok.start)
            raise NestingLimitError(
                line,
                column,
                f"blocks, '{{{{else ...}}}}' chains and subexpressions nest more than "
                f"{MAX_NESTING} levels deep here; that is not supported",
                tok.start,
            )

    def parse_body(self) -> list[Statement]:
        # The parser's hot loop. Text and `{{name}}` / `{{name param}}` tags, most of a template's statements, are
        # handled here without a call per token: the token index lives in a local (kept in self.pos around calls),
        # and so does the line of the last statement (offsets only grow: a statement on that line needs no search).
        body: list[Statement] = []
        append = body.append
        tokens = self.tokens
        source = self.source
        starts = self.line_starts
        pos = self.pos
        line = 0
        line_start = 0
        next_line_start = 0
        while True:
            tok = tokens[pos]
            kind = tok[0]
            _, start, end, value = tok
            simple_tag = kind == OPEN and value is not None and value.re is SIMPLE_TAG
            if kind == CONTENT or simple_tag:
                pos += 1
                if start >= next_line_start:
                    line = bisect_right(starts, start)
                    line_start = starts[line - 1]
                    next_line_start = starts[line]
                span = _new_tuple(Span, (start, end, line, start - line_start + 1))
                if not simple_tag:
                    # The token's value is the source text unless an escaping backslash was dropped.
                    append(ContentStatement(value if len(value) == end - start else source[start:end], value, span))
                    continue
                # `{{name}}` or `{{name param}}` (lexer.SIMPLE_TAG), the commonest tag; its value is the match.
                # match.span(n), not match.regs: the first access to regs builds a pair for every group.
                name_start, name_end = value.span(3)
                path = self.plain_path(source[name_start:name_end], name_start, name_end, span)
                param_start, param_end = value.span(4)
                params: list[Expression] = []
                if param_start >= 0:
                    params.append(self.plain_path(source[param_start:param_end], param_start, param_end, span))
                raw = source[start:end]
                strip = _tag_strip(raw)
                append(MustacheStatement(path, params, None, True, "{{", strip, raw, span))
                continue
            self.pos = pos
            if kind in _BODY_ENDS:
                return body
            if kind == OPEN:
                append(self.parse_mustache())
            elif kind == COMMENT:
                self.pos += 1
                append(self.comment(tok))
            elif kind in (OPEN_BLOCK, OPEN_INVERSE):
                append(self.parse_block())
            elif kind == OPEN_UNESCAPED:
                append(self.parse_mustache())
            elif kind == OPEN_PARTIAL:
                append(self.parse_partial())
            elif kind == OPEN_PARTIAL_BLOCK:
                append(self.parse_partial_block())
            elif kind == OPEN_RAW_BLOCK:
                append(self.parse_raw_block())
            else:
                raise self.unexpected(tok, "text or a '{{' tag")
            pos = self.pos

    def span_from(self, anchor: Span, start: int, end: int) -> Span:
        """The span of start..end, which lies at or after `anchor`'s start: on anchor's line, no line search."""
        line = anchor[2]
        if start < self.line_starts[line]:
            return _new_tuple(Span, (start, end, line, anchor[3] + start - anchor[0]))
        return self.span(start, end)

    def plain_path(self, name: str, start: int, end: int, tag_span: Span) -> PathExpression:
        """A plain dotted name (no `this`, `..`, `@` or brackets) at start..end inside the tag at `tag_span`."""
        return PathExpression(name, name.split("."), 0, False, False, self.span_from(tag_span, start, end))

    def plain_head(self, tok: Token) -> _Head:
        """The head of a fast-path tag (see lexer._PLAIN_TAG): plain name, plain params, plain `key=value` pairs."""
        match: re.Match[str] = tok.value  # type: ignore[assignment]
        source = self.source
        _, start, end, _ = tok
        span = self.span(start, end)
        name_start, name_end = match.span(3)
        name = source[name_start:name_end]
        params: list[Expression] = []
        hash_: Hash | None = None
        args_start, args_end = match.span(4)
        if match.re is SIMPLE_TAG:
            if args_start >= 0:
                params.append(self.plain_path(source[args_start:args_end], args_start, args_end, span))
        elif args_end > args_start:
            pairs: list[HashPair] = []
            for arg in lx.PLAIN_ARG.finditer(source, args_start, args_end):
                value = self.plain_value(arg.group(2), *arg.span(2))
                if arg.group(1) is None:
                    params.append(value)
                else:
                    pairs.append(HashPair(arg.group(1), value, self.span(arg.start(1), arg.end(2))))
            if pairs:
                hash_ = Hash(pairs, self.span(pairs[0].span.start, pairs[-1].span.end))
        raw = source[start:end]
        return _Head(
            self.plain_path(name, name_start, name_end, span),
            ("s", name),
            params,
            hash_,
            _tag_strip(raw),
            raw,
            span,
            source[start : match.end(2)],
        )

    def plain_value(self, text: str, start: int, end: int) -> Expression:
        """A fast-path argument: dotted name, simple quoted string, number or literal word."""
        span = self.span(start, end)
        first = text[0]
        if first == '"' or first == "'":
            return StringLiteral(text[1:-1], text, span)
        if first == "-" or first.isdigit():
            return NumberLiteral(float(text) if "." in text else int(text), text, span)
        if text in _LITERAL_NODES:
            return _LITERAL_NODES[text](text, span)
        return PathExpression(text, text.split("."), 0, False, False, span)

    def comment(self, tok: Token) -> CommentStatement:
        raw = self.text(tok)
        value = raw[3:] if raw[2] != "~" else raw[4:]
        if value.startswith("--"):
            value = value[2:]
        elif value.startswith("-"):
            value = value[1:]
        value = _strip_comment_end(value)
        return CommentStatement(value, _tag_strip(raw), raw, self.span(tok.start, tok.end))

    def parse_mustache(self) -> MustacheStatement | DecoratorStatement:
        open_tok = self.tokens[self.pos]
        self.pos += 1
        if open_tok.value is not None:
            head = self.plain_head(open_tok)
        else:
            head = self.parse_head(open_tok, block_params=False)
            closer = lx.CLOSE_UNESCAPED if open_tok.kind == lx.OPEN_UNESCAPED else lx.CLOSE
            close_tok = self.expect_close(closer, head)
            self.finish_head(head, open_tok, close_tok)
        open_text = head.open
        if "*" in open_text:
            return DecoratorStatement(head.path, head.params, head.hash, head.strip, head.raw, head.span)
        flag = open_text[3:4] or open_text[2:3]
        escaped = flag not in ("{", "&")
        opener = "{{{" if flag == "{" else "{{&" if flag == "&" else "{{"
        return MustacheStatement(head.path, head.params, head.hash, escaped, opener, head.strip, head.raw, head.span)

    def parse_partial(self) -> PartialStatement:
        open_tok = self.tokens[self.pos]
        self.pos += 1
        if open_tok.value is not None:
            head = self.plain_head(open_tok)
        else:
            head = self.parse_head(open_tok, block_params=False, partial=True)
            close_tok = self.expect_close(lx.CLOSE, head)
            self.finish_head(head, open_tok, close_tok)
        return PartialStatement(head.path, head.params, head.hash, "", head.strip, head.raw, head.span)

    def parse_partial_block(self) -> PartialBlockStatement:
        self.enter()
        try:
            return self._parse_partial_block()
        finally:
            self.depth -= 1

    def _parse_partial_block(self) -> PartialBlockStatement:
        open_tok = self.tokens[self.pos]
        self.pos += 1
        if open_tok.value is not None:
            head = self.plain_head(open_tok)
        else:
            head = self.parse_head(open_tok, block_params=False, partial=True)
            close_tok = self.expect_close(lx.CLOSE, head)
            self.finish_head(head, open_tok, close_tok)
        program = self.parse_program(head.span, [])
        tok = self.tokens[self.pos]
        if tok.kind != lx.OPEN_ENDBLOCK:
            raise self.bad_block_end(tok, head, has_else=False)
        close_key, close_raw, close_strip, close_span = self.parse_close()
        if close_key != head.key:
            raise self.mismatched_close(head, close_span)
        return PartialBlockStatement(
            head.path,
            head.params,
            head.hash,
            program,
            head.strip,
            close_strip,
            head.raw,
            close_raw,
            head.span,
            close_span,
            self.span(head.span.start, close_span.end),
        )

    def parse_raw_block(self) -> RawBlock:
        open_tok = self.tokens[self.pos]
        self.pos += 1
        head = self.parse_head(open_tok, block_params=False)
        close_tok = self.expect_close(lx.CLOSE_RAW_BLOCK, head)
        self.finish_head(head, open_tok, close_tok)
        content_tok = self.tokens[self.pos]
        end_tok = self.tokens[self.pos + 1]
        self.pos += 2
        content = None
        if content_tok.end > content_tok.start:
            content = ContentStatement(
                self.text(content_tok), content_tok.value or "", self.span(content_tok.start, content_tok.end)
            )
        close_span = self.span(end_tok.start, end_tok.end)
        if head.key != ("s", end_tok.value):
            raise self.error(
                end_tok.start,
                f"{self.text(end_tok)} at {close_span.line}:{close_span.column} does not close "
                f"{head.raw} opened at {head.span.line}:{head.span.column}",
            )
        return RawBlock(
            head.path,
            head.params,
            head.hash,
            content,
            head.raw,
            self.text(end_tok),
            head.span,
            close_span,
            self.span(head.span.start, end_tok.end),
        )

    def parse_block(self) -> BlockStatement:
        self.enter()
        try:
            tokens = self.tokens
            open_tok = tokens[self.pos]
            self.pos += 1
            inverted = open_tok[0] == OPEN_INVERSE
            if open_tok[3] is not None:
                head = self.plain_head(open_tok)
            else:
                head = self.parse_head(open_tok, block_params=True)
                close_tok = self.expect_close(lx.CLOSE, head)
                self.finish_head(head, open_tok, close_tok)
            decorator = "*" in head.open
            head_span = head.span
            program = self.parse_program(head_span, head.block_params)
            kind = tokens[self.pos][0]
            inverse: _Inverse | None = None
            if kind == INVERSE:
                inverse = self.parse_inverse_and_program()
                kind = tokens[self.pos][0]
            elif kind == OPEN_INVERSE_CHAIN and not inverted:
                inverse = self.parse_inverse_chain()
                kind = tokens[self.pos][0]
            if kind != OPEN_ENDBLOCK:
                raise self.bad_block_end(tokens[self.pos], head, has_else=inverse is not None)
            close_key, close_raw, close_strip, close_span = self.parse_close()
            if close_key != head.key:
                raise self.mismatched_close(head, close_span)
            if decorator and inverse is not None:
                raise self.error(
                    inverse.span.start if inverse.span else head_span.start,
                    "a decorator block such as {{#*inline}} cannot have an {{else}} section",
                )
            span = _new_tuple(Span, (head_span[0], close_span[1], head_span[2], head_span[3]))
            return _prepare_block(
                head,
                program,
                inverse,
                close_strip,
                inverted,
                decorator,
                chained=False,
                close_raw=close_raw,
                close_span=close_span,
                span=span,
            )
        finally:
            self.depth -= 1

    def bad_block_end(self, tok: Token, head: _Head, has_else: bool) -> TemplateSyntaxError:
        name = self.tag_name(head.span.start, head.span.end)
        where = f"{head.span.line}:{head.span.column}"
        if tok.kind == lx.EOF:
            return self.error(head.span.start, f"unclosed {name} opened at {where}")
        if tok.kind in (lx.INVERSE, lx.OPEN_INVERSE_CHAIN):
            tag = self.text(tok) if tok.kind == lx.INVERSE else self.tag_name(tok.start, self.skip_tag())
            if has_else:
                return self.error(tok.start, f"{tag} after the {{{{else}}}} of {name} opened at {where}")
            return self.error(tok.start, f"{tag} is not allowed in {name} opened at {where}")
        return self.unexpected(tok, "a statement")

    def parse_program(self, after: Span, block_params: list[str]) -> Program:
        """The statements after the tag at `after`; `block_params` becomes the program's (callers pass a new list)."""
        body = self.parse_body()
        return Program(body, block_params, False, self.span_from(after, after[1], self.tokens[self.pos][1]))

    def parse_inverse_and_program(self) -> _Inverse:
        _, start, end, _ = self.tokens[self.pos]
        self.pos += 1
        raw = self.source[start:end]
        span = self.span(start, end)
        program = self.parse_program(span, [])
        strip = _tag_strip(raw)
        return _Inverse(strip, program, False, raw, span)

    def parse_inverse_chain(self) -> _Inverse:
        self.enter()
        try:
            return self._parse_inverse_chain()
        finally:
            self.depth -= 1

    def _parse_inverse_chain(self) -> _Inverse:
        """`{{else helper ...}} program [inverseChain]` -> a chained Program holding one BlockStatement."""
        open_tok = self.tokens[self.pos]
        self.pos += 1
        head = self.parse_head(open_tok, block_params=True)
        close_tok = self.expect_close(lx.CLOSE, head)
        self.finish_head(head, open_tok, close_tok)
        program = self.parse_program(head.span, head.block_params)
        tok = self.tokens[self.pos]
        sub: _Inverse | None = None
        if tok.kind == lx.INVERSE:
            sub = self.parse_inverse_and_program()
        elif tok.kind == lx.OPEN_INVERSE_CHAIN:
            sub = self.parse_inverse_chain()
        end = self.tokens[self.pos].start
        span = _new_tuple(Span, (head.span.start, end, head.span.line, head.span.column))
        close_strip = sub.strip if sub else None
        inner = _prepare_block(
            head, program, sub, close_strip, False, False, chained=True, close_raw=None, close_span=None, span=span
        )
        chained = Program([inner], [], True, span)
        return _Inverse(head.strip, chained, True, None, head.span)

    def parse_close(self) -> tuple[tuple, str, Strip, Span]:
        """A `{{/name}}` tag: its close-match key, raw text, strip flags and span."""
        open_tok = self.tokens[self.pos]
        self.pos += 1
        match: re.Match[str] | None = open_tok[3]  # type: ignore[assignment]
        if match is not None:
            _, start, end, _ = open_tok
            name_start, name_end = match.span(3)
            source = self.source
            raw = source[start:end]
            strip = _tag_strip(raw)
            return ("s", source[name_start:name_end]), raw, strip, self.span(start, end)
        tok = self.tokens[self.pos]
        if tok.kind not in _HELPER_NAME_STARTS:
            raise self.unexpected(tok, "the name of the block to close after '{{/'")
        _path, key = self.parse_helper_name()
        close_tok = self.expect(lx.CLOSE, "'}}' to end the closing tag")
        raw = self.source[open_tok.start : close_tok.end]
        return (
            key,
            raw,
            _strip_flags(self.text(open_tok), self.text(close_tok)),
            self.span(open_tok.start, close_tok.end),
        )

    def mismatched_close(self, head: _Head, close_span: Span) -> TemplateSyntaxError:
        close_text = self.source[close_span.start : close_span.end]
        return self.error(
            close_span.start,
            f"{close_text} at {close_span.line}:{close_span.column} does not close "
            f"{self.tag_name(head.span.start, head.span.end)} opened at {head.span.line}:{head.span.column}",
        )

    # ------------------------------------------------------------ tag insides

    def parse_head(self, open_tok: Token, block_params: bool, partial: bool = False) -> _Head:
        head = _Head()
        head.open = self.text(open_tok)
        head.start = open_tok.start
        tok = self.tokens[self.pos]
        if partial and tok.kind == lx.OPEN_SEXPR:
            head.path = self.parse_sexpr()
        elif tok.kind in _HELPER_NAME_STARTS:
            head.path, head.key = self.parse_helper_name()
        else:
            raise self.unexpected(tok, f"a name after '{head.open}'")
        params = head.params
        tokens = self.tokens
        while True:
            tok = tokens[self.pos]
            kind = tok.kind
            if kind == lx.ID and tokens[self.pos + 1].kind == lx.EQUALS:
                head.hash = self.parse_hash()
                tok = tokens[self.pos]
                kind = tok.kind
                break
            if kind in _PARAM_STARTS:
                params.append(self.parse_param())
            else:
                break
        if kind == lx.OPEN_BLOCK_PARAMS:
            if not block_params:
                raise self.error(tok.start, "block parameters ('as |x|') are only allowed on block tags ('{{#...}}')")
            head.block_params = self.parse_block_params()
        return head

    def expect_close(self, kind: str, head: _Head) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind == kind:
            self.pos += 1
            return tok
        expected = _TOKEN_NAMES[kind]
        if tok.kind == lx.EOF:
            raise self.error(head.start, f"unclosed tag: '{head.open}' needs a matching {expected}")
        if tok.kind in (lx.CLOSE, lx.CLOSE_UNESCAPED, lx.CLOSE_RAW_BLOCK):
            raise self.error(
                tok.start, f"tag opened with '{head.open}' must end with {expected}, not {self.describe(tok)}"
            )
        if tok.kind == lx.OPEN_BLOCK_PARAMS:
            raise self.error(tok.start, "block parameters ('as |x|') must come last in the tag")
        raise self.unexpected(tok, f"a parameter, 'key=value' or {expected}")

    def finish_head(self, head: _Head, open_tok: Token, close_tok: Token) -> None:
        head.raw = self.source[open_tok.start : close_tok.end]
        head.strip = _strip_flags(head.open, self.text(close_tok))
        head.span = self.span(open_tok.start, close_tok.end)

    def parse_block_params(self) -> list[str]:
        self.pos += 1
        names: list[str] = []
        while self.tokens[self.pos].kind == lx.ID:
            names.append(_segment(self.text(self.tokens[self.pos])))
            self.pos += 1
        if not names:
            raise self.unexpected(self.tokens[self.pos], "a block parameter name after 'as |'")
        self.expect(lx.CLOSE_BLOCK_PARAMS, "'|' to end the block parameters")
        return names

    def parse_param(self) -> Expression:
        if self.tokens[self.pos].kind == lx.OPEN_SEXPR:
            return self.parse_sexpr()
        return self.parse_helper_name()[0]

    def parse_sexpr(self) -> SubExpression:
        self.enter()
        try:
            return self._parse_sexpr()
        finally:
            self.depth -= 1

    def _parse_sexpr(self) -> SubExpression:
        open_tok = self.tokens[self.pos]
        self.pos += 1
        if open_tok.value is not None:
            match: re.Match[str] = open_tok.value  # type: ignore[assignment]
            name = match.group(3)
            path = PathExpression(name, name.split("."), span=self.span(match.start(3), match.end(3)))
            strip = _STRIPS[match.group(1) == "~", match.group(6) is not None]
            raw = self.source[open_tok.start : open_tok.end]
            return path, ("s", name), raw, strip, self.span(open_tok.start, open_tok.end)
        tok = self.tokens[self.pos]
        if tok.kind not in _HELPER_NAME_STARTS:
            raise self.unexpected(tok, "a helper name after '('")
        path, _key = self.parse_helper_name()
        params: list[Expression] = []
        hash_: Hash | None = None
        tokens = self.tokens
        while True:
            tok = tokens[self.pos]
            if tok.kind == lx.ID and tokens[self.pos + 1].kind == lx.EQUALS:
                hash_ = self.parse_hash()
                break
            if tok.kind in _PARAM_STARTS:
                params.append(self.parse_param())
            else:
                break
        close_tok = self.tokens[self.pos]
        if close_tok.kind != lx.CLOSE_SEXPR:
            if close_tok.kind == lx.EOF or close_tok.kind in (lx.CLOSE, lx.CLOSE_UNESCAPED):
                raise self.error(open_tok.start, "unclosed subexpression: '(' needs a matching ')'")
            raise self.unexpected(close_tok, "a parameter, 'key=value' or ')'")
        self.pos += 1
        return SubExpression(path, params, hash_, self.span(open_tok.start, close_tok.end))  # type: ignore[arg-type]

    def parse_hash(self) -> Hash:
        pairs: list[HashPair] = []
        tokens = self.tokens
        start = tokens[self.pos].start
        while tokens[self.pos].kind == lx.ID and tokens[self.pos + 1].kind == lx.EQUALS:
            key_tok = tokens[self.pos]
            self.pos += 2
            tok = tokens[self.pos]
            if tok.kind not in _PARAM_STARTS:
                raise self.unexpected(tok, f"a value after '{self.text(key_tok)}='")
            value = self.parse_param()
            end = tokens[self.pos - 1].end
            pairs.append(HashPair(_segment(self.text(key_tok)), value, self.span(key_tok.start, end)))
        tok = tokens[self.pos]
        if tok.kind in _PARAM_STARTS:
            raise self.error(tok.start, "positional parameters must come before 'key=value' pairs")
        return Hash(pairs, self.span(start, tokens[self.pos - 1].end))

    def parse_helper_name(self) -> tuple[Any, tuple]:
        """helperName: path | dataName | STRING | NUMBER | BOOLEAN | UNDEFINED | NULL, with its close-match key."""
        tok = self.tokens[self.pos]
        kind = tok.kind
        if kind == lx.ID or kind == lx.DATA:
            return self.parse_path()
        self.pos += 1
        text = self.text(tok)
        span = self.span(tok.start, tok.end)
        if kind == lx.STRING:
            quote = text[0]
            value = text[1:-1].replace("\\" + quote, quote)
            return StringLiteral(value, text, span), ("s", value)
        if kind == lx.NUMBER:
            number: int | float = float(text) if "." in text else int(text)
            return NumberLiteral(number, text, span), ("n", float(number))
        if kind == lx.BOOLEAN:
            return BooleanLiteral(text == "true", text, span), ("b", text == "true")
        if kind == lx.NULL:
            return NullLiteral(text, span), ("null",)
        return UndefinedLiteral(text, span), _UNDEFINED_KEY

    def parse_path(self) -> tuple[PathExpression, tuple]:
        tokens = self.tokens
        first = tokens[self.pos]
        if first.kind == lx.ID and tokens[self.pos + 1].kind != lx.SEP:
            written = self.source[first.start : first.end]
            if written not in ("..", ".", "this") and written[0] != "[":
                self.pos += 1
                span = self.span(first.start, first.end)
                return PathExpression(written, [written], 0, False, False, span), ("s", written)
        data = first.kind == lx.DATA
        if data:
            self.pos += 1
            if tokens[self.pos].kind != lx.ID:
                raise self.unexpected(tokens[self.pos], "a name after '@'")
        id_tok = tokens[self.pos]
        self.pos += 1
        written = self.text(id_tok)
        segments: list[tuple[str, str, str]] = [("", written, _segment(written))]
        while tokens[self.pos].kind == lx.SEP:
            sep_tok = tokens[self.pos]
            id_tok = tokens[self.pos + 1]
            if id_tok.kind != lx.ID:
                raise self.unexpected(id_tok, f"a name after '{self.text(sep_tok)}'")
            self.pos += 2
            written = self.text(id_tok)
            segments.append((self.text(sep_tok), written, _segment(written)))
        end = tokens[self.pos - 1].end
        original = self.source[first.start : end]
        hbs_original = "@" if data else ""
        parts: list[str] = []
        depth = 0
        this_ = False
        for index, (separator, written, part) in enumerate(segments):
            hbs_original += separator + part
            if written == part and part in ("..", ".", "this"):
                if parts:
                    raise self.error(first.start, f"Invalid path: {hbs_original} ('{part}' may only start a path)")
                if part == "..":
                    depth += 1
                elif index == 0:
                    this_ = True
            else:
                parts.append(part)
        path = PathExpression(original, parts, depth, data, this_, self.span(first.start, end))
        return path, ("s", hbs_original)


def _segment(token_text: str) -> str:
    """handlebars.js `yy.id`: `[literal]` segments lose their brackets."""
    if len(token_text) >= 2 and token_text[0] == "[" and token_text[-1] == "]":
        inner = token_text[1:-1]
        if "\\" in inner:
            inner = inner.replace("\\\\", "\x00").replace("\\]", "]").replace("\x00", "\\")
        return inner
    return token_text


def _strip_comment_end(value: str) -> str:
    """handlebars.js stripComment's `/-?-?~?\\}\\}$/`."""
    value = value[:-2]
    if value.endswith("~"):
        value = value[:-1]
    if value.endswith("-"):
        value = value[:-1]
        if value.endswith("-"):
            value = value[:-1]
    return value


def _strip_flags(open_text: str, close_text: str) -> Strip:
    return _STRIPS[open_text[2:3] == "~", close_text[-3:-2] == "~"]


def _tag_strip(raw: str) -> Strip:
    """The strip flags of a whole tag's text (most tags have no `~`)."""
    return _NO_STRIP if "~" not in raw else _strip_flags(raw, raw)


def _prepare_block(
    head: _Head,
    program: Program,
    inverse: _Inverse | None,
    close_strip: Strip | None,
    inverted: bool,
    decorator: bool,
    chained: bool,
    close_raw: str | None,
    close_span: Span | None,
    span: Span,
) -> BlockStatement:
    """handlebars.js prepareBlock (without the close-name check, done by the caller); `program` already holds the
    head's block params (see parse_program)."""
    inverse_program: Program | None = None
    inverse_strip: Strip | None = None
    else_raw: str | None = None
    else_span: Span | None = None
    if inverse is not None:
        if inverse.chain:
            inverse.program.body[0].close_strip = close_strip  # type: ignore[union-attr]
        inverse_strip = inverse.strip
        inverse_program = inverse.program
        else_raw = inverse.raw
        else_span = inverse.span
    main: Program | None = program
    if inverted:
        main, inverse_program = inverse_program, program
    return BlockStatement(
        head.path,
        head.params,
        head.hash,
        main,
        inverse_program,
        inverted,
        decorator,
        chained,
        head.strip,
        inverse_strip,
        close_strip,
        head.raw,
        else_raw,
        close_raw,
        head.span,
        else_span,
        close_span,
        span,
    )
