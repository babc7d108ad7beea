"""MJML sources: a folder-form template may hold `html.mjml` instead of `html.hbs`; it is compiled to HTML here.

    compile_mjml(source) -> MjmlResult          # html, or problems with line/column in the .mjml text
    compile_mjml_file(text, path, template)     # the loader's entry point: html or None, and findings (J1xx)

mjml-python (the mrml compiler) does not know Handlebars and mangles it: `src='{{t "img"}}'` comes out as
`src="{{t \\"img\\"}}"`, and `<a {{#if y}}target="_blank"{{/if}}>` or a bare `<` in text does not parse at all. So every
Handlebars expression is swapped for an opaque placeholder before compiling and put back, byte for byte, afterwards:

- in text and in attribute values: a token of letters and digits (`hbsph0x`), which mrml copies untouched;
- inside a tag, between attributes: a dummy attribute (` data-hbsph-0=""`), restored with the spacing the source had;
- a bare `<` in text (not starting a tag, comment or end tag) is protected the same way, as a text token.

The compiled HTML therefore holds exactly the original expressions. An expression mrml drops (for example one inside
an `<mj-button ...>` tag: MJML components keep only the attributes they know) is a J103 finding at its place in the
.mjml file; mrml's own errors are J101 findings at the position mrml reports, when it reports one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from templating.catalogue import finding
from templating.diagnostics import FILE_POSITION_PREFIXES
from templating.model import Finding, Template

__all__ = [
    "MjmlProblem",
    "MjmlResult",
    "Placeholder",
    "Protected",
    "compile_mjml",
    "compile_mjml_file",
    "mjml_available",
    "place_in_mjml",
    "protect",
    "restore",
]

PlaceholderKind = Literal["text", "value", "tag"]
TAG_NAME_START = re.compile(r"[A-Za-z]")
TAG_NAME_CHARS = re.compile(r"[A-Za-z0-9:_.-]*")
MRML_POSITION = re.compile(r"at position (\d+):(\d+)")
WHITESPACE = " \t\r\n\f"


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One protected piece of the source: `original` (a Handlebars expression or a bare `<`) at `offset`."""

    token: str
    original: str
    offset: int
    kind: PlaceholderKind
    space_before: bool = True
    space_after: bool = True

    @property
    def attribute(self) -> str:
        return f"data-{self.token}"


@dataclass(slots=True)
class Protected:
    """The MJML source with placeholders, and how to map its offsets back to the original source."""

    original: str
    source: str
    placeholders: list[Placeholder]
    prefix: str
    # (protected start, original start, copied verbatim?) for each consecutive piece of `source`
    pieces: list[tuple[int, int, bool]] = field(default_factory=list)

    def original_offset(self, protected_offset: int) -> int:
        start, original_start, verbatim = 0, 0, True
        for piece in self.pieces:
            if piece[0] > protected_offset:
                break
            start, original_start, verbatim = piece
        return original_start + (protected_offset - start if verbatim else 0)


@dataclass(frozen=True, slots=True)
class MjmlProblem:
    """A problem in the .mjml file, or in the file it includes named by `path`."""

    code: str
    message: str
    line: int = 0
    column: int = 0
    path: Path | None = None


