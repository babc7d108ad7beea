"""Whitespace control, a port of handlebars.js 4.7.8 `compiler/whitespace-control.js`.

Applies `~` stripping and standalone-line removal to `ContentStatement.value` (never `original`) and sets
`PartialStatement.indent`, exactly as `Handlebars.parse` does.
"""

from __future__ import annotations

from .nodes import (
    BlockStatement,
    CommentStatement,
    ContentStatement,
    DecoratorStatement,
    MustacheStatement,
    PartialBlockStatement,
    PartialStatement,
    Program,
    RawBlock,
    Strip,
)

# JavaScript's `\s` (WhiteSpace and LineTerminator); Python's `\s` differs slightly (\x1c-\x1f, \x85, no \ufeff).
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_BLANKS = " \t"
_NO_STRIP = Strip()


class _StripInfo:
    """What a visited statement reports to its program (handlebars.js's `strip` result object)."""

    __slots__ = ("close", "close_standalone", "inline_standalone", "open", "open_standalone")

    def __init__(
        self,
        open_: bool,
        close: bool,
        open_standalone: bool = False,
        close_standalone: bool = False,
        inline_standalone: bool = False,
    ) -> None:
        self.open = open_
        self.close = close
        self.open_standalone = open_standalone
        self.close_standalone = close_standalone
        self.inline_standalone = inline_standalone


def apply_whitespace_control(program: Program, ignore_standalone: bool = False) -> None:
    _WhitespaceControl(ignore_standalone).program(program.body, is_root=True)


