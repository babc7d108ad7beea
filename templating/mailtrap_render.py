"""The Mailtrap dialect: pybars3 (an independent Python Handlebars) rendering a converted template.

Verification renders the ORIGINAL template with our own engine as SES and the CONVERTED template with this adapter as
Mailtrap, so a rewrite bug cannot hide behind a shared code path. The adapter is deliberately small; docs/convert.md
lists each thing it changes about pybars3 and why:

- `#with`: pybars3 ignores `{{else}}`, renders falsy contexts, and makes `../` inside the block point at the block's
  own context. Mailtrap documents `#with/else`; the adapter's `with` follows handlebars.js (`isEmpty` -> inverse, the
  enclosing context as parent, the enclosing @index/@key/@first/@last still visible).
- `#unless`: pybars3 ignores `{{else}}`; the adapter's `unless` renders it, as handlebars.js does.
- Standalone lines: pybars3 finds them with regular expressions over the source (`(?<=\n)[ \t]*{{#...}}[ \t]*\n`, and
  a last-line rule whose `$` also matches before a final newline), which differs from handlebars.js: a standalone
  `{{else}}` whose block renders its first branch leaves an extra newline, a lone `{{/if}}` on the last line eats the
  newline before it, several tags on one line count as standalone. The adapter applies handlebars.js's rules
  (compiler/whitespace-control.js, ported here on a tag scanner of its own, sharing no code with our parser) and
  hands pybars3 the result with `~` markers resolved, pybars3's own regex pass switched off.
- Line endings: pybars3's grammar turns a "\r\n" that directly follows a tag into "\n"; the adapter hands it template
  text with "\r" replaced by U+FDD0 and puts "\r" back in the output (data values are not touched).
- Numbers: pybars3 prints Python's `str()` (`1.0`, `1e+16`); the data given to pybars3 carries JSON numbers that print
  as JavaScript prints them (`1`, `10000000000000000`). Nothing else in the data is changed: lists and objects
  print the Python way, `{}` is falsy for pybars3's `#if`, and such differences are reported by verification.

Everything else (parsing, paths, `../`, whitespace and standalone lines, escaping, `#if`, `#each`) is pybars3's own.

Compiling: pybars3 compiles slowly (a third of a second for a 24 KB email), so a converted template is compiled in
chunks cut at top-level boundaries, each cached by its text, and an edited template only compiles its changed chunks;
rendering concatenates the chunks' renders, which is pybars3's render of the whole (see "Compiling in pieces" below
for why, and for where the whole template is compiled at once instead).
"""

from __future__ import annotations

import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pybars import Compiler
from pybars._compiler import Scope

from templating.render.jsvalues import is_empty, number_to_string

CompiledPybars = Callable[..., str]

_compiler_lock = threading.Lock()
# pybars3's grammar reads a text chunk starting with "\r\n" (right after a tag) as "\n": template text reaches pybars3
# with every "\r" replaced by this noncharacter, put back after rendering.
CARRIAGE_RETURN_STANDIN = "\ufdd0"


class MailtrapRenderError(Exception):
    """pybars3 could not compile or render the converted template."""


class JsNumber(float):
    """A JSON number that prints the way JavaScript prints it."""

    __slots__ = ()

    def __str__(self) -> str:
        return number_to_string(float(self))

    __repr__ = __str__


def js_data(value: Any) -> Any:
    """The fixture data as pybars3 should see it: same shapes, numbers printing as in JavaScript."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return JsNumber(value)
    if isinstance(value, int):
        return value if -(2**53) <= value <= 2**53 else JsNumber(float(value))
    if isinstance(value, Mapping):
        return {key: js_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [js_data(item) for item in value]
    return value


def _scope_data(this: Any) -> dict[str, Any]:
    if not isinstance(this, Scope):
        return {}
    return {"index": this.index, "key": this.key, "first": this.first, "last": this.last}


def _with(this: Any, options: dict[str, Any], context: Any) -> Any:
    if is_empty(context):
        return options["inverse"](this)
    return options["fn"](Scope(context, this, options["root"], **_scope_data(this)))


def _unless(this: Any, options: dict[str, Any], context: Any) -> Any:
    if callable(context):
        context = context(this)
    if not context:
        return options["fn"](this)
    return options["inverse"](this)


HELPERS: dict[str, Callable[..., Any]] = {"with": _with, "unless": _unless}


class _HandlebarsWhitespaceCompiler(Compiler):
    """pybars3 without its regex whitespace pass: the source it gets has had handlebars.js's rules applied."""

    def whitespace_control(self, source: str) -> str:
        return source