@dataclass(slots=True)
class MjmlResult:
    """The compiled HTML (None when it cannot be compiled), problems, and `spans`: where each Handlebars expression
    is in the HTML, as (start, end, offset of the same text in the MJML source)."""

    html: str | None
    problems: list[MjmlProblem] = field(default_factory=list)
    spans: list[tuple[int, int, int]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- protecting


def _token_prefix(source: str) -> str:
    """A placeholder prefix that does not occur in the source, so that restoring cannot touch the user's text."""
    prefix = "hbsph"
    while prefix in source.lower():
        prefix += "q"
    return prefix


def _mustache_end(source: str, start: int) -> int:
    """The end offset of the Handlebars tag starting at `start` (`{{`), or -1 when it is never closed. Strings inside
    the tag (`{{t "a}}b"}}`) do not close it; comments close at `--}}`, triple and raw tags at `}}}` / `}}}}`."""
    if source.startswith("{{!--", start) or source.startswith("{{~!--", start):
        end = re.compile(r"--~?\}\}").search(source, start + 5)
        return end.end() if end else -1
    if source.startswith("{{!", start) or source.startswith("{{~!", start):
        end = source.find("}}", start)
        return end + 2 if end >= 0 else -1
    braces = 4 if source.startswith("{{{{", start) else 3 if source.startswith("{{{", start) else 2
    closing = "}" * braces
    position = start + braces
    quote: str | None = None
    while position < len(source):
        char = source[position]
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif source.startswith(closing, position) or (source.startswith("~" + closing, position) and braces == 2):
            return position + len(closing) + (1 if char == "~" else 0)
        elif braces == 3 and source.startswith("}~}}", position):
            return position + 4
        position += 1
    return -1


class _Protector:
    """Walks the MJML text with a small HTML state machine; Handlebars tags are opaque to it."""

    def __init__(self, source: str, prefix: str | None = None, first_index: int = 0) -> None:
        self.source = source
        self.prefix = prefix or _token_prefix(source)
        self.first_index = first_index
        self.out: list[str] = []
        self.out_length = 0
        self.pieces: list[tuple[int, int, bool]] = []
        self.placeholders: list[Placeholder] = []
        self.state = "text"  # text | tag | value-start | dq | sq | unquoted | comment | closing

    def emit(self, text: str, original_offset: int, verbatim: bool) -> None:
        if not text:
            return
        self.pieces.append((self.out_length, original_offset, verbatim))
        self.out.append(text)
        self.out_length += len(text)

    def placeholder(self, original: str, offset: int, kind: PlaceholderKind, before: bool, after: bool) -> None:
        token = f"{self.prefix}{self.first_index + len(self.placeholders)}x"
        item = Placeholder(token, original, offset, kind, before, after)
        self.placeholders.append(item)
        if kind == "tag":  # spaces only where the source has none, so that the attribute stands apart
            self.emit(f'{"" if before else " "}{item.attribute}=""{"" if after else " "}', offset, False)
        else:
            self.emit(token, offset, False)

    def run(self) -> Protected:
        source, position, verbatim_start = self.source, 0, 0
        while position < len(source):
            expression_start = position - 1 if source.startswith("\\{{", position - 1) and position else position
            if source.startswith("{{", position) and (end := _mustache_end(source, position)) > 0:
                self.emit(source[verbatim_start:expression_start], verbatim_start, True)
                self.expression(expression_start, end)
                position = verbatim_start = end
                continue
            if self.state == "text" and source[position] == "<" and self.is_bare_less_than(position):
                self.emit(source[verbatim_start:position], verbatim_start, True)
                self.placeholder("<", position, "text", True, True)
                position = verbatim_start = position + 1
                continue
            position = self.advance(position)
        self.emit(source[verbatim_start:], verbatim_start, True)
        return Protected(self.source, "".join(self.out), self.placeholders, self.prefix, self.pieces)

    def expression(self, start: int, end: int) -> None:
        original = self.source[start:end]
        if self.state == "tag":
            before = start > 0 and self.source[start - 1] in WHITESPACE
            after = end < len(self.source) and self.source[end] in WHITESPACE
            self.placeholder(original, start, "tag", before, after)
        elif self.state == "value-start":
            self.state = "unquoted"
            self.placeholder(original, start, "value", True, True)
        elif self.state in ("dq", "sq", "unquoted"):
            self.placeholder(original, start, "value", True, True)
        else:
            self.placeholder(original, start, "text", True, True)

    def is_bare_less_than(self, position: int) -> bool:
        following = self.source[position + 1 : position + 2]
        return not (TAG_NAME_START.match(following) or following in ("/", "!", "?"))

    def advance(self, position: int) -> int:
        """Move past one character (or one tag name / comment opener), updating the state."""
        source, char, state = self.source, self.source[position], self.state
        if state == "text":
            if source.startswith("<!--", position):
                self.state = "comment"
                return position + 4
            if char == "<" and source.startswith("</", position):
                self.state = "closing"
                return position + 2
            if char == "<":
                self.state = "tag"
                return TAG_NAME_CHARS.match(source, position + 1).end()  # type: ignore[union-attr]
            return position + 1
        if state == "comment":
            if source.startswith("-->", position):
                self.state = "text"
                return position + 3
            return position + 1
        if state == "closing":
            if char == ">":
                self.state = "text"
            return position + 1
        return self.advance_in_tag(position, char)

    def advance_in_tag(self, position: int, char: str) -> int:
        state = self.state
        if (state == "dq" and char == '"') or (state == "sq" and char == "'"):
            self.state = "tag"
        elif state == "unquoted" and (char in WHITESPACE or char == ">"):
            self.state = "text" if char == ">" else "tag"
        elif state == "value-start":
            if char == '"':
                self.state = "dq"
            elif char == "'":
                self.state = "sq"
            elif char == ">":
                self.state = "text"
            elif char not in WHITESPACE:
                self.state = "unquoted"
        elif state == "tag":
            if char == "=":
                self.state = "value-start"
            elif char == ">":
                self.state = "text"
        return position + 1


def protect(source: str, prefix: str | None = None, first_index: int = 0) -> Protected:
    """The source with every Handlebars expression (and bare `<` in text) swapped for a placeholder. An included
    file is protected with the including file's `prefix`, numbering on from `first_index`."""
    return _Protector(source, prefix, first_index).run()


# -------------------------------------------------------------------------------------------------- restoring


@dataclass(frozen=True, slots=True)
class Restored:
    """The compiled HTML with the original text back; `placed` says where each restored piece is in it, as
    (start offset in the HTML, end offset, placeholder)."""

    html: str
    placed: list[tuple[int, int, Placeholder]]
    missing: list[Placeholder]

    @property
    def spans(self) -> list[tuple[int, int, int]]:
        """(start, end, offset of the original text in its source) for each restored piece."""
        return [(start, end, item.offset) for start, end, item in self.placed]


def restore_mapped(html: str, protected: Protected) -> Restored:
    """Every placeholder in the compiled HTML replaced by its original text, remembering where each one went."""
    by_token = {item.token: item for item in protected.placeholders}
    prefix = re.escape(protected.prefix)
    pattern = re.compile(
        rf'(?P<attribute>[ \t\r\n]*data-(?P<name>{prefix}\d+x)(?:="")?(?P<space> ?))|(?P<token>{prefix}\d+x)'
    )
    pieces: list[str] = []
    placed: list[tuple[int, int, Placeholder]] = []
    found: set[str] = set()
    length = position = 0
    for match in pattern.finditer(html):
        item = by_token.get(match.group("name") or match.group("token"))
        if item is None:
            continue
        found.add(item.token)
        kept = html[position : match.start()]
        pieces.append(kept)
        before = after = ""
        if match.group("attribute") is not None:
            written_space = _ends_with_space(pieces)
            before = " " if item.space_before and not written_space else ""
            after = match.group("space") if item.space_after else ""
        start = length + len(kept) + len(before)
        placed.append((start, start + len(item.original), item))
        pieces += [before, item.original, after]
        length = start + len(item.original) + len(after)
        position = match.end()
    pieces.append(html[position:])
    missing = [item for item in protected.placeholders if item.token not in found]
    return Restored("".join(pieces), placed, missing)


def _ends_with_space(pieces: list[str]) -> bool:
    last = next((piece for piece in reversed(pieces) if piece), "")
    return last.endswith((" ", "\t", "\r", "\n"))


def restore(html: str, protected: Protected) -> tuple[str, list[Placeholder]]:
    """The compiled HTML with every placeholder replaced by its original text, and the placeholders mrml dropped."""
    restored = restore_mapped(html, protected)
    return restored.html, restored.missing


# -------------------------------------------------------------------------------------------------- compiling


def mjml_available() -> bool:
    try:
        import mjml  # noqa: F401
    except ImportError:
        return False
    return True


def _line_column(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


MRML_INCLUDED_FILE = re.compile(r'in template from "([^"]*)"')


class _Includes:
    """mrml's include_loader: reads `<mj-include path="...">` files relative to the including .mjml file and
    protects their Handlebars with the same placeholder prefix, numbering on."""

    def __init__(self, protected: Protected, base_dir: Path | None) -> None:
        self.root = protected
        self.base_dir = base_dir
        self.files: dict[str, tuple[Path, Protected]] = {}
        self.errors: dict[str, str] = {}

    @property
    def placeholders(self) -> list[Placeholder]:
        return [item for _path, protected in self.files.values() for item in protected.placeholders]

    def __call__(self, name: str) -> str:
        try:
            path, text = self.read(name)
        except ValueError as problem:
            self.errors[name] = str(problem)
            raise
        protected = protect(text, self.root.prefix, len(self.root.placeholders) + len(self.placeholders))
        self.files[name] = (path, protected)
        return protected.source

    def read(self, name: str) -> tuple[Path, str]:
        if self.base_dir is None:
            raise ValueError(f"mj-include {name!r}: includes are read relative to the .mjml file, which is not known")
        path = self.base_dir / name
        if not path.is_file() and not path.suffix:
            path = path.with_name(path.name + ".mjml")
        try:
            text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"mj-include {name!r} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
        if self.root.prefix in text.lower():
            raise ValueError(f"mj-include {name!r} holds the text {self.root.prefix!r}, which ses2mt needs for itself")
        return path, text

    def combined(self) -> Protected:
        """The root's Protected with every included file's placeholders, for restoring the compiled HTML."""
        return replace(self.root, placeholders=[*self.root.placeholders, *self.placeholders])

    def origin(self, placeholder: Placeholder) -> tuple[Path | None, str]:
        """The file a placeholder comes from (None: the root .mjml file) and that file's text."""
        for path, protected in self.files.values():
            if placeholder in protected.placeholders:
                return path, protected.original
        return None, self.root.original


def _error_problem(message: str, includes: _Includes) -> MjmlProblem:
    included = MRML_INCLUDED_FILE.search(message)
    path: Path | None = None
    protected = includes.root
    if included and included.group(1) in includes.files:
        path, protected = includes.files[included.group(1)]
    reason = "; ".join(includes.errors.values()) if "unable to load included template" in message else None
    text = MRML_POSITION.sub("", message).replace("  ", " ").strip()
    text = f"MJML cannot be compiled: {text}" + (f" ({reason})" if reason else "")
    position = MRML_POSITION.search(message)
    if position is None:
        return MjmlProblem("J101", text, path=path)
    byte_offset = int(position.group(1))
    protected_offset = len(protected.source.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
    line, column = _line_column(protected.original, protected.original_offset(protected_offset))
    return MjmlProblem("J101", text, line, column, path)


def _run_mrml(source: str, include_loader: _Includes | None = None) -> str:
    from mjml import mjml2html

    return mjml2html(source, include_loader=include_loader)


def compile_mjml(source: str, base_dir: Path | None = None) -> MjmlResult:
    """Compile MJML holding Handlebars to HTML holding the same Handlebars. Never raises. `<mj-include>` paths are
    read relative to `base_dir` (the .mjml file's folder)."""
    if not mjml_available():
        message = "mjml-python is not installed, so html.mjml cannot be compiled: pip install mjml-python"
        return MjmlResult(None, [MjmlProblem("J102", message)])
    includes = _Includes(protect(source), base_dir)
    try:
        compiled = _run_mrml(includes.root.source, includes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # mrml raises ValueError; a Rust panic arrives as pyo3's PanicException
        return MjmlResult(None, [_error_problem(str(exc) or type(exc).__name__, includes)])
    restored = restore_mapped(compiled, includes.combined())
    problems = [_dropped_problem(item, *includes.origin(item)) for item in restored.missing]
    if problems:
        return MjmlResult(None, problems)
    root_tokens = {item.token for item in includes.root.placeholders}
    spans = [(start, end, item.offset) for start, end, item in restored.placed if item.token in root_tokens]
    _remember(restored.html, source, spans)
    return MjmlResult(restored.html, [], spans)


def _dropped_problem(item: Placeholder, path: Path | None, source: str) -> MjmlProblem:
    line, column = _line_column(source, item.offset)
    where = "inside an MJML component's tag" if item.kind == "tag" else "where MJML keeps no text or value"
    message = (
        f"MJML dropped {item.original!r} ({where}); put Handlebars in attribute values, in text, or in HTML inside "
        "mj-text / mj-raw"
    )
    return MjmlProblem("J103", message, line, column, path)


def compile_mjml_file(text: str, path: Path, template: str) -> tuple[str | None, list[Finding]]:
    """The loader's hook: the compiled HTML of an `html.mjml` file (None when it cannot be compiled), and findings
    located in that file."""
    result = compile_mjml(text, path.parent)
    findings = [
        finding(
            problem.code,
            problem.message,
            problem.path or path,
            problem.line,
            problem.column,
            template=template,
            part="html",
        )
        for problem in result.problems
    ]
    return result.html, findings


# ------------------------------------------------------------------------------------- positions in the .mjml file

SOURCE_MAP_LIMIT = 4096
_source_maps: dict[str, tuple[str, list[tuple[int, int, int]]]] = {}


def _remember(html: str, source: str, spans: list[tuple[int, int, int]]) -> None:
    if len(_source_maps) >= SOURCE_MAP_LIMIT:
        _source_maps.pop(next(iter(_source_maps)))
    _source_maps[html] = (source, spans)


def _source_map(t: Template) -> tuple[str, list[tuple[int, int, int]]] | None:
    html = t.parts.get("html")
    if html is None:
        return None
    if html not in _source_maps:  # loaded in another process: compile the file again to learn the positions
        try:
            path = t.part_paths["html"]
            compile_mjml(path.read_text(encoding="utf-8-sig"), path.parent)
        except (OSError, UnicodeDecodeError):
            return None
    return _source_maps.get(html)


def _offset(text: str, line: int, column: int) -> int:
    position = 0
    for _ in range(line - 1):
        position = text.find("\n", position) + 1
        if position == 0:
            return len(text)
    return position + column - 1


def place_in_mjml(findings: Iterable[Finding], templates: Iterable[Template]) -> list[Finding]:
    """Findings on the html part of an MJML template moved from positions in the compiled HTML to positions in its
    html.mjml file. A position inside a Handlebars expression maps exactly (the expression is the same text in both);
    any other position has no counterpart in the MJML source and becomes 0:0 (the file). Other findings are returned
    as they are."""
    mjml_templates = {
        t.name: t for t in templates if "html" in t.part_paths and t.part_paths["html"].name == "html.mjml"
    }
    placed: list[Finding] = []
    for item in findings:
        t = mjml_templates.get(item.template or "")
        if t is None or item.part != "html" or item.line <= 0 or item.code.startswith(FILE_POSITION_PREFIXES):
            placed.append(item)
            continue
        placed.append(_placed(item, t))
    return placed


def _placed(item: Finding, t: Template) -> Finding:
    source_map = _source_map(t)
    if source_map is None:
        return item
    source, spans = source_map
    offset = _offset(t.parts["html"], item.line, item.column or 1)
    index = bisect_right(spans, (offset, float("inf"), 0)) - 1
    if index >= 0 and spans[index][0] <= offset < spans[index][1]:
        start, _end, original = spans[index]
        line, column = _line_column(source, original + offset - start)
        return replace(item, line=line, column=column)
    return replace(item, line=0, column=0)
