"""The values that flow between pipeline stages: templates, fixtures and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

PartName = Literal["subject", "html", "text"]
PART_NAMES: tuple[PartName, ...] = ("subject", "html", "text")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(slots=True)
class Fixture:
    """One TemplateData set: `data` is the decoded JSON object."""

    name: str
    data: dict[str, Any]
    path: Path


@dataclass(slots=True)
class Template:
    """One SES template as loaded. `parts` maps part name to its source text (absent parts are not in it).

    `part_paths` names the file each part was read from (the template file itself for JSON forms, `html.hbs` etc. for
    the folder form). `form` is "v1", "v2" or "folder" (later issues add more)."""

    name: str
    source: Path
    form: str
    parts: dict[PartName, str]
    part_paths: dict[PartName, Path]
    fixtures: dict[str, Fixture] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # For a part embedded in a bigger file (CloudFormation, Terraform): where its text starts in part_paths[part], as
    # (line, column). A position (n, c) inside the part is at (line + n - 1, column + c - 1) in that file. A negative
    # column means the part is not laid out line for line there (escapes, joined pieces, substitutions): every
    # position inside it is at (line, -column), the string that holds it. See templating.diagnostics.place_in_files.
    part_origins: dict[PartName, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class Finding:
    """A diagnostic: `path:line:col: CODE severity message [template/part/fixture]`. line/column are 1-based within
    the part's text (0 when the finding concerns the whole file or template)."""

    code: str
    severity: Severity
    message: str
    path: Path
    line: int = 0
    column: int = 0
    template: str | None = None
    part: PartName | None = None
    fixture: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "path": str(self.path),
            "line": self.line,
            "column": self.column,
            "template": self.template,
            "part": self.part,
            "fixture": self.fixture,
        }


@dataclass(slots=True)
class LoadResult:
    """Everything found under SRC: the templates that loaded, and findings for what did not (bad JSON, bad names,
    duplicates, unreadable fixtures). A template with a bad fixture is still loaded, without that fixture."""

    templates: list[Template]
    findings: list[Finding]