@lru_cache(maxsize=512)
def compile_pybars(source: str) -> CompiledPybars:
    """pybars3's compiled template for `source`, cached by content: compiled in pieces (see `compile_in_chunks`), so
    that an edited template recompiles only the pieces that changed; the whole at once where pieces cannot be used."""
    items = top_level_items(source)
    return compile_in_chunks(items) or _compile_source("".join(items))


def compile_whole(source: str) -> CompiledPybars:
    """pybars3's compiled template for `source` in one piece (uncached): what `compile_pybars` must be equal to."""
    return _compile_source(apply_whitespace_control(source))


def _compile_source(prepared: str, compiler_class: type[Compiler] = _HandlebarsWhitespaceCompiler) -> CompiledPybars:
    with _compiler_lock:
        try:
            compiled = compiler_class().compile(prepared)
        except Exception as exc:
            raise MailtrapRenderError(f"pybars3 cannot compile the converted template: {exc}") from None
    # pybars3 registers every compiled template as a module in sys.modules; the function keeps its own globals, so
    # dropping the entry lets the caches below decide how long a compiled template lives.
    sys.modules.pop(compiled.__module__, None)
    return compiled


def render_mailtrap(source: str, data: Mapping[str, Any]) -> str:
    """Render a converted template as Mailtrap would: standard escaping, missing variables print nothing."""
    template = compile_pybars(source)
    try:
        text = str(template(js_data(data), helpers=HELPERS))
    except Exception as exc:
        message = f"pybars3 cannot render the converted template: {type(exc).__name__}: {exc}"
        raise MailtrapRenderError(message) from None
    return text.replace(CARRIAGE_RETURN_STANDIN, "\r")


# ---------------------------------------------------------------------------------------------------------------------
# handlebars.js whitespace control (standalone lines and `~`), for the converted subset: content, mustaches,
# comments, blocks with one optional else. A port of compiler/whitespace-control.js over a tag scanner.


@dataclass(slots=True)
class _Content:
    original: str
    value: str
    left_stripped: bool = False
    right_stripped: bool = False


@dataclass(slots=True)
class _Tag:
    text: str
    kind: str  # "mustache" | "comment" | "partial" | "open" | "else" | "close"
    strip_open: bool
    strip_close: bool

    @property
    def bare(self) -> str:
        text = self.text
        if text.startswith("{{~"):
            text = "{{" + text[3:]
        if text.endswith("~}}"):
            text = text[:-3] + "}}"
        return text


@dataclass(slots=True)
class _Block:
    open: _Tag
    program: list[Any] | None = field(default_factory=list)
    else_tag: _Tag | None = None
    inverse: list[Any] | None = None
    close: _Tag | None = None


_COMMENT_LONG = re.compile(r"\{\{~?!--")


def _scan(source: str) -> list[_Content | _Tag]:
    items: list[_Content | _Tag] = []
    position = 0
    while position < len(source):
        start = source.find("{{", position)
        while start > 0 and source[start - 1] == "\\" and not source[: start - 1].endswith("\\"):
            start = source.find("{{", start + 2)
        if start < 0:
            items.append(_Content(source[position:], source[position:]))
            break
        if start > position:
            items.append(_Content(source[position:start], source[position:start]))
        end = _tag_end(source, start)
        items.append(_tag(source[start:end]))
        position = end
    return items


def _tag_end(source: str, start: int) -> int:
    if _COMMENT_LONG.match(source, start):
        match = re.compile(r"--~?\}\}").search(source, start + 5)
    elif re.compile(r"\{\{~?\{").match(source, start):
        match = re.compile(r"\}~?\}\}").search(source, start)
    else:
        match = re.compile(r"\}\}").search(source, start)
    return match.end() if match else len(source)


