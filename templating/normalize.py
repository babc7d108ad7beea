"""Normalize rendered HTML so that regression snapshots change only when the email changes.

    normalize_html(html) -> str

The HTML is parsed with BeautifulSoup (Python's own `html.parser`, so the result does not depend on lxml/html5lib
being installed) and printed back in one canonical form. docs/testing.md lists the rules; in short:

What does NOT change the result (meaningless differences):
- attribute order, attribute quoting (`a='x'`, `a="x"`, `a=x`), the case of tag and attribute names, `<br>` vs `<br/>`;
- how whitespace is laid out: outside `<pre>`, `<textarea>` and `<script>`, every run of HTML whitespace (space, tab,
  CR, LF, form feed) in text collapses to one space, and whitespace-only text that touches a block-level tag
  (`<div>`, `<table>`, `<td>`, `<p>`, ...) is dropped; a newline right after `<pre>` / `<textarea>`, which HTML
  ignores, makes no difference (the output always starts their content on a new line);
- inside `class` the order and spacing of the class names; inside `style` the spacing around `:` and `;`, and a
  trailing `;`;
- entity spelling: `&amp;`, `&#38;` and `&#x26;` are the same character, printed one way.

What DOES change the result (meaningful differences): any text (a single word, an extra space between two inline
words), any tag or attribute added, removed or changed, the order of tags and of `style` declarations, whitespace
inside `<pre>`/`<textarea>`/`<script>`, comments (Outlook's `<!--[if mso]>` blocks are comments), a non-breaking space.

The output puts each block-level tag on its own line, indented by depth, so that a failing snapshot shows a short,
readable line diff. It is a canonical text for comparison, not HTML to send.
"""

from __future__ import annotations

import re
from html import escape

from bs4 import BeautifulSoup
from bs4.element import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

__all__ = ["BLOCK_TAGS", "PRESERVED_TAGS", "normalize_html"]

HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
PRESERVED_TAGS = frozenset({"pre", "textarea", "script"})
NEWLINE_DROPPING_TAGS = frozenset({"pre", "textarea"})  # HTML ignores a newline right after their start tag
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "col", "colgroup", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "head", "header", "hr", "html", "li", "link", "main", "menu", "meta", "nav", "ol", "p",
        "pre", "section", "style", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
        "base", "script", "textarea", "noscript",
    }
)  # fmt: skip
INDENT = "  "


def normalize_html(html: str) -> str:
    """The canonical form of `html` (see the module docstring); ends with a newline unless empty."""
    soup = BeautifulSoup(html, "html.parser", multi_valued_attributes=None)
    printer = _Printer()
    printer.children(soup, depth=0, preserve=False)
    return printer.text()


