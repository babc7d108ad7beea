"""Conformance of templating.render with handlebars.js 4.7.8: the handlebars-spec and mustache-spec suites.

Scope: every rendering case that needs no JavaScript. Cases whose helpers are all simple enough have them ported to
Python by hand (JS_HELPER_PORTS); cases with other helpers, `decorators` or JavaScript functions in their data are out
of scope and skipped with that reason. parser.json and tokenizer.json test the parser's AST and
token dumps, not rendering. The mustache spec runs in compat mode and skips what handlebars.js's own test suite skips.
Every other skip is listed in KNOWN_DIFFERENCES with its reason; `test_conformance_rate` keeps the pass rate of the
in-scope cases at 95 % or more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from templating.hbs import TemplateSyntaxError, parse
from templating.render import Compiled, Options, RenderError, SafeString, compile_template
from templating.render import jsvalues as js
from templating.render.runtime import create_frame

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
HANDLEBARS_SPEC = SHARED / "conformance" / "handlebars-spec"
MUSTACHE_SPEC = SHARED / "conformance" / "mustache-spec"

NOT_RENDERING_FILES = {
    "parser": "parser AST dumps (Handlebars.print), not rendering: tested by the parser's own tests",
    "tokenizer": "lexer token dumps, not rendering: tested by the parser's own tests",
}
MUSTACHE_SKIPPED_FILES = {
    "~lambdas": "handlebars.js knowingly deviates from the optional lambda spec (and lambdas are JavaScript)",
    "delimiters": "handlebars.js does not support alternative delimiters",
    "~dynamic-names": "handlebars.js does not support dynamic names",
    "~inheritance": "handlebars.js does not support template inheritance",
}
MUSTACHE_SKIPPED_CASES = {
    "Failed Lookup": "handlebars.js throws for a missing partial where mustache renders nothing",
    "Standalone Indentation": "handlebars.js indents differently (skipped by handlebars.js's own test suite)",
}
UNSUPPORTED_COMPILE_OPTIONS = {"stringParams", "trackIds"}

# Cases in scope that we do not pass, each with the reason (key: case id as built by `_case_id`).
KNOWN_DIFFERENCES: dict[str, str] = {}


# ---------------------------------------------------------------- JavaScript helpers ported by hand
#
# Spec cases whose helpers are all in this table run with these Python equivalents (the table is keyed by the
# helper's JavaScript source, whitespace collapsed); cases with any other helper stay out of scope.


def _plus(*values: Any) -> Any:
    """JavaScript `a + b + ...`."""
    result = values[0]
    for value in values[1:]:
        result = js.add(result, value)
    return result


def _prop(obj: Any, name: str) -> Any:
    return js.lookup_property(obj, name)


def _upper(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("toUpperCase is not a function")
    return value.upper()


def _type_or(value: Any, kind: str, fallback: str) -> Any:
    return value if js.type_of(value) == kind else fallback


def _let(options: Options) -> Any:
    frame = create_frame(options.data)
    frame.update(options.hash)
    return options.fn(options.context, data=frame)


def _depth_frame(options: Options) -> Any:
    frame = create_frame(options.data)
    frame["depth"] = js.add(_prop(options.data, "depth"), 1)
    return options.fn(options.context, data=frame)


def _list(context: Any, options: Options) -> Any:
    if _prop(context, "length") > 0:
        items = "".join("<li>" + options.fn(item) + "</li>" for item in context)
        return "<ul>" + items + "</ul>"
    return "<p>" + options.inverse(options.context) + "</p>"


def _goodbyes(options: Options, context: Any) -> str:
    return "".join(f"{bye} {options.fn(context)}! " for bye in ("Goodbye", "goodbye", "GOODBYE"))


def _print_goodbye(options: Options, block: bool) -> str:
    if options.hash.get("print") is True:
        tail = options.fn(options.context) if block else options.hash.get("world")
        return _plus("GOODBYE ", options.hash.get("cruel"), " ", tail)
    if options.hash.get("print") is False:
        return "NOT PRINTING"
    return "THIS SHOULD NOT HAPPEN"


def _block_params_helper(context: Callable[[Options], Any]) -> Callable[[Options], Any]:
    def helper(options: Options) -> Any:
        assert options.fn.block_param_count == 1
        return options.fn(context(options), block_params=[1, 2])

    return helper


def _input(options: Options) -> SafeString:
    label = js.escape_expression(options.hash.get("aria-label"))
    placeholder = js.escape_expression(options.hash.get("placeholder"))
    return SafeString(f'<input aria-label="{label}" placeholder="{placeholder}" />')


def _fresh_options() -> Callable[..., Any]:
    seen: list[Options] = []

    def equal(x: Any, y: Any, options: Options) -> bool:
        if any(options is earlier for earlier in seen):
            raise AssertionError("options hash was reused")
        seen.append(options)
        return x == y and type(x) is type(y)

    return equal


def _missing_link(*args: Any) -> Any:
    options = args[-1]
    if options.name == "link_to":
        return SafeString("<a>" + (js.to_string(args[0]) if len(args) > 1 else "winning") + "</a>")
    return None


def _undefined_hash_value(options: Options) -> str:
    assert "value" in options.hash and options.hash["value"] is None
    return "success"


JS_HELPER_PORTS: dict[str, Callable[..., Any]] = {
    "function () { return 'world!'; }": lambda *args: "world!",
    "function () { return 'found it!'; }": lambda *args: "found it!",
    "function(options) { return options.data && options.data.exclaim; }": (
        lambda options: options.data and _prop(options.data, "exclaim")
    ),
    "function () { return 'missing: ' + arguments[arguments.length - 1].name; }": (
        lambda *args: "missing: " + args[-1].name
    ),
    "function () { return 'helper missing: ' + arguments[arguments.length - 1].name; }": (
        lambda *args: "helper missing: " + args[-1].name
    ),
    "function () { return 'ran: ' + arguments[arguments.length - 1].name; }": lambda *args: "ran: " + args[-1].name,
    "function (x, y) { return x === y; }": lambda x, y, options: x == y and type(x) is type(y),
    "function (a, b) { return a + '-' + b; }": lambda a, b, options: _plus(a, "-", b),
    "function (a, b) { return a + b; }": lambda a, b, options: _plus(a, b),
    "function (thing, options) { return options.data.adjective + ' ' + thing + (this.exclaim || ''); }": (
        lambda thing, options: _plus(
            _prop(options.data, "adjective"), " ", thing, _prop(options.context, "exclaim") or ""
        )
    ),
    "function (options) { return options.fn(); }": lambda options: options.fn(),
    "function () { return 'foo'; }": lambda *args: "foo",
    "function (world) { return 'cruel ' + world.toUpperCase(); }": lambda world, options: "cruel " + _upper(world),
    "function (noun) { return 'Hello ' + noun; }": lambda noun, options: _plus("Hello ", noun),
    "function (context, options) { return '<form>' + options.fn(context) + '</form>'; }": (
        lambda context, options: "<form>" + options.fn(context) + "</form>"
    ),
    "function list(context, options) { if (context.length > 0) { var out = '<ul>'; for (var i = 0, j = "
    "context.length; i < j; i++) { out += '<li>'; out += options.fn(context[i]); out += '</li>'; } out += '</ul>'; "
    "return out; } else { return '<p>' + options.inverse(this) + '</p>'; } }": _list,
    "function (val) { return val + val; }": lambda val, options: _plus(val, val),
    "function (val) { return 'val is ' + val; }": lambda val, options: _plus("val is ", val),
    "function (value) { return 'bar ' + value; }": lambda value, options: _plus("bar ", value),
    "function (options) { return options.data.adjective + ' ' + this.noun; }": (
        lambda options: _plus(_prop(options.data, "adjective"), " ", _prop(options.context, "noun"))
    ),
    "function (options) { var frame = Handlebars.createFrame(options.data); for (var prop in options.hash) { if "
    "(prop in options.hash) { frame[prop] = options.hash[prop]; } } return options.fn(this, {data: frame}); }": _let,
    "function (prefix, options) { return '<a href=\"' + prefix + '/' + this.url + '\">' + options.fn(this) + "
    "'</a>'; }": (
        lambda prefix, options: _plus(
            '<a href="', prefix, "/", _prop(options.context, "url"), '">', options.fn(options.context), "</a>"
        )
    ),
    "function () {}": lambda *args: None,
    "function () { return 'fail'; }": lambda *args: "fail",
    "function () { return 'world'; }": lambda *args: "world",
    "function () { return 'helpers'; }": lambda *args: "helpers",
    "function (times) { if (typeof times !== 'number') { times = 'NaN'; } return 'Hello ' + times + ' times'; }": (
        lambda times, options: _plus("Hello ", _type_or(times, "number", "NaN"), " times")
    ),
    "function (param) { return 'Hello ' + param; }": lambda param, options: _plus("Hello ", param),
    "function goodbye(options) { if (options.hash.print === true) { return 'GOODBYE ' + options.hash.cruel + ' ' + "
    "options.hash.world; } else if (options.hash.print === false) { return 'NOT PRINTING'; } else { return 'THIS "
    "SHOULD NOT HAPPEN'; } }": lambda options: _print_goodbye(options, block=False),
    "function (options) { return 'GOODBYE ' + options.hash.cruel + ' ' + options.fn(this) + ' ' + "
    "options.hash.times + ' TIMES'; }": (
        lambda options: _plus(
            "GOODBYE ",
            options.hash.get("cruel"),
            " ",
            options.fn(options.context),
            " ",
            options.hash.get("times"),
            " TIMES",
        )
    ),
    "function goodbye(options) { if (options.hash.print === true) { return 'GOODBYE ' + options.hash.cruel + ' ' + "
    "options.fn(this); } else if (options.hash.print === false) { return 'NOT PRINTING'; } else { return 'THIS "
    "SHOULD NOT HAPPEN'; } }": lambda options: _print_goodbye(options, block=True),
    "function () { return this.goodbye.toUpperCase(); }": lambda options: _upper(_prop(options.context, "goodbye")),
    "function (options) { return this.goodbye.toUpperCase() + options.fn(this); }": (
        lambda options: _upper(_prop(options.context, "goodbye")) + options.fn(options.context)
    ),
    "function (options) { equals(options.fn.blockParams, 1); return options.fn({value: 'bar'}, {blockParams: [1, "
    "2]}); }": _block_params_helper(lambda options: {"value": "bar"}),
    "function () { return 'dude'; }": lambda *args: "dude",
    "function (block) { return block.fn(''); }": lambda block: block.fn(""),
    "function (block) { return block.inverse(''); }": lambda block: block.inverse(""),
    "function (options) { var hash = options.hash; var ariaLabel = "
    "Handlebars.Utils.escapeExpression(hash['aria-label']); var placeholder = "
    "Handlebars.Utils.escapeExpression(hash.placeholder); return new Handlebars.SafeString('<input aria-label=\"' + "
    "ariaLabel + '\" placeholder=\"' + placeholder + '\" />'); }": _input,
    "function (defaultString) { return new Handlebars.SafeString(defaultString); }": (
        lambda default, options: SafeString(js.to_string(default))
    ),
    "function (arg) { return arg; }": lambda arg, options: arg,
    "function (options) { return 'Hello ' + options.hash.noun; }": (
        lambda options: _plus("Hello ", options.hash.get("noun"))
    ),
    "function (noun, options) { return options.data.adjective + ' ' + noun + (this.exclaim ? '!' : ''); }": (
        lambda noun, options: _plus(
            _prop(options.data, "adjective"), " ", noun, "!" if js.truthy(_prop(options.context, "exclaim")) else ""
        )
    ),
    "function (options) { return options.fn(this); }": lambda options: options.fn(options.context),
    "function (options) { return options.data.adjective + ' world' + (this.exclaim ? '!' : ''); }": (
        lambda options: _plus(
            _prop(options.data, "adjective"), " world", "!" if js.truthy(_prop(options.context, "exclaim")) else ""
        )
    ),
    "function (options) { return options.fn({exclaim: '?'}); }": lambda options: options.fn({"exclaim": "?"}),
    "function (options) { return options.data.accessData + ' ' + options.fn({exclaim: '?'}); }": (
        lambda options: _plus(_prop(options.data, "accessData"), " ", options.fn({"exclaim": "?"}))
    ),
    "function (options) { return options.fn({exclaim: '?', zomg: 'world'}, { data: {adjective: 'sad'} }); }": (
        lambda options: options.fn({"exclaim": "?", "zomg": "world"}, data={"adjective": "sad"})
    ),
    "function (options) { return options.fn({exclaim: '?'}, { data: {adjective: 'sad'} }); }": (
        lambda options: options.fn({"exclaim": "?"}, data={"adjective": "sad"})
    ),
    "function (options) { var frame = Handlebars.createFrame(options.data); frame.depth = options.data.depth + 1; "
    "return options.fn(this, {data: frame}); }": _depth_frame,
    "function (prefix) { return '<a href=\"' + prefix + '/' + this.url + '\">' + this.text + '</a>'; }": (
        lambda prefix, options: _plus(
            '<a href="', prefix, "/", _prop(options.context, "url"), '">', _prop(options.context, "text"), "</a>"
        )
    ),
    "function (a, b, c, options) { return options.fn() + a + b + c; }": (
        lambda a, b, c, options: _plus(options.fn(), a, b, c)
    ),
    "function (options) { var out = ''; var byes = ['Goodbye', 'goodbye', 'GOODBYE']; for (var i = 0, j = "
    "byes.length; i < j; i++) { out += byes[i] + ' ' + options.fn(this) + '! '; } return out; }": (
        lambda options: _goodbyes(options, options.context)
    ),
    "function (options) { var out = ''; var byes = ['Goodbye', 'goodbye', 'GOODBYE']; for (var i = 0, j = "
    "byes.length; i < j; i++) { out += byes[i] + ' ' + options.fn({}) + '! '; } return out; }": (
        lambda options: _goodbyes(options, {})
    ),
    "function (options) { return options.fn({text: 'GOODBYE'}); }": lambda options: options.fn({"text": "GOODBYE"}),
    "function (options) { return '<form>' + options.fn(this) + '</form>'; }": (
        lambda options: "<form>" + options.fn(options.context) + "</form>"
    ),
    "function link(options) { return '<a href=\"/people/' + this.id + '\">' + options.fn(this) + '</a>'; }": (
        lambda options: _plus(
            '<a href="/people/', _prop(options.context, "id"), '">', options.fn(options.context), "</a>"
        )
    ),
    "function (options) { return '<a href=\"' + this.name + '\">' + options.fn(this) + '</a>'; }": (
        lambda options: _plus('<a href="', _prop(options.context, "name"), '">', options.fn(options.context), "</a>")
    ),
    "function () { return 'helper'; }": lambda *args: "helper",
    "function (times, times2) { if (typeof times !== 'number') { times = 'NaN'; } if (typeof times2 !== 'number') { "
    "times2 = 'NaN'; } return 'Hello ' + times + ' ' + times2 + ' times'; }": (
        lambda t1, t2, options: _plus(
            "Hello ", _type_or(t1, "number", "NaN"), " ", _type_or(t2, "number", "NaN"), " times"
        )
    ),
    "function (param, times, bool1, bool2) { if (typeof times !== 'number') { times = 'NaN'; } if (typeof bool1 !== "
    "'boolean') { bool1 = 'NaB'; } if (typeof bool2 !== 'boolean') { bool2 = 'NaB'; } return 'Hello ' + param + ' ' "
    "+ times + ' times: ' + bool1 + ' ' + bool2; }": (
        lambda param, times, b1, b2, options: _plus(
            "Hello ",
            param,
            " ",
            _type_or(times, "number", "NaN"),
            " times: ",
            _type_or(b1, "boolean", "NaB"),
            " ",
            _type_or(b2, "boolean", "NaB"),
        )
    ),
    "function (cruel, world) { return 'Goodbye ' + cruel + ' ' + world; }": (
        lambda cruel, world, options: _plus("Goodbye ", cruel, " ", world)
    ),
    "function (cruel, world, options) { return options.fn({greeting: 'Goodbye', adj: cruel, noun: world}); }": (
        lambda cruel, world, options: options.fn({"greeting": "Goodbye", "adj": cruel, "noun": world})
    ),
    "function (options) { return 'GOODBYE ' + options.hash.cruel + ' ' + options.hash.world + ' ' + "
    "options.hash.times + ' TIMES'; }": (
        lambda options: _plus(
            "GOODBYE ",
            options.hash.get("cruel"),
            " ",
            options.hash.get("world"),
            " ",
            options.hash.get("times"),
            " TIMES",
        )
    ),
    "function (mesg, options) { if (options.name === 'link_to') { return new Handlebars.SafeString('<a>' + mesg + "
    "'</a>'); } }": _missing_link,
    "function (options) { if (options.name === 'link_to') { return new Handlebars.SafeString('<a>winning</a>'); } }": (
        _missing_link
    ),
    "function (arg) { return typeof arg; }": lambda arg, options: js.type_of(arg),
    "function (options) { equals(options.fn.blockParams, 1); return options.fn({}, {blockParams: [1, 2]}); }": (
        _block_params_helper(lambda options: {})
    ),
    "function (options) { equals(options.fn.blockParams, 1); return options.fn(this, {blockParams: [1, 2]}); }": (
        _block_params_helper(lambda options: options.context)
    ),
    "function testHelper(options) { return options.lookupProperty(this, 'testProperty'); }": (
        lambda options: options.lookup_property(options.context, "testProperty")
    ),
    "function () { return 'missing'; }": lambda *args: "missing",
    "function (value) { return value + ''; }": lambda value, options: js.to_string(value),
    "function (options) { return new Handlebars.SafeString(options.fn()); }": (
        lambda options: SafeString(options.fn())
    ),
    "function(conditional, options) { if (conditional) { return options.fn(this); } else { return "
    "options.inverse(this); } }": (
        lambda conditional, options: (options.fn if js.truthy(conditional) else options.inverse)(options.context)
    ),
    "function(options) { return options.hash.length; }": lambda options: options.hash.get("length"),
    "function (options) { equals('value' in options.hash, true); equals(options.hash.value, undefined); return "
    "'success'; }": _undefined_hash_value,
    "function () { return 'LOL'; }": lambda *args: "LOL",
    "function (val, that, theOther) { return 'val is ' + val + ', ' + that + ' and ' + theOther; }": (
        lambda val, that, other, options: _plus("val is ", val, ", ", that, " and ", other)
    ),
    'function (options) { return "val is " + options.hash.fun; }': (
        lambda options: _plus("val is ", options.hash.get("fun"))
    ),
}
_STATEFUL_PORTS: dict[str, Callable[[], Callable[..., Any]]] = {
    "function(x, y, options) { if (!options || options === global.lastOptions) { throw new Error('options hash was "
    "reused'); } global.lastOptions = options; return x === y; }": _fresh_options,
}


def _normalize_js(source: str) -> str:
    return " ".join(source.split())


def ported_helpers(raw_helpers: dict[str, Any]) -> dict[str, Any] | None:
    """Python equivalents of a case's helpers, or None when one of them has no port."""
    helpers: dict[str, Any] = {}
    for name, spec in raw_helpers.items():
        if not isinstance(spec, dict):
            helpers[name] = spec  # a plain value registered as a helper
            continue
        source = spec.get("javascript")
        if source is None:  # a helper only the PHP port of the spec needs
            continue
        key = _normalize_js(source)
        if key in _STATEFUL_PORTS:
            helpers[name] = _STATEFUL_PORTS[key]()
        elif key in JS_HELPER_PORTS:
            helpers[name] = JS_HELPER_PORTS[key]
        else:
            return None
    return helpers


