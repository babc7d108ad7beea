"""Run-time objects of the evaluator, shaped after handlebars.js 4.7.8 `runtime.js` and its built-in helpers.

A compiled program is a Python function `body(rt, context, data, block_params, depths) -> str`. A `BoundProgram` is
what handlebars.js calls a program wrapper: a body bound to the data frame, block-param stack and context depths of
the place where it was created, which helpers call as `options.fn(context)`.

Programs produce JavaScript values, not only strings: handlebars.js compiles a program's outputs into one `+`
expression, so a program that prints a lone number returns that number, and two numbers printed unescaped back to back
are added (`{{{a}}}{{{b}}}` with 1 and 2 prints 3). `BoundProgram.raw` returns that value (the built-in helpers use
it); calling a program returns the string, which is what Python helpers get.

- `depths` is a tuple, `depths[0]` the current context (pushed only when a program changes context).
- `block_params` is a tuple of levels, one per program invocation, innermost first; a level is the list of values a
  helper passed (`[item, index]` for `#each`) or None.
- `data` is a dict frame (`@index`, `@key`, `@root`, ...) whose parent frame is under the key `_parent`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from templating.render import jsvalues as js

MissingKind = Literal["print", "condition", "block", "partial-context"]
Body = Callable[["Runtime", Any, Any, tuple, tuple], Any]

# handlebars.js passes this sealed empty object as `this` to helpers when the context is null or undefined.
NULL_CONTEXT: dict[str, Any] = {}


def ses_missing_message(name: str) -> str:
    return f"Attribute '{name}' is not present in the rendering data."


class RenderError(Exception):
    """A failure while rendering, at a 1-based line and column of the part's source (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, attribute: str | None = None) -> None:
        super().__init__(f"{line}:{column}: {message}" if line else message)
        self.message = message
        self.line = line
        self.column = column
        self.attribute = attribute


