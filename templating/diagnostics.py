"""Findings as output: code selection (--select/--ignore), ordering, ruff-style text lines, the JSON document, the
summary line and the exit code. Every command that reports findings uses these, so all print them the same way.

Text:  `path:line:col: CODE severity message [template/part/fixture]` (line:col 0:0 = the whole file or template)
JSON:  {"version": 1, "findings": [Finding.to_json(), ...],
        "summary": {"templates": n, "errors": n, "warnings": n, "info": n}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from templating.catalogue import RULES, SYNTAX_ERROR
from templating.model import Finding, PartName, Severity, Template

JSON_VERSION = 1
LOAD_CODE_PREFIXES = ("L", "X")
FILE_POSITION_PREFIXES = ("J", "L", "S", "X")  # loading findings: their line:col are already positions in the file
_QUOTED_POSITION = re.compile(r"\bat (\d+):(\d+)\b")


class CodeListError(ValueError):
    """An unknown code or prefix in --select/--ignore."""


def parse_codes(value: str | None) -> tuple[str, ...]:
    """Comma-separated codes or code prefixes (`C1` means C1xx; `ALL` means every code), upper-cased.

    Raises CodeListError for an entry that is not a prefix of any registered code."""
    if value is None:
        return ()
    codes = tuple(entry.strip().upper() for entry in value.split(",") if entry.strip())
    for code in codes:
        if code != "ALL" and not any(known.startswith(code) for known in RULES):
            raise CodeListError(f"unknown code {code!r} (codes look like L101, C1 or ALL; see docs/rules.md)")
    return codes


def _longest_match(code: str, prefixes: Sequence[str]) -> int:
    """Length of the longest prefix matching `code` (ALL counts as 0), or -1 when none does."""
    matching = [prefix for prefix in prefixes if prefix == "ALL" or code.startswith(prefix)]
    return max((0 if prefix == "ALL" else len(prefix) for prefix in matching), default=-1)


def is_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff's rule: with no --select everything is selected; when both match, the more specific prefix wins (a tie
    goes to --ignore)."""
    selected = _longest_match(code, select) if select else 0
    return selected >= 0 and selected > _longest_match(code, ignore)


def filter_findings(
    findings: Iterable[Finding], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Finding]:
    return [item for item in findings if is_selected(item.code, select, ignore)]


def place_in_files(findings: Iterable[Finding], templates: Iterable[Template]) -> list[Finding]:
    """Findings on a part embedded in a bigger file (CloudFormation, Terraform: Template.part_origins) moved from
    positions inside the part to positions in that file; every other finding is returned as it is."""
    origins: dict[tuple[str, PartName], tuple[Any, tuple[int, int]]] = {
        (template.name, part): (template.part_paths.get(part), origin)
        for template in templates
        for part, origin in template.part_origins.items()
    }
    if not origins:
        return list(findings)
    placed: list[Finding] = []
    for item in findings:
        entry = origins.get((item.template, item.part)) if item.template and item.part else None
        if entry is None or item.line <= 0 or item.path != entry[0] or item.code.startswith(FILE_POSITION_PREFIXES):
            placed.append(item)
            continue
        line, column = entry[1]
        if column < 0:  # not laid out line for line: the string that holds the part
            placed.append(replace(item, line=line, column=-column))
        else:
            shifted = column + item.column - 1 if item.column else 0
            message = _moved_positions(item.message, line, column) if item.code == SYNTAX_ERROR.code else item.message
            placed.append(replace(item, line=line + item.line - 1, column=shifted, message=message))
    return placed


def _moved_positions(message: str, line: int, column: int) -> str:
    """A syntax error's message quotes the other tag's position ("... opened at 2:4"): moved into the file too."""
    return _QUOTED_POSITION.sub(lambda m: f"at {line + int(m[1]) - 1}:{column + int(m[2]) - 1}", message)


def place_findings(findings: Iterable[Finding], templates: Sequence[Template]) -> list[Finding]:
    """Every finding moved to its position in the file the user edits: embedded parts (CloudFormation, Terraform)
    and MJML sources (whose html part is compiled HTML)."""
    from templating.sources.mjml import place_in_mjml  # the MJML source map lives with the MJML compiler

    return place_in_mjml(place_in_files(findings, templates), templates)


