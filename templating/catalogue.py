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

# Appended by the compatibility checker (templating/rules/): language (C1xx), limits (M1xx) and fixture data (D1xx).
ESCAPED_MUSTACHE = rule("C101", W, "{{x}} is not escaped by SES but is HTML-escaped by Mailtrap")
INLINE_PARTIAL = rule("C102", W, "inline partial definition (Mailtrap has no partials; convert expands it)")
UNDEFINED_PARTIAL = rule("C103", E, "partial used but not defined in this part")
EXPANDABLE_PARTIAL_BLOCK = rule("C104", W, "partial block calling an inline partial of this part (convert expands it)")
PARTIAL_BLOCK = rule("C105", E, "partial block with no inline partial to expand")
DYNAMIC_PARTIAL = rule("C106", E, "dynamic partial {{> (expr)}}")
DECORATOR = rule("C107", E, "decorator other than an inline partial")
ELSE_CHAIN = rule("C108", W, "{{else if}} chain (convert nests it)")
BLOCK_PARAMS = rule("C109", W, "block parameters as |a b| (convert renames them)")
MUSTACHE_SECTION = rule("C110", W, "mustache section {{#x}} (convert types it from the fixtures)")
INVERTED_SECTION = rule("C111", W, "inverted section {{^x}} (convert writes #unless)")
RAW_BLOCK = rule("C112", E, "raw block {{{{x}}}}")
UNKNOWN_HELPER = rule("C113", E, "helper that neither SES nor Mailtrap has")
DATA_VARIABLE = rule("C114", W, "@data variable (@index, @first, @last, @key, @root) that Mailtrap does not document")
PARENT_PATH = rule("C115", W, "../ parent path that Mailtrap does not document")
UNDOCUMENTED_BUILTIN = rule("C116", W, "lookup or log helper that Mailtrap does not document")
SUBEXPRESSION = rule("C117", W, "subexpression (helper ...) that Mailtrap does not document")
SES_UNSUBSCRIBE_URL = rule("C118", W, "{{amazonSESUnsubscribeUrl}} is filled by SES only")
BUILTIN_MISUSE = rule("C119", E, "built-in helper called with the wrong arguments or outside a block")
BUILTIN_HASH = rule("C120", E, "hash argument on a built-in helper (includeZero=...)")
NO_SUBJECT = rule("C121", W, "template has no subject, which Mailtrap requires")

SES_SIZE_LIMIT = rule("M101", E, "template over SES's 500 KB limit (HTML and text together)")
NAME_TOO_LONG = rule("M102", E, "name over Mailtrap's 255 characters")
SUBJECT_TOO_LONG = rule("M103", W, "subject source over Mailtrap's 255 characters")
CATEGORY_TOO_LONG = rule("M104", E, "category over Mailtrap's 255 characters")
BODY_TOO_LONG = rule("M105", E, "body over Mailtrap's 10,000,000 characters")
TOO_MANY_TEMPLATES = rule("M106", W, "more than 200 templates (Mailtrap's per-account cap)")

MISSING_ATTRIBUTE = rule("D101", E, "printed variable missing from a fixture (SES drops the email)")
NULL_ATTRIBUTE = rule("D102", E, "printed variable is null in a fixture (SES drops the email)")
MISSING_CONDITION = rule("D103", W, "variable missing or null under #if/#unless/#each/#with or a section")
RENDER_ERROR = rule("D104", E, "SES cannot render the part with a fixture")

