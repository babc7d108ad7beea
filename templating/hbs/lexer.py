"""Handlebars lexer: a port of handlebars.js 4.7.8's `handlebars.l`.

Content is scanned with `str.find`; inside a tag one compiled master regex (the `mu` rules, in jison's order, first
match wins) produces the tokens. Escaped mustaches follow the `emu` rule, raw blocks the `raw` rules, long comments
the `com` rule.

Tokens are `(kind, start, end, value)`; `value` is set for CONTENT (the text as handlebars.js sees it, i.e. with the
escaping backslash dropped) and END_RAW_BLOCK (the closing name).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

from .errors import TemplateSyntaxError

CONTENT = "CONTENT"
COMMENT = "COMMENT"
OPEN = "OPEN"
OPEN_UNESCAPED = "OPEN_UNESCAPED"
OPEN_BLOCK = "OPEN_BLOCK"
OPEN_ENDBLOCK = "OPEN_ENDBLOCK"
OPEN_INVERSE = "OPEN_INVERSE"
OPEN_INVERSE_CHAIN = "OPEN_INVERSE_CHAIN"
INVERSE = "INVERSE"
OPEN_PARTIAL = "OPEN_PARTIAL"
OPEN_PARTIAL_BLOCK = "OPEN_PARTIAL_BLOCK"
OPEN_RAW_BLOCK = "OPEN_RAW_BLOCK"
CLOSE_RAW_BLOCK = "CLOSE_RAW_BLOCK"
END_RAW_BLOCK = "END_RAW_BLOCK"
OPEN_SEXPR = "OPEN_SEXPR"
CLOSE_SEXPR = "CLOSE_SEXPR"
CLOSE = "CLOSE"
CLOSE_UNESCAPED = "CLOSE_UNESCAPED"
EQUALS = "EQUALS"
ID = "ID"
SEP = "SEP"
DATA = "DATA"
STRING = "STRING"
NUMBER = "NUMBER"
BOOLEAN = "BOOLEAN"
UNDEFINED = "UNDEFINED"
NULL = "NULL"
OPEN_BLOCK_PARAMS = "OPEN_BLOCK_PARAMS"
CLOSE_BLOCK_PARAMS = "CLOSE_BLOCK_PARAMS"
INVALID = "INVALID"
EOF = "EOF"
_WS = "WS"
_LONG_COMMENT = "LONG_COMMENT"

# JavaScript's `\s`, for patterns written with `\s` (Python's differs: \x1c-\x1f and \x85 in, \ufeff out).
_JS_SPACE_CHARS = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js(pattern: str) -> str:
    """A JavaScript regex source as a Python one: `\\s` means JS whitespace; `[\\s\\S]` stays "any character"."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith(r"[\s\S]", i):
            out.append(r"[\s\S]")
            i += 6
            continue
        if char == "\\":
            escape = pattern[i : i + 2]
            if escape == r"\s":
                out.append(_JS_SPACE_CHARS if in_class else f"[{_JS_SPACE_CHARS}]")
            else:
                out.append(escape)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


ID_CHARS = js(r"""[^\s!"#%-,\.\/;->@\[-\^`\{-~]""")
_LITERAL_END = js(r"(?=[~}\s)])")

# The `mu` rules of handlebars.l, in order. jison (not in flex mode) takes the first rule that matches.
_BRACE = "{"
_ID_START = "ID_START"  # any character the ID rule accepts first
_ANY = "ANY"
_SPACE = "SPACE"