def _tag(text: str) -> _Tag:
    strip_open = text.startswith("{{~")
    strip_close = text.endswith("~}}")
    inner = text[3 if strip_open else 2 : -3 if strip_close else -2].strip()
    kind = "mustache"
    if inner.startswith("!"):
        kind = "comment"
    elif inner.startswith("#"):
        kind = "open"
    elif inner.startswith("/"):
        kind = "close"
    elif inner.startswith(">"):
        kind = "partial"
    elif inner == "^" or inner == "else" or inner.startswith("else ") or inner.startswith("^ "):
        kind = "else"
    elif inner.startswith("^"):
        kind = "inverted"
    return _Tag(text, kind, strip_open, strip_close)


def _tree(items: list[_Content | _Tag]) -> list[Any]:
    root: list[Any] = []
    stack: list[tuple[_Block, list[Any]]] = []
    body = root
    for item in items:
        if isinstance(item, _Tag) and item.kind in ("open", "inverted"):
            block = _Block(item)
            if item.kind == "inverted":
                block.program, block.inverse = None, []
            body.append(block)
            stack.append((block, body))
            body = block.inverse if block.program is None else block.program  # type: ignore[assignment]
        elif isinstance(item, _Tag) and item.kind == "else" and stack:
            block = stack[-1][0]
            block.else_tag = item
            if block.program is None:
                block.program = []
                body = block.program
            else:
                block.inverse = []
                body = block.inverse
        elif isinstance(item, _Tag) and item.kind == "close" and stack:
            block, body = stack.pop()
            block.close = item
        else:
            body.append(item)
    return root


def _prev_ws(body: list[Any], i: int | None, is_root: bool) -> bool:
    i = len(body) if i is None else i
    if i - 1 < 0:
        return is_root
    prev = body[i - 1]
    if not isinstance(prev, _Content):
        return False
    pattern = r"\r?\n\s*?\Z" if (i - 2 >= 0 or not is_root) else r"(^|\r?\n)\s*?\Z"
    return re.search(pattern, prev.original) is not None


def _next_ws(body: list[Any], i: int | None, is_root: bool) -> bool:
    i = -1 if i is None else i
    if i + 1 >= len(body):
        return is_root
    following = body[i + 1]
    if not isinstance(following, _Content):
        return False
    pattern = r"^\s*?\r?\n" if (i + 2 < len(body) or not is_root) else r"^\s*?(\r?\n|\Z)"
    return re.search(pattern, following.original) is not None


def _omit_right(body: list[Any] | None, i: int | None, multiple: bool = False) -> None:
    index = 0 if i is None else i + 1
    if body is None or index >= len(body) or not isinstance(body[index], _Content):
        return
    current = body[index]
    if not multiple and current.right_stripped:
        return
    original = current.value
    current.value = re.sub(r"^\s+" if multiple else r"^[ \t]*\r?\n?", "", current.value, count=1)
    current.right_stripped = current.value != original


def _omit_left(body: list[Any] | None, i: int | None, multiple: bool = False) -> bool:
    index = (len(body) - 1 if body is not None else -1) if i is None else i - 1
    if body is None or index < 0 or not isinstance(body[index], _Content):
        return False
    current = body[index]
    if not multiple and current.left_stripped:
        return False
    original = current.value
    current.value = re.sub(r"\s+\Z" if multiple else r"[ \t]+\Z", "", current.value, count=1)
    current.left_stripped = current.value != original
    return current.left_stripped


def _accept_block(block: _Block) -> dict[str, bool]:
    if block.program is not None:
        _whitespace_program(block.program, False)
    if block.inverse is not None:
        _whitespace_program(block.inverse, False)
    program = block.program if block.program is not None else block.inverse
    inverse = block.inverse if block.program is not None else None
    assert program is not None
    close = block.close or _Tag("", "close", False, False)
    strip = {
        "open": block.open.strip_open,
        "close": close.strip_close,
        "openStandalone": _next_ws(program, None, False),
        "closeStandalone": _prev_ws(inverse if inverse is not None else program, None, False),
    }
    if block.open.strip_close:
        _omit_right(program, None, True)
    if inverse is not None:
        else_tag = block.else_tag or _Tag("", "else", False, False)
        if else_tag.strip_open:
            _omit_left(program, None, True)
        if else_tag.strip_close:
            _omit_right(inverse, None, True)
        if close.strip_open:
            _omit_left(inverse, None, True)
        if _prev_ws(program, None, False) and _next_ws(inverse, None, False):
            _omit_left(program, None)
            _omit_right(inverse, None)
    elif close.strip_open:
        _omit_left(program, None, True)
    return strip


