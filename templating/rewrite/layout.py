"""handlebars.js's standalone-line rules (compiler/whitespace-control.js), asked of the original AST.

A rewrite that removes or replaces a tag must leave behind the text handlebars.js would have rendered: the
whitespace a standalone tag strips goes with the tag, the rest stays.
"""

from __future__ import annotations

import re

from templating.hbs.nodes import ContentStatement, Statement

_PREV_WS = re.compile(r"\r?\n\s*?$")
_PREV_WS_ROOT = re.compile(r"(^|\r?\n)\s*?$")
_NEXT_WS = re.compile(r"^\s*?\r?\n")
_NEXT_WS_ROOT = re.compile(r"^\s*?(\r?\n|$)")
LEFT_STANDALONE = re.compile(r"[ \t]+$")
LEFT_TILDE = re.compile(r"\s+$")
RIGHT_STANDALONE = re.compile(r"^[ \t]*\r?\n?")
RIGHT_TILDE = re.compile(r"^\s+")


def is_prev_whitespace(body: list[Statement], i: int | None, is_root: bool) -> bool:
    if i is None:
        i = len(body)
    if i - 1 < 0:
        return is_root
    prev = body[i - 1]
    if not isinstance(prev, ContentStatement):
        return False
    pattern = _PREV_WS if (i - 2 >= 0 or not is_root) else _PREV_WS_ROOT
    return bool(pattern.search(prev.original))


def is_next_whitespace(body: list[Statement], i: int | None, is_root: bool) -> bool:
    if i is None:
        i = -1
    if i + 1 >= len(body):
        return is_root
    following = body[i + 1]
    if not isinstance(following, ContentStatement):
        return False
    pattern = _NEXT_WS if (i + 2 < len(body) or not is_root) else _NEXT_WS_ROOT
    return bool(pattern.search(following.original))


def indent_lines(text: str, indent: str) -> str:
    """What handlebars.js does to a standalone partial's output: every line but a final empty one gets `indent`."""
    if not indent:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line and index + 1 == len(lines):
            break
        lines[index] = indent + line
    return "\n".join(lines)


def line_indent(source: str, offset: int) -> str:
    """The whitespace between the start of the line and `offset` ("" when anything else precedes it there)."""
    start = source.rfind("\n", 0, offset) + 1
    prefix = source[start:offset]
    return prefix if prefix.strip(" \t") == "" else ""


def line_end(source: str, offset: int) -> str:
    """The line ending after `offset` when only spaces/tabs sit between ("\r\n" or "\n"), else ""."""
    match = re.match(r"[ \t]*(\r?\n)", source[offset:])
    return match.group(1) if match else ""


def alone_on_line(source: str, start: int, end: int) -> bool:
    """True when only spaces/tabs share the line with source[start:end] (a tag a rewrite lays out line by line)."""
    line_start = source.rfind("\n", 0, start) + 1
    if source[line_start:start].strip(" \t"):
        return False
    rest = source[end:]
    newline = rest.find("\n")
    tail = rest if newline < 0 else rest[:newline]
    return tail.strip(" \t\r") == ""
