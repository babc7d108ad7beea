"""What CloudFormation and Terraform sources share: parts assembled from literal text and unresolved pieces, where each
part sits in its file, and the templates and findings one infrastructure file yields.

A part's text is known exactly only when every piece of it is a literal. A piece that depends on a parameter, another
resource or an expression is replaced by a marker (`${Name}`, the way CloudFormation and Terraform write a reference,
which Handlebars leaves alone) and reported as S102, so the rest of the template is still checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from templating.catalogue import finding
from templating.model import Finding, PartName, Template

Position = tuple[int, int]


@dataclass(slots=True)
class Unresolved:
    """A piece of a part that the file alone does not determine: `marker` stands in for it in the part's text."""

    marker: str
    reason: str
    position: Position
    code: str = "S102"  # S105 for a file("...") that cannot be read


@dataclass(slots=True)
class PartText:
    """A part's text as far as it can be known, and where it is written: `origin` follows Template.part_origins
    (a negative column: not laid out line for line). `path` is the file holding it (another file for `file("...")`)."""

    text: str
    unresolved: list[Unresolved] = field(default_factory=list)
    origin: Position | None = None
    path: Path | None = None


@dataclass(slots=True)
class SourceResult:
    """What one CloudFormation or Terraform file yielded, in the shape the loader merges into its results."""

    templates: list[Template] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    declared_names: set[str] = field(default_factory=set)
    name_positions: dict[int, Position] = field(default_factory=dict)  # id(template) -> where its name is written


def laid_out_origin(lines: list[str], start: Position, text: str) -> Position:
    """`start` when `text` appears line for line in the file from `start` (1-based line and column; every line of
    `text` at the same column), else the same position with a negative column: the string is there, its characters
    are not at predictable columns (escapes, folding, substitutions)."""
    line, column = start
    for offset, text_line in enumerate(text.split("\n")):
        index = line - 1 + offset
        if index >= len(lines) or lines[index][column - 1 : column - 1 + len(text_line)] != text_line:
            return line, -column
    return start


def build_template(
    name: str,
    path: Path,
    form: str,
    parts: dict[PartName, PartText],
    result: SourceResult,
    name_position: Position,
    *,
    property_names: dict[PartName, str],
) -> None:
    """Add the template to `result`, with an S102 finding for every unresolved piece of its parts."""
    for part, part_text in parts.items():
        for piece in part_text.unresolved:
            message = f"{property_names[part]}: {piece.reason}; checked with {piece.marker} in its place"
            line, column = piece.position
            result.findings.append(finding(piece.code, message, path, line, column, template=name, part=part))
    if not any(part_text.text for part_text in parts.values()):
        message = "template has no parts (subject, html and text are all absent or empty)"
        line, column = name_position
        result.findings.append(finding("L105", message, path, line, column, template=name))
        return
    template = Template(
        name,
        path,
        form,
        {part: part_text.text for part, part_text in parts.items()},
        {part: part_text.path or path for part, part_text in parts.items()},
    )
    template.part_origins = {
        part: part_text.origin for part, part_text in parts.items() if part_text.origin is not None
    }
    result.templates.append(template)
    result.name_positions[id(template)] = name_position


def source_root(src: Path) -> Path:
    """The folder tree a `file("...")` reference may read from: SRC itself, or the folder of a SRC file."""
    return src if src.is_dir() else src.parent


def is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True