def _whitespace_program(body: list[Any], is_root: bool) -> None:
    for i, current in enumerate(body):
        if isinstance(current, _Content):
            continue
        if isinstance(current, _Block):
            strip = _accept_block(current)
        elif current.kind in ("comment", "partial"):
            strip = {"inlineStandalone": True, "open": current.strip_open, "close": current.strip_close}
        else:
            strip = {"open": current.strip_open, "close": current.strip_close}
        prev_ws = _prev_ws(body, i, is_root)
        next_ws = _next_ws(body, i, is_root)
        open_standalone = strip.get("openStandalone", False) and prev_ws
        close_standalone = strip.get("closeStandalone", False) and next_ws
        inline_standalone = strip.get("inlineStandalone", False) and prev_ws and next_ws
        if strip["close"]:
            _omit_right(body, i, True)
        if strip["open"]:
            _omit_left(body, i, True)
        if inline_standalone:
            _omit_right(body, i)
            _omit_left(body, i)
        if open_standalone:
            assert isinstance(current, _Block)
            _omit_right(current.program if current.program is not None else current.inverse, None)
            _omit_left(body, i)
        if close_standalone:
            assert isinstance(current, _Block)
            _omit_right(body, i)
            _omit_left(current.inverse if current.inverse is not None else current.program, None)


def _print_item(item: _Content | _Tag | _Block) -> str:
    if isinstance(item, _Content):
        return item.value.replace("\r", CARRIAGE_RETURN_STANDIN)
    if isinstance(item, _Tag):
        return item.bare
    out = [item.open.bare]
    first, second = (item.program, item.inverse) if item.open.kind == "open" else (item.inverse, item.program)
    out.append(_print(first))
    if item.else_tag is not None:
        out.append(item.else_tag.bare)
        out.append(_print(second))
    if item.close is not None:
        out.append(item.close.bare)
    return "".join(out)


def _print(body: list[Any] | None) -> str:
    return "".join(_print_item(item) for item in body or [])


def top_level_items(source: str) -> list[str]:
    """The whitespace-controlled source, one string per top-level content run, tag or block (as the scanner sees
    them); joined, they are `apply_whitespace_control(source)`."""
    tree = _tree(_scan(source))
    _whitespace_program(tree, True)
    return [_print_item(item) for item in tree]


def apply_whitespace_control(source: str) -> str:
    """The source with handlebars.js's standalone-line and `~` stripping applied (and the `~` markers removed)."""
    return "".join(top_level_items(source))


# ---------------------------------------------------------------------------------------------------------------------
# Compiling in pieces. pybars3's parser (PyMeta, pure Python) needs a third of a second for a 24 KB email, and an
# edited template is mostly unchanged. So the whitespace-controlled source (the whitespace rules need the whole
# template) is cut between top-level items, or after a line or ">" of top-level text, into chunks of about 0.5-2 KB,
# each compiled by pybars3 on its own and cached by its text; a render is the chunks' renders, concatenated. Cuts are
# chosen by content (a checksum of the piece after a possible cut), so an edit moves no cut outside the chunk it is in
# (or the next one) and only that chunk is compiled again.
#
# Why this is pybars3's own result. Rendering: a top-level pybars3 statement (text, mustache, block, comment, partial
# call) reads only the render's arguments, which every chunk gets unchanged (the root context, so `@root` and a
# top-level `../` are that same data object, and the helpers); it leaves nothing for the next statement (each sets
# its locals before reading them); its output is appended in order. Parsing: a chunk is parsed without the text after
# it, so pybars3's parser must read all of it (checked here; pybars3 itself does not, see `_ChunkCompiler`), and then
# every pybars3 statement in it ends inside it, parsed as in the whole template, as long as no decision of the
# parser looked past the cut. Only two do without failing the chunk:
# text ends before "{{" (so no cut follows a "{"), and a `[segment]` runs to the next "]" (so no cut follows a "["
# without a "]" after it in the chunk). Anything else that runs past the cut (an unclosed block, a string argument
# holding "}}", a comment our scanner reads differently) leaves the chunk unparsable; then the whole template is
# compiled in one piece, so a template pybars3 rejects is rejected with the same message.

