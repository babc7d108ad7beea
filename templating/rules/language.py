"""C1xx: the SES-vs-Mailtrap compatibility rules over one part's AST, in a single pass.

`analyse_part` visits every statement and expression of a parsed part once. Partial uses are recorded and resolved
afterwards by `partial_findings`, because a partial's verdict can depend on the other parts of the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from templating.catalogue import (
    BLOCK_PARAMS,
    BUILTIN_HASH,
    BUILTIN_MISUSE,
    DATA_VARIABLE,
    DECORATOR,
    DYNAMIC_PARTIAL,
    ELSE_CHAIN,
    ESCAPED_MUSTACHE,
    EXPANDABLE_PARTIAL_BLOCK,
    INLINE_PARTIAL,
    INVERTED_SECTION,
    MUSTACHE_SECTION,
    PARENT_PATH,
    PARTIAL_BLOCK,
    RAW_BLOCK,
    SES_UNSUBSCRIBE_URL,
    SUBEXPRESSION,
    UNDEFINED_PARTIAL,
    UNDOCUMENTED_BUILTIN,
    UNKNOWN_HELPER,
    Rule,
    finding,
)
from templating.hbs.nodes import (
    BlockStatement,
    BooleanLiteral,
    DecoratorStatement,
    Expression,
    Hash,
    MustacheStatement,
    NullLiteral,
    NumberLiteral,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    RawBlock,
    Span,
    StringLiteral,
    SubExpression,
    UndefinedLiteral,
)
from templating.model import Finding, PartName

BLOCK_HELPERS = frozenset({"if", "unless", "each", "with"})
VALUE_HELPERS = frozenset({"lookup", "log"})
BUILTIN_HELPERS = BLOCK_HELPERS | VALUE_HELPERS
SES_UNSUBSCRIBE = "amazonSESUnsubscribeUrl"
PARTIAL_BLOCK_DATA = "partial-block"

LITERALS = (StringLiteral, NumberLiteral, BooleanLiteral, NullLiteral, UndefinedLiteral)


@dataclass(slots=True)
class PartialUse:
    """One `{{> name}}` or `{{#> name}}`. `in_scope` says whether an inline definition is visible at that point;
    `in_inline` marks uses inside an inline partial's body, whose scope is the caller's (resolved leniently)."""

    name: str
    span: Span
    block: bool
    in_scope: bool
    in_inline: bool


@dataclass(slots=True)
class PartAnalysis:
    part: PartName
    path: Path
    findings: list[Finding] = field(default_factory=list)
    definitions: dict[str, Span] = field(default_factory=dict)
    uses: list[PartialUse] = field(default_factory=list)


def helper_name(path: PathExpression | SubExpression | Expression) -> str | None:
    """The name a call would look up as a helper: a simple identifier (`foo`, not `this.foo`, `../foo`, `@foo`) or a
    literal (`{{"foo" x}}`). None for anything else."""
    if isinstance(path, PathExpression):
        if path.data or path.this_ or path.depth or len(path.parts) != 1:
            return None
        return path.parts[0]
    if isinstance(path, LITERALS):
        return str(getattr(path, "value", path.original))
    return None


def display_name(path: PathExpression | SubExpression | Expression) -> str:
    if isinstance(path, SubExpression):
        return "(" + display_name(path.path) + " …)"
    return str(getattr(path, "original", "?"))


def partial_name(name: PathExpression | Expression) -> str:
    if isinstance(name, StringLiteral):
        return name.value
    return str(getattr(name, "original", "?"))


def inline_name(block: BlockStatement) -> str | None:
    """The name of an `{{#* inline "name"}}` definition, None when the decorator is not a well-formed inline."""
    if not block.decorator or helper_name(block.path) != "inline" or block.hash is not None:
        return None
    if len(block.params) != 1 or not isinstance(block.params[0], StringLiteral):
        return None
    return block.params[0].value


_ESCAPE_MESSAGES: dict[str, str] = {}
_ESCAPE_CACHE_LIMIT = 20_000


def escaped_mustache_message(expression: str) -> str:
    """C101's message, shared between findings of the same expression (sets of thousands of templates repeat them)."""
    message = _ESCAPE_MESSAGES.get(expression)
    if message is None:
        message = (
            "SES inserts {{" + expression + "}} unescaped, Mailtrap HTML-escapes it: convert writes "
            "{{{" + expression + "}}} (--escape preserve) so the output stays SES's"
        )
        if len(_ESCAPE_MESSAGES) < _ESCAPE_CACHE_LIMIT:
            _ESCAPE_MESSAGES[expression] = message
    return message


