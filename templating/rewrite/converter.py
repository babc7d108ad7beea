"""Convert one part: walk the original AST and splice replacement text into the original source.

Only the statements a rewrite touches get new text; everything else is copied from the source byte for byte. Each
rewrite is recorded; each construct with no exact equivalent becomes an R-code problem at its location (the original
text is kept so that the walk can report every problem of the part).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from templating.hbs import parse
from templating.hbs.errors import TemplateSyntaxError
from templating.hbs.nodes import (
    BlockStatement,
    BooleanLiteral,
    CommentStatement,
    ContentStatement,
    DecoratorStatement,
    MustacheStatement,
    NullLiteral,
    NumberLiteral,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    RawBlock,
    Span,
    Statement,
    StringLiteral,
    Strip,
    SubExpression,
    UndefinedLiteral,
)
from templating.render.jsvalues import escape_expression, output_string

from .layout import (
    LEFT_STANDALONE,
    LEFT_TILDE,
    RIGHT_STANDALONE,
    RIGHT_TILDE,
    indent_lines,
    is_next_whitespace,
    is_prev_whitespace,
    line_end,
    line_indent,
    replacement_moves_standalone,
)
from .scope import (
    Binding,
    EachSecondParam,
    Env,
    Frame,
    LiteralValue,
    Ref,
    Unconvertible,
    root_env,
)
from .values import describe, value_kind, values_at

EscapePolicy = Literal["preserve", "mailtrap"]
BUILTIN_BLOCKS = ("if", "unless", "each", "with")
MARKUP = re.compile(r"[<>&\"']")
SECTION_HELPERS = {"array": "each", "bool": "if", "context": "with"}
MAX_AFTER = 400


@dataclass(slots=True)
class Change:
    code: str
    span: Span
    before: str
    after: str


@dataclass(slots=True)
class Problem:
    code: str
    message: str
    span: Span
    fixture: str | None = None


@dataclass(slots=True)
class PartialDefinition:
    node: BlockStatement
    open_standalone: bool
    close_standalone: bool


@dataclass(slots=True)
class Replacement:
    start: int
    end: int
    text: str


@dataclass
class PartConverter:
    """Converts the source of one part. `fixtures` are (name, data) pairs used to type sections."""

    source: str
    part: str
    fixtures: Sequence[tuple[str, Mapping[str, Any]]]
    escape: EscapePolicy = "preserve"
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warned: set[str] = field(default_factory=set)
    text: str = ""

    def convert(self, program: Program) -> str:
        self.text = self.emit_body(program.body, 0, len(self.source), root_env({}))
        return self.text

    # ------------------------------------------------------------------------------------------ bodies

    def emit_body(self, body: list[Statement], start: int, end: int, env: Env) -> str:
        definitions = self.collect_definitions(body, env.is_root)
        if definitions:
            env = replace(env, partials={**env.partials, **definitions})
        replacements: list[Replacement] = []
        self.check_leading_sum(body, env)
        for index in range(len(body)):
            replacement = self.emit_statement(body, index, env)
            if replacement is not None:
                replacements.append(replacement)
        return self.splice(replacements, start, end)

    def check_leading_sum(self, body: list[Statement], env: Env) -> None:
        """handlebars.js quirk: a program that starts with values (no text between) joins them with JavaScript's
        `+` when escaping is off, so 1 and 2 print "3" and true and 1 print "2"; a block whose output is such a value
        joins in too. SES renders that way; nothing says Mailtrap does (pybars3 prints "12"), and an expanded
        partial (a string in SES) would join such a run once inlined. Reported when the fixtures allow it."""
        if self.escape == "mailtrap":
            return
        run = self.leading_values(body, env, 0)
        if len(run) >= 2:
            second = run[1]
            raw = getattr(second, "raw", None) or getattr(second, "open_raw", None) or ""
            self.problems.append(
                Problem(
                    "R133",
                    f"{raw}: it directly follows another value at the start of a block; when both are numbers or "
                    'booleans SES prints their sum (handlebars.js adds them: 1 and 2 print "3"), which Mailtrap need '
                    "not do: put text between them",
                    statement_span(second),
                )
            )

    def leading_values(self, body: list[Statement], env: Env, depth: int) -> list[Statement]:
        """The statements at the start of `body` whose output may be a number or boolean, up to the first that
        surely prints a string (partial calls count by their expanded body, as in the converted template)."""
        run: list[Statement] = []
        for statement in body:
            if isinstance(statement, CommentStatement) or inline_name(statement) is not None:
                continue
            if isinstance(statement, ContentStatement) and not statement.value:
                continue
            if isinstance(statement, MustacheStatement) and self.may_be_non_string(statement, env):
                run.append(statement)
                continue
            if isinstance(statement, BlockStatement) and depth < 8 and self.block_may_yield_value(statement, env):
                run.append(statement)
                continue
            if isinstance(statement, PartialStatement) and depth < 8:
                definition = self.partial_definition(statement, env)
                program = definition.node.program if definition else None
                if program is not None and self.leading_values(program.body, env, depth + 1):
                    run.append(statement)
            break
        return run

    def block_may_yield_value(self, block: BlockStatement, env: Env) -> bool:
        name = block.path.original if isinstance(block.path, PathExpression) else ""
        if name == "each" or block.inverted:
            return False
        for program in (block.program, block.inverse):
            if program is None or program.chained:
                continue
            items = [
                statement
                for statement in program.body
                if not isinstance(statement, CommentStatement)
                and not (isinstance(statement, ContentStatement) and not statement.value)
            ]
            if items and len(self.leading_values(items, env, 1)) == len(items):
                return True
        return False

    def partial_definition(self, call: PartialStatement | PartialBlockStatement, env: Env) -> PartialDefinition | None:
        try:
            return env.partials.get(partial_name(call))
        except Unconvertible:
            return None

    def may_be_non_string(self, node: MustacheStatement, env: Env) -> bool:
        if node.params or not isinstance(node.path, PathExpression):
            return True
        try:
            binding, _ = self.resolve(node.path, env)
        except Unconvertible:
            return False
        if isinstance(binding, LiteralValue):
            return not isinstance(binding.value, str)
        if binding.kind == "data":
            return binding.parts[:1] != ("key",)
        if binding.pattern is None:
            return True
        return any(isinstance(sample.value, bool | int | float) for sample in values_at(self.fixtures, binding.pattern))

    def splice(self, replacements: list[Replacement], start: int, end: int) -> str:
        out: list[str] = []
        position = start
        for item in replacements:
            item_start = min(max(item.start, position), end)
            out.append(self.source[position:item_start])
            out.append(item.text)
            position = max(position, min(item.end, end))
        out.append(self.source[position:end])
        return "".join(out)

    def collect_definitions(self, body: list[Statement], is_root: bool) -> dict[str, PartialDefinition]:
        found: dict[str, PartialDefinition] = {}
        for index, statement in enumerate(body):
            name = inline_name(statement)
            if name is None:
                continue
            assert isinstance(statement, BlockStatement)
            program_body = statement.program.body if statement.program else []
            open_standalone = is_next_whitespace(program_body, None, False) and is_prev_whitespace(body, index, is_root)
            close_standalone = is_prev_whitespace(program_body, None, False) and is_next_whitespace(
                body, index, is_root
            )
            found[name] = PartialDefinition(statement, open_standalone, close_standalone)
        return found

    def emit_statement(self, body: list[Statement], index: int, env: Env) -> Replacement | None:
        statement = body[index]
        try:
            if isinstance(statement, ContentStatement):
                return None
            if isinstance(statement, CommentStatement):
                return self.emit_comment(statement)
            if isinstance(statement, MustacheStatement):
                return self.emit_mustache(statement, env, body, index)
            if isinstance(statement, BlockStatement):
                if statement.decorator:
                    return self.remove_definition(body, index, env)
                text, end = self.block_text(statement, env, body, index)
                if end == statement.span.end and text == self.slice(statement.span):
                    return None
                return Replacement(statement.span.start, end, text)
            if isinstance(statement, PartialStatement):
                return self.expand_partial(body, index, env)
            if isinstance(statement, PartialBlockStatement):
                return self.expand_partial_block(body, index, env)
            if isinstance(statement, RawBlock):
                raise Unconvertible("R122", "raw block {{{{...}}}}: Mailtrap has no raw blocks and no exact rewrite")
            if isinstance(statement, DecoratorStatement):
                raise Unconvertible("R123", "decorator {{* ...}}: Mailtrap has no decorators")
        except Unconvertible as problem:
            self.problems.append(Problem(problem.code, problem.message, statement_span(statement)))
        return None

    # ------------------------------------------------------------------------------------------ simple statements

    def emit_comment(self, comment: CommentStatement) -> Replacement | None:
        raw = comment.raw or self.source[comment.span.start : comment.span.end]
        if "{{" not in comment.value and "}}" not in comment.value:
            return None
        fixed = comment.value.replace("{{", "{ {").replace("}}", "} }")
        inner_start = raw.find(comment.value)
        text = raw[:inner_start] + fixed + raw[inner_start + len(comment.value) :]
        self.record("R108", comment.span, raw, text)
        return Replacement(comment.span.start, comment.span.end, text)

    def emit_mustache(self, node: MustacheStatement, env: Env, body: list[Statement], index: int) -> Replacement | None:
        raw = node.raw or self.source[node.span.start : node.span.end]
        if isinstance(node.path, SubExpression):
            raise Unconvertible("R131", f"{raw}: subexpressions have no exact Mailtrap form")
        if node.params or node.hash:
            return self.emit_helper_mustache(node, env, raw)
        if not isinstance(node.path, PathExpression):
            return self.emit_unescape(node, raw, self.slice(node.path.span))
        binding, changed = self.resolve(node.path, env)
        self.warn_markup(node, binding, env)
        if env.indented:
            self.check_multiline_value(node, binding)
        if isinstance(binding, LiteralValue):
            text = self.literal_text(binding, node)
            start = self.widen_left(body, index, node.span.start, node.strip.open, False)
            end = self.widen_right(body, index, node.span.end, node.strip.close, False)
            inserted = [ContentStatement(text, text)] if text else []
            if replacement_moves_standalone(self.source, body, index, start, end, inserted, env.is_root):
                raise Unconvertible(
                    "R132",
                    f"{raw}: writing the literal argument {binding.source} here as text would change which "
                    "neighbouring lines handlebars treats as standalone",
                )
            self.record("R102", node.span, raw, text)
            return Replacement(start, end, text)
        path_text = binding.text(env) if changed else self.slice(node.path.span)
        if changed:
            self.record(
                "R105" if self.is_block_param(node.path, env) else "R102", node.path.span, node.path.original, path_text
            )
        return self.emit_unescape(node, raw, path_text, force=changed)

    def check_multiline_value(self, node: MustacheStatement, binding: Binding) -> None:
        """handlebars.js indents every line of a standalone partial's OUTPUT, lines from values included; the
        expansion indents the body's source lines only."""
        if not isinstance(binding, Ref) or binding.pattern is None:
            return
        for sample in values_at(self.fixtures, binding.pattern):
            if isinstance(sample.value, str) and "\n" in sample.value:
                raise Unconvertible(
                    "R134",
                    f"{node.raw}: prints a value with line breaks (fixture {sample.fixture!r}) inside an indented "
                    "standalone partial: SES indents each of its lines, which no expansion can: remove the call's "
                    "indentation",
                )

    def emit_helper_mustache(self, node: MustacheStatement, env: Env, raw: str) -> Replacement | None:
        name = node.path.original if isinstance(node.path, PathExpression) else ""
        if name not in ("lookup", "log") or node.hash:
            raise Unconvertible("R120", f"{raw}: helper {name or raw} has no Mailtrap equivalent (only built-ins)")
        params, changed = self.params_text(node.params, env)
        path_text = f"{name} {params}" if changed else self.source[node.path.span.start : node.params[-1].span.end]
        return self.emit_unescape(node, raw, path_text, force=changed)

    def emit_unescape(self, node: MustacheStatement, raw: str, inner: str, force: bool = False) -> Replacement | None:
        triple = self.escape == "preserve" or not node.escaped
        if not force and (node.opener == "{{{" or (not triple and node.opener == "{{")):
            return None
        text = mustache_text(node.strip, inner, triple)
        if node.opener != ("{{{" if triple else "{{"):
            self.record("R101", node.span, raw, text)
        return Replacement(node.span.start, node.span.end, text)

    def literal_text(self, binding: LiteralValue, node: MustacheStatement) -> str:
        value = binding.value
        if value is None:
            raise Unconvertible("R127", f"partial argument {binding.source} is null: SES cannot print it")
        text = output_string(value)
        if node.escaped and self.escape == "mailtrap":
            text = escape_expression(text)
        if "{{" in text or "\\" in text:
            raise Unconvertible("R127", f"partial argument {binding.source} cannot be written as literal text")
        return text

    def warn_markup(self, node: MustacheStatement, binding: Binding, env: Env) -> None:
        if self.escape != "mailtrap" or self.part != "html" or not node.escaped or not isinstance(binding, Ref):
            return
        if binding.pattern is None:
            return
        for sample in values_at(self.fixtures, binding.pattern):
            if isinstance(sample.value, str) and MARKUP.search(sample.value):
                key = node.path.original if isinstance(node.path, PathExpression) else ""
                if key in self.warned:
                    return
                self.warned.add(key)
                message = (
                    f"{{{{{key}}}}} holds markup in fixture {sample.fixture!r} ({sample.value[:60]!r}): SES inserts it "
                    f"raw, Mailtrap will escape it (--escape mailtrap keeps escaping on purpose)"
                )
                self.problems.append(Problem("R140", message, node.span, sample.fixture))
                return

    # ------------------------------------------------------------------------------------------ paths

    def is_block_param(self, path: PathExpression, env: Env) -> bool:
        return (
            not path.data
            and not path.this_
            and path.depth == 0
            and bool(path.parts)
            and env.block_param(path.parts[0]) is not None
        )

    def resolve(self, path: PathExpression, env: Env) -> tuple[Binding, bool]:
        """What the original path names, and whether its text must change in the converted template."""
        if path.data:
            if path.parts and path.parts[0] == "root":
                rest = tuple(path.parts[1:])
                return Ref("root", 0, rest, tuple(f"k:{part}" for part in rest)), False
            return Ref("data", env.data_depth - path.depth, tuple(path.parts)), False
        if self.is_block_param(path, env):
            return self.resolve_block_param(path, env), True
        frames = env.frames
        for step in range(path.depth):
            if frames[len(frames) - 1 - step].barrier:
                raise Unconvertible(
                    "R127", f"{path.original}: ../ leaves an inline partial (it would reach the definition site)"
                )
        index = len(frames) - 1 - path.depth
        if index < 0:
            return Ref("ctx", 0, tuple(path.parts), None), False
        frame = frames[index]
        parts = tuple(path.parts)
        if frame.hash is not None:
            if parts and parts[0] in frame.hash:
                bound = frame.hash[parts[0]]
                if isinstance(bound, LiteralValue):
                    if len(parts) > 1:
                        raise Unconvertible("R127", f"{path.original}: a property of a literal partial argument")
                    return bound, True
                return bound.extend(parts[1:]), True
            if not parts:
                raise Unconvertible(
                    "R127",
                    f"{path.original}: inside a partial called with hash arguments, `this` is a new object "
                    "(context + hash) that Mailtrap cannot name",
                )
        ref = frame.target.extend(parts)
        target = frame.target
        unchanged = target.kind == "ctx" and not target.parts and env.out_depth - target.level == path.depth
        return ref, not unchanged

    def resolve_block_param(self, path: PathExpression, env: Env) -> Binding:
        bound = env.block_param(path.parts[0])
        rest = tuple(path.parts[1:])
        if isinstance(bound, EachSecondParam):
            if rest:
                raise Unconvertible("R130", f"{path.original}: a property of an #each index/key")
            if bound.kinds == {"array"}:
                return Ref("data", bound.data_level, ("index",))
            if bound.kinds == {"object"}:
                return Ref("data", bound.data_level, ("key",))
            raise Unconvertible(
                "R130",
                f"{path.original}: whether it is @index (list) or @key (object) depends on the data, and the "
                "fixtures do not settle it (add a fixture with the list or object)",
            )
        assert bound is not None
        if isinstance(bound, LiteralValue):
            return bound
        return bound.extend(rest)

    def params_text(self, params: list[Any], env: Env) -> tuple[str, bool]:
        texts: list[str] = []
        changed = False
        for param in params:
            text, param_changed = self.param_text(param, env)
            texts.append(text)
            changed = changed or param_changed
        return " ".join(texts), changed

    def param_text(self, param: Any, env: Env) -> tuple[str, bool]:
        if isinstance(param, SubExpression):
            raise Unconvertible("R131", f"{self.slice(param.span)}: subexpressions have no exact Mailtrap form")
        if not isinstance(param, PathExpression):
            return self.slice(param.span), False
        binding, changed = self.resolve(param, env)
        if not changed:
            return self.slice(param.span), False
        if isinstance(binding, LiteralValue):
            return binding.source, True
        text = binding.text(env)
        code = "R105" if self.is_block_param(param, env) else "R102"
        self.record(code, param.span, param.original, text)
        return text, True

    def param_ref(self, param: Any, env: Env) -> Ref | None:
        if not isinstance(param, PathExpression):
            return None
        binding, _ = self.resolve(param, env)
        return binding if isinstance(binding, Ref) else None

    # ------------------------------------------------------------------------------------------ blocks

    def block_text(self, block: BlockStatement, env: Env, body: list[Statement], index: int) -> tuple[str, int]:
        """The block's converted text and where its replaced region ends (past its span when a chained close
        strips the line ending after it)."""
        head = self.block_head(block, env)
        assert block.close_span is not None
        rest, closes = self.block_rest(block, env, head, block.close_span.start)
        close_raw = block.close_raw or self.slice(block.close_span)
        close_text = close_raw if head.name == head.original_name else close_tag(block.close_strip, head.name)
        if closes:
            standalone = self.chain_close_standalone(block, body, index, env.is_root)
            close_text = self.chain_closes(block, closes, standalone) + close_text
        return head.text + rest + close_text, block.span.end

    def block_head(self, block: BlockStatement, env: Env, chained: bool = False) -> BlockHead:
        """The converted open tag, the helper it calls, and the environments of its two programs."""
        raw = block.open_raw or self.slice(block.open_span)
        name = block.path.original if isinstance(block.path, PathExpression) else self.slice(block.path.span)
        simple = (
            isinstance(block.path, PathExpression)
            and not block.path.data
            and block.path.depth == 0
            and not block.path.this_
            and len(block.path.parts) == 1
        )
        if block.inverted:
            if (simple and name in BUILTIN_BLOCKS) or block.params or block.hash:
                raise Unconvertible("R120", f"{raw}: inverted helper call has no exact Mailtrap form")
            return self.section_head(block, env, raw, inverted=True)
        if simple and name in BUILTIN_BLOCKS:
            return self.builtin_head(block, env, raw, name, chained)
        if block.params or block.hash or not isinstance(block.path, PathExpression):
            raise Unconvertible("R120", f"{raw}: block helper {name} has no Mailtrap equivalent (only built-ins)")
        return self.section_head(block, env, raw, inverted=False)

    def builtin_head(self, block: BlockStatement, env: Env, raw: str, name: str, chained: bool) -> BlockHead:
        params, changed = self.params_text(block.params, env)
        block_params = block.program.block_params if block.program else []
        inner = replace(env, is_root=False)
        if name in ("each", "with"):
            param = block.params[0] if block.params else None
            ref = self.param_ref(param, env)
            level = env.out_depth + 1
            pattern = None if ref is None or ref.pattern is None else ref.pattern + (("*",) if name == "each" else ())
            item = Ref("ctx", level, (), pattern)
            frames = (*env.frames, Frame(item))
            inner = replace(
                inner, frames=frames, out_depth=level, data_depth=env.data_depth + (1 if name == "each" else 0)
            )
            bound: list[tuple[str, Any]] = []
            if block_params:
                bound.append((block_params[0], item))
            if len(block_params) > 1 and name == "each":
                bound.append((block_params[1], EachSecondParam(inner.data_depth, self.collection_kinds(ref))))
            elif len(block_params) > 1:
                raise Unconvertible("R130", f"{raw}: #with gives one block parameter")
            inner = replace(inner, block_params=(*env.block_params, *bound))
        elif block_params:
            raise Unconvertible("R130", f"{raw}: #{name} gives no block parameters")
        new_raw = raw
        if changed or block_params or chained:
            new_raw = open_tag(block.open_strip, name, params, chained)
            if block_params and not chained:
                self.record("R105", block.open_span, raw, new_raw)
        return BlockHead(new_raw, name, name, inner, replace(env, is_root=False))

    def collection_kinds(self, ref: Ref | None) -> frozenset[str]:
        if ref is None or ref.pattern is None:
            return frozenset()
        kinds = set()
        for sample in values_at(self.fixtures, ref.pattern):
            if isinstance(sample.value, list | tuple):
                kinds.add("array")
            elif isinstance(sample.value, Mapping):
                kinds.add("object")
        return frozenset(kinds)

    def section_head(self, block: BlockStatement, env: Env, raw: str, inverted: bool) -> BlockHead:
        assert isinstance(block.path, PathExpression)
        if block.program and block.program.block_params:
            raise Unconvertible("R130", f"{raw}: block parameters on a mustache section")
        binding, changed = self.resolve(block.path, env)
        if isinstance(binding, LiteralValue):
            raise Unconvertible("R129", f"{raw}: section over a literal partial argument")
        path_text = binding.text(env) if changed else self.slice(block.path.span)
        if inverted:
            self.check_inverted(block, binding, raw)
        helper = "unless" if inverted else self.section_helper(block, binding, raw)
        level = env.out_depth
        inner = replace(env, is_root=False)
        if helper in ("each", "with"):
            level += 1
            pattern = None if binding.pattern is None else binding.pattern + (("*",) if helper == "each" else ())
            inner = replace(
                inner,
                frames=(*env.frames, Frame(Ref("ctx", level, (), pattern))),
                out_depth=level,
                data_depth=env.data_depth + (1 if helper == "each" else 0),
            )
        text = open_tag(block.open_strip, helper, path_text, False)
        self.record("R107" if inverted else "R106", block.open_span, raw, text)
        return BlockHead(text, helper, block.path.original, inner, replace(env, is_root=False))

    def section_helper(self, block: BlockStatement, binding: Ref, raw: str) -> str:
        hint = f"add a fixture in which {block.path.original!r} has its real value (list, object or boolean)"
        if binding.pattern is None:
            raise Unconvertible("R128", f"{raw}: the section's value cannot be traced to the fixtures: {hint}")
        samples = [sample for sample in values_at(self.fixtures, binding.pattern) if sample.value is not None]
        if not samples:
            raise Unconvertible("R128", f"{raw}: no fixture gives {block.path.original!r} a value: {hint}")
        kinds: dict[str, str] = {}
        for sample in samples:
            kinds.setdefault(value_kind(sample.value), f"{describe(sample.value)} in fixture {sample.fixture!r}")
        if "blank" in kinds or len(kinds) > 1:
            seen = "; ".join(kinds.values())
            raise Unconvertible(
                "R129", f"{raw}: no single #each/#with/#if renders this section exactly for every fixture ({seen})"
            )
        return SECTION_HELPERS[next(iter(kinds))]

    def check_inverted(self, block: BlockStatement, binding: Ref, raw: str) -> None:
        """`{{^x}}` renders for false, null, missing and []; `#unless` also for "" and 0."""
        if binding.pattern is None:
            return
        for sample in values_at(self.fixtures, binding.pattern):
            if value_kind(sample.value) == "blank":
                raise Unconvertible(
                    "R129",
                    f"{raw}: {block.path.original!r} is {describe(sample.value)} in fixture "
                    f"{sample.fixture!r}: SES skips the section, #unless would render it",
                )

    def block_rest(self, block: BlockStatement, env: Env, head: BlockHead, end: int) -> tuple[str, list[str]]:
        """The text after the open tag up to the close tag, and the helpers chained `else` blocks leave open."""
        if block.inverted:
            first, second = block.inverse, block.program
            first_env, second_env = head.inner if head.name != "unless" else head.outer, head.outer
        else:
            first, second = block.program, block.inverse
            first_env, second_env = head.inner, head.outer
        first_end = end
        if second is not None:
            first_end = second.body[0].open_span.start if second.chained else block.else_span.start  # type: ignore
        out = self.emit_body(first.body, block.open_span.end, first_end, first_env) if first else ""
        if second is None:
            return out, []
        if second.chained:
            chained = second.body[0]
            assert isinstance(chained, BlockStatement)
            chained_head = self.block_head(chained, env, chained=True)
            joint = self.chain_joint(block, chained, chained_head)
            rest, closes = self.block_rest(chained, env, chained_head, end)
            return out + joint + rest, [*closes, chained_head.name]
        assert block.else_span is not None
        else_raw = block.else_raw or self.slice(block.else_span)
        else_text = else_raw
        if re.fullmatch(r"\{\{~?\s*\^\s*~?\}\}", else_raw):
            else_text = (
                "{{" + "~" * strip_open(block.inverse_strip) + "else" + "~" * strip_close(block.inverse_strip) + "}}"
            )
            self.record("R109", block.else_span, else_raw, else_text)
        return out + else_text + self.emit_body(second.body, block.else_span.end, end, second_env), []

    def chain_joint(self, block: BlockStatement, chained: BlockStatement, head: BlockHead) -> str:
        """`{{else if b}}` -> `{{else}}{{#if b}}`, one tag per line when the original tag stood alone on its line."""
        raw = chained.open_raw or self.slice(chained.open_span)
        program_body = block.program.body if block.program else []
        chained_body = chained.program.body if chained.program else []
        standalone = is_prev_whitespace(program_body, None, False) and is_next_whitespace(chained_body, None, False)
        else_text = "{{" + "~" * chained.open_strip.open + "else}}"
        open_text = head.text
        if standalone:
            eol = line_end(self.source, chained.open_span.end) or "\n"
            joint = else_text + eol + line_indent(self.source, chained.open_span.start) + open_text
        else:
            joint = else_text + open_text
        self.record("R104", chained.open_span, raw, joint)
        return joint

    def chain_closes(self, block: BlockStatement, closes: list[str], standalone: bool) -> str:
        """The closes of the nested blocks, before the original close.

        handlebars.js quirk: the close of an `{{else if}}` chain is standalone when the FIRST chained branch ends on
        a blank line part; it then strips the line ending after it but not the indentation before it, which stays
        in the LAST branch's output. Nested, that takes: an empty comment ending the last branch (so the innermost
        close is not standalone and keeps that indentation), each nested close with `~` and a line ending after it
        (so the original close is still standalone and strips its own line ending, as before)."""
        assert block.close_span is not None
        strip = block.close_strip or Strip()
        if not standalone:
            return "".join(
                "{{" + ("~" if i == 0 and strip.open else "") + "/" + name + "}}" for i, name in enumerate(closes)
            )
        eol = line_end(self.source, block.close_span.end) or "\n"
        last = last_branch(block).body
        leaks = is_prev_whitespace(last, None, False) and bool(LEFT_STANDALONE.search(last[-1].original))  # type: ignore[union-attr]
        keep = "{{!}}" if leaks and not strip.open else ""
        return keep + "".join(
            "{{" + ("~" if i == 0 and strip.open else "") + "/" + name + "~}}" + eol for i, name in enumerate(closes)
        )

    def chain_close_standalone(self, block: BlockStatement, body: list[Statement], index: int, is_root: bool) -> bool:
        assert block.inverse is not None
        first_chained = block.inverse.body[0]
        assert isinstance(first_chained, BlockStatement)
        chained_body = first_chained.program.body if first_chained.program else []
        return is_prev_whitespace(chained_body, None, False) and is_next_whitespace(body, index, is_root)

    # ------------------------------------------------------------------------------------------ partials

    def remove_definition(self, body: list[Statement], index: int, env: Env) -> Replacement | None:
        block = body[index]
        assert isinstance(block, BlockStatement)
        name = inline_name(block)
        if name is None:
            raise Unconvertible("R123", f"{block.open_raw}: decorator block other than an inline partial")
        definition = env.partials[name]
        start, end = block.span.start, block.span.end
        start = self.widen_left(body, index, start, block.open_strip.open, definition.open_standalone)
        end = self.widen_right(
            body, index, end, bool(block.close_strip and block.close_strip.close), definition.close_standalone
        )
        if replacement_moves_standalone(self.source, body, index, start, end, [], env.is_root):
            raise Unconvertible(
                "R132",
                f"inline partial {name!r} shares a line with another tag: removing it would change which "
                "lines SES treats as standalone; put {{#*inline}} and {{/inline}} on lines of their own",
            )
        self.record("R103", block.open_span, self.source[start:end], "")
        return Replacement(start, end, "")

    def widen_left(self, body: list[Statement], index: int, start: int, tilde: bool, standalone: bool) -> int:
        prev = body[index - 1] if index > 0 else None
        if not isinstance(prev, ContentStatement) or not (tilde or standalone):
            return start
        text = self.source[prev.span.start : start]
        match = (LEFT_TILDE if tilde else LEFT_STANDALONE).search(text)
        return start - len(match.group(0)) if match else start

    def widen_right(self, body: list[Statement], index: int, end: int, tilde: bool, standalone: bool) -> int:
        following = body[index + 1] if index + 1 < len(body) else None
        if not isinstance(following, ContentStatement) or not (tilde or standalone):
            return end
        text = self.source[end : following.span.end]
        match = (RIGHT_TILDE if tilde else RIGHT_STANDALONE).search(text)
        return end + len(match.group(0)) if match else end

    def expand_partial(self, body: list[Statement], index: int, env: Env) -> Replacement:
        call = body[index]
        assert isinstance(call, PartialStatement)
        raw = call.raw or self.slice(call.span)
        is_root = env.is_root
        standalone = is_prev_whitespace(body, index, is_root) and is_next_whitespace(body, index, is_root)
        indent = line_indent(self.source, call.span.start) if standalone else ""
        inner_env = replace(env, indented=env.indented or bool(indent))
        if is_partial_block_call(call):
            text = self.partial_block_content(inner_env, raw)
        else:
            text = self.call_text(call, inner_env, raw)
        start = self.widen_left(body, index, call.span.start, call.strip.open, False)
        end = self.widen_right(body, index, call.span.end, call.strip.close, False)
        if standalone:
            start = self.widen_left(body, index, start, False, True)
            end = self.widen_right(body, index, end, False, True)
            check_indentable(text, indent, raw)
            text = indent_lines(text, indent)
        self.check_expansion(body, index, start, end, text, is_root, raw, self.inner_body(call, env))
        self.record("R102", call.span, raw, text)
        return Replacement(start, end, text)

    def expand_partial_block(self, body: list[Statement], index: int, env: Env) -> Replacement:
        """`{{#> p}}content{{/p}}`: p's body, where `{{> @partial-block}}` stands for the content. Whitespace as for
        a block (no indentation)."""
        block = body[index]
        assert isinstance(block, PartialBlockStatement) and block.close_span is not None
        raw = block.open_raw or self.slice(block.open_span)
        program_body = block.program.body if block.program else []
        open_standalone = is_next_whitespace(program_body, None, False) and is_prev_whitespace(body, index, env.is_root)
        close_standalone = is_prev_whitespace(program_body, None, False) and is_next_whitespace(
            body, index, env.is_root
        )
        text = self.call_text(block, env, raw, partial_block=(block, env, open_standalone, close_standalone))
        close_strip = block.close_strip or Strip()
        start = self.widen_left(body, index, block.span.start, block.open_strip.open, open_standalone)
        end = self.widen_right(body, index, block.span.end, close_strip.close, close_standalone)
        self.check_expansion(body, index, start, end, text, env.is_root, raw, self.inner_body(block, env))
        self.record("R102", block.open_span, self.source[start:end], text)
        return Replacement(start, end, text)

    def inner_body(self, call: PartialStatement | PartialBlockStatement, env: Env) -> list[Statement] | None:
        """The original program an expansion inserts (the partial's body, or the partial block's content)."""
        if isinstance(call, PartialStatement) and is_partial_block_call(call):
            block = env.partial_block[0] if env.partial_block else None
            return block.program.body if block is not None and block.program else None
        definition = self.partial_definition(call, env)  # type: ignore[arg-type]
        return definition.node.program.body if definition and definition.node.program else None

    def check_expansion(
        self,
        body: list[Statement],
        index: int,
        start: int,
        end: int,
        text: str,
        is_root: bool,
        raw: str,
        inner: list[Statement] | None = None,
    ) -> None:
        inserted = parsed_body(text)
        if replacement_moves_standalone(self.source, body, index, start, end, inserted, is_root, inner):
            raise Unconvertible(
                "R132",
                f"{raw}: expanding the partial here would change which neighbouring lines handlebars treats "
                "as standalone (whitespace SES strips); put the call on a line of its own or inline its text",
            )

    def call_text(
        self, call: PartialStatement | PartialBlockStatement, env: Env, raw: str, partial_block: Any = None
    ) -> str:
        """The converted body of the partial `call` names, for the call's context and hash."""
        name = partial_name(call)
        definition = env.partials.get(name)
        if definition is None:
            raise Unconvertible("R125", f"{raw}: partial {name!r} is not defined in this part (SES rejects it)")
        if name in env.expanding:
            raise Unconvertible("R126", f"{raw}: partial {name!r} calls itself")
        body_env = replace(
            env,
            frames=(self.partial_frame(call, env, raw),),
            block_params=(),
            expanding=(*env.expanding, name),
            is_root=False,
            partial_block=partial_block,
        )
        return self.partial_body(definition, body_env)

    def partial_block_content(self, env: Env, raw: str) -> str:
        """`{{> @partial-block}}`: the caller's block content, in the caller's scope (its `../`, block parameters
        and partials) with the current context of the partial as `this`."""
        if env.partial_block is None:
            raise Unconvertible("R124", f"{raw}: @partial-block outside a partial called as {{{{#> partial}}}}")
        block, caller, open_standalone, close_standalone = env.partial_block
        if "@partial-block" in env.expanding:
            raise Unconvertible("R126", f"{raw}: @partial-block renders itself")
        current = env.current
        # handlebars.js pushes a depth only when the context changes: same context as the caller, same frames
        same = current.target == caller.current.target and current.hash == caller.current.hash
        frames = caller.frames if same else (*caller.frames, Frame(current.target, current.hash))
        content_env = replace(
            caller,
            indented=env.indented,
            frames=frames,
            out_depth=env.out_depth,
            data_depth=env.data_depth,
            expanding=(*env.expanding, "@partial-block"),
            is_root=False,
        )
        program_body = block.program.body if block.program else []
        start, end = block.open_span.end, block.close_span.start
        region = self.source[start:end]
        if block.open_strip.close:
            match = RIGHT_TILDE.search(region)
            start += len(match.group(0)) if match else 0
        elif open_standalone:
            start += len(RIGHT_STANDALONE.search(region).group(0))  # type: ignore[union-attr]
        region = self.source[start:end]
        close_strip = block.close_strip or Strip()
        if close_strip.open:
            match = LEFT_TILDE.search(region)
            end -= len(match.group(0)) if match else 0
        elif close_standalone:
            match = LEFT_STANDALONE.search(region)
            end -= len(match.group(0)) if match else 0
        return contain_tildes(self.emit_body(program_body, start, max(start, end), content_env))

    def partial_frame(self, call: PartialStatement | PartialBlockStatement, env: Env, raw: str) -> Frame:
        if len(call.params) > 1:
            raise Unconvertible("R127", f"{raw}: a partial takes at most one context argument")
        hash_base: Mapping[str, Binding] | None = None
        if call.params:
            param = call.params[0]
            if not isinstance(param, PathExpression):
                raise Unconvertible("R127", f"{raw}: a literal as partial context has no Mailtrap form")
            bound, _ = self.resolve(param, env)
            if not isinstance(bound, Ref):
                raise Unconvertible("R127", f"{raw}: a literal as partial context has no Mailtrap form")
            target = bound
        else:
            target = env.current.target
            hash_base = env.current.hash
        bindings: dict[str, Binding] = dict(hash_base or {})
        for pair in call.hash.pairs if call.hash else []:
            bindings[pair.key] = self.hash_binding(pair.value, env, raw)
        return Frame(target, bindings if (call.hash or hash_base) else None, barrier=True)

    def hash_binding(self, value: Any, env: Env, raw: str) -> Binding:
        if isinstance(value, PathExpression):
            bound, _ = self.resolve(value, env)
            return bound
        if isinstance(value, StringLiteral | NumberLiteral | BooleanLiteral):
            return LiteralValue(value.value, value.original)
        if isinstance(value, NullLiteral | UndefinedLiteral):
            return LiteralValue(None, value.original)
        raise Unconvertible("R131", f"{raw}: subexpression as partial argument has no exact Mailtrap form")

    def partial_body(self, definition: PartialDefinition, env: Env) -> str:
        block = definition.node
        assert block.close_span is not None
        start, end = block.open_span.end, block.close_span.start
        region = self.source[start:end]
        if block.open_strip.close:
            start += len(RIGHT_TILDE.search(region).group(0)) if RIGHT_TILDE.search(region) else 0
        elif definition.open_standalone:
            start += len(RIGHT_STANDALONE.search(region).group(0))
        region = self.source[start:end]
        close_strip = block.close_strip or Strip()
        if close_strip.open:
            match = LEFT_TILDE.search(region)
            end -= len(match.group(0)) if match else 0
        elif definition.close_standalone:
            match = LEFT_STANDALONE.search(region)
            end -= len(match.group(0)) if match else 0
        program_body = block.program.body if block.program else []
        return contain_tildes(self.emit_body(program_body, start, max(start, end), env))

    # ------------------------------------------------------------------------------------------ helpers

    def slice(self, span: Span) -> str:
        return self.source[span.start : span.end]

    def record(self, code: str, span: Span, before: str, after: str) -> None:
        if len(after) > MAX_AFTER:
            after = after[:MAX_AFTER] + "…"
        self.changes.append(Change(code, span, before, after))


