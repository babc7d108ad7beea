"""SES address strings -> Mailtrap address objects.

SES takes one RFC 5322 mailbox per string: `user@example.com`, `Name <user@example.com>`, `"Doe, Jane" <j@x.org>`,
or a display name as an RFC 2047 encoded word (`=?utf-8?B?...?= <j@x.org>`). Mailtrap takes `{"email", "name"}`
with the name decoded. Parsing is the standard library's header parser (email.headerregistry), not a regex.
"""

from __future__ import annotations

from email.errors import HeaderParseError, ObsoleteHeaderDefect
from email.headerregistry import HeaderRegistry

_REGISTRY = HeaderRegistry()
# Defects the parser repairs without changing the mailbox: `J. Doe <j@x.org>` (a period in the display name), and
# an encoded word inside quotes, which mail clients decode too. Any other defect means the parser skipped or
# reshaped part of the string (`a@x.org; b@x.org` keeps only a@x.org), so the string is refused.
_TOLERATED = ("encoded word inside quoted string", "missing trailing whitespace after encoded-word")


class AddressError(ValueError):
    """An SES address string that is not exactly one mailbox with a domain."""


def parse_address(text: str) -> dict[str, str]:
    """`"Doe, Jane" <jane@example.com>` -> `{"email": "jane@example.com", "name": "Doe, Jane"}` (no name key when
    the string has no display name). Raises AddressError."""
    if not isinstance(text, str) or not text.strip():
        raise AddressError(f"{text!r} is not an email address")
    if "\n" in text or "\r" in text:
        raise AddressError(f"{text!r} contains a line break")
    try:
        header = _REGISTRY("To", text)
        addresses = header.addresses
    except (HeaderParseError, IndexError, ValueError) as error:
        raise AddressError(f"{text!r} cannot be parsed as an address ({error})") from None
    defects = [d for d in header.defects if not isinstance(d, ObsoleteHeaderDefect) and str(d) not in _TOLERATED]
    if defects:
        raise AddressError(f"{text!r} is not one valid address ({str(defects[0]) or type(defects[0]).__name__})")
    if len(addresses) != 1:
        raise AddressError(f"{text!r} holds {len(addresses)} addresses; SES takes one address per list entry")
    address = addresses[0]
    if not address.username or not address.domain:
        raise AddressError(f"{text!r} is not an address of the form local@domain")
    result = {"email": address.addr_spec}
    if address.display_name:
        result["name"] = address.display_name
    return result


def format_address(address: dict[str, str]) -> str:
    """The inverse, for messages: `Name <email>` or `email`."""
    name = address.get("name")
    return f"{name} <{address['email']}>" if name else address["email"]