# The `mu` rules of handlebars.l, in order, each with the characters it can start with. jison (not in flex mode)
# takes the first rule that matches; `_dispatch` keeps that order within the rules that can start with a character.
_MU_RULES: list[tuple[str, str, str]] = [
    (OPEN_SEXPR, r"\(", "("),
    (CLOSE_SEXPR, r"\)", ")"),
    (OPEN_RAW_BLOCK, r"\{\{\{\{", _BRACE),
    (CLOSE_RAW_BLOCK, r"\}\}\}\}", "}"),
    (OPEN_PARTIAL, r"\{\{~?>", _BRACE),
    (OPEN_PARTIAL_BLOCK, r"\{\{~?#>", _BRACE),
    (OPEN_BLOCK, r"\{\{~?#\*?", _BRACE),
    (OPEN_ENDBLOCK, r"\{\{~?/", _BRACE),
    (INVERSE, r"\{\{~?\^\s*~?\}\}", _BRACE),
    (INVERSE, r"\{\{~?\s*else\s*~?\}\}", _BRACE),
    (OPEN_INVERSE, r"\{\{~?\^", _BRACE),
    (OPEN_INVERSE_CHAIN, r"\{\{~?\s*else(?![A-Za-z0-9_])", _BRACE),  # JS `\b` is ASCII-only
    (OPEN_UNESCAPED, r"\{\{~?\{", _BRACE),
    (OPEN, r"\{\{~?&", _BRACE),
    (_LONG_COMMENT, r"\{\{~?!--", _BRACE),
    (COMMENT, r"\{\{~?![\s\S]*?\}\}", _BRACE),
    (OPEN, r"\{\{~?\*?", _BRACE),
    (EQUALS, r"=", "="),
    (ID, r"\.\.", "."),
    (ID, r"\.(?=[=~}\s\/.)|])", "."),
    (SEP, r"[\/.]", "/."),
    (_WS, r"\s+", _SPACE),
    (CLOSE_UNESCAPED, r"\}~?\}\}", "}"),
    (CLOSE, r"~?\}\}", "~}"),
    (STRING, r'"(?:\\["]|[^"])*"', '"'),
    (STRING, r"'(?:\\[']|[^'])*'", "'"),
    (DATA, r"@", "@"),
    (BOOLEAN, r"true" + _LITERAL_END, "t"),
    (BOOLEAN, r"false" + _LITERAL_END, "f"),
    (UNDEFINED, r"undefined" + _LITERAL_END, "u"),
    (NULL, r"null" + _LITERAL_END, "n"),
    (NUMBER, r"-?[0-9]+(?:\.[0-9]+)?" + _LITERAL_END, "-0123456789"),
    (OPEN_BLOCK_PARAMS, r"as\s+\|", "a"),
    (CLOSE_BLOCK_PARAMS, r"\|", "|"),
    (ID, ID_CHARS + r"+(?=[=~}\s\/.)|])", _ID_START),
    (ID, r"\[(?:\\\]|[^\]])*\]", "["),
    (INVALID, r".", _ANY),
]


def _compile(rules: list[tuple[str, str, str]]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    pattern = re.compile("|".join(f"({js(regex)})" for _, regex, _ in rules))
    return pattern, ("", *(kind for kind, _, _ in rules))


def _can_start(starts: str, char: str) -> bool:
    if starts == _BRACE:
        return char == "{"
    if starts == _ID_START:
        return re.match(ID_CHARS, char) is not None
    if starts == _SPACE:
        return re.match(js(r"\s"), char) is not None
    if starts == _ANY:
        return char != "\n"
    return char in starts


def _dispatch() -> dict[str, tuple[re.Pattern[str], tuple[str, ...]]]:
    """Per ASCII first character: the ordered subset of the rules that can match there, as one regex."""
    return {char: _compile([rule for rule in _MU_RULES if _can_start(rule[2], char)]) for char in map(chr, range(128))}


# Fast path for the most common tags: an opener, a plain dotted name, plain arguments (dotted names, simple quoted
# strings without backslashes, numbers, true/false/null/undefined), then plain `key=value` pairs:
# `{{a.b}}`, `{{{html}}}`, `{{#if a.b}}`, `{{/if}}`, `{{> footer year=2024}}`, `{{format price "USD" digits=2}}`.
# Such a tag becomes one token of the opener's kind whose `value` is the match (the parser builds its nodes from the
# groups). `_plain_tag` sends tags whose words mean something else (`this`, a name that is a literal or lexes as
# `{{else`) through the full rules, and so does a `}` right after the closing `}}` (handlebars.js then lexes `}}}`).
# FAST_TAGS = False turns the fast path off (tests compare both paths).
FAST_TAGS = True
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_\-]*"
_PLAIN_PATH = _SEGMENT + r"(?:\." + _SEGMENT + r")*"
_PLAIN_ARG_VALUE = r"""(?:"[^"\\]*"|'[^'\\]*'|-?[0-9]+(?:\.[0-9]+)?|""" + _PLAIN_PATH + ")"
_PLAIN_ARGS = r"(?:\s+" + _PLAIN_ARG_VALUE + r")*(?:\s+" + _SEGMENT + "=" + _PLAIN_ARG_VALUE + ")*"
_PLAIN_TAG = re.compile(
    js(r"\{\{(~?)(#>|[#^/{&>]?)\s*(" + _PLAIN_PATH + ")(" + _PLAIN_ARGS + r")\s*(\}?)(?:(~)\}\}|\}\}(?!\}))")
)
# The commonest case, cheaper to match: a plain name and at most one plain dotted parameter (group 4, no spaces).
SIMPLE_TAG = re.compile(
    js(r"\{\{(~?)([#^/{]?)\s*(" + _PLAIN_PATH + r")(?:\s+(" + _PLAIN_PATH + r"))?\s*(\}?)(?:(~)\}\}|\}\}(?!\}))")
)
PLAIN_ARG = re.compile(js(r"\s+(?:(" + _SEGMENT + ")=)?(" + _PLAIN_ARG_VALUE + ")"))
_PLAIN_KINDS = {
    "": OPEN,
    "&": OPEN,
    "{": OPEN_UNESCAPED,
    "#": OPEN_BLOCK,
    "^": OPEN_INVERSE,
    "/": OPEN_ENDBLOCK,
    ">": OPEN_PARTIAL,
    "#>": OPEN_PARTIAL_BLOCK,
}
_LITERAL_WORDS = frozenset({"true", "false", "null", "undefined"})
_MU, _MU_KINDS = _compile(_MU_RULES)
_MU_BY_CHAR = _dispatch()
_LONG_COMMENT_END = re.compile(r"[\s\S]*?--~?\}\}")
_RAW_CLOSE = re.compile(js(r"\{\{\{\{/(" + ID_CHARS + r"+)(?=[=}\s\/.])\}\}\}\}"))
# Tokens after which the lexer leaves the `mu` state.
_POPS_MU = frozenset({CLOSE, CLOSE_UNESCAPED, INVERSE, COMMENT})


