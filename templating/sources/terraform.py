"""SES templates defined as `aws_ses_template` resources in Terraform files, parsed with python-hcl2.

    resource "aws_ses_template" "welcome" {
      name    = "Welcome"
      subject = "Welcome, {{name}}"
      html    = file("${path.module}/templates/welcome.html")
      text    = <<-EOT
        Hello {{name}},
        EOT
    }

`name`, `subject`, `html` and `text` may be quoted strings (escapes decoded), heredocs (`<<EOT`, and `<<-EOT` with its
common indentation stripped) or `file("...")` relative to the .tf file (`${path.module}` allowed), read only inside the
SRC folder tree. In strings and heredocs `$${` and `%%{` are escapes for a literal `${` and `%{`; Handlebars' `{{x}}` is
literal text to HCL. Any other interpolation `${...}`, directive `%{...}` or expression (a variable, `templatefile`)
stays unresolved: an S102 finding names it and the part is checked with its source text as a marker.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from templating.catalogue import finding
from templating.loaders import LoadProblem, name_problem, read_text
from templating.model import PartName
from templating.sources.infra import (
    PartText,
    Position,
    SourceResult,
    Unresolved,
    build_template,
    is_inside,
    laid_out_origin,
)

RESOURCE_TYPE = "aws_ses_template"
SUFFIX = ".tf"
PART_ATTRIBUTES: dict[PartName, str] = {"subject": "subject", "html": "html", "text": "text"}
KNOWN_ATTRIBUTES = ("name", *PART_ATTRIBUTES.values(), "count", "for_each", "provider", "depends_on", "lifecycle")
ESCAPES = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
MODULE_PATHS = ("${path.module}", "${path.root}")


def mentions_ses_templates(text: str) -> bool:
    return RESOURCE_TYPE in text


# ------------------------------------------------------------------------------------------------ the lark tree


def _tokens(node: Any) -> list[Any]:
    from lark import Token

    if isinstance(node, Token):
        return [node]
    return [token for child in node.children for token in _tokens(child)]


def _start(node: Any) -> Position:
    tokens = _tokens(node)
    return (tokens[0].line, tokens[0].column) if tokens else (0, 0)


def _unwrap(node: Any) -> Any:
    from lark import Tree

    while isinstance(node, Tree) and node.data in ("expr_term", "expression") and len(node.children) == 1:
        node = node.children[0]
    return node


def _label(node: Any) -> str | None:
    """The text of a block label (`"aws_ses_template"` or a bare identifier)."""
    from lark import Tree

    node = _unwrap(node)
    if isinstance(node, Tree) and node.data in ("string", "identifier"):
        tokens = [token for token in _tokens(node) if token.type in ("STRING_CHARS", "NAME")]
        return "".join(str(token) for token in tokens)
    return None


def decode_escapes(chars: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        return SIMPLE_ESCAPES.get(match.group(3), match.group(0))

    return ESCAPES.sub(replace, chars)


# ------------------------------------------------------------------------------------------------ values


@dataclass(slots=True)
class Heredoc:
    text: str
    first_line: int  # file line of the first content line
    indent: int  # characters stripped from each line (<<-)


def split_heredoc(token: str, line: int, trim: bool) -> Heredoc:
    """The content of a heredoc token `<<EOT\\n...\\nEOT\\n` (the final newline before the marker is kept)."""
    header, _, rest = token.partition("\n")
    marker = header[2:].lstrip("-").strip()
    lines = rest.split("\n")
    end = next(
        (index for index in range(len(lines) - 1, -1, -1) if lines[index].strip() == marker),
        len(lines),
    )
    body = lines[:end]
    indent = 0
    if trim:
        widths = [len(text) - len(text.lstrip(" \t")) for text in body if text.strip()]
        indent = min(widths, default=0)
        body = [text[indent:] for text in body]
    text = "".join(text + "\n" for text in body)
    return Heredoc(text, line + 1, indent)


_TEMPLATE_SEQUENCE = re.compile(r"\$\$\{|%%\{|\$\{|%\{")


def scan_template(text: str, position_of: Any) -> tuple[str, list[Unresolved]]:
    """Heredoc text with HCL's escapes applied and each `${...}` / `%{...}` left as a marker and reported."""
    out: list[str] = []
    unresolved: list[Unresolved] = []
    index = 0
    for match in _TEMPLATE_SEQUENCE.finditer(text):
        if match.start() < index:
            continue
        out.append(text[index : match.start()])
        sequence = match.group(0)
        if sequence in ("$${", "%%{"):
            out.append(sequence[1:])
            index = match.end()
            continue
        end = _closing_brace(text, match.end())
        marker = text[match.start() : end]
        kind = "interpolation" if sequence == "${" else "template directive"
        unresolved.append(Unresolved(marker, f"{kind} {marker} is not known from the file", position_of(match.start())))
        out.append(marker)
        index = end
    out.append(text[index:])
    return "".join(out), unresolved


