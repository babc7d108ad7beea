"""M1xx: SES's and Mailtrap's size and count limits, and C121 (Mailtrap requires a subject)."""

from __future__ import annotations

import os
from pathlib import Path

from templating.catalogue import (
    BODY_TOO_LONG,
    CATEGORY_TOO_LONG,
    NAME_TOO_LONG,
    NO_SUBJECT,
    SES_SIZE_LIMIT,
    SUBJECT_TOO_LONG,
    TOO_MANY_TEMPLATES,
    finding,
)
from templating.model import Finding, Template

SES_TEMPLATE_BYTES = 500 * 1024
MAILTRAP_FIELD_CHARS = 255
MAILTRAP_BODY_CHARS = 10_000_000
MAILTRAP_TEMPLATE_CAP = 200
CATEGORY_TAG = "category"
# convert's default (--escape preserve) writes {{x}} as {{{x}}}: two more characters per escaped mustache
PRESERVE_GROWTH = 2


def limit_findings(t: Template, escaped_in_subject: int = 0) -> list[Finding]:
    """Limits of one template. `escaped_in_subject` counts the subject's `{{x}}`, which conversion lengthens."""
    findings: list[Finding] = []
    findings += _ses_size(t)
    findings += _name(t)
    findings += _subject(t, escaped_in_subject)
    findings += _category(t)
    findings += _bodies(t)
    return findings


def _ses_size(t: Template) -> list[Finding]:
    size = sum(len(t.parts.get(part, "").encode("utf-8", "surrogatepass")) for part in ("html", "text"))
    if size <= SES_TEMPLATE_BYTES:
        return []
    message = (
        f"HTML and text parts total {size:,} bytes: SES refuses templates over 500 KB ({SES_TEMPLATE_BYTES:,} bytes), "
        "Mailtrap allows 10,000,000 characters per body: this template cannot exist in SES as is; shrink it"
    )
    return [finding(SES_SIZE_LIMIT.code, message, _main_path(t), template=t.name)]


def _name(t: Template) -> list[Finding]:
    if len(t.name) <= MAILTRAP_FIELD_CHARS:
        return []
    message = (
        f"name has {len(t.name)} characters: SES allows 64, Mailtrap at most {MAILTRAP_FIELD_CHARS} and rejects "
        "the upload (422): rename the template"
    )
    return [finding(NAME_TOO_LONG.code, message, t.source, template=t.name)]


def _subject(t: Template, escaped: int) -> list[Finding]:
    subject = t.parts.get("subject")
    if subject is None or not subject.strip():
        message = (
            "no subject part: SES sends the template with whatever subject the call gives, Mailtrap requires a "
            "subject to create a template (422): add a SubjectPart"
        )
        return [finding(NO_SUBJECT.code, message, t.source, template=t.name)]
    converted = len(subject) + PRESERVE_GROWTH * escaped
    if converted <= MAILTRAP_FIELD_CHARS:
        return []
    growth = f" ({converted} once convert writes {{{{{{x}}}}}})" if converted != len(subject) else ""
    message = (
        f"subject source has {len(subject)} characters{growth}: SES accepts it, Mailtrap stores at most "
        f"{MAILTRAP_FIELD_CHARS} and rejects the upload: shorten the subject's source"
    )
    return [
        finding(
            SUBJECT_TOO_LONG.code, message, t.part_paths.get("subject", t.source), 1, 1, template=t.name, part="subject"
        )
    ]


def _category(t: Template) -> list[Finding]:
    category = t.tags.get(CATEGORY_TAG)
    if category is None or len(category) <= MAILTRAP_FIELD_CHARS:
        return []
    message = (
        f"category tag has {len(category)} characters: SES keeps it as a tag, Mailtrap allows at most "
        f"{MAILTRAP_FIELD_CHARS} and rejects the upload: shorten the tag or pass --category"
    )
    return [finding(CATEGORY_TOO_LONG.code, message, t.source, template=t.name)]


def _bodies(t: Template) -> list[Finding]:
    findings: list[Finding] = []
    for part in ("html", "text"):
        body = t.parts.get(part)
        if body is None or len(body) <= MAILTRAP_BODY_CHARS:
            continue
        message = (
            f"{part} part has {len(body):,} characters: Mailtrap allows at most {MAILTRAP_BODY_CHARS:,} per body "
            "and rejects the upload: split or shrink it"
        )
        findings.append(
            finding(BODY_TOO_LONG.code, message, t.part_paths.get(part, t.source), template=t.name, part=part)
        )
    return findings


def set_findings(templates: list[Template]) -> list[Finding]:
    """Limits of the whole set: Mailtrap's per-account template cap."""
    if len(templates) <= MAILTRAP_TEMPLATE_CAP:
        return []
    message = (
        f"{len(templates)} templates: SES allows 20,000 per region, Mailtrap at most {MAILTRAP_TEMPLATE_CAP} per "
        "account and refuses more: convert all, then upload in batches to several accounts or retire unused ones"
    )
    return [finding(TOO_MANY_TEMPLATES.code, message, common_root(templates))]


def common_root(templates: list[Template]) -> Path:
    try:
        return Path(os.path.commonpath([str(t.source) for t in templates]))
    except ValueError:  # mixed absolute and relative paths, or different drives
        return templates[0].source


def _main_path(t: Template) -> Path:
    return t.part_paths.get("html") or t.part_paths.get("text") or t.source