class Token(NamedTuple):
    kind: str
    start: int
    end: int
    value: str | re.Match[str] | None = None


_new_token = tuple.__new__  # _new_token(Token, (kind, start, end, value)): the lexer's hot paths skip Token.__new__


# `_plain_tag`'s answer for the text of a SIMPLE_TAG match: the groups, hence the answer, depend only on the text, and
# templates repeat their tags (`{{/if}}`, the same fields), so answers are remembered (up to a bound).
_SIMPLE_TAG_KINDS: dict[str, str | None] = {}
_MAX_REMEMBERED_TAGS = 4096
_NOT_SEEN = "not seen"


def _remember_simple_tag(text: str, m: re.Match[str]) -> str | None:
    if len(_SIMPLE_TAG_KINDS) >= _MAX_REMEMBERED_TAGS:
        _SIMPLE_TAG_KINDS.clear()
    kind = _SIMPLE_TAG_KINDS[text] = _plain_tag(m)
    return kind


def _plain_tag(m: re.Match[str]) -> str | None:
    """The token kind for a `_PLAIN_TAG` match, or None when the tag needs the full rules."""
    opener, name, args, brace = m.group(2, 3, 4, 5)
    if (opener == "{") != (brace == "}"):
        return None
    if name.startswith("else") or name in _LITERAL_WORDS or ("this" in name and "this" in name.split(".")):
        return None
    if args and (opener == "/" or "this" in args or (m.re is SIMPLE_TAG and args in _LITERAL_WORDS)):
        return None
    return _PLAIN_KINDS[opener]