class PartChecker:
    """Visits one part's AST once and collects C1xx findings and partial definitions/uses."""

    def __init__(self, template: str, part: PartName, path: Path) -> None:
        self.template = template
        self.analysis = PartAnalysis(part, path)
        self.scopes: list[set[str]] = []
        self.inline_depth = 0

    # ------------------------------------------------------------ plumbing

    def report(self, rule: Rule, message: str, span: Span, fallback: Span | None = None) -> None:
        if span.line == 0 and fallback is not None:
            span = fallback
        self.analysis.findings.append(
            finding(
                rule.code,
                message,
                self.analysis.path,
                span.line,
                span.column,
                template=self.template,
                part=self.analysis.part,
            )
        )

    def run(self, program: Program) -> PartAnalysis:
        self.program(program)
        return self.analysis

    def program(self, program: Program | None) -> None:
        if program is None:
            return
        visible: set[str] = set()
        for statement in program.body:
            if isinstance(statement, BlockStatement) and statement.decorator:
                name = inline_name(statement)
                if name is not None:
                    visible.add(name)
        self.scopes.append(visible)
        visitors = _STATEMENT_VISITORS
        for statement in program.body:
            visit = visitors.get(type(statement))
            if visit is not None:  # content and comments need nothing
                visit(self, statement)
        self.scopes.pop()

    def in_scope(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    # ------------------------------------------------------------ statements

    def mustache(self, node: MustacheStatement) -> None:
        name = helper_name(node.path)
        if node.escaped and not (name == "log" and (node.params or node.hash)):  # log prints nothing
            self.report(ESCAPED_MUSTACHE, escaped_mustache_message(_mustache_inner(node)), node.span)
        if node.params or node.hash is not None:
            self.call(name, node.path, len(node.params), node.hash, node.span, block=False)
        elif name in BLOCK_HELPERS or name == "lookup":
            self.report(BUILTIN_MISUSE, _misuse_message(name, 0, block=False), node.span)
        self.expression(node.path, node.span, as_callee=bool(node.params or node.hash))
        self.arguments(node.params, node.hash, node.span)

    def block(self, node: BlockStatement) -> None:
        if node.decorator:
            self.decorator_block(node)
            return
        span = node.open_span if node.open_span.line else node.span
        name = helper_name(node.path)
        if node.chained:
            self.report(ELSE_CHAIN, _else_chain_message(name or display_name(node.path)), span)
        if node.inverted:
            self.report(INVERTED_SECTION, _inverted_message(display_name(node.path)), span)
        has_arguments = bool(node.params) or node.hash is not None
        if has_arguments or name in BUILTIN_HELPERS:
            self.call(name, node.path, len(node.params), node.hash, span, block=True)
        elif not node.inverted:
            self.report(MUSTACHE_SECTION, _section_message(display_name(node.path)), span)
        if node.program is not None and node.program.block_params:
            self.report(BLOCK_PARAMS, _block_params_message(node.program.block_params), span)
        self.expression(node.path, span, as_callee=has_arguments)
        self.arguments(node.params, node.hash, span)
        self.program(node.program)
        self.program(node.inverse)

    def decorator_block(self, node: BlockStatement) -> None:
        span = node.open_span if node.open_span.line else node.span
        name = inline_name(node)
        if name is None:
            self.report(DECORATOR, _decorator_message(node), span)
        else:
            self.report(INLINE_PARTIAL, _inline_message(name), span)
            self.analysis.definitions.setdefault(name, span)
        self.inline_depth += 1
        self.program(node.program)
        self.inline_depth -= 1

    def decorator(self, node: DecoratorStatement) -> None:
        self.report(DECORATOR, _decorator_message(node), node.span)

    def partial(self, node: PartialStatement) -> None:
        self.partial_call(node.name, node.span, block=False)
        self.arguments(node.params, node.hash, node.span)

    def partial_block(self, node: PartialBlockStatement) -> None:
        span = node.open_span if node.open_span.line else node.span
        self.partial_call(node.name, span, block=True)
        self.arguments(node.params, node.hash, span)
        self.program(node.program)

    def partial_call(self, name_node: PathExpression | SubExpression | Expression, span: Span, block: bool) -> None:
        if isinstance(name_node, SubExpression):
            self.report(DYNAMIC_PARTIAL, _dynamic_partial_message(display_name(name_node)), span)
            return
        if isinstance(name_node, PathExpression) and name_node.data:
            if name_node.parts[:1] == [PARTIAL_BLOCK_DATA] and self.inline_depth:
                return
            self.report(UNDEFINED_PARTIAL, _partial_block_data_message(name_node.original), span)
            return
        name = partial_name(name_node)
        self.analysis.uses.append(PartialUse(name, span, block, self.in_scope(name), self.inline_depth > 0))

    def raw_block(self, node: RawBlock) -> None:
        span = node.open_span if node.open_span.line else node.span
        self.report(RAW_BLOCK, _raw_block_message(display_name(node.path)), span)

    # ------------------------------------------------------------ calls and expressions

    def call(
        self,
        name: str | None,
        path: PathExpression | SubExpression | Expression,
        arity: int,
        hash_: Hash | None,
        span: Span,
        block: bool,
    ) -> None:
        """A helper call `{{name args}}` / `{{#name args}}`: known built-ins are checked for arity, others fail."""
        if isinstance(path, SubExpression):
            return  # `{{(helper) x}}`: the subexpression itself is reported by `expression`
        if name not in BUILTIN_HELPERS:
            self.report(UNKNOWN_HELPER, _unknown_helper_message(name or display_name(path)), span)
            return
        if name in VALUE_HELPERS and not block:
            self.report(UNDOCUMENTED_BUILTIN, _undocumented_builtin_message(name), span)
        if _misused(name, arity, block):
            self.report(BUILTIN_MISUSE, _misuse_message(name, arity, block), span)
        if hash_ is not None and hash_.pairs and name != "log":
            self.report(BUILTIN_HASH, _builtin_hash_message(name, hash_), getattr(hash_, "span", span), span)

    def arguments(self, params: list[Expression], hash_: Hash | None, fallback: Span) -> None:
        for param in params:
            self.expression(param, fallback)
        if hash_ is not None:
            for pair in hash_.pairs:
                self.expression(pair.value, fallback)

    def expression(
        self, node: PathExpression | SubExpression | Expression, fallback: Span, as_callee: bool = False
    ) -> None:
        if isinstance(node, PathExpression):
            if not as_callee or helper_name(node) is None:
                self.path(node, fallback)
        elif isinstance(node, SubExpression):
            self.subexpression(node, fallback)

    def path(self, node: PathExpression, fallback: Span) -> None:
        if node.data:
            self.report(DATA_VARIABLE, _data_message(node.original), node.span, fallback)
        if node.depth:
            self.report(PARENT_PATH, _parent_message(node.original), node.span, fallback)
        if not node.data and node.parts and node.parts[-1] == SES_UNSUBSCRIBE:
            self.report(SES_UNSUBSCRIBE_URL, _unsubscribe_message(node.original), node.span, fallback)

    def subexpression(self, node: SubExpression, fallback: Span) -> None:
        span = node.span if node.span.line else fallback
        name = helper_name(node.path)
        if name in BUILTIN_HELPERS:
            self.report(SUBEXPRESSION, _subexpression_message(name), span)
        self.call(name, node.path, len(node.params), node.hash, span, block=False)
        self.expression(node.path, span, as_callee=True)
        self.arguments(node.params, node.hash, span)


_STATEMENT_VISITORS = {
    MustacheStatement: PartChecker.mustache,
    BlockStatement: PartChecker.block,
    PartialStatement: PartChecker.partial,
    PartialBlockStatement: PartChecker.partial_block,
    DecoratorStatement: PartChecker.decorator,
    RawBlock: PartChecker.raw_block,
}


def analyse_part(program: Program, template: str, part: PartName, path: Path) -> PartAnalysis:
    return PartChecker(template, part, path).run(program)


def partial_findings(analyses: list[PartAnalysis], template: str) -> list[Finding]:
    """C103/C104/C105 for every recorded partial use, once every part's inline definitions are known."""
    findings: list[Finding] = []
    for analysis in analyses:
        for use in analysis.uses:
            rule, message = _partial_verdict(use, analysis, analyses)
            if rule is None:
                continue
            findings.append(
                finding(
                    rule.code,
                    message,
                    analysis.path,
                    use.span.line,
                    use.span.column,
                    template=template,
                    part=analysis.part,
                )
            )
    return findings


def _partial_verdict(use: PartialUse, analysis: PartAnalysis, analyses: list[PartAnalysis]) -> tuple[Rule | None, str]:
    defined_here = use.name in analysis.definitions
    visible = use.in_scope or (use.in_inline and defined_here)
    if visible:
        if use.block:
            return EXPANDABLE_PARTIAL_BLOCK, _expandable_block_message(use.name)
        return None, ""
    elsewhere = [other.part for other in analyses if other is not analysis and use.name in other.definitions]
    if defined_here:
        reason = _out_of_scope_reason(use.name, analysis.definitions[use.name])
    elif elsewhere:
        reason = _other_part_reason(use.name, elsewhere, analysis.part)
    else:
        reason = _undefined_reason(use.name, analysis.part)
    if use.block:
        return PARTIAL_BLOCK, _partial_block_message(use.name, reason)
    return UNDEFINED_PARTIAL, _undefined_partial_message(use.name, reason)


def _mustache_inner(node: MustacheStatement) -> str:
    """The expression text of `{{ expr }}` as written, without the braces and `~`."""
    raw = node.raw
    if raw is None:
        return display_name(node.path)
    inner = raw[2:-2] if raw.startswith("{{") and raw.endswith("}}") else raw
    return inner.strip("~").strip()


def _misused(name: str, arity: int, block: bool) -> bool:
    if name in BLOCK_HELPERS:
        return not block or arity != 1
    if name == "lookup":
        return block or arity != 2
    return block  # log as a block


# ---------------------------------------------------------------- messages (what SES does; Mailtrap; what to do)


def _else_chain_message(helper: str) -> str:
    return (
        "{{else " + helper + " …}} chain: SES (Handlebars) runs it, Mailtrap does not document it and pybars3 "
        "mis-renders it: convert nests it as {{else}}{{#" + helper + " …}}…{{/" + helper + "}}"
    )


def _inverted_message(name: str) -> str:
    return (
        "inverted section {{^" + name + "}}: SES renders it when " + name + " is falsy or an empty list, Mailtrap "
        "does not document it: convert writes {{#unless " + name + "}}"
    )


def _section_message(name: str) -> str:
    return (
        "mustache section {{#" + name + "}}: SES loops over a list, enters an object, else acts as #if; Mailtrap "
        "documents only #each/#with/#if: convert picks one from " + name + "'s type in the fixtures (so set it there)"
    )


def _block_params_message(params: list[str]) -> str:
    return (
        "block params as |" + " ".join(params) + "|: SES (Handlebars) supports them, Mailtrap does not document "
        "them and pybars3 cannot parse them: convert rewrites them to this/@index/@key"
    )


def _inline_message(name: str) -> str:
    return (
        f'inline partial "{name}": SES renders its calls, Mailtrap has no partials: convert expands every call '
        "and removes the definition"
    )


def _decorator_message(node: object) -> str:
    name = display_name(getattr(node, "path", node))
    if name == "inline":
        return (
            'inline partial without a quoted name: SES needs {{#* inline "name"}}, Mailtrap has no partials: '
            "quote the name"
        )
    return (
        f"decorator '{name}': SES documents only inline partials, Mailtrap has no decorators: remove it "
        '(an inline partial is {{#* inline "name"}}…{{/inline}})'
    )


def _dynamic_partial_message(expression: str) -> str:
    return (
        f"dynamic partial {{{{> {expression}}}}}: SES picks the partial at render time, Mailtrap has no partials: "
        "replace it with #if branches calling fixed inline partials"
    )


def _partial_block_data_message(original: str) -> str:
    return (
        f"{{{{> {original}}}}} outside an inline partial: SES fails to render it, Mailtrap has no partials: remove it"
    )


def _raw_block_message(name: str) -> str:
    return (
        f"raw block {{{{{{{{{name}}}}}}}}}: SES has no '{name}' helper and fails, Mailtrap has no raw blocks: "
        "write the literal text with \\{{ escapes instead"
    )


def _unknown_helper_message(name: str) -> str:
    return (
        f"helper '{name}': SES cannot register helpers and fails to render, Mailtrap has no custom helpers either: "
        "compute the value into the template data instead"
    )


def _undocumented_builtin_message(name: str) -> str:
    return (
        f"'{name}' helper: built into SES's Handlebars, not documented by Mailtrap: convert keeps it and verify "
        "proves the output per fixture"
    )


def _misuse_message(name: str, arity: int, block: bool) -> str:
    if name in BLOCK_HELPERS and not block:
        return (
            f"'{name}' used as {{{{{name} …}}}}, not as a block: Handlebars (SES) throws, Mailtrap has no "
            f"equivalent: write {{{{#{name} x}}}}…{{{{/{name}}}}}"
        )
    if name in VALUE_HELPERS and block:
        return (
            f"'{name}' used as a block: Handlebars (SES) ignores the block's content, Mailtrap's engine rejects it: "
            f"write {{{{{name} …}}}} without a block"
        )
    expected = "two arguments" if name == "lookup" else "exactly one argument"
    form = "block" if block else "call"
    return (
        f"'{name}' {form} with {arity} argument(s): Handlebars (SES) needs {expected} and fails to render, "
        "Mailtrap cannot render it either: fix the call"
    )


def _builtin_hash_message(name: str, hash_: Hash) -> str:
    keys = ", ".join(pair.key + "=" for pair in hash_.pairs)
    return (
        f"hash argument {keys} on '{name}': SES (Handlebars) honours it, Mailtrap does not document it and pybars3 "
        "rejects it: remove it, or compute the condition into the data"
    )


def _data_message(original: str) -> str:
    return (
        f"{original}: SES (Handlebars) provides it, Mailtrap does not document @data variables: convert keeps it "
        "and verify proves the output per fixture"
    )


def _parent_message(original: str) -> str:
    return (
        f"{original}: SES (Handlebars) reads the enclosing context, Mailtrap does not document ../ paths: convert "
        "keeps it and verify proves the output per fixture"
    )


def _unsubscribe_message(original: str) -> str:
    return (
        f"{original}: SES fills it only when the send sets ListManagementOptions, Mailtrap has no such variable: "
        "pass your unsubscribe URL in the template data, or use Mailtrap's own unsubscribe handling and remove it"
    )


def _subexpression_message(name: str) -> str:
    return (
        f"subexpression ({name} …): SES (Handlebars) evaluates it, Mailtrap does not document subexpressions: "
        "convert keeps it and verify proves the output per fixture"
    )


def _expandable_block_message(name: str) -> str:
    return (
        f"partial block {{{{#> {name}}}}}: SES renders inline partial '{name}' with this block as @partial-block, "
        "Mailtrap has no partials: convert expands it"
    )


def _out_of_scope_reason(name: str, defined_at: Span) -> str:
    return (
        f"'{name}' is defined at line {defined_at.line} inside another block, and an inline partial is visible only "
        "inside the block that defines it"
    )


def _other_part_reason(name: str, parts: list[PartName], part: PartName) -> str:
    where = " and ".join(parts)
    return f"'{name}' is defined only in the {where} part, and SES partials do not cross parts (define it in {part})"


def _undefined_reason(name: str, part: PartName) -> str:
    return f"'{name}' is not defined in the {part} part"


def _undefined_partial_message(name: str, reason: str) -> str:
    return (
        f"partial {{{{> {name}}}}}: {reason}; SES rejects the template (InvalidTemplate) or fails to render it, "
        f'Mailtrap has no partials: define it with {{{{#* inline "{name}"}}}} at the top of this part'
    )


def _partial_block_message(name: str, reason: str) -> str:
    return (
        f"partial block {{{{#> {name}}}}}: {reason}; SES may reject it or render only the block, Mailtrap has no "
        f'partials: define {{{{#* inline "{name}"}}}} in this part, or replace the block by its content'
    )