@dataclass(frozen=True)
class Case:
    id: str
    template: str
    data: Any
    expected: str | None
    exception: bool
    compile_options: dict[str, Any] = field(default_factory=dict)
    partials: dict[str, str] = field(default_factory=dict)
    runtime_data: dict[str, Any] | None = None
    helpers: dict[str, Any] | None = None
    out_of_scope: str | None = None


def _case_id(stem: str, raw: dict[str, Any]) -> str:
    if "name" in raw:
        return f"mustache/{stem}: {raw['name']}"
    number = f" #{raw['number']}" if raw.get("number") else ""
    return f"{stem}: {raw['description']} / {raw['it']}{number}"


def _has_code(value: Any) -> bool:
    if isinstance(value, dict):
        return "!code" in value or any(_has_code(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_code(item) for item in value)
    return False


def _out_of_scope(raw: dict[str, Any]) -> str | None:
    if raw.get("helpers") and ported_helpers(raw["helpers"]) is None:
        return "needs JavaScript helpers (not ported)"
    if raw.get("decorators"):
        return "needs JavaScript decorators"
    if "!sparsearray" in json.dumps(raw.get("data")):
        return "its data is a JavaScript sparse array (no Python equivalent)"
    if _has_code(raw.get("data")) or _has_code(raw.get("runtimeOptions")) or _has_code(raw.get("partials")):
        return "its data holds JavaScript functions"
    unsupported = UNSUPPORTED_COMPILE_OPTIONS & set(raw.get("compileOptions") or {})
    if unsupported:
        return f"compile options for JavaScript helpers: {', '.join(sorted(unsupported))}"
    return None


def handlebars_cases() -> Iterator[Case]:
    for path in sorted(HANDLEBARS_SPEC.glob("*.json")):
        if path.stem in NOT_RENDERING_FILES:
            continue
        for raw in json.loads(path.read_text(encoding="utf-8")):
            runtime = raw.get("runtimeOptions") or {}
            yield Case(
                id=_case_id(path.stem, raw),
                template=raw["template"],
                data=raw.get("data"),
                expected=raw.get("expected"),
                exception=bool(raw.get("exception")),
                compile_options=raw.get("compileOptions") or {},
                partials=raw.get("partials") or {},
                runtime_data=runtime.get("data"),
                helpers=raw.get("helpers"),
                out_of_scope=_out_of_scope(raw),
            )


def mustache_cases() -> Iterator[Case]:
    for path in sorted(MUSTACHE_SPEC.glob("*.json")):
        file_reason = MUSTACHE_SKIPPED_FILES.get(path.stem)
        for raw in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            reason = file_reason or MUSTACHE_SKIPPED_CASES.get(raw["name"])
            partials = raw.get("partials") or {}
            if reason is None and ("{{=" in raw["template"] or any("{{=" in p for p in partials.values())):
                reason = "handlebars.js does not support alternative delimiters"
            yield Case(
                id=_case_id(path.stem, raw),
                template=raw["template"],
                data=raw.get("data"),
                expected=raw.get("expected"),
                exception=False,
                compile_options={"compat": True},
                partials=partials,
                out_of_scope=reason,
            )


def all_cases() -> list[Case]:
    if not HANDLEBARS_SPEC.is_dir() or not MUSTACHE_SPEC.is_dir():
        return []
    return [*handlebars_cases(), *mustache_cases()]


def render_case(case: Case) -> str:
    options = case.compile_options
    compiled = compile_template(case.template, ignore_standalone=bool(options.get("ignoreStandalone")))
    known = options.get("knownHelpers") or {}
    return compiled.render(
        case.data,
        escape=not options.get("noEscape", False),
        strict=False,
        js_strict=bool(options.get("strict")),
        assume_objects=bool(options.get("assumeObjects")),
        compat=bool(options.get("compat")),
        prevent_indent=bool(options.get("preventIndent")),
        known_helpers_only=bool(options.get("knownHelpersOnly")),
        known_helpers=frozenset(name for name, on in known.items() if on),
        data_frames=options.get("data", True) is not False,
        explicit_partial_context=bool(options.get("explicitPartialContext")),
        partials=case.partials,
        initial_data=case.runtime_data,
        helpers=ported_helpers(case.helpers) if case.helpers else None,
    )


def case_passes(case: Case) -> tuple[bool, str]:
    """Whether our render agrees with the case, and what we produced."""
    try:
        output = render_case(case)
    except (RenderError, TemplateSyntaxError) as error:
        ported_helper_crashed = " failed: " in str(error)  # a bug in a port must not pass for an expected error
        return case.exception and not ported_helper_crashed, f"error: {error}"
    if case.exception:
        return False, f"no error, rendered {output!r}"
    return output == case.expected, repr(output)


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_conformance_case(case: Case) -> None:
    if case.out_of_scope:
        pytest.skip(case.out_of_scope)
    if case.id in KNOWN_DIFFERENCES:
        pytest.skip(f"known difference: {KNOWN_DIFFERENCES[case.id]}")
    passed, produced = case_passes(case)
    expected = "an error" if case.exception else repr(case.expected)
    assert passed, f"{case.id}\ntemplate: {case.template!r}\nexpected {expected}, got {produced}"


def test_known_differences_are_real_cases() -> None:
    if not CASES:
        pytest.skip("../shared/conformance is absent")
    ids = {case.id for case in CASES if not case.out_of_scope}
    assert set(KNOWN_DIFFERENCES) <= ids


def test_conformance_rate() -> None:
    """At least 95 % of the in-scope handlebars-spec cases pass (known differences count as failures)."""
    in_scope = [case for case in CASES if not case.out_of_scope and not case.id.startswith("mustache/")]
    if not in_scope:
        pytest.skip("../shared/conformance is absent")
    passed = sum(1 for case in in_scope if case_passes(case)[0])
    assert passed / len(in_scope) >= 0.95, f"{passed}/{len(in_scope)} in-scope handlebars-spec cases pass"


def _ses_lookups(case: Case, *, output: bool, whitespace_control: bool) -> tuple[list[Any], str | None]:
    """Every missing/null lookup SES's render of the case reports, and the error that ends it (if any)."""
    found: list[Any] = []
    try:
        program = parse(case.template, whitespace_control=whitespace_control)
        Compiled(case.template, program).render(
            case.data, escape=False, strict=True, partials=case.partials, on_missing=found.append, output=output
        )
    except (RenderError, TemplateSyntaxError) as error:
        return found, f"{type(error).__name__}: {error}"
    return found, None


def test_lookup_only_render_reports_what_a_full_render_reports() -> None:
    """The checker renders without building text (output=False) and parses without whitespace control: on every
    helper-free conformance case, SES's render reports the same missing lookups and errors either way."""
    cases = [case for case in CASES if not case.out_of_scope and not case.helpers]
    if not cases:
        pytest.skip("../shared/conformance is absent")
    compared = reported = 0
    for case in cases:
        full = _ses_lookups(case, output=True, whitespace_control=True)
        lookups_only = _ses_lookups(case, output=False, whitespace_control=False)
        assert lookups_only == full, case.id
        compared += 1
        reported += bool(full[0] or full[1])
    assert compared > 350 and reported > 90, (compared, reported)  # it covered cases that do report something
