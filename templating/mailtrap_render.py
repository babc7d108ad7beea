"""The Mailtrap dialect: pybars3 (an independent Python Handlebars) rendering a converted template.

Verification renders the ORIGINAL template with our own engine as SES and the CONVERTED template with this adapter as
Mailtrap, so a rewrite bug cannot hide behind a shared code path. The adapter is deliberately small; docs/convert.md
lists each thing it changes about pybars3 and why:

- `#with`: pybars3 ignores `{{else}}`, renders falsy contexts, and makes `../` inside the block point at the block's
  own context. Mailtrap documents `#with/else`; the adapter's `with` follows handlebars.js (`isEmpty` -> inverse, the
  enclosing context as parent, the enclosing @index/@key/@first/@last still visible).
- `#unless`: pybars3 ignores `{{else}}`; the adapter's `unless` renders it, as handlebars.js does.
- Numbers: pybars3 prints Python's `str()` (`1.0`, `1e+16`); the data given to pybars3 carries JSON numbers that print
  as JavaScript prints them (`1`, `10000000000000000`). Nothing else in the data is changed: lists and objects
  print the Python way, `{}` is falsy for pybars3's `#if`, and such differences are reported by verification.

Everything else (parsing, paths, `../`, whitespace and standalone lines, escaping, `#if`, `#each`) is pybars3's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from pybars import Compiler
from pybars._compiler import Scope

from templating.render.jsvalues import is_empty, number_to_string

CompiledPybars = Callable[..., str]

_compiler_lock = threading.Lock()


class MailtrapRenderError(Exception):
    """pybars3 could not compile or render the converted template."""


class JsNumber(float):
    """A JSON number that prints the way JavaScript prints it."""

    __slots__ = ()

    def __str__(self) -> str:
        return number_to_string(float(self))

    __repr__ = __str__


def js_data(value: Any) -> Any:
    """The fixture data as pybars3 should see it: same shapes, numbers printing as in JavaScript."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return JsNumber(value)
    if isinstance(value, int):
        return value if -(2**53) <= value <= 2**53 else JsNumber(float(value))
    if isinstance(value, Mapping):
        return {key: js_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [js_data(item) for item in value]
    return value


def _scope_data(this: Any) -> dict[str, Any]:
    if not isinstance(this, Scope):
        return {}
    return {"index": this.index, "key": this.key, "first": this.first, "last": this.last}


def _with(this: Any, options: dict[str, Any], context: Any) -> Any:
    if is_empty(context):
        return options["inverse"](this)
    return options["fn"](Scope(context, this, options["root"], **_scope_data(this)))


def _unless(this: Any, options: dict[str, Any], context: Any) -> Any:
    if callable(context):
        context = context(this)
    if not context:
        return options["fn"](this)
    return options["inverse"](this)


HELPERS: dict[str, Callable[..., Any]] = {"with": _with, "unless": _unless}


@lru_cache(maxsize=512)
def compile_pybars(source: str) -> CompiledPybars:
    """pybars3's compiled template for `source`, cached by content (pybars3 compiles slowly)."""
    with _compiler_lock:
        try:
            return Compiler().compile(source)
        except Exception as exc:
            raise MailtrapRenderError(f"pybars3 cannot compile the converted template: {exc}") from None


def render_mailtrap(source: str, data: Mapping[str, Any]) -> str:
    """Render a converted template as Mailtrap would: standard escaping, missing variables print nothing."""
    template = compile_pybars(source)
    try:
        return str(template(js_data(data), helpers=HELPERS))
    except Exception as exc:
        raise MailtrapRenderError(f"pybars3 cannot render the converted template: {type(exc).__name__}: {exc}") from None
