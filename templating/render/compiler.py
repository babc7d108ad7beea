"""Compile a Handlebars AST (templating.hbs.nodes) into Python closures, once per template and option set.

Every expression becomes `ev(rt, context, data, block_params, depths) -> value` and every statement
`st(rt, context, data, block_params, depths) -> value` (a string, or the raw value of an unescaped output, which
`_make_body` joins like handlebars.js's generated `+` expressions). The decisions handlebars.js takes at compile
time (helper or path, block-param slots, escaping, strict lookups) are taken here, so rendering only runs closures.
The classification follows handlebars.js 4.7.8 `compiler.js` / `javascript-compiler.js` (`classifySexpr`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from templating.hbs import nodes as n
from templating.hbs import walk
from templating.render import jsvalues as js
from templating.render.runtime import (
    KNOWN_HELPERS,
    NULL_CONTEXT,
    Body,
    BoundProgram,
    Decorator,
    HandlebarsError,
    MissingAttribute,
    MissingKind,
    Options,
    ProgramSpec,
    RenderError,
    Runtime,
    data_at_depth,
    invoke_partial,
    noop,
    ses_missing_message,
)

Ev = Callable[[Runtime, Any, Any, tuple, tuple], Any]
St = Callable[[Runtime, Any, Any, tuple, tuple], Any]

_SCOPED = re.compile(r"^\.|this\b")
_BRACKETED = re.compile(r"\[((?:\\\]|[^\]])*)\]")
_CONDITION_HELPERS = frozenset({"if", "unless"})


def handlebars_original(path: n.PathExpression) -> str:
    """`original` as handlebars.js builds it: segments without their `[...]` brackets."""
    if "[" not in path.original:
        return path.original
    return _BRACKETED.sub(lambda match: re.sub(r"\\([\\\]])", r"\1", match.group(1)), path.original)


@dataclass(frozen=True, slots=True)
class CompileOptions:
    """What changes the compiled closures (handlebars.js compile options, plus SES's missing-attribute rule)."""

    escape: bool = False
    ses_strict: bool = True
    js_strict: bool = False
    assume_objects: bool = False
    compat: bool = False
    prevent_indent: bool = False
    known_helpers_only: bool = False
    known_helpers: frozenset[str] = frozenset()
    data: bool = True
    explicit_partial_context: bool = False
    ignore_standalone: bool = False
    add_adjacent_numbers: bool = True
    output: bool = True  # False: evaluate for lookups and errors only, every program returns ""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    main: ProgramSpec
    uses_data: bool


def compile_program_tree(program: n.Program, options: CompileOptions) -> TemplateSpec:
    uses_data = options.data or _uses_data_variables(program)
    compiler = _Compiler(options, uses_data)
    return TemplateSpec(compiler.program(program), uses_data)


def _uses_data_variables(program: n.Program) -> bool:
    """handlebars.js turns the `data` option back on when a template uses an `@variable`."""
    return any(isinstance(node, n.PathExpression) and node.data for node in walk(program))


def _literal_to_path(expression: Any) -> n.PathExpression:
    """handlebars.js `transformLiteralToPath`: `{{"foo"}}`, `{{1}}`, `{{true}}` look up that name."""
    if isinstance(expression, n.PathExpression):
        return expression
    if isinstance(expression, n.StringLiteral):
        name = expression.value
    elif isinstance(expression, n.NumberLiteral):
        name = js.number_to_string(expression.value)
    elif isinstance(expression, n.BooleanLiteral):
        name = "true" if expression.value else "false"
    elif isinstance(expression, n.NullLiteral):
        name = "null"
    elif isinstance(expression, n.UndefinedLiteral):
        name = "undefined"
    else:
        name = "undefined"
    return n.PathExpression(original=name, parts=[name], span=getattr(expression, "span", n.NO_SPAN))


def _is_scoped(path: n.PathExpression) -> bool:
    original = path.original
    if "[" not in original:  # handlebars_original(path) is `original`: skip the regex for the usual `a.b`
        return original[:1] == "." or ("this" in original and _SCOPED.search(original) is not None)
    return bool(_SCOPED.search(handlebars_original(path)))


@dataclass(slots=True)
class _PathFacts:
    """What the compiler needs to know about a path, worked out once per path."""

    parts: tuple[str, ...]
    scoped: bool  # handlebars.js `scopedId`: a context lookup, never a helper
    simple: bool  # handlebars.js `isSimpleId`: one segment, unscoped, no `../`
    slot: tuple[int, int] | None  # the block param it starts from: (program depth, index)


_OPENED = (n.BlockStatement, n.PartialBlockStatement, n.RawBlock)


def _location(node: Any) -> tuple[int, int]:
    """A node's line and column: a block's are those of its opening tag when known."""
    span = getattr(node, "span", n.NO_SPAN)
    if isinstance(node, _OPENED):
        opening = node.open_span
        if opening is not None and opening.line != 0:
            span = opening
    return span.line, span.column


def _guard(statement: St, line: int, column: int) -> St:
    """Give runtime errors raised by one statement its location."""

    def guarded(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
        try:
            return statement(rt, ctx, data, bp, depths)
        except HandlebarsError as error:
            raise RenderError(error.message, line, column) from None

    return guarded


# ---------------------------------------------------------------- path lookups


def _resolve(value: Any, parts: tuple[str, ...], falsy: bool) -> Any:
    lookup = js.lookup_property
    for part in parts:
        if value.__class__ is dict:  # truthy and not None: the usual step of a path, looked up directly
            value = value.get(part)
            continue
        if falsy:
            if not js.truthy(value):
                return value
        elif value is None:
            return None
        value = lookup(value, part)
    return value


def _resolve_strict(value: Any, parts: tuple[str, ...], require_terminal: bool) -> Any:
    """handlebars.js `strictLookup` (strict / assumeObjects): intermediate lookups are not guarded."""
    last = len(parts) - 1 if require_terminal else len(parts)
    for part in parts[:last]:
        if value is None:
            raise HandlebarsError(f"Cannot read properties of undefined (reading '{part}')")
        value = js.lookup_property(value, part)
    if not require_terminal:
        return value
    name = parts[last] if last >= 0 else "undefined"
    if not js.truthy(value):
        raise HandlebarsError(f'"{name}" not defined in {js.to_string(value)}')
    if not js.is_object(value):
        raise HandlebarsError(f"Cannot use 'in' operator to search for '{name}' in {js.to_string(value)}")
    if not js.has_own_property(value, name):
        raise HandlebarsError(f'"{name}" not defined in {js.to_string(value)}')
    return js.lookup_property(value, name)


def _depthed_lookup(depths: tuple, name: str) -> Any:
    """handlebars.js `container.lookup` (compat mode): the first context up the stack that has the name. Its test is
    `depths[i] && lookupProperty(depths[i], name)`, so a falsy context other than null (false, 0, "") ends the search
    with that value's own property (`false.a` is undefined; `"".length` is 0)."""
    for context in depths:
        if context is None:
            continue
        value = js.lookup_property(context, name)
        if value is not None or not js.truthy(context):
            return value
    return None


def _context_at(ctx: Any, depths: tuple, depth: int) -> Any:
    if not depth:
        return ctx
    return depths[depth] if depth < len(depths) else None


def _has_null_segment(base: Any, parts: tuple[str, ...]) -> bool:
    """Whether a failed lookup met an explicit null (`{"a": null}` for `a.b`) rather than an absent key."""
    value = base
    for part in parts:
        if value is None:
            return False
        if js.has_own_property(value, part) and js.lookup_property(value, part) is None:
            return True
        value = js.lookup_property(value, part)
    return False


@dataclass(slots=True)
class _Missing:
    """Where and how a lookup reports a missing or null value."""

    name: str
    line: int
    column: int
    kind: MissingKind
    raise_ses: bool


def _report_missing(rt: Runtime, missing: _Missing, null: bool) -> None:
    if rt.on_missing is not None:
        rt.on_missing(MissingAttribute(missing.name, missing.line, missing.column, missing.kind, null))
    elif missing.raise_ses:
        raise RenderError(ses_missing_message(missing.name), missing.line, missing.column, attribute=missing.name)


# ---------------------------------------------------------------- the compiler


class _Compiler:
    def __init__(self, options: CompileOptions, uses_data: bool) -> None:
        self.options = options
        self.uses_data = uses_data
        self.known_helpers = KNOWN_HELPERS | options.known_helpers
        self.block_params: list[list[str]] = []
        self.programs_with_block_params = 0
        # handlebars.js's non-strict context lookups: one closure does the lookup and its missing-value report
        self.plain_lookups = not (options.js_strict or options.assume_objects)

    # ------------------------------------------------------------ programs

    def program(self, program: n.Program) -> ProgramSpec:
        self.block_params.insert(0, program.block_params)
        with_block_params = 1 if program.block_params else 0
        self.programs_with_block_params += with_block_params
        decorators: list[Decorator] = []
        try:
            if self.options.output:
                body = self.output_body(program, decorators)
            else:
                body = _make_discarding_body(self.running_statements(program, decorators))
        finally:
            self.block_params.pop(0)
            self.programs_with_block_params -= with_block_params
        return ProgramSpec(body, tuple(decorators), len(program.block_params))

    def output_body(self, program: n.Program, decorators: list[Decorator]) -> Body:
        pieces: list[str | St] = []
        explicit: list[bool] = []
        for statement in program.body:
            compiled = self.statement(statement, decorators)
            if isinstance(compiled, str):
                if not compiled:
                    continue
                if pieces and isinstance(pieces[-1], str):
                    pieces[-1] += compiled
                    continue
            elif compiled is None:
                continue
            pieces.append(compiled)
            explicit.append(compiled.__class__ is _Explicit)
        if self.options.add_adjacent_numbers:
            return _make_body(pieces, tuple(explicit), simple=len(program.body) == 1)
        return _make_string_body(pieces)

    def running_statements(self, program: n.Program, decorators: list[Decorator]) -> list[St]:
        """The statements that run code (not text) of a program whose output is discarded."""
        statements: list[St] = []
        for statement in program.body:
            compiled = self.statement(statement, decorators)
            if compiled is not None and compiled.__class__ is not str:
                statements.append(compiled)
        return statements

    def statement(self, node: Any, decorators: list[Decorator]) -> str | St | None:
        if isinstance(node, n.ContentStatement):
            return node.value
        if isinstance(node, n.CommentStatement):
            return None
        if isinstance(node, n.MustacheStatement):
            return self.mustache(node)
        if isinstance(node, n.BlockStatement):
            if node.decorator:
                decorators.append(self.decorator(node, node.program))
                return None
            return self.block(node)
        if isinstance(node, n.DecoratorStatement):
            decorators.append(self.decorator(node, None))
            return None
        if isinstance(node, n.PartialStatement | n.PartialBlockStatement):
            return self.partial(node)
        if isinstance(node, n.RawBlock):
            content = [node.content] if node.content is not None else []
            block = n.BlockStatement(
                path=node.path,
                params=node.params,
                hash=node.hash,
                program=n.Program(body=content),
                open_span=node.open_span,
                span=node.span,
            )
            return self.block(block)
        raise RenderError(f"Unknown statement {type(node).__name__}", *_location(node))

    def decorator(self, node: n.BlockStatement | n.DecoratorStatement, program: n.Program | None) -> Decorator:
        path = _literal_to_path(node.path)
        spec = self.program(program) if program is not None else None
        argument = self.expression(node.params[0], None) if node.params else None
        line, column = _location(node)
        return Decorator(path.original, argument, spec, line, column)

    # ------------------------------------------------------------ classification

    def block_param_index(self, name: str) -> tuple[int, int] | None:
        if not self.programs_with_block_params:
            return None
        for depth, names in enumerate(self.block_params):
            if name in names:
                return depth, names.index(name)
        return None

    def facts(self, path: n.PathExpression) -> _PathFacts:
        """The path's facts where it stands (its block-param slot depends on the enclosing programs)."""
        parts = tuple(path.parts)
        scoped = _is_scoped(path)
        if scoped or path.depth or not parts:
            return _PathFacts(parts, scoped, False, None)
        slot = self.block_param_index(parts[0]) if self.programs_with_block_params else None
        return _PathFacts(parts, scoped, len(parts) == 1, slot)

    def classify(self, facts: _PathFacts, is_helper_expression: bool) -> str:
        if not facts.simple and not is_helper_expression:  # `a.b`, `this.a`, `../a`: never a helper
            return "simple"
        is_block_param = facts.simple and facts.slot is not None
        is_helper = not is_block_param and is_helper_expression
        is_eligible = not is_block_param and (is_helper or facts.simple)
        if is_eligible and not is_helper:
            if facts.parts[0] in self.known_helpers:
                is_helper = True
            elif self.options.known_helpers_only:
                is_eligible = False
        if is_helper:
            return "helper"
        return "ambiguous" if is_eligible else "simple"

    def is_plain_lookup(self, path: n.PathExpression, facts: _PathFacts) -> bool:
        """Whether path_value would look the path up in a context with `_resolve` (`a.b`, `../a`, `this.a`)."""
        return (
            self.plain_lookups
            and facts.slot is None
            and not path.data
            and bool(facts.parts)
            and not (self.options.compat and not facts.scoped and not path.depth)
        )

    # ------------------------------------------------------------ lookups

    def path_value(self, path: n.PathExpression, facts: _PathFacts, *, falsy: bool = False, strict: bool = False) -> Ev:
        """The value of a path, exactly as handlebars.js computes it (no missing-attribute reporting)."""
        options = self.options
        strict_mode = options.js_strict or options.assume_objects
        require_terminal = options.js_strict and strict
        parts = facts.parts
        depth = path.depth

        if facts.slot is not None:
            level, index = facts.slot
            rest = parts[1:]

            def block_param(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                values = bp[level] if level < len(bp) else None
                if values is None:
                    raise HandlebarsError(f"Cannot read properties of undefined (reading '{index}')")
                value = js.lookup_property(values, index)
                if strict_mode:
                    return _resolve_strict(value, rest, False)
                return _resolve(value, rest, False)

            return block_param

        if not parts:

            def context_reference(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                return _context_at(ctx, depths, depth)

            return context_reference

        if path.data:

            def data_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                frame = data_at_depth(data, depth) if depth else data
                if strict_mode:
                    return _resolve_strict(frame, parts, require_terminal)
                return _resolve(frame, parts, True)

            return data_lookup

        if not facts.scoped and options.compat and not depth:
            first, rest = parts[0], parts[1:]

            def compat_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                value = _depthed_lookup(depths, first)
                if strict_mode:
                    return _resolve_strict(value, rest, require_terminal)
                return _resolve(value, rest, falsy)

            return compat_lookup

        if strict_mode:

            def strict_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                return _resolve_strict(_context_at(ctx, depths, depth), parts, require_terminal)

            return strict_lookup

        if not depth and len(parts) == 1 and not falsy:
            (name,) = parts

            def single(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                if ctx.__class__ is dict:
                    return ctx.get(name)
                return None if ctx is None else js.lookup_property(ctx, name)

            return single

        def context_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            return _resolve(_context_at(ctx, depths, depth), parts, falsy)

        return context_lookup

    def explain_null(
        self, path: n.PathExpression, facts: _PathFacts
    ) -> Callable[[Runtime, Any, Any, tuple, tuple], bool]:
        """For a lookup that gave nothing: did it meet an explicit null?"""
        parts = facts.parts
        slot = facts.slot
        depth = path.depth
        compat = self.options.compat and not facts.scoped and not depth

        def explain(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> bool:
            if slot is not None:
                level, index = slot
                values = bp[level] if level < len(bp) else None
                if values is None:
                    return False
                value = js.lookup_property(values, index)
                return (value is None and js.has_own_property(values, index)) or _has_null_segment(value, parts[1:])
            if not parts:
                return _context_at(ctx, depths, depth) is None
            if compat:
                return any(_has_null_segment(context, parts) for context in depths)
            return _has_null_segment(_context_at(ctx, depths, depth), parts)

        return explain

    def reported_value(
        self, path: n.PathExpression, facts: _PathFacts, missing: _Missing | None, *, strict: bool = False
    ) -> Ev:
        """A path's value (path_value), a missing or null result reported (never for @data)."""
        if missing is None or path.data:
            return self.path_value(path, facts, strict=strict)
        if not self.is_plain_lookup(path, facts):
            return self.reported(self.path_value(path, facts, strict=strict), self.explain_null(path, facts), missing)
        parts = facts.parts
        depth = path.depth

        def reported_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            base = _context_at(ctx, depths, depth) if depth else ctx
            value = _resolve(base, parts, False)
            if value is None:
                _report_missing(rt, missing, _has_null_segment(base, parts))
            return value

        return reported_lookup

    def reported(self, value: Ev, explain: Callable[..., bool], missing: _Missing) -> Ev:
        """Wrap a value so that a missing or null result is reported."""

        def reporting(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            result = value(rt, ctx, data, bp, depths)
            if result is None:
                _report_missing(rt, missing, explain(rt, ctx, data, bp, depths))
            return result

        return reporting

    def missing_at(self, path: n.PathExpression, kind: MissingKind | None, node: Any = None) -> _Missing | None:
        if kind is None:
            return None
        line, column = _location(node) if node is not None else _location(path)
        if line == 0:
            line, column = _location(path)
        return _Missing(path.original, line, column, kind, kind == "print" and self.options.ses_strict)

    # ------------------------------------------------------------ expressions

    def expression(self, node: Any, kind: MissingKind | None) -> Ev:
        """A helper parameter or hash value."""
        if isinstance(node, n.PathExpression):
            return self.reported_value(node, self.facts(node), self.missing_at(node, kind))
        if isinstance(node, n.SubExpression):
            return self.sub_expression(node, kind)
        constant = node.value if isinstance(node, n.StringLiteral | n.NumberLiteral | n.BooleanLiteral) else None
        return lambda rt, ctx, data, bp, depths: constant

    def sub_expression(self, node: n.SubExpression, kind: MissingKind | None) -> Ev:
        path = _literal_to_path(node.path)
        facts = self.facts(path)
        if self.classify(facts, True) == "simple":
            return self.lambda_value(path, facts, None)
        return self.helper_call(path, facts, node.params, node.hash, None, None, kind, node)

    def lambda_value(self, path: n.PathExpression, facts: _PathFacts, missing: _Missing | None) -> Ev:
        """A `simple` path (`{{a.b}}`, `{{this}}`, `{{../x}}`, block params): its value, functions called."""
        value = self.reported_value(path, facts, missing, strict=True)

        def resolved(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            result = value(rt, ctx, data, bp, depths)
            if result is not None and js.is_function(result):
                return result(ctx)
            return result

        return resolved

    def params_and_hash(
        self, params: list[Any], hash: n.Hash | None, kind: MissingKind | None
    ) -> tuple[list[Ev], list[tuple[str, Ev]] | None]:
        compiled = [self.expression(param, kind) for param in params]
        pairs = [(pair.key, self.expression(pair.value, kind)) for pair in hash.pairs] if hash is not None else None
        return compiled, pairs

    def program_makers(
        self, program: ProgramSpec | None, inverse: ProgramSpec | None
    ) -> Callable[[Runtime, Any, tuple, tuple], tuple[Any, Any]]:
        """`options.fn` / `options.inverse`: set both (noop for the absent one) when either exists."""
        if program is None and inverse is None:
            return lambda rt, data, bp, depths: (None, None)

        def make(rt: Runtime, data: Any, bp: tuple, depths: tuple) -> tuple[Any, Any]:
            fn = BoundProgram(rt, program, data, bp, depths) if program is not None else noop
            inv = BoundProgram(rt, inverse, data, bp, depths) if inverse is not None else noop
            return fn, inv

        return make

    def helper_call(
        self,
        path: n.PathExpression,
        facts: _PathFacts,
        params: list[Any],
        hash: n.Hash | None,
        program: ProgramSpec | None,
        inverse: ProgramSpec | None,
        kind: MissingKind | None,
        node: Any,
        *,
        statement: bool = False,
    ) -> Ev:
        """handlebars.js `helperSexpr`: a known helper, else helpers[name] || context lookup || helperMissing.

        A `statement` call (a block) does its statement's work too: its errors are located at the node and a null
        result prints nothing."""
        name = facts.parts[0] if facts.parts else handlebars_original(path)
        if name in _CONDITION_HELPERS:
            param_kind: MissingKind | None = "condition" if kind is not None else None
        elif name in ("each", "with"):
            param_kind = "block" if kind is not None else None
        else:
            param_kind = kind
        param_evs, hash_pairs = self.params_and_hash(params, hash, param_kind)
        single_param = param_evs[0] if len(param_evs) == 1 else None
        uses_data = self.uses_data
        loc = _location(node)
        options_name = handlebars_original(path)
        find_helper = None if name in self.known_helpers else self.helper_finder(path, facts, name, loc)
        makers = self.program_makers(program, inverse)

        def call(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            try:
                if single_param is not None:
                    values = [single_param(rt, ctx, data, bp, depths)]
                else:
                    values = [param(rt, ctx, data, bp, depths) for param in param_evs]
                hash_values = _hash(hash_pairs, rt, ctx, data, bp, depths) if hash_pairs is not None else None
                if find_helper is None:  # a known helper
                    helper = rt.helpers.get(name)
                    if helper is None:
                        raise HandlebarsError("Cannot read properties of undefined (reading 'call')")
                else:
                    helper = find_helper(rt, ctx, data, bp, depths)
                fn, inv = makers(rt, data, bp, depths)
                this = ctx if ctx is not None else NULL_CONTEXT
                options = Options(rt, options_name, this, hash_values, data if uses_data else None, fn, inv, bp, loc)
                result = _call_helper(helper, values, options)
            except HandlebarsError as error:
                if not statement:
                    raise
                raise RenderError(error.message, *loc) from None
            return "" if statement and result is None else result

        return call

    def helper_finder(self, path: n.PathExpression, facts: _PathFacts, name: str, loc: tuple[int, int]) -> Ev:
        """helpers[name] || context lookup || helperMissing, for a helper that is not known at compile time."""
        if self.options.known_helpers_only:
            raise RenderError(f"You specified knownHelpersOnly, but used the unknown helper {name}", *loc)
        simple = facts.simple
        non_helper = self.path_value(path, facts, falsy=True, strict=True)
        js_strict = self.options.js_strict
        options_name = handlebars_original(path)

        def find_helper(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            helper = rt.helpers.get(name) if simple else None
            if helper is None:
                helper = non_helper(rt, ctx, data, bp, depths)
                if not js.truthy(helper) and not js_strict:
                    helper = rt.helper_missing
            if not callable(helper):
                raise HandlebarsError(f"{options_name} is not a function")
            return helper

        return find_helper

    # ------------------------------------------------------------ statements

    def mustache(self, node: n.MustacheStatement) -> St:
        path = node.path
        if path.__class__ is not n.PathExpression:
            path = _literal_to_path(path)
        facts = self.facts(path)
        kind = self.classify(facts, bool(node.params) or node.hash is not None)
        escaped = node.escaped and self.options.escape
        if kind == "simple" and not escaped:
            return self.print_value(path, facts, node)
        if kind == "helper":
            value = self.helper_call(path, facts, node.params, node.hash, None, None, "print", node)
        elif kind == "simple":
            value = self.lambda_value(path, facts, self.missing_at(path, "print", node))
        else:
            value = self.ambiguous(path, facts, None, None, self.missing_at(path, "print", node), node)
        line, column = _location(node)
        if escaped:

            def mustache(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:  # _guard's work inlined
                try:
                    return js.escape_expression(value(rt, ctx, data, bp, depths))
                except HandlebarsError as error:
                    raise RenderError(error.message, line, column) from None

        else:

            def mustache(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:  # _guard's work inlined
                try:
                    result = value(rt, ctx, data, bp, depths)
                except HandlebarsError as error:
                    raise RenderError(error.message, line, column) from None
                return "" if result is None else result

        return mustache

    def print_value(self, path: n.PathExpression, facts: _PathFacts, node: n.MustacheStatement) -> St:
        """`{{a.b}}` printed unescaped, the most frequent statement: what lambda_value, mustache and _guard build, in
        one closure."""
        span = node.span  # _location(node) of a mustache
        line, column = span.line, span.column
        where = (line, column) if line else _location(path)
        missing = _Missing(path.original, *where, "print", self.options.ses_strict)  # missing_at(path, "print", node)
        if self.is_plain_lookup(path, facts):
            return self.print_plain_lookup(path.depth, facts.parts, missing, line, column)
        value = self.path_value(path, facts, strict=True)
        explain = None if path.data else self.explain_null(path, facts)

        def print_value(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            try:
                result = value(rt, ctx, data, bp, depths)
                if result is None:
                    if explain is not None:
                        _report_missing(rt, missing, explain(rt, ctx, data, bp, depths))
                    return ""
                if js.is_function(result):
                    result = result(ctx)
                    return "" if result is None else result
                return result
            except HandlebarsError as error:
                raise RenderError(error.message, line, column) from None

        return print_value

    @staticmethod
    def print_plain_lookup(depth: int, parts: tuple[str, ...], missing: _Missing, line: int, column: int) -> St:
        """print_value of a plain context lookup, the lookup (path_value's `_resolve`) and its report inlined."""
        lookup = js.lookup_property
        is_function = js.is_function

        def print_lookup(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            try:
                base = _context_at(ctx, depths, depth) if depth else ctx
                value = base
                for part in parts:
                    if value.__class__ is dict:
                        value = value.get(part)
                    elif value is None:
                        break
                    else:
                        value = lookup(value, part)
                if value is None:
                    _report_missing(rt, missing, _has_null_segment(base, parts))
                    return ""
                if value.__class__ is not str and is_function(value):
                    value = value(ctx)
                    return "" if value is None else value
                return value
            except HandlebarsError as error:
                raise RenderError(error.message, line, column) from None

        return print_lookup

    def ambiguous(
        self,
        path: n.PathExpression,
        facts: _PathFacts,
        program: ProgramSpec | None,
        inverse: ProgramSpec | None,
        missing: _Missing | None,
        node: Any,
    ) -> Callable[..., Any]:
        """handlebars.js `invokeAmbiguous`: helpers[name], else the context value (functions called), else
        helperMissing. For blocks the result goes on to blockHelperMissing unless a helper was found."""
        name = facts.parts[0]
        value = self.reported_value(path, facts, missing, strict=True)
        makers = self.program_makers(program, inverse)
        uses_data = self.uses_data
        js_strict = self.options.js_strict
        loc = _location(node)
        is_block = program is not None or inverse is not None

        def call(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            helper = rt.helpers.get(name)
            found = helper
            if helper is None:
                helper = value(rt, ctx, data, bp, depths)
                if helper is None and not js_strict:
                    helper = rt.helper_missing
            is_function = js.is_function(helper)
            if not is_function and not is_block:
                return helper  # the options below would go unused
            fn, inv = makers(rt, data, bp, depths)
            this = ctx if ctx is not None else NULL_CONTEXT
            options = Options(rt, name, this, {}, data if uses_data else None, fn, inv, bp, loc)
            result = _call_helper(helper, [], options) if is_function else helper
            if is_block and found is None:
                result = _call_helper(rt.block_helper_missing, [result], options)
            return result

        return call

    def block(self, node: n.BlockStatement) -> St:
        program = self.program(node.program) if node.program is not None else None
        inverse = self.program(node.inverse) if node.inverse is not None else None
        path = _literal_to_path(node.path)
        facts = self.facts(path)
        kind = self.classify(facts, bool(node.params) or node.hash is not None)
        if kind == "helper":
            return self.helper_call(
                path, facts, node.params, node.hash, program, inverse, "block", node, statement=True
            )
        if kind == "ambiguous":
            # handlebars.js flushes its expression stack here: the result is appended on its own, not within `+`
            value = self.ambiguous(path, facts, program, inverse, self.missing_at(path, "block"), node)
            return _Explicit(_guard(value, *_location(node)))
        value = self.block_value(path, facts, program, inverse, node)
        line, column = _location(node)

        def block(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:  # _guard's work inlined
            try:
                result = value(rt, ctx, data, bp, depths)
            except HandlebarsError as error:
                raise RenderError(error.message, line, column) from None
            return "" if result is None else result

        return block

    def block_value(
        self,
        path: n.PathExpression,
        facts: _PathFacts,
        program: ProgramSpec | None,
        inverse: ProgramSpec | None,
        node: Any,
    ) -> Ev:
        """handlebars.js `blockValue`: `{{#a.b}}` resolves the path, then runs blockHelperMissing."""
        value = self.lambda_value(path, facts, self.missing_at(path, "block"))
        makers = self.program_makers(program, inverse)
        uses_data = self.uses_data
        loc = _location(node)
        name = handlebars_original(path)

        def call(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            result = value(rt, ctx, data, bp, depths)
            fn, inv = makers(rt, data, bp, depths)
            this = ctx if ctx is not None else NULL_CONTEXT
            options = Options(rt, name, this, {}, data if uses_data else None, fn, inv, bp, loc)
            return _call_helper(rt.block_helper_missing, [result], options)

        return call

    def partial(self, node: n.PartialStatement | n.PartialBlockStatement) -> St:
        options = self.options
        program = None
        if isinstance(node, n.PartialBlockStatement) and node.program is not None:
            program = self.program(node.program)
        if len(node.params) > 1:
            raise RenderError(f"Unsupported number of partial arguments: {len(node.params)}", *_location(node))
        if node.params:
            context_ev = self.expression(node.params[0], "partial-context")
        elif options.explicit_partial_context:
            context_ev = None
        else:

            def context_ev(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                return ctx

        dynamic = isinstance(node.name, n.SubExpression)
        name_ev = self.sub_expression(node.name, "partial-context") if dynamic else None
        static_name = None if dynamic else _partial_name(node.name)
        _, hash_pairs = self.params_and_hash([], node.hash, "partial-context")
        indent = getattr(node, "indent", "") or ""
        prefix = ""
        if options.prevent_indent and indent:
            prefix, indent = indent, ""
        compat = options.compat
        uses_data = self.uses_data

        def partial(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
            if name_ev is not None:
                found, name = name_ev(rt, ctx, data, bp, depths), None
            else:
                found, name = rt.partials.get(static_name), static_name
            context = context_ev(rt, ctx, data, bp, depths) if context_ev is not None else None
            hash_values = _hash(hash_pairs, rt, ctx, data, bp, depths)
            fn = BoundProgram(rt, program, data, bp, depths) if program is not None else None
            frame = data if uses_data else None
            result = invoke_partial(
                rt, found, name, context, hash_values, frame, bp, depths if compat else None, fn, indent
            )
            if result is None:
                result = ""
            return js.add(prefix, result) if prefix else result

        return _guard(partial, *_location(node))


def _partial_name(name: Any) -> str:
    if isinstance(name, n.StringLiteral):
        return name.value
    if isinstance(name, n.NumberLiteral):
        return js.number_to_string(name.value)
    if isinstance(name, n.PathExpression):
        return handlebars_original(name)
    return _literal_to_path(name).original


def _hash(
    pairs: list[tuple[str, Ev]] | None, rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple
) -> dict[str, Any] | None:
    """Hash values evaluated in order, assigned in reverse like handlebars.js (first duplicate key wins)."""
    if pairs is None:
        return None
    values = [(key, value(rt, ctx, data, bp, depths)) for key, value in pairs]
    result: dict[str, Any] = {}
    for key, value in reversed(values):
        result[key] = value
    return result


def _call_helper(helper: Any, params: list[Any], options: Options) -> Any:
    if not callable(helper):
        raise HandlebarsError(f"{options.name} is not a function")
    try:
        return helper(*params, options)
    except (RenderError, HandlebarsError, RecursionError):
        raise
    except Exception as error:  # a Python helper failed: report it where it was called
        raise HandlebarsError(f"helper {options.name!r} failed: {error}") from error


class _Explicit:
    """A statement that handlebars.js appends with its own `if (x != null) buffer += x;` (an ambiguous block)."""

    __slots__ = ("statement",)

    def __init__(self, statement: St) -> None:
        self.statement = statement

    def __call__(self, rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
        return self.statement(rt, ctx, data, bp, depths)


def _empty_body(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> str:
    return ""


def _make_body(pieces: list[str | St], explicit: tuple[bool, ...], simple: bool) -> Body:
    """A program's body: the pieces' values joined the way handlebars.js's generated JavaScript joins them."""
    if not pieces:
        return _empty_body
    if len(pieces) == 1:
        (only,) = pieces
        if isinstance(only, str):
            return lambda rt, ctx, data, bp, depths: only
        if explicit[0] and not simple:
            return lambda rt, ctx, data, bp, depths: join_values([only(rt, ctx, data, bp, depths)], explicit)
        if explicit[0]:

            def lone(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
                result = only(rt, ctx, data, bp, depths)
                return "" if result is None else result

            return lone
        return only
    frozen = tuple(pieces)

    def body(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> Any:
        values = [piece if piece.__class__ is str else piece(rt, ctx, data, bp, depths) for piece in frozen]
        try:
            return "".join(values)
        except TypeError:  # a number, boolean, list, object or null among the values
            return join_values(values, explicit)

    return body


def _make_discarding_body(statements: list[St]) -> Body:
    """A program's body that runs its statements (their lookups, missing-value reports and errors) and drops what
    they print: for callers that need the lookups of a render, not its text (`ses2mt check`)."""
    if not statements:
        return _empty_body
    if len(statements) == 1:
        (only,) = statements

        def lone(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> str:
            only(rt, ctx, data, bp, depths)
            return ""

        return lone
    frozen = tuple(statements)

    def body(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> str:
        for statement in frozen:
            statement(rt, ctx, data, bp, depths)
        return ""

    return body


def _make_string_body(pieces: list[str | St]) -> Body:
    """A program's body when every output is turned into a string on its own (no JavaScript `+` between values)."""
    frozen = tuple(pieces)
    output = js.output_string

    def body(rt: Runtime, ctx: Any, data: Any, bp: tuple, depths: tuple) -> str:
        frame = (ctx, data, bp, depths)
        return "".join([piece if piece.__class__ is str else output(piece(rt, *frame)) for piece in frozen])

    return body


def join_values(values: list[Any], explicit: tuple[bool, ...]) -> Any:
    """handlebars.js `mergeSource`: runs of appended values form `a + b + c` expressions (numbers add up);
    an explicit value is appended to the buffer on its own when it is not null."""
    if not any(explicit):
        return _fold(values)
    segments: list[tuple[bool, Any]] = []
    for value, is_explicit in zip(values, explicit, strict=True):
        if is_explicit:
            segments.append((True, value))
        elif segments and not segments[-1][0]:
            segments[-1][1].append(value)
        else:
            segments.append((False, [value]))
    buffer: Any = ""
    start = 0
    if not segments[0][0]:
        buffer, start = _fold(segments[0][1]), 1
    last = len(segments) - 1
    for index in range(start, len(segments)):
        is_explicit, content = segments[index]
        if is_explicit:
            if content is not None:
                buffer = js.add(buffer, content)
        elif index == last:
            for value in content:
                buffer = js.add(buffer, value)
        else:
            buffer = js.add(buffer, _fold(content))
    return buffer


def _fold(values: list[Any]) -> Any:
    result = values[0]
    for value in values[1:]:
        result = js.add(result, value)
    return result