class HandlebarsError(Exception):
    """An error raised by the runtime before its location is known (handlebars.js `Exception`/`TypeError`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class MissingAttribute:
    """A lookup that found nothing (`null=False`) or an explicit null (`null=True`)."""

    name: str
    line: int
    column: int
    kind: MissingKind
    null: bool


# ---------------------------------------------------------------- data frames


def create_frame(data: Mapping[str, Any] | None) -> dict[str, Any]:
    frame = dict(data) if data else {}
    frame["_parent"] = data
    return frame


def init_data(context: Any, data: dict[str, Any] | None) -> dict[str, Any]:
    if not data or "root" not in data:
        data = create_frame(data) if data else {}
        data["root"] = context
    return data


def data_at_depth(data: Any, depth: int) -> Any:
    while data is not None and data is not False and depth:
        data = js.lookup_property(data, "_parent")
        depth -= 1
    return data


# ---------------------------------------------------------------- programs


def push_depth(context: Any, depths: tuple) -> tuple:
    """handlebars.js pushes a context on the depth stack only when it differs (`!=`) from the current one."""
    if not depths:
        return (context,)
    top = depths[0]
    if context is top or js.loose_equal(context, top) or (context is NULL_CONTEXT and top is None):
        return depths
    return (context, *depths)


@dataclass(slots=True)
class ProgramSpec:
    """A compiled Program: its body, its inline-partial decorators and its declared block params."""

    body: Body
    decorators: tuple[Decorator, ...] = ()
    block_param_count: int = 0


@dataclass(slots=True)
class Decorator:
    """`{{#* inline "name"}}...{{/inline}}` (or another decorator, which fails when applied)."""

    name: str
    argument: Callable[[Runtime, Any, Any, tuple, tuple], Any] | None
    program: ProgramSpec | None
    line: int
    column: int


class BoundProgram:
    """A program bound to the data, block params and depths of its creation (handlebars.js `wrapProgram`)."""

    __slots__ = ("block_param_count", "bound_block_params", "data", "depths", "partials", "rt", "spec")

    def __init__(self, rt: Runtime, spec: ProgramSpec, data: Any, block_params: tuple, depths: tuple) -> None:
        self.rt = rt
        self.spec = spec
        self.data = data
        self.bound_block_params = block_params
        self.depths = depths
        self.block_param_count = spec.block_param_count
        self.partials: dict[str, Any] | None = None
        if spec.decorators:
            self.partials = apply_decorators(rt, spec.decorators, data, block_params, depths)

    def __call__(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> str:
        return js.output_string(self.raw(context, data, block_params))

    def raw(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> Any:
        depths = push_depth(context, self.depths)
        frame = data if data is not None else self.data
        stack = (block_params, *self.bound_block_params)
        if self.partials is None:
            return self.spec.body(self.rt, context, frame, stack, depths)
        rt = self.rt
        original = rt.partials
        rt.partials = {**original, **self.partials}
        try:
            return self.spec.body(rt, context, frame, stack, depths)
        finally:
            rt.partials = original


def apply_decorators(
    rt: Runtime, decorators: tuple[Decorator, ...], data: Any, block_params: tuple, depths: tuple
) -> dict[str, Any]:
    partials: dict[str, Any] = {}
    for decorator in decorators:
        if decorator.name != "inline":
            raise RenderError(f'Missing decorator: "{decorator.name}"', decorator.line, decorator.column)
        context = depths[0] if depths else None
        name = decorator.argument(rt, context, data, block_params, depths) if decorator.argument else None
        program = BoundProgram(rt, decorator.program, data, block_params, depths) if decorator.program else None
        partials[js.property_key(name)] = program
    return partials


class _Noop:
    """handlebars.js `container.noop`: the absent half of a block."""

    __slots__ = ()
    block_param_count = 0
    partials = None

    def __call__(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> str:
        return ""

    raw = __call__


noop = _Noop()


# ---------------------------------------------------------------- helpers


class Options:
    """What a helper receives last (handlebars.js `options`): name, hash, data, fn, inverse, context (`this`)."""

    __slots__ = ("block_param_stack", "context", "data", "fn", "hash", "inverse", "loc", "name", "runtime")

    def __init__(
        self,
        runtime: Runtime,
        name: str,
        context: Any,
        hash: dict[str, Any] | None,
        data: Any,
        fn: Callable[..., str] | None,
        inverse: Callable[..., str] | None,
        block_param_stack: tuple,
        loc: tuple[int, int],
    ) -> None:
        self.runtime = runtime
        self.name = name
        self.context = context
        self.hash = hash if hash is not None else {}
        self.data = data
        self.fn = fn
        self.inverse = inverse
        self.block_param_stack = block_param_stack
        self.loc = loc

    @property
    def block_params(self) -> int:
        """How many block params the block declares (`{{#x as |a b|}}` -> 2)."""
        return getattr(self.fn, "block_param_count", 0)

    @staticmethod
    def lookup_property(parent: Any, name: Any) -> Any:
        return js.lookup_property(parent, name)


Helper = Callable[..., Any]


def _arity_error(name: str) -> HandlebarsError:
    return HandlebarsError(f"#{name} requires exactly one argument")


def helper_if(*args: Any) -> Any:
    if len(args) != 2:
        raise _arity_error("if")
    conditional, options = args
    if js.is_function(conditional):
        conditional = conditional(options.context)
    if (not js.truthy(options.hash.get("includeZero")) and not js.truthy(conditional)) or js.is_empty(conditional):
        return _raw(options.inverse, "inverse")(options.context)
    return _raw(options.fn, "fn")(options.context)


def helper_unless(*args: Any) -> Any:
    if len(args) != 2:
        raise _arity_error("unless")
    conditional, options = args
    swapped = Options(
        options.runtime, options.name, options.context, options.hash, None, options.inverse, options.fn, (), options.loc
    )
    return helper_if(conditional, swapped)


def helper_with(*args: Any) -> Any:
    if len(args) != 2:
        raise _arity_error("with")
    context, options = args
    if js.is_function(context):
        context = context(options.context)
    if js.is_empty(context):
        return _raw(options.inverse, "inverse")(options.context)
    return _raw(options.fn, "fn")(context, data=options.data, block_params=[context])


def helper_each(*args: Any) -> Any:
    if len(args) < 2:
        raise HandlebarsError("Must pass iterator to #each")
    context, options = args[0], args[-1]
    if js.is_function(context):
        context = context(options.context)
    data = create_frame(options.data) if options.data is not None else None
    result: Any = ""

    def run(value: Any, field: Any, index: int, last: bool) -> None:
        nonlocal result
        if data is not None:
            data["key"] = field
            data["index"] = index
            data["first"] = index == 0
            data["last"] = last
        result = js.add(result, _raw(options.fn, "fn")(value, data=data, block_params=[value, field]))

    count = 0
    if js.is_array(context):
        count = len(context)
        for index, value in enumerate(context):
            run(value, index, index, index == count - 1)
    elif isinstance(context, Mapping):
        keys = js.object_keys(context)
        count = len(keys)
        for index, key in enumerate(keys):
            run(js.lookup_property(context, key), key, index, index == count - 1)
    if count == 0:
        return _raw(options.inverse, "inverse")(options.context)
    return result


def _raw(program: Any, name: str) -> Callable[..., Any]:
    """A block's program as the built-in helpers call it: returning its JavaScript value."""
    if program is None:
        raise HandlebarsError(f"{name} is not a function")
    return getattr(program, "raw", program)


