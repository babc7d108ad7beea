"""D1xx: every part rendered with every fixture by the SES renderer (pending: templating.render)."""

from __future__ import annotations

from templating.hbs.nodes import Program
from templating.model import Finding, PartName, Template


def fixture_findings(t: Template, programs: dict[PartName, Program]) -> list[Finding]:
    return []
