"""Where a path of the original template points, and how to write that place in the converted template.

The converter walks the original AST with an `Env`. Original paths resolve (through block parameters, partial
contexts, partial hash arguments and `../`) to a `Ref`: a place that the converted template can name from any point
of its own block structure. `Ref.text(env)` writes that name at a given point.

Output context levels: every `#each` and `#with` of the converted template (and sections typed as such) opens one;
`#if`/`#unless` do not (handlebars.js pushes a depth only when the context changes, and so does pybars3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Pattern = tuple[str, ...]  # steps from the data root: "k:<name>" for a key, "*" for every element of a list/object
HELPER_NAMES = frozenset({"if", "unless", "each", "with", "lookup", "log", "blockHelperMissing", "helperMissing"})
_SIMPLE_SEGMENT = re.compile(r"[^\s!\"#%&'()*+,./;<=>@\[\\\]^`{|}~]+")


class Unconvertible(Exception):
    """A construct with no exact form in the converted template; becomes an R-code error at its location."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Ref:
    """A value the converted template can name.

    kind "ctx": the context of output level `level`, then `parts`; "root": `@root` then `parts`;
    "data": the @data variable `parts[0]` of data frame `level` (frames are opened by #each)."""

    kind: Literal["ctx", "root", "data"]
    level: int
    parts: tuple[str, ...] = ()
    pattern: Pattern | None = None

    def extend(self, parts: tuple[str, ...] | list[str]) -> Ref:
        parts = tuple(parts)
        if not parts:
            return self
        if self.kind == "data":
            raise Unconvertible("R127", f"a property of the @data variable @{'.'.join(self.parts)} cannot be named")
        pattern = None if self.pattern is None else self.pattern + tuple(f"k:{part}" for part in parts)
        return Ref(self.kind, self.level, self.parts + parts, pattern)

    def text(self, env: Env) -> str:
        if self.kind == "root":
            return "@root" + "".join("." + segment_text(part) for part in self.parts)
        if self.kind == "data":
            up = env.data_depth - self.level
            if up < 0:
                raise Unconvertible("R130", "a @data variable is used outside the #each that defines it")
            return "@" + "../" * up + ".".join(self.parts)
        up = env.out_depth - self.level
        if up < 0:
            raise Unconvertible("R127", "a context is used outside the block that defines it")
        if not self.parts:
            return "this" if up == 0 else "../" * up + "this"
        body = ".".join(segment_text(part) for part in self.parts)
        if up == 0 and self.parts[0] in HELPER_NAMES:
            return "this." + body
        return "../" * up + body


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A literal hash argument of a partial call (`{{> card title="Hi"}}`): printed as text where it is used."""

    value: Any
    source: str


Binding = Ref | LiteralValue


@dataclass(frozen=True, slots=True)
class EachSecondParam:
    """The second block parameter of #each: @index over arrays, @key over objects (decided from the fixtures)."""

    data_level: int
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class Frame:
    """One level of the original's depth stack (`../` climbs frames). `target` is its context.

    `hash` holds a partial call's hash arguments (they extend the partial's context); `barrier` marks the top of a
    partial body, above which `../` would reach the partial's definition site (not expressible once expanded)."""

    target: Ref
    hash: Mapping[str, Binding] | None = None
    barrier: bool = False


@dataclass(frozen=True, slots=True)
class Env:
    frames: tuple[Frame, ...]
    out_depth: int = 0
    data_depth: int = 0
    block_params: tuple[tuple[str, Binding | EachSecondParam], ...] = ()
    partials: Mapping[str, Any] = field(default_factory=dict)
    expanding: tuple[str, ...] = ()
    is_root: bool = True
    partial_block: Any = None  # (PartialBlockStatement, caller Env, ...) inside a partial called as a partial block
    indented: bool = False  # inside a standalone partial call with indentation (handlebars.js indents its output)

    @property
    def current(self) -> Frame:
        return self.frames[-1]

    def block_param(self, name: str) -> Binding | EachSecondParam | None:
        for key, binding in reversed(self.block_params):
            if key == name:
                return binding
        return None


def segment_text(part: str) -> str:
    """A path segment as written in a template (`[a b]` when it is not a plain identifier)."""
    if _SIMPLE_SEGMENT.fullmatch(part) and part not in ("this", "true", "false", "null", "undefined", "..", "."):
        return part
    return f"[{part}]"


def root_env(partials: Mapping[str, Any]) -> Env:
    return Env(frames=(Frame(Ref("ctx", 0, (), ())),), partials=partials)