class _Printer:
    """Writes the tree as lines: block-level tags and comments start lines, inline content flows within a line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current = ""
        self.current_depth = 0

    def text(self) -> str:
        self.break_line()
        return "".join(line + "\n" for line in self.lines)

    def break_line(self) -> None:
        if self.current.strip(" "):
            self.lines.append(INDENT * self.current_depth + self.current.strip(" "))
        self.current = ""

    def write(self, text: str, depth: int) -> None:
        if not self.current:
            self.current_depth = depth
        self.current += text

    def block(self, text: str, depth: int) -> None:
        self.break_line()
        self.current_depth = depth
        self.current = text
        self.break_line()

    def children(self, parent: Tag, depth: int, preserve: bool) -> None:
        for node in parent.children:
            self.node(node, depth, preserve)

    def node(self, node: object, depth: int, preserve: bool) -> None:
        if isinstance(node, Tag):
            self.tag(node, depth, preserve)
        elif isinstance(node, Doctype):
            self.block(f"<!DOCTYPE {_collapse(str(node)).strip()}>", depth)
        elif isinstance(node, Comment):
            self.block(f"<!--{node}-->", depth) if not preserve else self.write(f"<!--{node}-->", depth)
        elif isinstance(node, CData):
            self.write(f"<![CDATA[{node}]]>", depth)
        elif isinstance(node, ProcessingInstruction | Declaration):
            self.block(f"<!{_collapse(str(node)).strip()}>", depth)
        elif isinstance(node, NavigableString):
            self.string(node, depth, preserve)

    def string(self, node: NavigableString, depth: int, preserve: bool) -> None:
        parent = node.parent
        if preserve:
            raw = parent is not None and parent.name == "script"
            text = str(node)
            if parent is not None and parent.name in NEWLINE_DROPPING_TAGS and node.previous_sibling is None:
                text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith(("\n", "\r")) else text
            self.write(text if raw else _escape_text(text), depth)
            return
        text = _collapse(str(node))
        if text == " " and _touches_block(node):
            return
        if parent is not None and parent.name == "style":
            self.write(text.strip(), depth)
            return
        if _starts_line_after_block(node):
            text = text.lstrip(" ")
        if _ends_before_block(node):
            text = text.rstrip(" ")
        self.write(_escape_text(text), depth)

    def tag(self, tag: Tag, depth: int, preserve: bool) -> None:
        name = tag.name.lower()
        is_block = name in BLOCK_TAGS and not preserve
        open_tag = f"<{name}{_attributes(tag)}>"
        if name in NEWLINE_DROPPING_TAGS:
            # the newline HTML ignores after <pre>/<textarea> is dropped (string()) and always printed, so that the
            # content starts on its own line and a leading newline of the content itself stays visible
            open_tag += "\n"
        if name in VOID_TAGS:
            self.block(open_tag, depth) if is_block else self.write(open_tag, depth)
            return
        inner_preserve = preserve or name in PRESERVED_TAGS
        if not is_block:
            self.write(open_tag, depth)
            self.children(tag, depth, inner_preserve)
            self.write(f"</{name}>", depth)
            return
        self.break_line()
        if name in PRESERVED_TAGS:
            self.write(open_tag, depth)
            self.children(tag, depth, True)
            self.write(f"</{name}>", depth)
            self.break_line()
            return
        self.block(open_tag, depth)
        self.children(tag, depth + 1, inner_preserve)
        self.block(f"</{name}>", depth)


def _escape_text(text: str) -> str:
    """&, <, > escaped; a non-breaking space printed as &nbsp; so that it shows in a diff."""
    return escape(text, quote=False).replace("\xa0", "&nbsp;")


def _collapse(text: str) -> str:
    return HTML_WHITESPACE.sub(" ", text)


def _is_block(node: object) -> bool:
    return isinstance(node, Tag) and node.name.lower() in BLOCK_TAGS


def _is_line_start(node: object) -> bool:
    return _is_block(node) or isinstance(node, Comment | Doctype)


def _touches_block(node: NavigableString) -> bool:
    return _starts_line_after_block(node) or _ends_before_block(node)


def _starts_line_after_block(node: NavigableString) -> bool:
    previous = node.previous_sibling
    if previous is None:
        return node.parent is None or node.parent.name == "[document]" or _is_block(node.parent)
    return _is_line_start(previous)


def _ends_before_block(node: NavigableString) -> bool:
    following = node.next_sibling
    if following is None:
        return node.parent is None or node.parent.name == "[document]" or _is_block(node.parent)
    return _is_line_start(following)


def _attributes(tag: Tag) -> str:
    pairs = sorted((name.lower(), _attribute_value(name.lower(), value)) for name, value in tag.attrs.items())
    return "".join(f' {name}="{escape(value, quote=True)}"' for name, value in pairs)


def _attribute_value(name: str, value: object) -> str:
    text = value if isinstance(value, str) else " ".join(str(item) for item in value)  # type: ignore[attr-defined]
    if name == "class":
        return " ".join(sorted(set(HTML_WHITESPACE.split(text.strip())) - {""}))
    if name == "style":
        return _normalize_style(text)
    return text


def _normalize_style(style: str) -> str:
    declarations = []
    for declaration in style.split(";"):
        prop, colon, value = declaration.partition(":")
        prop, value = _collapse(prop).strip(), _collapse(value).strip()
        if not prop and not value:
            continue
        declarations.append(f"{prop.lower()}:{value}" if colon else prop)
    return ";".join(declarations)