def helper_lookup(*args: Any) -> Any:
    obj = args[0]
    if not js.truthy(obj) and len(args) > 1:
        return obj
    if len(args) < 3:  # handlebars.js reads `options.lookupProperty` from a missing third argument
        raise HandlebarsError("Cannot read properties of undefined (reading 'lookupProperty')")
    return js.lookup_property(obj, args[1])


def helper_log(*args: Any) -> Any:
    return None


def helper_missing(*args: Any) -> Any:
    if len(args) == 1:
        return None
    raise HandlebarsError(f'Missing helper: "{args[-1].name}"')


def block_helper_missing(context: Any, options: Options) -> Any:
    this = options.context
    if context is True:
        return _raw(options.fn, "fn")(this)
    if context is False or context is None:
        return _raw(options.inverse, "inverse")(this)
    if js.is_array(context):
        if len(context) > 0:
            return options.runtime.helpers["each"](context, options)
        return _raw(options.inverse, "inverse")(this)
    return _raw(options.fn, "fn")(context, data=options.data, block_params=options.block_param_stack)


BUILTIN_HELPERS: dict[str, Helper] = {
    "if": helper_if,
    "unless": helper_unless,
    "with": helper_with,
    "each": helper_each,
    "lookup": helper_lookup,
    "log": helper_log,
}
KNOWN_HELPERS = frozenset({"helperMissing", "blockHelperMissing", *BUILTIN_HELPERS})


# ---------------------------------------------------------------- one render


class Runtime:
    """Everything one render shares: helpers, hooks, the current partials scope, the missing-attribute hook."""

    __slots__ = ("block_helper_missing", "compile_partial", "helper_missing", "helpers", "on_missing", "partials")

    def __init__(
        self,
        helpers: Mapping[str, Helper] | None,
        partials: Mapping[str, Any] | None,
        on_missing: Callable[[MissingAttribute], None] | None,
        compile_partial: Callable[[str], ProgramSpec],
    ) -> None:
        merged = dict(BUILTIN_HELPERS)
        if helpers:
            merged.update(helpers)
        self.helper_missing: Helper = merged.pop("helperMissing", helper_missing)
        self.block_helper_missing: Helper = merged.pop("blockHelperMissing", block_helper_missing)
        self.helpers = merged
        self.partials: dict[str, Any] = dict(partials or {})
        self.on_missing = on_missing
        self.compile_partial = compile_partial


