"""Write a `convert` output folder (OUT) by hand, for tests of the upload commands."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def template_payload(
    name: str,
    subject: str | None = None,
    body_html: str | None = None,
    body_text: str | None = None,
    category: str = "migrated-from-ses",
) -> dict[str, str]:
    """A Mailtrap create payload, with distinct content per name unless the caller gives the content."""
    return {
        "name": name,
        "subject": subject if subject is not None else f"{name}: hello {{{{{{first_name}}}}}}",
        "category": category,
        "body_html": body_html if body_html is not None else f"<p>{name} for {{{{{{first_name}}}}}}</p>",
        "body_text": body_text if body_text is not None else f"{name} for {{{{{{first_name}}}}}}",
    }


def write_out_folder(
    out: Path,
    templates: Mapping[str, Mapping[str, Any]],
    *,
    failed: Iterable[str] = (),
    fixtures: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    report: bool = True,
) -> Path:
    """OUT/<name>/mailtrap.json for each template, fixtures under OUT/<name>/fixtures/, and OUT/report.json listing
    them as converted (and `failed` names as failed, without a mailtrap.json) unless `report` is False."""
    out.mkdir(parents=True, exist_ok=True)
    for name, payload in templates.items():
        folder = out / name
        folder.mkdir(exist_ok=True)
        (folder / "mailtrap.json").write_text(json.dumps(dict(payload), indent=2, ensure_ascii=False), encoding="utf-8")
        for fixture_name, data in (fixtures or {}).get(name, {}).items():
            (folder / "fixtures").mkdir(exist_ok=True)
            (folder / "fixtures" / f"{fixture_name}.json").write_text(json.dumps(dict(data)), encoding="utf-8")
    if report:
        entries = [{"name": name, "source": f"templates_in/{name}.json", "status": "converted"} for name in templates]
        entries += [{"name": name, "source": f"templates_in/{name}.json", "status": "failed"} for name in failed]
        summary = {"converted": len(templates), "failed": len(entries) - len(templates)}
        (out / "report.json").write_text(json.dumps({"templates": entries, "summary": summary}, indent=2), "utf-8")
    return out
