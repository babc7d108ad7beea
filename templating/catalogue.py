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


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

UNREADABLE_FILE = rule("L101", ERROR, "file cannot be read")
NOT_UTF8 = rule("L102", ERROR, "file is not UTF-8")
INVALID_JSON = rule("L103", ERROR, "file is not valid JSON")
NOT_A_TEMPLATE = rule("L104", ERROR, "JSON is not an SES template (v1, v2 or a list of them)")
EMPTY_TEMPLATE = rule("L105", ERROR, "file or template is empty")
INVALID_NAME = rule("L106", ERROR, "template name breaks SES's rule ^[A-Za-z0-9_-]{1,64}$")
DUPLICATE_NAME = rule("L107", ERROR, "two templates have the same name")
BAD_FIXTURE = rule("L108", ERROR, "fixture is not JSON, or not a JSON object")
ORPHAN_FIXTURE = rule("L109", WARNING, "fixture has no template")
NO_FIXTURE = rule("L110", INFO, "template has no fixture")

SYNTAX_ERROR = rule("P101", ERROR, "Handlebars syntax error")

# Appended by the loader/CLI work: more loading codes, and the X1xx family (internal errors: a bug in ses2mt, caught
# and reported for one template or file so that the rest of the batch still runs).
FOLDER_WITHOUT_HTML = rule("L111", ERROR, "folder has subject.hbs or text.hbs but no html.hbs")
UNKNOWN_KEY = rule("L112", WARNING, "unknown key in a template object (a misspelt part is silently lost)")
INTERNAL_ERROR = rule("X101", ERROR, "internal error in ses2mt (please report); the rest of the batch still ran")

# Appended by the compatibility checker (templating/rules/): language (C1xx), limits (M1xx) and fixture data (D1xx).
ESCAPED_MUSTACHE = rule("C101", WARNING, "{{x}} is not escaped by SES but is HTML-escaped by Mailtrap")
INLINE_PARTIAL = rule("C102", WARNING, "inline partial definition (Mailtrap has no partials; convert expands it)")
UNDEFINED_PARTIAL = rule("C103", ERROR, "partial used but not defined in this part")
EXPANDABLE_PARTIAL_BLOCK = rule(
    "C104", WARNING, "partial block calling an inline partial of this part (convert expands it)"
)
PARTIAL_BLOCK = rule("C105", ERROR, "partial block with no inline partial to expand")
DYNAMIC_PARTIAL = rule("C106", ERROR, "dynamic partial {{> (expr)}}")
DECORATOR = rule("C107", ERROR, "decorator other than an inline partial")
ELSE_CHAIN = rule("C108", WARNING, "{{else if}} chain (convert nests it)")
BLOCK_PARAMS = rule("C109", WARNING, "block parameters as |a b| (convert renames them)")
MUSTACHE_SECTION = rule("C110", WARNING, "mustache section {{#x}} (convert types it from the fixtures)")
INVERTED_SECTION = rule("C111", WARNING, "inverted section {{^x}} (convert writes #unless)")
RAW_BLOCK = rule("C112", ERROR, "raw block {{{{x}}}}")
UNKNOWN_HELPER = rule("C113", ERROR, "helper that neither SES nor Mailtrap has")
DATA_VARIABLE = rule(
    "C114", WARNING, "@data variable (@index, @first, @last, @key, @root) that Mailtrap does not document"
)
PARENT_PATH = rule("C115", WARNING, "../ parent path that Mailtrap does not document")
UNDOCUMENTED_BUILTIN = rule("C116", WARNING, "lookup or log helper that Mailtrap does not document")
SUBEXPRESSION = rule("C117", WARNING, "subexpression (helper ...) that Mailtrap does not document")
SES_UNSUBSCRIBE_URL = rule("C118", WARNING, "{{amazonSESUnsubscribeUrl}} is filled by SES only")
BUILTIN_MISUSE = rule("C119", ERROR, "built-in helper called with the wrong arguments or outside a block")
BUILTIN_HASH = rule("C120", ERROR, "hash argument on a built-in helper (includeZero=...)")
NO_SUBJECT = rule("C121", WARNING, "template has no subject, which Mailtrap requires")