class _WhitespaceControl:
    def __init__(self, ignore_standalone: bool) -> None:
        self.do_standalone = not ignore_standalone
        self.right_stripped: set[int] = set()
        self.left_stripped: set[int] = set()

    # -------------------------------------------------------------- visitor

    def program(self, body: list, is_root: bool = False) -> None:
        do_standalone = self.do_standalone
        for i, current in enumerate(body):
            kind = type(current)
            if kind is ContentStatement or (
                kind is MustacheStatement and not (current.strip.open or current.strip.close)
            ):
                continue  # nothing to strip, never standalone
            strip = self.accept(current)
            if strip is None:
                continue
            if strip.open_standalone or strip.close_standalone or strip.inline_standalone:
                prev_ws = self.is_prev_whitespace(body, i, is_root)
                next_ws = self.is_next_whitespace(body, i, is_root)
                open_standalone = strip.open_standalone and prev_ws
                close_standalone = strip.close_standalone and next_ws
                inline_standalone = strip.inline_standalone and prev_ws and next_ws
            else:
                open_standalone = close_standalone = inline_standalone = False
            if strip.close:
                self.omit_right(body, i, True)
            if strip.open:
                self.omit_left(body, i, True)
            if do_standalone and inline_standalone:
                self.omit_right(body, i)
                if self.omit_left(body, i) and isinstance(current, PartialStatement):
                    original = body[i - 1].original
                    current.indent = original[len(original.rstrip(_BLANKS)) :]
            if do_standalone and open_standalone:
                self.omit_right(_first_body(current))
                self.omit_left(body, i)
            if do_standalone and close_standalone:
                self.omit_right(body, i)
                self.omit_left(_last_body(current))

    def accept(self, node: object) -> _StripInfo | None:
        if isinstance(node, ContentStatement):
            return None
        if isinstance(node, MustacheStatement | DecoratorStatement):
            return _StripInfo(node.strip.open, node.strip.close)
        if isinstance(node, PartialStatement | CommentStatement):
            return _StripInfo(node.strip.open, node.strip.close, inline_standalone=True)
        if isinstance(node, BlockStatement):
            return self.block(node.program, node.inverse, node.open_strip, node.inverse_strip, node.close_strip)
        if isinstance(node, PartialBlockStatement):
            return self.block(node.program, None, node.open_strip, None, node.close_strip)
        if isinstance(node, RawBlock):
            return self.raw_block(node)
        return None

    def raw_block(self, node: RawBlock) -> _StripInfo:
        body = [node.content] if node.content is not None else []
        return _StripInfo(False, False, bool(self.is_next_whitespace(body)), bool(self.is_prev_whitespace(body)))

    def block(
        self,
        program_node: Program | None,
        inverse_node: Program | None,
        open_strip: Strip,
        inverse_strip: Strip | None,
        close_strip: Strip | None,
    ) -> _StripInfo:
        if program_node is not None:
            self.program(program_node.body)
        if inverse_node is not None:
            self.program(inverse_node.body)
        close_strip = close_strip or _NO_STRIP
        main = program_node or inverse_node
        assert main is not None
        program = main.body
        inverse = inverse_node if program_node is not None else None
        first_inverse = last_inverse = inverse
        if inverse is not None and inverse.chained:
            first_inverse = inverse.body[0].program
            while last_inverse.chained:
                last_inverse = last_inverse.body[-1].program
        strip = _StripInfo(
            open_strip.open,
            close_strip.close,
            bool(self.is_next_whitespace(program)),
            bool(self.is_prev_whitespace((first_inverse or main).body)),
        )
        if open_strip.close:
            self.omit_right(program, None, True)
        if inverse is not None:
            inverse_strip = inverse_strip or _NO_STRIP
            if inverse_strip.open:
                self.omit_left(program, None, True)
            if inverse_strip.close:
                self.omit_right(first_inverse.body, None, True)
            if close_strip.open:
                self.omit_left(last_inverse.body, None, True)
            if self.do_standalone and self.is_prev_whitespace(program) and self.is_next_whitespace(first_inverse.body):
                self.omit_left(program)
                self.omit_right(first_inverse.body)
        elif close_strip.open:
            self.omit_left(program, None, True)
        return strip

    # -------------------------------------------------------------- handlebars.js helpers

    @staticmethod
    def is_prev_whitespace(body: list, i: int | None = None, is_root: bool = False) -> bool | None:
        if i is None:
            i = len(body)
        if i - 1 < 0:
            return is_root
        prev = body[i - 1]
        has_sibling = i - 2 >= 0
        if isinstance(prev, ContentStatement):
            # JS: (sibling || !isRoot ? /\r?\n\s*?$/ : /(^|\r?\n)\s*?$/).test(prev.original)
            text = prev.original
            body_end = len(text.rstrip(JS_WHITESPACE))
            return "\n" in text[body_end:] or (body_end == 0 and not (has_sibling or not is_root))
        return None

    @staticmethod
    def is_next_whitespace(body: list, i: int | None = None, is_root: bool = False) -> bool | None:
        if i is None:
            i = -1
        if i + 1 >= len(body):
            return is_root
        nxt = body[i + 1]
        has_sibling = i + 2 < len(body)
        if isinstance(nxt, ContentStatement):
            # JS: (sibling || !isRoot ? /^\s*?\r?\n/ : /^\s*?(\r?\n|$)/).test(next.original)
            text = nxt.original
            lead = len(text) - len(text.lstrip(JS_WHITESPACE))
            return "\n" in text[:lead] or (lead == len(text) and not (has_sibling or not is_root))
        return None

    def omit_right(self, body: list, i: int | None = None, multiple: bool = False) -> None:
        index = 0 if i is None else i + 1
        if index >= len(body):
            return
        current = body[index]
        if not isinstance(current, ContentStatement) or (not multiple and id(current) in self.right_stripped):
            return
        original = current.value
        current.value = original.lstrip(JS_WHITESPACE) if multiple else _without_leading_line(original)
        if current.value != original:
            self.right_stripped.add(id(current))
        else:
            self.right_stripped.discard(id(current))

    def omit_left(self, body: list, i: int | None = None, multiple: bool = False) -> bool:
        index = len(body) - 1 if i is None else i - 1
        if index < 0 or index >= len(body):
            return False
        current = body[index]
        if not isinstance(current, ContentStatement) or (not multiple and id(current) in self.left_stripped):
            return False
        original = current.value
        current.value = original.rstrip(JS_WHITESPACE if multiple else _BLANKS)
        stripped = current.value != original
        if stripped:
            self.left_stripped.add(id(current))
        else:
            self.left_stripped.discard(id(current))
        return stripped


def _without_leading_line(text: str) -> str:
    """JS `text.replace(/^[ \\t]*\\r?\\n?/, "")`."""
    i = len(text) - len(text.lstrip(_BLANKS))
    if text.startswith("\r", i):
        i += 1
    if text.startswith("\n", i):
        i += 1
    return text[i:]


def _first_body(node: object) -> list:
    if isinstance(node, RawBlock):
        return [node.content] if node.content is not None else []
    program = node.program or node.inverse  # type: ignore[attr-defined]
    return program.body


def _last_body(node: object) -> list:
    if isinstance(node, RawBlock):
        return [node.content] if node.content is not None else []
    inverse = getattr(node, "inverse", None)
    program = inverse or node.program  # type: ignore[attr-defined]
    return program.body
