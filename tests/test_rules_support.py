"""Builders shared by the tests/test_rules*.py modules (no tests here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from templating.model import Finding, Fixture, PartName, Template

SOURCE = Path("src/t.json")


def make_template(
    html: str | None = None,
    *,
    subject: str | None = "Hi",
    text: str | None = None,
    fixtures: dict[str, dict[str, Any]] | None = None,
    name: str = "t",
    tags: dict[str, str] | None = None,
) -> Template:
    parts: dict[PartName, str] = {}
    for part, source in (("subject", subject), ("html", html), ("text", text)):
        if source is not None:
            parts[part] = source  # type: ignore[index]
    fixture_objects = {
        key: Fixture(key, data, Path(f"src/t.data/{key}.json")) for key, data in (fixtures or {}).items()
    }
    return Template(
        name=name,
        source=SOURCE,
        form="v1",
        parts=parts,
        part_paths=dict.fromkeys(parts, SOURCE),
        fixtures=fixture_objects,
        tags=tags or {},
    )


def at(findings: list[Finding], code: str) -> list[tuple[str | None, int, int]]:
    """(part, line, column) of every finding with `code`, in order."""
    return [(f.part, f.line, f.column) for f in findings if f.code == code]


def messages(findings: list[Finding], code: str) -> list[str]:
    return [f.message for f in findings if f.code == code]
