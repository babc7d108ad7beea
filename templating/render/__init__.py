"""Our Handlebars evaluator: handlebars.js 4.7.8 semantics, compiled once per template into Python closures.

Two dialects share it:
- SES (`escape=False, strict=True`): nothing is HTML-escaped, and printing a missing or null attribute fails with
  SES's own message, `Attribute 'x' is not present in the rendering data.`
- standard Handlebars (`escape=True, strict=False`): escaping on, missing values print nothing.

    compiled = compile_template("Hello {{name}}")      # cached by content
    compiled.render({"name": "Ann"})                    # SES rules
    compiled.render(data, on_missing=found.append)      # collect every missing/null lookup instead of failing

Modules: `compiler` (AST -> closures, handlebars.js's compile-time decisions), `runtime` (programs, data frames,
built-in helpers, partials), `jsvalues` (JavaScript printing, truthiness, property lookup, `+`). Missing attributes
are reported as `MissingAttribute(name, line, column, kind, null)` with kind "print" (`{{x}}`), "condition"
(`#if`/`#unless`), "block" (`#each`/`#with`/sections) or "partial-context"; only "print" fails in SES mode, and
never for `@data` variables or helper names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Literal

from templating.hbs import TemplateSyntaxError, parse
from templating.hbs import nodes as n
from templating.render.compiler import CompileOptions, TemplateSpec, compile_program_tree
from templating.render.jsvalues import SafeString, escape_expression
from templating.render.runtime import (
    HandlebarsError,
    MissingAttribute,
    Options,
    ProgramSpec,
    RenderError,
    Runtime,
    init_data,
    run_main,
    ses_missing_message,
)

__all__ = [
    "Compiled",
    "MissingAttribute",
    "Options",
    "RenderError",
    "SafeString",
    "compile_template",
    "escape_expression",
    "render_part",
    "ses_missing_message",
]

Dialect = Literal["ses", "standard", "mailtrap"]


class Compiled:
    """One parsed template. Closures are built on first render for each set of compile-affecting options."""

    __slots__ = ("_variants", "ignore_standalone", "program", "source")

    def __init__(self, source: str, program: n.Program, ignore_standalone: bool = False) -> None:
        self.source = source
        self.program = program
        self.ignore_standalone = ignore_standalone
        self._variants: dict[CompileOptions, TemplateSpec] = {}

    def spec(self, options: CompileOptions) -> TemplateSpec:
        spec = self._variants.get(options)
        if spec is None:
            spec = compile_program_tree(self.program, options)
            self._variants[options] = spec
        return spec

    def render(
        self,
        data: Any,
        *,
        escape: bool = False,
        strict: bool = True,
        partials: Mapping[str, Any] | None = None,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        on_missing: Callable[[MissingAttribute], None] | None = None,
        compat: bool = False,
        prevent_indent: bool = False,
        known_helpers_only: bool = False,
        data_frames: bool = True,
        js_strict: bool = False,
        assume_objects: bool = False,
        known_helpers: frozenset[str] | set[str] = frozenset(),
        explicit_partial_context: bool = False,
        add_adjacent_numbers: bool = True,
        initial_data: Mapping[str, Any] | None = None,
        output: bool = True,
    ) -> str:
        """Render with `data` as the root context.

        `strict` is SES's rule (a printed missing/null attribute raises RenderError, unless `on_missing` collects it);
        `js_strict` and `assume_objects` are handlebars.js's own `strict`/`assumeObjects` compile options.
        `partials` maps names to template source. Helpers are called `helper(*params, options)`.
        `initial_data` is handlebars.js's runtime `data` option (the root `@data` frame).
        `output=False` evaluates every statement (lookups, `on_missing` reports, errors) without building the text,
        and returns "" (what the checker needs); programs then give "" to helpers, which the built-in helpers never
        look at.
        `add_adjacent_numbers`: handlebars.js joins a program's outputs with JavaScript `+`, so two numbers (or
        booleans) printed unescaped back to back at the start of a program add up (`{{a}}{{b}}` with 1 and 2 prints
        "3" when nothing is escaped); False prints each value on its own ("12"), as other Handlebars engines do."""
        options = CompileOptions(
            escape=escape,
            ses_strict=strict,
            js_strict=js_strict,
            assume_objects=assume_objects,
            compat=compat,
            prevent_indent=prevent_indent,
            known_helpers_only=known_helpers_only,
            known_helpers=frozenset(known_helpers),
            data=data_frames,
            explicit_partial_context=explicit_partial_context,
            add_adjacent_numbers=add_adjacent_numbers,
            ignore_standalone=self.ignore_standalone,
            output=output,
        )
        spec = self.spec(options)
        runtime = Runtime(helpers, partials, on_missing, _partial_compiler(options))
        frame = init_data(data, dict(initial_data) if initial_data else None) if spec.uses_data else initial_data
        try:
            return run_main(runtime, spec.main, data, frame, None)
        except HandlebarsError as error:
            raise RenderError(error.message) from None
        except RecursionError:
            raise RenderError("Maximum call stack size exceeded (recursive partial?)") from None


def _partial_compiler(options: CompileOptions) -> Callable[[str], ProgramSpec]:
    def compile_partial(source: str) -> ProgramSpec:
        try:
            compiled = compile_template(source, ignore_standalone=options.ignore_standalone)
        except TemplateSyntaxError as error:
            raise HandlebarsError(f"in a partial, {error.line}:{error.column}: {error.message}") from None
        return compiled.spec(options).main

    return compile_partial


@lru_cache(maxsize=1024)
def compile_template(source: str, *, ignore_standalone: bool = False) -> Compiled:
    """Parse `source` (raises TemplateSyntaxError) and return its Compiled template, cached by content."""
    return Compiled(source, parse(source, ignore_standalone=ignore_standalone), ignore_standalone)


def render_part(source: str, data: Any, dialect: Dialect = "ses") -> str:
    """Render one template part.

    - "ses": our engine, no escaping, SES's missing-attribute rule (RenderError).
    - "standard": our engine as handlebars.js with its defaults (escaping on, missing prints nothing).
    - "mailtrap": the independent Mailtrap engine (pybars3, templating.mailtrap_render) for converted templates."""
    if dialect == "ses":
        return compile_template(source).render(data, escape=False, strict=True)
    if dialect == "standard":
        return compile_template(source).render(data, escape=True, strict=False)
    if dialect == "mailtrap":
        from templating.mailtrap_render import MailtrapRenderError, render_mailtrap

        try:
            return render_mailtrap(source, data)
        except MailtrapRenderError as error:
            raise RenderError(str(error)) from None
    raise ValueError(f"unknown dialect {dialect!r}")
