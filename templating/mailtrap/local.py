"""Read the `convert` output folder OUT: the templates to upload and the order to upload them in.

Contract: `OUT/<TemplateName>/mailtrap.json` is Mailtrap's create payload `{"name", "subject", "category", "body_html",
"body_text"}`; `OUT/report.json` lists templates with `status` "converted" | "failed" (only converted ones are
uploaded; without report.json every mailtrap.json is). `OUT/priority.txt` (optional) lists TemplateNames, one a line,
`#` starts a comment: those go first, in that order, the rest follow alphabetically. `OUT/mailtrap.variants.json`
(written by `ses2mt consolidate`, optional) gives the `__text` values of the templates merged into a family; `sync`
records them in the lock file, where `translate-send` and the runtime adapter read them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from templating.variants import TEXT_ROOT, VARIANTS_FILE, read_variants

PAYLOAD_FIELDS = ("name", "subject", "category", "body_html", "body_text")
CONTENT_FIELDS = ("subject", "body_html", "body_text")
PAYLOAD_FILE = "mailtrap.json"
REPORT_FILE = "report.json"
PRIORITY_FILE = "priority.txt"

# Mailtrap's limits for a template (reference/mailtrap.md).
SHORT_FIELD_LIMIT = 255
BODY_LIMIT = 10_000_000


@dataclass(frozen=True, slots=True)
class LocalTemplate:
    """One converted template: `ses_name` is the folder name (SES TemplateName), `payload` what Mailtrap receives,
    `variables` what a send must add to its template variables (`{"__text": {...}}` for a consolidated template)."""

    ses_name: str
    payload: dict[str, str]
    path: Path
    variables: Mapping[str, Mapping[str, str]] | None = None

    @property
    def name(self) -> str:
        return self.payload["name"]

    @property
    def content_key(self) -> tuple[str, str, str]:
        """Templates with equal keys are uploaded once (dedupe)."""
        return (self.payload["subject"], self.payload["body_html"], self.payload["body_text"])

    @property
    def content_hash(self) -> str:
        return content_hash(self.payload)


@dataclass(slots=True)
class LocalSet:
    """The templates to upload, in upload priority order, and problems met while reading OUT."""

    templates: list[LocalTemplate]
    problems: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)
    """Every SES name OUT still has, uploadable or not (failed, unreadable, invalid): `--prune` never deletes these."""


def content_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps({key: payload.get(key) or "" for key in PAYLOAD_FIELDS}, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validation_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    """The field errors Mailtrap would answer 422 with, checked before anything is sent."""
    errors: dict[str, list[str]] = {}
    for key in ("name", "subject", "category"):
        value = payload.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.setdefault(key, []).append("can't be blank")
        elif len(value) > SHORT_FIELD_LIMIT:
            errors.setdefault(key, []).append(f"is too long (maximum is {SHORT_FIELD_LIMIT} characters)")
    for key in ("body_html", "body_text"):
        value = payload.get(key)
        if value is not None and not isinstance(value, str):
            errors.setdefault(key, []).append("must be a string")
        elif value is not None and len(value) > BODY_LIMIT:
            errors.setdefault(key, []).append(f"is too long (maximum is {BODY_LIMIT} characters)")
    return errors


def load_local(out: Path) -> LocalSet:
    """Read OUT. Never raises for bad content: unreadable templates become `problems` and are left out."""
    problems: list[str] = []
    names, present, report_problems = _names_to_upload(out)
    problems += report_problems
    templates: list[LocalTemplate] = []
    for ses_name in names:
        template = _read_template(out, ses_name, problems)
        if template is not None:
            templates.append(template)
    templates = _with_variants(out, templates, problems)
    order, priority_problems = _priority(out, {t.ses_name for t in templates})
    problems += priority_problems
    templates.sort(key=lambda t: (order.get(t.ses_name, len(order)), t.ses_name))
    if not names and not problems:
        problems.append(f"{out}: no converted templates to upload (no */{PAYLOAD_FILE})")
    return LocalSet(templates, problems, present)


def _names_to_upload(out: Path) -> tuple[list[str], set[str], list[str]]:
    """The names to upload, every name OUT has (report.json's, whatever their status; else the folders'), problems."""
    report_path = out / REPORT_FILE
    folders = {path.parent.name for path in out.glob(f"*/{PAYLOAD_FILE}")}
    if not report_path.exists():
        return sorted(folders), folders, []
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        entries = report["templates"]
        names = [str(entry["name"]) for entry in entries if entry.get("status") == "converted"]
        present = {str(entry["name"]) for entry in entries}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return [], folders, [f"{report_path}: not a convert report ({error}); nothing uploaded"]
    return sorted(set(names)), present, []


def _read_template(out: Path, ses_name: str, problems: list[str]) -> LocalTemplate | None:
    path = out / ses_name / PAYLOAD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: missing (report.json says {ses_name} converted)")
        return None
    except (OSError, ValueError) as error:
        problems.append(f"{path}: cannot read ({error})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: not a JSON object")
        return None
    payload = {key: data.get(key) for key in PAYLOAD_FIELDS}
    for key in ("body_html", "body_text"):
        if payload[key] is None:
            payload[key] = ""
    unknown = sorted(set(data) - set(PAYLOAD_FIELDS))
    if unknown:
        problems.append(f"{path}: ignored unknown keys {', '.join(unknown)}")
    return LocalTemplate(ses_name, payload, path)  # type: ignore[arg-type]


def _with_variants(out: Path, templates: list[LocalTemplate], problems: list[str]) -> list[LocalTemplate]:
    try:
        values = read_variants(out)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problems.append(f"{out / VARIANTS_FILE}: cannot read the variants file ({error}); no values recorded")
        return templates
    return [replace(t, variables={TEXT_ROOT: values[t.ses_name]}) if t.ses_name in values else t for t in templates]


def _priority(out: Path, known: set[str]) -> tuple[dict[str, int], list[str]]:
    path = out / PRIORITY_FILE
    if not path.exists():
        return {}, []
    order: dict[str, int] = {}
    problems: list[str] = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name or name in order:
            continue
        if name not in known:
            problems.append(f"{path}:{line_number}: {name} is not a converted template in OUT")
            continue
        order[name] = len(order)
    return order, problems