def _closing_brace(text: str, index: int) -> int:
    """Index just after the `}` that closes an interpolation opened before `index` (nested braces and strings)."""
    depth, quoted = 1, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


class TerraformReader:
    def __init__(self, path: Path, text: str, root: Path) -> None:
        self.path = path
        self.text = text
        self.lines = text.split("\n")
        self.root = root
        self.result = SourceResult()

    def problem(self, code: str, message: str, position: Position, name: str | None = None) -> None:
        line, column = position
        self.result.findings.append(finding(code, message, self.path, line, column, template=name))

    def source_of(self, node: Any) -> str:
        tokens = _tokens(node)
        return self.text[tokens[0].start_pos : tokens[-1].end_pos] if tokens else ""

    # -- the file

    def read(self, tree: Any) -> SourceResult:
        body = next((child for child in tree.children if getattr(child, "data", None) == "body"), None)
        for block in getattr(body, "children", []):
            if getattr(block, "data", None) != "block":
                continue
            labels = [_label(child) for child in block.children[1:] if getattr(child, "data", None) != "body"]
            labels = [label for label in labels if label is not None]
            if _label(block.children[0]) == "resource" and labels[:1] == [RESOURCE_TYPE]:
                self.read_resource(labels[1] if len(labels) > 1 else "?", block)
        return self.result

    def read_resource(self, label: str, block: Any) -> None:
        body = next((child for child in block.children if getattr(child, "data", None) == "body"), None)
        attributes: dict[str, Any] = {}
        for child in getattr(body, "children", []):
            if getattr(child, "data", None) == "attribute":
                key = _label(child.children[0])
                if key is not None:
                    attributes[key] = child
        block_start = _start(block)
        name = self.read_name(label, attributes, block_start)
        if name is None:
            return
        for key, attribute in attributes.items():
            if key not in KNOWN_ATTRIBUTES:
                message = f"unknown argument {key!r} is ignored (expected: name, subject, html, text)"
                self.problem("L112", message, _start(attribute), name)
        parts: dict[PartName, PartText] = {}
        for part, key in PART_ATTRIBUTES.items():
            if key in attributes:
                parts[part] = self.evaluate(_unwrap(attributes[key].children[-1]))
        name_position = _start(attributes["name"].children[-1])
        build_template(name, self.path, "terraform", parts, self.result, name_position, property_names=PART_ATTRIBUTES)

    def read_name(self, label: str, attributes: dict[str, Any], block_start: Position) -> str | None:
        if "name" not in attributes:
            self.problem("S103", f'aws_ses_template "{label}" has no name argument (it is required)', block_start)
            return None
        value = _unwrap(attributes["name"].children[-1])
        where = _start(value)
        part = self.evaluate(value)
        if part.unresolved:
            reasons = "; ".join(piece.reason for piece in part.unresolved)
            self.problem("S104", f'aws_ses_template "{label}": name is not a literal ({reasons})', where)
            return None
        self.result.declared_names.add(part.text)
        problem = name_problem(part.text)
        if problem is not None:
            self.problem("L106", problem, where)
            return None
        return part.text

    # -- expressions

    def evaluate(self, node: Any) -> PartText:
        from lark import Tree

        data = node.data if isinstance(node, Tree) else None
        if data == "string":
            return self.quoted_string(node)
        if data in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(node.children[0], trim=data == "heredoc_template_trim")
        if data == "function_call" and _label(node.children[0]) == "file":
            return self.file_call(node)
        return self.opaque(node, "expression")

    def opaque(self, node: Any, kind: str) -> PartText:
        source = self.source_of(node)
        marker = source if source.startswith(("${", "%{")) else "${" + source + "}"
        position = _start(node)
        return PartText(marker, [Unresolved(marker, f"{kind} {source} is not known from the file", position)])

    def quoted_string(self, node: Any) -> PartText:
        from lark import Token

        pieces: list[str] = []
        unresolved: list[Unresolved] = []
        parts = [child for child in node.children if getattr(child, "data", None) == "string_part"]
        if len(parts) == 1 and getattr(parts[0].children[0], "data", None) == "interpolation":
            inner = _unwrap(parts[0].children[0].children[1])
            if getattr(inner, "data", None) == "function_call" and _label(inner.children[0]) == "file":
                return self.file_call(inner)
        for part in parts:
            child = part.children[0]
            if isinstance(child, Token) and child.type == "STRING_CHARS":
                pieces.append(decode_escapes(str(child)))
            elif isinstance(child, Token) and child.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                pieces.append(str(child)[1:])
            else:
                source = self.source_of(child)
                kind = "interpolation" if source.startswith("${") else "template directive"
                unresolved.append(Unresolved(source, f"{kind} {source} is not known from the file", _start(child)))
                pieces.append(source)
        text = "".join(pieces)
        quote = node.children[0]
        return PartText(text, unresolved, laid_out_origin(self.lines, (quote.line, quote.column + 1), text))

    def heredoc(self, token: Any, trim: bool) -> PartText:
        heredoc = split_heredoc(str(token), token.line, trim)
        line_starts = [0, *(match.end() for match in re.finditer("\n", heredoc.text))]

        def position_of(offset: int) -> Position:
            line = max(index for index, start in enumerate(line_starts) if start <= offset)
            return heredoc.first_line + line, offset - line_starts[line] + 1 + heredoc.indent

        text, unresolved = scan_template(heredoc.text, position_of)
        origin = laid_out_origin(self.lines, (heredoc.first_line, heredoc.indent + 1), text)
        return PartText(text, unresolved, origin)

    def file_call(self, node: Any) -> PartText:
        """`file("relative/path")`: the file's text, read only inside SRC; problems are S105 with a marker."""
        call_source = self.source_of(node)
        where = _start(node)
        arguments = [child for child in node.children if getattr(child, "data", None) == "arguments"]
        values = [_unwrap(child) for child in arguments[0].children] if arguments else []
        argument = values[0] if len(values) == 1 else None
        relative = self.module_relative_path(argument) if argument is not None else None
        if relative is None:
            return self.opaque(node, "file() argument in")
        target = Path(os.path.normpath(self.path.parent / relative))  # cleaned lexically, as Terraform does
        marker = "${" + call_source + "}"
        if not is_inside(target, self.root):
            reason = f"{call_source} points outside {self.root} and is not read"
            return PartText(marker, [Unresolved(marker, reason, where, "S105")], None)
        try:
            return PartText(read_text(target), [], None, target)
        except LoadProblem as problem:
            reason = f"{call_source} cannot be read: {problem.message}"
            return PartText(marker, [Unresolved(marker, reason, where, "S105")], None)

    def module_relative_path(self, node: Any) -> str | None:
        """The literal path of a file() argument (`${path.module}/` and `${path.root}/` mean the .tf file's folder)."""
        if getattr(node, "data", None) != "string":
            return None
        source = self.source_of(node)[1:-1]
        for prefix in MODULE_PATHS:
            if source.startswith(prefix + "/"):
                source = source[len(prefix) + 1 :]
        if "${" in source or "%{" in source:
            return None
        return decode_escapes(source)


def read_terraform(path: Path, text: str, root: Path) -> SourceResult:
    """The SES templates of one .tf file; `root` bounds what `file("...")` may read. Problems are findings."""
    result = SourceResult()
    try:
        import hcl2
    except ImportError:
        message = "python-hcl2 is not installed, so Terraform files cannot be read (pip install python-hcl2)"
        result.findings.append(finding("S101", message, path))
        return result
    from lark.exceptions import LarkError

    try:
        tree = hcl2.parses_to_tree(text if text.endswith("\n") else text + "\n")
    except LarkError as exc:
        line, column = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
        first_line = str(exc).strip().split("\n")[0]
        result.findings.append(finding("S101", f"invalid HCL: {first_line}", path, max(line, 0), max(column, 0)))
        return result
    return TerraformReader(path, text, root).read(tree)
