"""JavaScript value semantics for JSON-shaped Python data, as handlebars.js sees them.

Data is what `json.loads` gives (dict, list, str, int, float, bool, None) plus whatever Python helpers return.
JavaScript's `null` and `undefined` are both `None` here; where handlebars.js tells them apart the difference is not
visible in output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_ARRAY_INDEX_MAX = 2**32 - 2
_CANONICAL_INDEX = re.compile(r"0|[1-9][0-9]*")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
_BAD_CHARS = re.compile(r"[&<>\"'`=]")


class SafeString(str):
    """A string that `escape_expression` leaves alone (handlebars.js `SafeString`)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


# ---------------------------------------------------------------- numbers and strings


def number_to_string(value: int | float) -> str:
    """`Number.prototype.toString()` for a JSON number (ints beyond 2**53 become doubles, as in JavaScript)."""
    if isinstance(value, int):
        if -(2**53) <= value <= 2**53:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    return sign + _format_digits(digits, point)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and the decimal point position n: value = 0.DIGITS * 10**n."""
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        stripped = fraction.lstrip("0")
        point = (int(exponent) if exponent else 0) - (len(fraction) - len(stripped))
        digits = stripped
    digits = digits.rstrip("0")
    return digits, point


def _format_digits(digits: str, point: int) -> str:
    k = len(digits)
    if k <= point <= 21:
        return digits + "0" * (point - k)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * (-point) + digits
    exponent = point - 1
    sign = "+" if exponent >= 0 else "-"
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{sign}{abs(exponent)}"


def to_string(value: Any) -> str:
    """JavaScript `String(value)` (what `'' + value` gives)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None else to_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if callable(value):
        return "function () { [native code] }"
    return str(value)


def output_string(value: Any) -> str:
    """What an unescaped `{{{x}}}` appends: nothing for null/undefined, else `String(value)`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return to_string(value)


def escape_expression(value: Any) -> str:
    """handlebars.js `Utils.escapeExpression`."""
    if not isinstance(value, str):
        html = getattr(value, "__html__", None)
        if html is not None:
            return html()
        if value is None:
            return ""
        value = to_string(value)
    elif isinstance(value, SafeString):
        return str(value)
    if not _BAD_CHARS.search(value):
        return value
    return _BAD_CHARS.sub(lambda match: _ESCAPES[match.group(0)], value)


# ---------------------------------------------------------------- truthiness and equality


def truthy(value: Any) -> bool:
    """JavaScript truthiness: false, 0, NaN, "" and null/undefined are falsy; [] and {} are truthy."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value == value and value != 0
    return True


def is_empty(value: Any) -> bool:
    """handlebars.js `Utils.isEmpty`: falsy but not 0, or an empty array."""
    if not truthy(value) and not _is_zero(value):
        return True
    return is_array(value) and len(value) == 0


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def is_object(value: Any) -> bool:
    """`typeof value === 'object'` for a non-null value (arrays included)."""
    return value.__class__ is dict or isinstance(value, Mapping | list | tuple)  # dict: without the ABC check


def loose_equal(left: Any, right: Any) -> bool:
    """JavaScript `==` for the values that reach the context-depth check."""
    if left is right:
        return True
    if left is None or right is None:
        return False
    left_object = is_object(left)
    right_object = is_object(right)
    if left_object and right_object:
        return False
    if left_object:
        left = _to_primitive(left)
    if right_object:
        right = _to_primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, bool | int | float) and isinstance(right, bool | int | float):
        return float(left) == float(right)
    return _to_number(left) == _to_number(right)


def _to_primitive(value: Any) -> str:
    return to_string(value)


def _to_number(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            if text[:2].lower() in ("0x", "0o", "0b"):
                return float(int(text, 0))
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


# ---------------------------------------------------------------- properties


def array_index(name: str) -> int | None:
    """The array index a property name denotes, or None ("01", "-1" and "1.0" are plain property names)."""
    if _CANONICAL_INDEX.fullmatch(name):
        index = int(name)
        if index <= _ARRAY_INDEX_MAX:
            return index
    return None


def property_key(name: Any) -> str:
    """JavaScript property key coercion (`obj[1]` reads `obj["1"]`)."""
    return name if isinstance(name, str) else to_string(name)


def has_own_property(parent: Any, name: Any) -> bool:
    key = property_key(name)
    if isinstance(parent, Mapping):
        return key in parent
    if isinstance(parent, list | tuple):
        if key == "length":
            return True
        index = array_index(key)
        return index is not None and index < len(parent)
    if isinstance(parent, str):
        if key == "length":
            return True
        index = array_index(key)
        return index is not None and index < _utf16_length(parent)
    return False


def lookup_property(parent: Any, name: Any) -> Any:
    """handlebars.js `container.lookupProperty`: own properties only (prototype access is denied by default)."""
    if parent.__class__ is dict and name.__class__ is str:  # the usual case, without the Mapping ABC check
        return parent.get(name)
    key = property_key(name)
    if isinstance(parent, Mapping):
        return parent.get(key)
    if isinstance(parent, list | tuple):
        if key == "length":
            return len(parent)
        index = array_index(key)
        if index is not None and index < len(parent):
            return parent[index]
        return None
    if isinstance(parent, str):
        if key == "length":
            return _utf16_length(parent)
        index = array_index(key)
        if index is not None:
            return _utf16_char(parent, index)
        return None
    return None


def _utf16_length(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_char(text: str, index: int) -> str | None:
    if text.isascii():
        return text[index] if index < len(text) else None
    units = text.encode("utf-16-le", "surrogatepass")
    if index * 2 >= len(units):
        return None
    return units[index * 2 : index * 2 + 2].decode("utf-16-le", "surrogatepass")


def object_keys(value: Any) -> list[str]:
    """`Object.keys(value)` order: array-index keys ascending, then the other keys in insertion order."""
    if isinstance(value, Mapping):
        keys = [property_key(key) for key in value]
        indexed = [key for key in keys if array_index(key) is not None]
        if not indexed:
            return keys
        indexed.sort(key=int)
        return indexed + [key for key in keys if array_index(key) is None]
    if isinstance(value, list | tuple):
        return [str(index) for index in range(len(value))]
    if isinstance(value, str):
        return [str(index) for index in range(_utf16_length(value))]
    return []


def extend_object(*sources: Any) -> dict[str, Any]:
    """`Utils.extend({}, ...sources)`: own enumerable properties copied in order."""
    result: dict[str, Any] = {}
    for source in sources:
        if source is None:
            continue
        for key in object_keys(source):
            result[key] = lookup_property(source, key)
    return result


def is_function(value: Any) -> bool:
    return callable(value) and not isinstance(value, type)


def add(left: Any, right: Any) -> Any:
    """JavaScript `left + right`: string concatenation when either side is (or converts to) a string."""
    if left.__class__ is str and right.__class__ is str:
        return left + right
    if isinstance(left, str) or isinstance(right, str) or is_object(left) or is_object(right):
        return to_string(left) + to_string(right)
    if left is None or right is None or is_function(left) or is_function(right):
        return to_string(left) + to_string(right) if is_function(left) or is_function(right) else math.nan
    total = _to_number(left) + _to_number(right)
    return int(total) if total.is_integer() and abs(total) <= 2**53 else total


def type_of(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if is_function(value):
        return "function"
    return "object"
