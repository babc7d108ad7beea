"""The proof: for every fixture and part, SES's render of the ORIGINAL equals Mailtrap's render of the CONVERTED part.

SES side: our own Handlebars engine (templating.render), no escaping, SES's missing-attribute rule. Mailtrap side:
pybars3 through templating.mailtrap_render. Two independent engines, so a rewrite bug cannot hide behind shared code.
With `--escape mailtrap` the SES side renders with standard escaping on (the escaping difference is intended and
reported by R140); everything else must still match byte for byte.

A fixture SES cannot render (a printed attribute missing or null: SES drops such an email) is skipped with a V102
info; the D1xx finding from the checker says why.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from templating.catalogue import finding
from templating.hbs.errors import TemplateSyntaxError
from templating.mailtrap_render import MailtrapRenderError, render_mailtrap
from templating.model import PART_NAMES, Finding, PartName
from templating.render import RenderError, compile_template
from templating.rewrite import Conversion

DIFF_CONTEXT_LINES = 2
DIFF_MAX_LINES = 16


@dataclass(slots=True)
class Verification:
    """What was proven: (fixture, part) pairs that matched, and the findings (V1xx)."""

    matched: list[tuple[str, PartName]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def verified_fixtures(self) -> set[str]:
        return {fixture for fixture, _part in self.matched}


def render_ses(source: str, data: Mapping[str, Any], escape: bool = False) -> str:
    """The original part as SES renders it (raises RenderError, TemplateSyntaxError)."""
    return compile_template(source).render(data, escape=escape, strict=True)


def verify_conversion(conversion: Conversion) -> Verification:
    template = conversion.template
    result = Verification()
    escape = conversion.escape == "mailtrap"
    for fixture_name in sorted(template.fixtures):
        data = template.fixtures[fixture_name].data
        expected = _ses_renders(conversion, data, escape)
        if isinstance(expected, str):
            message = f"fixture {fixture_name!r} not verified: SES cannot render it ({expected})"
            result.findings.append(
                finding("V102", message, template.source, template=template.name, fixture=fixture_name)
            )
            continue
        for part, want in expected.items():
            got = _mailtrap_render(conversion, part, data, fixture_name, result)
            if got is None:
                continue
            if got == want:
                result.matched.append((fixture_name, part))
            elif escape and want.replace("&#x3D;", "=") == got:
                result.matched.append((fixture_name, part))
                result.findings.append(escaping_set_finding(conversion, part, fixture_name))
            else:
                result.findings.append(mismatch_finding(conversion, part, fixture_name, want, got))
    if template.fixtures and not result.matched and not any(f.code in ("V101", "V103") for f in result.findings):
        message = "no fixture could be rendered by SES, so nothing is proven: add a fixture with every attribute"
        result.findings.append(finding("V104", message, template.source, template=template.name))
    elif not template.fixtures:
        message = "the template has no fixture, so the conversion is not proven: add one (see docs/convert.md)"
        result.findings.append(finding("V104", message, template.source, template=template.name))
    return result


def _ses_renders(conversion: Conversion, data: Mapping[str, Any], escape: bool) -> dict[PartName, str] | str:
    """Every converted part's SES render, or the reason SES cannot render this fixture (it drops the email)."""
    renders: dict[PartName, str] = {}
    for part in PART_NAMES:
        if part not in conversion.parts:
            continue
        try:
            renders[part] = render_ses(conversion.template.parts[part], data, escape)
        except (RenderError, TemplateSyntaxError) as error:
            return f"{part}: {getattr(error, 'message', str(error))}"
    return renders


def _mailtrap_render(
    conversion: Conversion, part: PartName, data: Mapping[str, Any], fixture: str, result: Verification
) -> str | None:
    try:
        return render_mailtrap(conversion.parts[part], data)
    except MailtrapRenderError as error:
        template = conversion.template
        path = template.part_paths.get(part, template.source)
        result.findings.append(finding("V103", str(error), path, template=template.name, part=part, fixture=fixture))
        return None


def mismatch_finding(conversion: Conversion, part: PartName, fixture: str, want: str, got: str) -> Finding:
    template = conversion.template
    path = template.part_paths.get(part, template.source)
    offset = first_difference(want, got)
    line = want.count("\n", 0, offset) + 1
    column = offset - (want.rfind("\n", 0, offset) + 1) + 1
    message = (
        f"fixture {fixture!r}, part {part}: Mailtrap's render differs from SES's at output line {line}, column "
        f"{column}:\n{diff_excerpt(want, got)}"
    )
    return finding("V101", message, path, template=template.name, part=part, fixture=fixture)


def escaping_set_finding(conversion: Conversion, part: PartName, fixture: str) -> Finding:
    template = conversion.template
    message = (
        f"fixture {fixture!r}, part {part}: the renders differ only in `=`, which handlebars.js 4.7.8 escapes as "
        "&#x3D; and pybars3 leaves alone; Mailtrap's escaping set is undocumented (--escape preserve avoids this)"
    )
    path = template.part_paths.get(part, template.source)
    return finding("V105", message, path, template=template.name, part=part, fixture=fixture)


def first_difference(left: str, right: str) -> int:
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return index
    return min(len(left), len(right))


def diff_excerpt(want: str, got: str) -> str:
    """The first hunk of a unified diff (SES's render vs Mailtrap's), line endings shown."""
    lines = list(
        difflib.unified_diff(
            [repr(line)[1:-1] + "\n" for line in want.splitlines(keepends=True)],
            [repr(line)[1:-1] + "\n" for line in got.splitlines(keepends=True)],
            fromfile="ses",
            tofile="mailtrap",
            n=DIFF_CONTEXT_LINES,
        )
    )
    hunk: list[str] = []
    for line in lines:
        if line.startswith("@@") and any(h.startswith("@@") for h in hunk):
            break
        hunk.append(line.rstrip("\n"))
    if len(hunk) > DIFF_MAX_LINES:
        hunk = [*hunk[:DIFF_MAX_LINES], "..."]
    return "\n".join(hunk)