CHUNK_MIN = 512  # characters a chunk has at least, unless the template ends
CHUNK_MAX = 2048  # past this, a chunk ends at the next possible cut
CHUNK_SPACING = 4  # past CHUNK_MIN, about one possible cut in this many ends a chunk
CHUNK_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class ChunkedTemplate:
    """A template compiled in pieces; called like a pybars3 template."""

    pieces: tuple[CompiledPybars, ...]

    def __call__(self, context: Any, helpers: Mapping[str, Callable[..., Any]] | None = None) -> str:
        return "".join(str(piece(context, helpers=helpers)) for piece in self.pieces)


def compile_in_chunks(
    items: list[str], min_size: int = CHUNK_MIN, max_size: int = CHUNK_MAX, spacing: int = CHUNK_SPACING
) -> ChunkedTemplate | None:
    """The top-level `items` (see `top_level_items`) compiled in cached chunks; None when they make one chunk or a
    chunk does not compile (the caller then compiles the whole)."""
    chunks = split_chunks(items, min_size, max_size, spacing)
    if len(chunks) < 2:
        return None
    try:
        return ChunkedTemplate(tuple(_compile_chunk(chunk) for chunk in chunks))
    except MailtrapRenderError:
        return None


def split_chunks(items: list[str], min_size: int, max_size: int, spacing: int) -> list[str]:
    """`items` joined into chunks of at least `min_size` characters, cut before a tag or block item or after a line
    (or a ">") of a content item, where a checksum of what follows picks about one possible cut in `spacing` (every
    one past `max_size`). A cut never follows a "{" (pybars3 would read "{{" across it), nor a "[" that no "]"
    follows in the chunk (pybars3 reads a `[segment]` up to the next "]", wherever it is)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    open_bracket = False
    for piece in _pieces(items):
        can_cut = bool(current) and not open_bracket and not current[-1].endswith("{")
        if can_cut and size >= min_size and _cut_here(piece, size, max_size, spacing):
            chunks.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
        last_open, last_close = piece.rfind("["), piece.rfind("]")
        if last_open != last_close:
            open_bracket = last_open > last_close
    if current:
        chunks.append("".join(current))
    return chunks


_CONTENT_PIECE = re.compile(r"[^\n>]*[\n>]|[^\n>]+")


def _pieces(items: list[str]) -> Iterator[str]:
    """The items, with content (an item holding no "{{") split after each line break and ">"."""
    for item in items:
        if "{{" in item:
            yield item
        else:
            yield from _CONTENT_PIECE.findall(item)


def _cut_here(piece: str, size: int, max_size: int, spacing: int) -> bool:
    return size >= max_size or zlib.crc32(piece.encode("utf-8", "surrogatepass")) % spacing == 0


@lru_cache(maxsize=CHUNK_CACHE_SIZE)
def _compile_chunk(chunk: str) -> CompiledPybars:
    return _compile_source(chunk, _ChunkCompiler)


class _ChunkCompiler(_HandlebarsWhitespaceCompiler):
    """Compiles a chunk only if pybars3's parser reads all of it. (pybars3 itself checks the furthest position its
    parser failed at, not how far it read, so it can silently drop the end of a template: `{{a "x}}` compiles to
    nothing. The whole template keeps that behaviour; a chunk that would need it is not used.)"""

    def __init__(self) -> None:
        super().__init__()
        self._parsers: list[Any] = []
        self._handlebars = self._recording_parser

    def _recording_parser(self, source: str) -> Any:
        parser = Compiler._handlebars(source)
        self._parsers.append(parser)
        return parser

    def compile(self, source: str, path: str | None = None) -> CompiledPybars:
        compiled = super().compile(source, path)
        if not self._parsers or any(parser.input.position != len(source) for parser in self._parsers):
            raise MailtrapRenderError("pybars3 does not read this chunk to its end")
        return compiled