def indent_lines(text: str, indent: str) -> str:
    lines = text.split("\n")
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if not line and index == last:
            break
        lines[index] = indent + line
    return "\n".join(lines)


def invoke_partial(
    rt: Runtime,
    partial: Any,
    name: str | None,
    context: Any,
    hash: dict[str, Any] | None,
    data: Any,
    block_params: tuple,
    depths: tuple | None,
    fn: BoundProgram | None,
    indent: str,
) -> str:
    """handlebars.js `invokePartialWrapper` + `resolvePartial` + `invokePartial`."""
    if hash is not None:
        context = js.extend_object(context, hash)
    if not js.truthy(partial):
        if name == "@partial-block":
            partial = js.lookup_property(data, "partial-block") if data is not None else None
        else:
            partial = rt.partials.get(js.to_string(name))
    elif not callable(partial) and name is None:
        name = js.to_string(partial)
        partial = rt.partials.get(name)
    partials = rt.partials
    partial_block = None
    if fn is not None:
        outer_block = js.lookup_property(data, "partial-block") if data is not None else None
        data = create_frame(data)
        partial_block = PartialBlock(fn, outer_block)
        data["partial-block"] = partial_block
        if fn.partials:
            partials = {**partials, **fn.partials}
    if partial is None and partial_block is not None:
        partial = partial_block
    if partial is None:
        raise HandlebarsError(f"The partial {js.to_string(name)} could not be found")
    if isinstance(partial, str):
        compiled = PartialTemplate(rt, rt.compile_partial(partial))
        rt.partials[js.to_string(name)] = compiled
        partial = compiled
    if not callable(partial):
        raise HandlebarsError(
            f"You must pass a string or Handlebars AST to Handlebars.compile. You passed {js.to_string(partial)}"
        )
    original = rt.partials
    rt.partials = partials
    try:
        result = getattr(partial, "raw", partial)(context, data=data, block_params=block_params, depths=depths)
    finally:
        rt.partials = original
    if indent:
        if not isinstance(result, str):
            raise HandlebarsError("result.split is not a function")
        result = indent_lines(result, indent)
    return result


class PartialBlock:
    """`@partial-block`: the block of a `{{#> partial}}` call, run with the partial block of its own caller."""

    __slots__ = ("fn", "outer_block")

    def __init__(self, fn: BoundProgram, outer_block: Any) -> None:
        self.fn = fn
        self.outer_block = outer_block

    def raw(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> Any:
        frame = create_frame(data)
        frame["partial-block"] = self.outer_block
        return self.fn.raw(context, data=frame, block_params=block_params)

    def __call__(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> str:
        return js.output_string(self.raw(context, data, block_params))


class PartialTemplate:
    """A partial compiled from a string, for one render. Every partial is called as
    `partial(context, data=..., block_params=..., depths=...)` (depths only in compat mode)."""

    __slots__ = ("main", "rt")

    def __init__(self, rt: Runtime, main: ProgramSpec) -> None:
        self.rt = rt
        self.main = main

    def __call__(self, context: Any = None, data: Any = None, block_params: Any = None, depths: Any = None) -> str:
        return run_main(self.rt, self.main, context, data, depths)


def run_main(rt: Runtime, main: ProgramSpec, context: Any, data: Any, outer_depths: tuple | None) -> str:
    """handlebars.js `ret(context, options)`: depths start at the context (or extend compat-mode parent depths)."""
    depths = push_depth(context, outer_depths) if outer_depths else (context,)
    block_params: tuple = ()
    if not main.decorators:
        return js.to_string(main.body(rt, context, data, block_params, depths))
    inline = apply_decorators(rt, main.decorators, data, block_params, outer_depths or ())
    original = rt.partials
    rt.partials = {**original, **inline}
    try:
        return js.to_string(main.body(rt, context, data, block_params, depths))
    finally:
        rt.partials = original
