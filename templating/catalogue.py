"""The catalogue of finding codes: one stable code per kind of finding, each documented in docs/rules.md.

Code families:
    L1xx  loading: files, JSON shapes, names, fixtures            (templating/loaders.py)
    P1xx  Handlebars syntax                                         (templating/hbs)
    C1xx  SES vs Mailtrap compatibility of the template language   (templating/rules.py)
    M1xx  size and count limits                                     (templating/rules.py)
    D1xx  fixture data against the template                         (templating/rules.py)
    R1xx  rewriting into Mailtrap's subset                          (templating/rewrite.py)
    V1xx  verification: SES render vs Mailtrap render               (templating/verify.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from templating.model import Finding, PartName, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str


RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, title: str) -> Rule:
    """Register a rule; codes are unique and never reused."""
    if code in RULES:
        raise ValueError(f"duplicate rule code {code}")
    RULES[code] = registered = Rule(code, severity, title)
    return registered


def finding(
    code: str,
    message: str,
    path: Path,
    line: int = 0,
    column: int = 0,
    *,
    template: str | None = None,
    part: PartName | None = None,
    fixture: str | None = None,
) -> Finding:
    """A Finding for a registered code, with the code's severity."""
    return Finding(code, RULES[code].severity, message, path, line, column, template, part, fixture)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

UNREADABLE_FILE = rule("L101", E, "file cannot be read")
NOT_UTF8 = rule("L102", E, "file is not UTF-8")
INVALID_JSON = rule("L103", E, "file is not valid JSON")
NOT_A_TEMPLATE = rule("L104", E, "JSON is not an SES template (v1, v2 or a list of them)")
EMPTY_TEMPLATE = rule("L105", E, "file or template is empty")
INVALID_NAME = rule("L106", E, "template name breaks SES's rule ^[A-Za-z0-9_-]{1,64}$")
DUPLICATE_NAME = rule("L107", E, "two templates have the same name")
BAD_FIXTURE = rule("L108", E, "fixture is not JSON, or not a JSON object")
ORPHAN_FIXTURE = rule("L109", W, "fixture has no template")
NO_FIXTURE = rule("L110", I, "template has no fixture")

SYNTAX_ERROR = rule("P101", E, "Handlebars syntax error")

# Appended by the loader/CLI work: more loading codes, and the X1xx family (internal errors: a bug in ses2mt, caught
# and reported for one template or file so that the rest of the batch still runs).
FOLDER_WITHOUT_HTML = rule("L111", E, "folder has subject.hbs or text.hbs but no html.hbs")
UNKNOWN_KEY = rule("L112", W, "unknown key in a template object (a misspelt part is silently lost)")
INTERNAL_ERROR = rule("X101", E, "internal error in ses2mt (please report); the rest of the batch still ran")