@dataclass(slots=True)
class BlockHead:
    text: str
    name: str
    original_name: str
    inner: Env
    outer: Env


def last_branch(block: BlockStatement) -> Program:
    """The program of the last branch of an `{{else if}}` chain."""
    current = block
    while current.inverse is not None and current.inverse.chained:
        chained = current.inverse.body[0]
        assert isinstance(chained, BlockStatement)
        current = chained
    program = current.inverse or current.program
    assert program is not None
    return program


def check_indentable(text: str, indent: str, raw: str) -> None:
    """handlebars.js does not indent an empty last output line; an indented source line made only of tags may
    render empty, and would then keep the indentation."""
    if not indent:
        return
    last = text.rsplit("\n", 1)[-1]
    outside_blocks = re.sub(r"\{\{~?[#^].*\{\{~?/[^}]*\}\}", "", last)
    if "{{" in last and not re.sub(r"\{\{.*?\}\}\}?", "", outside_blocks).strip(" \t"):
        raise Unconvertible(
            "R134",
            f"{raw}: the partial's last line holds only tags; when it renders nothing SES adds no indentation "
            "there, the expansion would: end the partial with a line break or remove the call's indentation",
        )


def contain_tildes(text: str) -> str:
    """A `~` on the first or last tag of a partial body strips only inside the body; once the body is expanded in
    place it would reach the caller's text, so the stripping is done here and the marker dropped."""
    head = re.match(r"\s*\{\{~", text)
    if head:
        text = "{{" + text[head.end() :]
    tail = re.search(r"~\}\}\s*\Z", text)
    if tail:
        text = text[: tail.start()] + "}}"
    return text