SES_SIZE_LIMIT = rule("M101", ERROR, "template over SES's 500 KB limit (HTML and text together)")
NAME_TOO_LONG = rule("M102", ERROR, "name over Mailtrap's 255 characters")
SUBJECT_TOO_LONG = rule("M103", WARNING, "subject source over Mailtrap's 255 characters")
CATEGORY_TOO_LONG = rule("M104", ERROR, "category over Mailtrap's 255 characters")
BODY_TOO_LONG = rule("M105", ERROR, "body over Mailtrap's 10,000,000 characters")
TOO_MANY_TEMPLATES = rule("M106", WARNING, "more than 200 templates (Mailtrap's per-account cap)")

MISSING_ATTRIBUTE = rule("D101", ERROR, "printed variable missing from a fixture (SES drops the email)")
NULL_ATTRIBUTE = rule("D102", ERROR, "printed variable is null in a fixture (SES drops the email)")
MISSING_CONDITION = rule("D103", WARNING, "variable missing or null under #if/#unless/#each/#with or a section")
RENDER_ERROR = rule("D104", ERROR, "SES cannot render the part with a fixture")

# Appended by the converter (templating/rewrite/): rewrites done (R10x, info; each also listed in the report's
# "rewrites"), what cannot be converted exactly (R12x, error), escaping (R14x); and verification (V1xx).
UNESCAPED = rule("R101", INFO, "{{x}} rewritten to {{{x}}} so that Mailtrap prints what SES prints (--escape preserve)")
PARTIAL_EXPANDED = rule("R102", INFO, "inline partial call expanded in place")
PARTIAL_DEFINITION_REMOVED = rule("R103", INFO, "inline partial definition removed (with the whitespace SES strips)")
ELSE_CHAIN_NESTED = rule("R104", INFO, "{{else if}} chain rewritten as nested {{else}}{{#if}}...{{/if}}")
BLOCK_PARAMS_RENAMED = rule("R105", INFO, "block parameters replaced by this / @index / @key / ../ paths")
SECTION_TYPED = rule("R106", INFO, "mustache section rewritten as #each, #with or #if from the fixtures' values")
INVERTED_SECTION_REWRITTEN = rule("R107", INFO, "inverted section {{^x}} rewritten as #unless")
COMMENT_REWRITTEN = rule("R108", INFO, "comment holding }} rewritten so that every Handlebars parser reads it the same")
INVERSE_ELSE_REWRITTEN = rule("R109", INFO, "{{^}} else tag rewritten as {{else}}")
CUSTOM_HELPER = rule("R120", ERROR, "helper with no Mailtrap equivalent: cannot convert exactly")
DYNAMIC_PARTIAL_UNCONVERTIBLE = rule("R121", ERROR, "dynamic partial: cannot convert exactly")
RAW_BLOCK_UNCONVERTIBLE = rule("R122", ERROR, "raw block: cannot convert exactly")
DECORATOR_UNCONVERTIBLE = rule("R123", ERROR, "decorator: cannot convert exactly")
PARTIAL_BLOCK_UNCONVERTIBLE = rule("R124", ERROR, "partial block: cannot convert exactly")
PARTIAL_UNDEFINED = rule("R125", ERROR, "partial not defined in this part: SES rejects the template")
PARTIAL_RECURSIVE = rule("R126", ERROR, "recursive partial: cannot be expanded")
PARTIAL_ARGUMENT_UNCONVERTIBLE = rule("R127", ERROR, "partial argument or path with no exact form once expanded")
SECTION_TYPE_UNKNOWN = rule("R128", ERROR, "mustache section whose value no fixture provides: its type is unknown")
SECTION_TYPE_UNCONVERTIBLE = rule("R129", ERROR, "mustache section whose fixture values have no single exact rewrite")
BLOCK_PARAM_UNCONVERTIBLE = rule("R130", ERROR, "block parameter with no exact this / @index / @key / ../ form")
SUBEXPRESSION_UNCONVERTIBLE = rule("R131", ERROR, "subexpression: cannot convert exactly")
MARKUP_IN_ESCAPED_VARIABLE = rule(
    "R140", WARNING, "variable Mailtrap escapes holds markup in a fixture (--escape mailtrap)"
)

