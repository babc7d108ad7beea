"""The values a path takes across fixtures, found by walking value patterns through the fixture data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from templating.render.jsvalues import has_own_property, lookup_property, object_keys

from .scope import Pattern

MISSING = object()


@dataclass(frozen=True, slots=True)
class Sample:
    fixture: str
    value: Any


def values_at(fixtures: Sequence[tuple[str, Mapping[str, Any]]], pattern: Pattern) -> list[Sample]:
    """Every value found at `pattern` in every fixture (absent keys are skipped; null is a value)."""
    samples: list[Sample] = []
    for name, data in fixtures:
        samples.extend(Sample(name, value) for value in _walk(data, pattern))
    return samples


def _walk(value: Any, pattern: Pattern) -> Iterator[Any]:
    if not pattern:
        yield value
        return
    step, rest = pattern[0], pattern[1:]
    if step == "*":
        if isinstance(value, Mapping | list | tuple):
            for key in object_keys(value):
                yield from _walk(lookup_property(value, key), rest)
        return
    key = step[2:]
    if value is None or not has_own_property(value, key):
        return
    yield from _walk(lookup_property(value, key), rest)


def value_kind(value: Any) -> str:
    """How a mustache section treats a value (handlebars.js blockHelperMissing).

    "array": #each; "bool": true renders the block in the same context, false the inverse; "null": the inverse;
    "context": the block with the value as context (#with); "blank": "" or 0, rendered with that value as context,
    which no built-in reproduces."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, str):
        return "context" if value else "blank"
    if isinstance(value, int | float):
        return "context" if value != 0 else "blank"
    return "context"


def describe(value: Any) -> str:
    kind = value_kind(value)
    if kind == "array":
        return "a list"
    if kind == "bool":
        return "true" if value else "false"
    if kind == "null":
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, str):
        return "a string" if value else 'the empty string ""'
    return "a number" if value != 0 else "the number 0"