def parsed_body(text: str) -> list[Statement]:
    try:
        return parse(text).body
    except TemplateSyntaxError:
        return [ContentStatement(text, text)]


def inline_name(statement: Statement) -> str | None:
    if not isinstance(statement, BlockStatement) or not statement.decorator:
        return None
    path = statement.path
    if not (isinstance(path, PathExpression) and path.original == "inline"):
        return None
    if len(statement.params) != 1 or not isinstance(statement.params[0], StringLiteral | NumberLiteral):
        return None
    return (
        str(statement.params[0].value)
        if isinstance(statement.params[0], StringLiteral)
        else statement.params[0].original
    )


def is_partial_block_call(call: PartialStatement) -> bool:
    name = call.name
    return isinstance(name, PathExpression) and name.data and name.parts == ["partial-block"]


def partial_name(call: PartialStatement | PartialBlockStatement) -> str:
    name = call.name
    if isinstance(name, SubExpression):
        raise Unconvertible("R121", f"{raw_of(call)}: dynamic partial: which partial runs depends on the data")
    if isinstance(name, PathExpression):
        if name.data:
            raise Unconvertible("R124", f"{raw_of(call)}: @data as a partial name")
        return name.original
    if isinstance(name, StringLiteral):
        return name.value
    return name.original


def raw_of(call: PartialStatement | PartialBlockStatement) -> str:
    return (call.raw if isinstance(call, PartialStatement) else call.open_raw) or ""


def statement_span(statement: Statement) -> Span:
    open_span = getattr(statement, "open_span", None)
    return open_span if open_span is not None and open_span.end else statement.span


def strip_open(strip: Strip | None) -> bool:
    return bool(strip and strip.open)


def strip_close(strip: Strip | None) -> bool:
    return bool(strip and strip.close)


def mustache_text(strip: Strip, inner: str, triple: bool) -> str:
    left = "{{" + ("~" if strip.open else "") + ("{" if triple else "")
    right = ("}" if triple else "") + ("~" if strip.close else "") + "}}"
    return left + inner + right


def open_tag(strip: Strip, helper: str, params: str, chained: bool) -> str:
    # a chained `{{else if b~}}` keeps its `~` on the close side of the new `{{#if b~}}`
    left = "{{" + ("~" if strip.open and not chained else "")
    return left + "#" + helper + (" " + params if params else "") + ("~" if strip.close else "") + "}}"


def close_tag(strip: Strip | None, helper: str) -> str:
    return "{{" + "~" * strip_open(strip) + "/" + helper + "~" * strip_close(strip) + "}}"