class LineIndex:
    """Offset -> (1-based line, 1-based column); lines split on "\\n".

    `starts` holds the offset where each line starts, then `len(source) + 1`: `starts[line]`, the start of the line
    after `line`, always exists."""

    __slots__ = ("starts",)

    def __init__(self, source: str) -> None:
        # Each line start is the previous one plus that line's length and its "\n"; the last sum is len(source) + 1.
        self.starts = [0, *accumulate(map((1).__add__, map(len, source.split("\n"))))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def syntax_error(source: str, offset: int, message: str, lines: LineIndex | None = None) -> TemplateSyntaxError:
    line, column = (lines or LineIndex(source)).position(offset)
    return TemplateSyntaxError(line, column, message, offset)


def tokenize(source: str, lines: LineIndex | None = None) -> list[Token]:
    """All tokens of `source`, ending with EOF. Raises TemplateSyntaxError on a lexical error."""
    tokens: list[Token] = []
    append = tokens.append
    find = source.find
    startswith = source.startswith
    simple_tag = SIMPLE_TAG.match
    plain_tag = _PLAIN_TAG.match
    fast_tags = FAST_TAGS
    simple_kinds = _SIMPLE_TAG_KINDS
    escapes = "\\" in source  # else no `\{{` to look for
    n = len(source)
    pos = 0
    while pos < n:
        idx = find("{{", pos)
        if idx < 0:
            append(Token(CONTENT, pos, n, source[pos:n]))
            break
        if escapes and idx > pos and source[idx - 1] == "\\":
            if idx - 1 > pos and source[idx - 2] == "\\":
                append(Token(CONTENT, pos, idx, source[pos : idx - 1]))
            else:
                if idx - 1 > pos:
                    append(Token(CONTENT, pos, idx - 1, source[pos : idx - 1]))
                pos = _escaped_content(source, idx, tokens)
                continue
        elif idx > pos:
            append(_new_token(Token, (CONTENT, pos, idx, source[pos:idx])))
        if idx + 2 < n and source[idx + 2] == "e" and startswith("else", idx + 2):  # (the first tests are cheaper)
            # Never a plain tag; `{{else}}` itself, common, is lexed here (as `_mustache` would).
            if startswith("}}", idx + 6):
                append(_new_token(Token, (INVERSE, idx, idx + 8, None)))
                pos = idx + 8
                continue
        # The fast path for plain tags, here rather than in `_mustache` to save a call per tag.
        elif fast_tags:
            plain = simple_tag(source, idx)
            if plain is not None:
                end = plain.end()
                text = source[idx:end]
                kind = simple_kinds.get(text, _NOT_SEEN)
                if kind is _NOT_SEEN:
                    kind = _remember_simple_tag(text, plain)
            else:
                plain = plain_tag(source, idx)
                if plain is None:
                    kind = None
                else:
                    end = plain.end()
                    kind = _plain_tag(plain)
            if kind is not None:
                append(_new_token(Token, (kind, idx, end, plain)))
                pos = end
                continue
        pos = _mustache(source, idx, tokens, lines)
    if "\x00" in source:
        _reject_nul_in_content(source, tokens, lines)
    append(Token(EOF, n, n))
    return tokens


def _reject_nul_in_content(source: str, tokens: list[Token], lines: LineIndex | None) -> None:
    """handlebars.js's content rules (`[^\\x00]`) make a NUL character outside tags a lexical error."""
    for token in tokens:
        if token.kind == CONTENT:
            offset = source.find("\x00", token.start, token.end)
            if offset >= 0:
                raise syntax_error(source, offset, "a NUL character (U+0000) is not allowed in template text", lines)


def _escaped_content(source: str, idx: int, tokens: list[Token]) -> int:
    """`\\{{...`: content from the `{{` at `idx` up to the next `{{`, `\\{{` or `\\\\{{` (the `emu` state)."""
    n = len(source)
    j = source.find("{{", idx + 2)
    if j < 0:
        end = n
    else:
        end = j
        if j - 1 >= idx + 2 and source[j - 1] == "\\":
            end = j - 1
            if j - 2 >= idx + 2 and source[j - 2] == "\\":
                end = j - 2
    tokens.append(Token(CONTENT, idx - 1, end, source[idx:end]))
    return end


def _mustache(source: str, pos: int, tokens: list[Token], lines: LineIndex | None) -> int:
    """Tokens of one tag starting at `pos` (the `mu` state) by the full rules; returns the offset after it."""
    append = tokens.append
    by_char = _MU_BY_CHAR
    n = len(source)
    while pos < n:
        pattern, kinds = by_char.get(source[pos]) or (_MU, _MU_KINDS)
        m = pattern.match(source, pos)
        kind = kinds[m.lastindex]  # type: ignore[union-attr,index]
        end = m.end()
        if kind is _WS:
            pos = end
            continue
        if kind is _LONG_COMMENT:
            cm = _LONG_COMMENT_END.match(source, pos)
            if cm is None:
                raise syntax_error(source, pos, "unclosed comment: '{{!--' needs a matching '--}}'", lines)
            append(Token(COMMENT, pos, cm.end()))
            return cm.end()
        append(_new_token(Token, (kind, pos, end, None)))
        if kind in _POPS_MU:
            return end
        if kind is CLOSE_RAW_BLOCK:
            return _raw_body(source, end, tokens, lines)
        pos = end
    return pos


def _raw_body(source: str, pos: int, tokens: list[Token], lines: LineIndex | None) -> int:
    """The body of a raw block up to its matching `{{{{/name}}}}` (the `raw` state, with nesting)."""
    depth = 1
    start = pos
    find = source.find
    while True:
        idx = find("{{{{", pos)
        if idx < 0:
            raise syntax_error(
                source, start, "unclosed raw block: '{{{{name}}}}' needs a matching '{{{{/name}}}}'", lines
            )
        close = _RAW_CLOSE.match(source, idx)
        if close is not None:
            depth -= 1
            if depth == 0:
                tokens.append(Token(CONTENT, start, idx, source[start:idx]))
                tokens.append(Token(END_RAW_BLOCK, idx, close.end(), close.group(1)))
                return close.end()
            pos = close.end()
        elif idx + 4 < len(source) and source[idx + 4] != "/":
            depth += 1
            pos = idx + 4
        else:
            pos = idx + 4
