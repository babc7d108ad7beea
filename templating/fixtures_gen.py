"""Build a fixture for a template that has none, from the paths its parts reference.

    fixture_from_parts({"html": source, ...}) -> dict

Printed variables get a string (the path itself, e.g. "user.name"); `#each` and mustache sections get a list of two
objects filled the same way (or of two strings when the body prints `this`); `#with` gets an object; `#if`/`#unless`
conditions get `true` unless the path is used as something richer. Inline partials are followed at their call sites
(with their context argument). The result is a starting point that renders every branch taken by truthy values; edit
it to cover the other branches.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from templating.hbs import parse
from templating.hbs.nodes import (
    BlockStatement,
    MustacheStatement,
    PartialBlockStatement,
    PartialStatement,
    PathExpression,
    Program,
    Statement,
    StringLiteral,
)

BUILTINS = ("if", "unless", "each", "with")


@dataclass
class _Context:
    """One context level while walking: the object being filled, and the list holding it (for `#each`)."""

    value: dict[str, Any]
    owner: list[Any] | None = None
    block_params: dict[str, _Context] = field(default_factory=dict)


@dataclass
class _Generator:
    root: dict[str, Any] = field(default_factory=dict)
    prints_this: list[tuple[list[Any], dict[str, Any]]] = field(default_factory=list)
    partials: dict[str, Program] = field(default_factory=dict)
    depth: int = 0

    def walk(self, program: Program | None, stack: list[_Context]) -> None:
        if program is None:
            return
        for statement in program.body:
            if isinstance(statement, BlockStatement) and statement.decorator:
                name = statement.params[0] if statement.params else None
                if isinstance(name, StringLiteral) and statement.program is not None:
                    self.partials[name.value] = statement.program
        for statement in program.body:
            self.statement(statement, stack)

    def statement(self, statement: Statement, stack: list[_Context]) -> None:
        if isinstance(statement, MustacheStatement) and isinstance(statement.path, PathExpression):
            if statement.params:
                return
            self.use(statement.path, stack, "print")
        elif isinstance(statement, BlockStatement) and not statement.decorator:
            self.block(statement, stack)
        elif isinstance(statement, PartialStatement | PartialBlockStatement):
            self.partial(statement, stack)

    def block(self, block: BlockStatement, stack: list[_Context]) -> None:
        name = block.path.original if isinstance(block.path, PathExpression) else ""
        param = block.params[0] if block.params else None
        block_params = block.program.block_params if block.program else []
        if name in BUILTINS and isinstance(param, PathExpression):
            kind = {"each": "list", "with": "object"}.get(name, "flag")
            inner = self.use(param, stack, kind)
            if inner is not None and block_params:
                inner.block_params = {block_params[0]: inner}
            body_stack = [*stack, inner] if inner is not None else stack
            self.walk(block.program, body_stack)
            self.walk(block.inverse, stack)
        elif not block.params and isinstance(block.path, PathExpression) and name not in BUILTINS:
            inner = self.use(block.path, stack, "flag" if block.inverted else "list")
            self.walk(block.inverse if block.inverted else block.program, [*stack, inner] if inner else stack)
            self.walk(block.program if block.inverted else block.inverse, stack)
        else:
            self.walk(block.program, stack)
            self.walk(block.inverse, stack)

    def partial(self, call: PartialStatement | PartialBlockStatement, stack: list[_Context]) -> None:
        if not isinstance(call.name, PathExpression | StringLiteral) or self.depth > 8:
            return
        name = call.name.value if isinstance(call.name, StringLiteral) else call.name.original
        body = self.partials.get(name)
        if body is None:
            return
        context = stack
        if call.params and isinstance(call.params[0], PathExpression):
            inner = self.use(call.params[0], stack, "object")
            context = [inner] if inner is not None else stack
        for pair in call.hash.pairs if call.hash else []:
            if isinstance(pair.value, PathExpression):
                self.use(pair.value, stack, "print")
        self.depth += 1
        self.walk(body, [context[-1]])
        self.depth -= 1

    def use(self, path: PathExpression, stack: list[_Context], kind: str) -> _Context | None:
        """Make `path` exist with a value fit for `kind` ("print", "flag", "list", "object"); the context it opens."""
        if path.data:
            if not (path.parts and path.parts[0] == "root"):
                return None
            context, parts = _Context(self.root), list(path.parts[1:])
        else:
            parts = list(path.parts)
            if not path.this_ and path.depth == 0 and parts and parts[0] in stack[-1].block_params:
                context = stack[-1].block_params[parts[0]]
                parts = parts[1:]
            else:
                index = max(0, len(stack) - 1 - path.depth)
                context = stack[index]
        if not parts:
            if kind == "print" and context.owner is not None:
                self.prints_this.append((context.owner, context.value))
            return context
        target = context.value
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        leaf = parts[-1]
        existing = target.get(leaf)
        if kind == "list":
            if not isinstance(existing, list):
                target[leaf] = existing = [{}]
            return _Context(existing[0], owner=existing)
        if kind == "object":
            if not isinstance(existing, dict):
                target[leaf] = existing = {}
            return _Context(existing)
        if kind == "flag":
            if existing is None:
                target[leaf] = True
            return None
        if existing is None or existing is True:
            target[leaf] = ".".join(path.parts)
        return None

    def finish(self) -> dict[str, Any]:
        for owner, item in self.prints_this:
            if not item and owner and owner[0] is item:
                owner[0] = "item"
        _double_lists(self.root)
        return self.root


def _double_lists(value: Any) -> None:
    """Every generated list gets a second element, so that @first/@last and separators show."""
    if isinstance(value, dict):
        for item in value.values():
            _double_lists(item)
    elif isinstance(value, list):
        for item in value:
            _double_lists(item)
        if len(value) == 1:
            value.append(_second(copy.deepcopy(value[0])))


def _second(value: Any) -> Any:
    if isinstance(value, str):
        return value + " 2"
    if isinstance(value, dict):
        return {key: _second(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_second(item) for item in value]
    return value


def fixture_from_parts(parts: dict[str, str]) -> dict[str, Any]:
    """A fixture that gives every path the parts reference a value (raises TemplateSyntaxError on bad syntax)."""
    generator = _Generator()
    for source in parts.values():
        generator.partials = {}
        generator.walk(parse(source), [_Context(generator.root)])
    return generator.finish()


__all__ = ["fixture_from_parts"]