# Appended by the converter (templating/rewrite/): rewrites done (R10x, info; each also listed in the report's
# "rewrites"), what cannot be converted exactly (R12x, error), escaping (R14x); and verification (V1xx).
UNESCAPED = rule("R101", I, "{{x}} rewritten to {{{x}}} so that Mailtrap prints what SES prints (--escape preserve)")
PARTIAL_EXPANDED = rule("R102", I, "inline partial call expanded in place")
PARTIAL_DEFINITION_REMOVED = rule("R103", I, "inline partial definition removed (with the whitespace SES strips)")
ELSE_CHAIN_NESTED = rule("R104", I, "{{else if}} chain rewritten as nested {{else}}{{#if}}...{{/if}}")
BLOCK_PARAMS_RENAMED = rule("R105", I, "block parameters replaced by this / @index / @key / ../ paths")
SECTION_TYPED = rule("R106", I, "mustache section rewritten as #each, #with or #if from the fixtures' values")
INVERTED_SECTION_REWRITTEN = rule("R107", I, "inverted section {{^x}} rewritten as #unless")
COMMENT_REWRITTEN = rule("R108", I, "comment holding }} rewritten so that every Handlebars parser reads it the same")
INVERSE_ELSE_REWRITTEN = rule("R109", I, "{{^}} else tag rewritten as {{else}}")
CUSTOM_HELPER = rule("R120", E, "helper with no Mailtrap equivalent: cannot convert exactly")
DYNAMIC_PARTIAL_UNCONVERTIBLE = rule("R121", E, "dynamic partial: cannot convert exactly")
RAW_BLOCK_UNCONVERTIBLE = rule("R122", E, "raw block: cannot convert exactly")
DECORATOR_UNCONVERTIBLE = rule("R123", E, "decorator: cannot convert exactly")
PARTIAL_BLOCK_UNCONVERTIBLE = rule("R124", E, "partial block: cannot convert exactly")
PARTIAL_UNDEFINED = rule("R125", E, "partial not defined in this part: SES rejects the template")
PARTIAL_RECURSIVE = rule("R126", E, "recursive partial: cannot be expanded")
PARTIAL_ARGUMENT_UNCONVERTIBLE = rule("R127", E, "partial argument or path with no exact form once expanded")
SECTION_TYPE_UNKNOWN = rule("R128", E, "mustache section whose value no fixture provides: its type is unknown")
SECTION_TYPE_UNCONVERTIBLE = rule("R129", E, "mustache section whose fixture values have no single exact rewrite")
BLOCK_PARAM_UNCONVERTIBLE = rule("R130", E, "block parameter with no exact this / @index / @key / ../ form")
SUBEXPRESSION_UNCONVERTIBLE = rule("R131", E, "subexpression: cannot convert exactly")
MARKUP_IN_ESCAPED_VARIABLE = rule("R140", W, "variable Mailtrap escapes holds markup in a fixture (--escape mailtrap)")

RENDER_MISMATCH = rule("V101", E, "Mailtrap's render of the converted template differs from SES's render")
FIXTURE_SKIPPED = rule("V102", I, "fixture not verified: SES cannot render it (see the D1xx finding)")
MAILTRAP_RENDER_FAILED = rule("V103", E, "the converted template cannot be rendered by the Mailtrap-dialect engine")
NOTHING_VERIFIED = rule("V104", W, "template has no fixture SES can render: the conversion is not proven")

# Appended by the sources work (templating/sources/): templates defined in CloudFormation and Terraform files.
INFRA_SYNTAX_ERROR = rule("S101", E, "CloudFormation or Terraform file that defines SES templates cannot be parsed")
UNRESOLVED_VALUE = rule("S102", W, "part depends on a parameter, resource or expression: checked with a marker for it")
MALFORMED_RESOURCE = rule("S103", E, "SES template resource is malformed (missing or mistyped property)")
COMPUTED_NAME = rule("S104", E, "template name is not a literal: the template cannot be identified")
UNREADABLE_PART_FILE = rule("S105", E, 'file("...") part cannot be read (missing, outside SRC, or not UTF-8)')
STANDALONE_SHIFT = rule("R132", E, "rewrite would change which lines are standalone (whitespace SES strips)")

# Appended by the MJML work (templating/sources/mjml.py): J1xx, a folder form's html.mjml compiled to HTML.
MJML_ERROR = rule("J101", E, "html.mjml cannot be compiled by MJML")
MJML_MISSING = rule("J102", E, "mjml-python is not installed: html.mjml cannot be compiled")
MJML_DROPPED_EXPRESSION = rule("J103", E, "MJML dropped a Handlebars expression while compiling html.mjml")
LEADING_SUM = rule("R133", E, "two values at the start of a block: SES adds numbers/booleans with JavaScript's +")
ESCAPING_SET_DIFFERS = rule("V105", W, "--escape mailtrap: renders differ only in `=` (&#x3D; in handlebars.js)")
INDENTED_PARTIAL = rule("R134", E, "indented standalone partial whose output indentation cannot be reproduced")

# Appended by the send-call translator (templating/send/): T1xx, SES send calls translated to Mailtrap send bodies.
TEMPLATE_NOT_IN_LOCK = rule("T101", E, "the SES template of a send call is not in the lock file (no template_uuid)")
BAD_TEMPLATE_DATA = rule("T102", E, "TemplateData is not a JSON object (SES rejects the call)")
NO_EQUIVALENT_FIELD = rule("T103", W, "send-call field with no Mailtrap equivalent: reported and left out")
EXTRA_REPLY_TO = rule("T104", W, "more than one reply-to address: Mailtrap takes one")
INLINE_TEMPLATE = rule("T105", E, "inline TemplateContent: Mailtrap sends only stored templates")
CATEGORY_FROM_TEMPLATE = rule("T106", W, "category tag differs from the template's category, which Mailtrap uses")
BAD_ADDRESS = rule("T107", E, "address that is not one RFC 5322 mailbox, or a missing sender or recipient")
RAW_CONTENT = rule("T108", E, "raw MIME content: Mailtrap's send API takes structured fields only")
UNKNOWN_FIELD = rule("T109", W, "unknown field in a send call (misspelt? it is left out)")
