"""handlebars.js's standalone-line rules (compiler/whitespace-control.js), asked of the original AST.

A rewrite that removes or replaces a tag must leave behind the text handlebars.js would have rendered: the
whitespace a standalone tag strips goes with the tag, the rest stays.
"""

from __future__ import annotations

import re

from templating.hbs.nodes import ContentStatement, Statement

_PREV_WS = re.compile(r"\r?\n\s*?\Z")
_PREV_WS_ROOT = re.compile(r"(^|\r?\n)\s*?\Z")
_NEXT_WS = re.compile(r"^\s*?\r?\n")
_NEXT_WS_ROOT = re.compile(r"^\s*?(\r?\n|\Z)")
LEFT_STANDALONE = re.compile(r"[ \t]+\Z")
LEFT_TILDE = re.compile(r"\s+\Z")
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


def _nearest_tag(body: list[Statement], index: int, step: int) -> Statement | None:
    j = index + step
    while 0 <= j < len(body):
        if not isinstance(body[j], ContentStatement):
            return body[j]
        j += step
    return None


def _keeps_its_tag(statement: Statement) -> bool:
    """Tags that stay tags in the converted template (partial calls and inline definitions are replaced using the
    original's standalone status)."""
    if statement.__class__.__name__ in ("PartialStatement", "PartialBlockStatement"):
        return False
    return not getattr(statement, "decorator", False)


def _tildes(statement: Statement) -> tuple[bool, bool]:
    strip = getattr(statement, "strip", None)
    if strip is not None:
        return strip.open, strip.close
    open_strip = getattr(statement, "open_strip", None)
    close_strip = getattr(statement, "close_strip", None)
    return bool(open_strip and open_strip.open), bool(close_strip and close_strip.close)


def _tilde_crosses(merged: list[Statement], node: Statement, own_text: str, side: int) -> bool:
    """Whether a `~` of `node` (side -1: its left, +1: its right) would strip past `own_text`, the part of the
    adjacent content that was next to it in the original, into text the rewrite put there."""
    left, right = _tildes(node)
    if not (left if side < 0 else right):
        return False
    for k, statement in enumerate(merged):
        if statement is node:
            j = k + side
            if not 0 <= j < len(merged) or not isinstance(merged[j], ContentStatement):
                return False
            match = (LEFT_TILDE if side < 0 else RIGHT_TILDE).search(merged[j].original)  # type: ignore[union-attr]
            return bool(match) and len(match.group(0)) > len(own_text)
    return False


def _view(body: list[Statement], node: Statement | None, is_root: bool) -> tuple[object, ...] | None:
    """The standalone flags handlebars.js would compute for `node` inside `body`, and the whitespace they strip
    from the content on each side."""
    for j, statement in enumerate(body):
        if statement is node and statement.__class__.__name__ == "MustacheStatement":
            return ()
        if statement is node:
            prev = is_prev_whitespace(body, j, is_root)
            following = is_next_whitespace(body, j, is_root)
            program = getattr(statement, "program", None) or getattr(statement, "inverse", None)
            if program is None:
                strips_left = strips_right = prev and following
            else:
                inverse = getattr(statement, "inverse", None) if getattr(statement, "program", None) else None
                first_inverse = inverse.body[0].program if inverse is not None and inverse.chained else inverse
                strips_left = prev and is_next_whitespace(program.body, None, False)
                strips_right = following and is_prev_whitespace((first_inverse or program).body, None, False)
            # a standalone tag with no content beside it (start or end of the body) strips nothing, like "" beside it
            left = (_strip_text(body, j - 1, LEFT_STANDALONE) or "") if strips_left else None
            right = (_strip_text(body, j + 1, RIGHT_STANDALONE) or "") if strips_right else None
            return strips_left, strips_right, left, right
    return None


def _strip_text(body: list[Statement], j: int, pattern: re.Pattern[str]) -> str | None:
    if not 0 <= j < len(body) or not isinstance(body[j], ContentStatement):
        return None
    match = pattern.search(body[j].original)  # type: ignore[union-attr]
    return match.group(0) if match else ""


def _body_view(body: list[Statement]) -> tuple[object, ...]:
    first = is_next_whitespace(body, None, False)
    last = is_prev_whitespace(body, None, False)
    return (
        first,
        last,
        _strip_text(body, 0, RIGHT_STANDALONE) if first else None,
        _strip_text(body, len(body) - 1, LEFT_STANDALONE) if last else None,
    )


def _boundary_tags_move(
    inner_body: list[Statement], inserted: list[Statement], merged: list[Statement], is_root: bool
) -> bool:
    """Whether the first or last tag of an inserted body (a partial's, a partial block's content) sees its
    surroundings differently in place than it did inside its own program."""
    old_tags = [s for s in inner_body if not isinstance(s, ContentStatement)]
    new_tags = [s for s in inserted if not isinstance(s, ContentStatement)]
    if not old_tags or not new_tags:
        return False
    for old, new in ((old_tags[0], new_tags[0]), (old_tags[-1], new_tags[-1])):
        if type(old) is not type(new) or not (_keeps_its_tag(old) and _keeps_its_tag(new)):
            continue
        if _flags(_view(inner_body, old, False)) != _flags(_view(merged, new, is_root)):
            return True
    return False


def _flags(view: tuple[object, ...] | None) -> tuple[object, ...]:
    return view[:2] if view else ()


def replacement_moves_standalone(
    source: str,
    body: list[Statement],
    index: int,
    start: int,
    end: int,
    inserted: list[Statement],
    is_root: bool,
    inner_body: list[Statement] | None = None,
) -> bool:
    """Whether replacing body[index] (source[start:end]) by `inserted` changes how handlebars.js sees the tags next
    to it (standalone or not), or the body's first/last line (which decides the enclosing block's standalone tags)."""
    new_body: list[Statement] = []
    for j, statement in enumerate(body):
        if j == index:
            new_body.extend(inserted)
            continue
        if isinstance(statement, ContentStatement) and (j == index - 1 or j == index + 1):
            text = source[statement.span.start : start] if j == index - 1 else source[end : statement.span.end]
            if text:
                new_body.append(ContentStatement(text, text))
            continue
        new_body.append(statement)
    merged: list[Statement] = []
    for statement in new_body:
        if merged and isinstance(statement, ContentStatement) and isinstance(merged[-1], ContentStatement):
            text = merged[-1].original + statement.original
            merged[-1] = ContentStatement(text, text)
        else:
            merged.append(statement)
    if inner_body is not None and _boundary_tags_move(inner_body, inserted, merged, is_root):
        return True
    before = body[index - 1] if index > 0 else None
    after = body[index + 1] if index + 1 < len(body) else None
    prev_text = source[before.span.start : start] if isinstance(before, ContentStatement) else ""
    next_text = source[end : after.span.end] if isinstance(after, ContentStatement) else ""
    right_tag = _nearest_tag(body, index, 1)
    left_tag = _nearest_tag(body, index, -1)
    if right_tag is not None and _tilde_crosses(merged, right_tag, next_text, -1):
        return True
    if left_tag is not None and _tilde_crosses(merged, left_tag, prev_text, 1):
        return True
    for step in (-1, 1):
        neighbour = _nearest_tag(body, index, step)
        if neighbour is None or not _keeps_its_tag(neighbour):
            continue
        if _view(body, neighbour, is_root) != _view(merged, neighbour, is_root):
            return True
    return not is_root and _body_view(body) != _body_view(merged)