RENDER_MISMATCH = rule("V101", ERROR, "Mailtrap's render of the converted template differs from SES's render")
FIXTURE_SKIPPED = rule("V102", INFO, "fixture not verified: SES cannot render it (see the D1xx finding)")
MAILTRAP_RENDER_FAILED = rule("V103", ERROR, "the converted template cannot be rendered by the Mailtrap-dialect engine")
NOTHING_VERIFIED = rule("V104", WARNING, "template has no fixture SES can render: the conversion is not proven")

# Appended by the sources work (templating/sources/): templates defined in CloudFormation and Terraform files.
INFRA_SYNTAX_ERROR = rule("S101", ERROR, "CloudFormation or Terraform file that defines SES templates cannot be parsed")
UNRESOLVED_VALUE = rule(
    "S102", WARNING, "part depends on a parameter, resource or expression: checked with a marker for it"
)
MALFORMED_RESOURCE = rule("S103", ERROR, "SES template resource is malformed (missing or mistyped property)")
COMPUTED_NAME = rule("S104", ERROR, "template name is not a literal: the template cannot be identified")
UNREADABLE_PART_FILE = rule("S105", ERROR, 'file("...") part cannot be read (missing, outside SRC, or not UTF-8)')
STANDALONE_SHIFT = rule("R132", ERROR, "rewrite would change which lines are standalone (whitespace SES strips)")

# Appended by the MJML work (templating/sources/mjml.py): J1xx, a folder form's html.mjml compiled to HTML.
MJML_ERROR = rule("J101", ERROR, "html.mjml cannot be compiled by MJML")
MJML_MISSING = rule("J102", ERROR, "mjml-python is not installed: html.mjml cannot be compiled")
MJML_DROPPED_EXPRESSION = rule("J103", ERROR, "MJML dropped a Handlebars expression while compiling html.mjml")
LEADING_SUM = rule("R133", ERROR, "two values at the start of a block: SES adds numbers/booleans with JavaScript's +")
ESCAPING_SET_DIFFERS = rule("V105", WARNING, "--escape mailtrap: renders differ only in `=` (&#x3D; in handlebars.js)")
INDENTED_PARTIAL = rule("R134", ERROR, "indented standalone partial whose output indentation cannot be reproduced")

# Appended by the send-call translator (templating/send/): T1xx, SES send calls translated to Mailtrap send bodies.
TEMPLATE_NOT_IN_LOCK = rule("T101", ERROR, "the SES template of a send call is not in the lock file (no template_uuid)")
BAD_TEMPLATE_DATA = rule("T102", ERROR, "TemplateData is not a JSON object (SES rejects the call)")
NO_EQUIVALENT_FIELD = rule("T103", WARNING, "send-call field with no Mailtrap equivalent: reported and left out")
EXTRA_REPLY_TO = rule("T104", WARNING, "more than one reply-to address: Mailtrap takes one")
INLINE_TEMPLATE = rule("T105", ERROR, "inline TemplateContent: Mailtrap sends only stored templates")
CATEGORY_FROM_TEMPLATE = rule("T106", WARNING, "category tag differs from the template's category, which Mailtrap uses")
BAD_ADDRESS = rule("T107", ERROR, "address that is not one RFC 5322 mailbox, or a missing sender or recipient")
RAW_CONTENT = rule("T108", ERROR, "raw MIME content: Mailtrap's send API takes structured fields only")
UNKNOWN_FIELD = rule("T109", WARNING, "unknown field in a send call (misspelt? it is left out)")
SES_LIMIT = rule("T110", WARNING, "send call over an SES limit: SES would have refused it (translated anyway)")
MAILTRAP_LIMIT = rule("T111", ERROR, "send over a Mailtrap limit: Mailtrap would refuse it")