def sort_key(item: Finding) -> tuple[Any, ...]:
    return (
        str(item.path),
        item.line,
        item.column,
        item.code,
        item.template or "",
        item.part or "",
        item.fixture or "",
        item.message,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sorted by path, line, column, then code; exact repeats (the same finding from two stages) appear once."""
    unique = {(*sort_key(item), item.severity): item for item in findings}
    return [unique[key] for key in sorted(unique)]


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def context_label(item: Finding) -> str:
    """`[template/part/fixture]`; absent trailing elements are left out, an absent one before a present one is `-`."""
    return _label(item.template, item.part, item.fixture)


@lru_cache(maxsize=4096)
def _label(template: str | None, part: str | None, fixture: str | None) -> str:
    if fixture is not None:
        elements: tuple[str | None, ...] = (template, part, fixture)
    elif part is not None:
        elements = (template, part)
    elif template is not None:
        return f"[{template}]"
    else:
        return ""
    return "[" + "/".join([element if element is not None else "-" for element in elements]) + "]"


def format_finding(item: Finding) -> str:
    label = _label(item.template, item.part, item.fixture)
    path, message = _one_line(str(item.path)), _one_line(item.message)
    line = f"{path}:{item.line}:{item.column}: {item.code} {item.severity!s} {message}"
    return f"{line} {label}" if label else line


@dataclass(frozen=True, slots=True)
class Summary:
    templates: int
    errors: int
    warnings: int
    info: int
    files_with_load_errors: int

    def to_json(self) -> dict[str, int]:
        return {"templates": self.templates, "errors": self.errors, "warnings": self.warnings, "info": self.info}


def summarize(findings: Sequence[Finding], templates: int) -> Summary:
    def count(severity: Severity) -> int:
        return sum(1 for item in findings if item.severity == severity)

    failed = {
        str(item.path)
        for item in findings
        if item.severity == Severity.ERROR and item.code.startswith(LOAD_CODE_PREFIXES)
    }
    return Summary(templates, count(Severity.ERROR), count(Severity.WARNING), count(Severity.INFO), len(failed))


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def summary_line(summary: Summary) -> str:
    """`Found 3 errors, 5 warnings, 1 info in 14 templates (2 files with load errors).`"""
    counts = ", ".join(
        [_plural(summary.errors, "error"), _plural(summary.warnings, "warning"), _plural(summary.info, "info", "info")]
    )
    text = f"Found {counts} in {_plural(summary.templates, 'template')}"
    if summary.files_with_load_errors:
        text += f" ({_plural(summary.files_with_load_errors, 'file')} with load errors)"
    return text + "."


def text_report(findings: Sequence[Finding], summary: Summary) -> str:
    lines = [format_finding(item) for item in findings]
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"


def json_report(findings: Sequence[Finding], summary: Summary) -> dict[str, Any]:
    return {"version": JSON_VERSION, "findings": [item.to_json() for item in findings], "summary": summary.to_json()}


def format_json_finding(item: Finding) -> str:
    """The finding as it appears in the findings list of json_report's document dumped with indent=2."""
    return "    " + json.dumps(item.to_json(), indent=2, ensure_ascii=False).replace("\n", "\n    ")


class ReportWriter:
    """Writes a report piece by piece, the same text as text_report / json_report dumped with indent=2: findings
    blocks in order (text lines, or JSON objects joined by ",\n", each block without a final separator), then the
    summary. Output is handed to `write` in pieces of about 64 KB."""

    FLUSH_SIZE = 65_536

    def __init__(self, write: Callable[[str], None], output_format: str) -> None:
        self.write = write
        self.output_format = output_format
        self.pieces: list[str] = []
        self.size = 0
        self.blocks = 0
        if output_format == "json":
            self._put(f'{{\n  "version": {JSON_VERSION},\n  "findings": [')

    def write_block(self, text: str) -> None:
        if self.output_format == "json":
            self._put(("\n" if self.blocks == 0 else ",\n") + text)
        else:
            self._put(text + "\n")
        self.blocks += 1

    def finish(self, summary: Summary) -> None:
        if self.output_format == "json":
            summary_text = json.dumps(summary.to_json(), indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self._put(("\n  ]" if self.blocks else "]") + f',\n  "summary": {summary_text}\n}}\n')
        else:
            self._put(summary_line(summary) + "\n")
        self._flush()

    def _put(self, text: str) -> None:
        self.pieces.append(text)
        self.size += len(text)
        if self.size >= self.FLUSH_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self.pieces:
            self.write("".join(self.pieces))
        self.pieces, self.size = [], 0


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when no finding is an error, else 1 (usage errors exit 2 before any finding exists)."""
    return 1 if any(item.severity == Severity.ERROR for item in findings) else 0
