"""HTML normalization for snapshots: meaningless differences vanish, meaningful ones stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from templating.loaders import load
from templating.normalize import normalize_html

ROOT = Path(__file__).resolve().parents[1]

SAME = [
    ('<a href="x" class="b">t</a>', "<a class='b' href=x>t</a>"),
    ('<A HREF="x">t</A>', '<a href="x">t</a>'),
    ("<p>a<br>b</p>", "<p>a<br/>b</p>"),
    ("<p>Hello   \n\t world</p>", "<p>Hello world</p>"),
    ("<div>\n  <p>one</p>\n  <p>two</p>\n</div>", "<div><p>one</p><p>two</p></div>"),
    ("<table><tr>\n<td> x </td>\n</tr></table>", "<table><tr><td>x</td></tr></table>"),
    ('<td class="b  a">x</td>', '<td class="a b">x</td>'),
    ('<td style="color: red ; width : 1px;">x</td>', '<td style="color:red;width:1px">x</td>'),
    ("<p>Tom &amp; Jerry</p>", "<p>Tom &#38; Jerry</p>"),
    ("<p>&#x3C;b&#x3E;</p>", "<p>&lt;b&gt;</p>"),
    ("<!doctype html><html><body><p>x</p></body></html>", "<!DOCTYPE html>\n<html>\n<body>\n<p>x</p></body></html>"),
    ("<table><tr><td>\n  <pre>x  y</pre>\n</td></tr></table>", "<table><tr><td><pre>x  y</pre></td></tr></table>"),
    ("<pre>\nx  y</pre>", "<pre>x  y</pre>"),  # HTML ignores one newline right after <pre> / <textarea>
    ("<textarea>\r\nx</textarea>", "<textarea>x</textarea>"),
]

DIFFERENT = [
    ("<p>Hello Ann</p>", "<p>Hello Anne</p>"),
    ("<b>a</b> <i>b</i>", "<b>a</b><i>b</i>"),
    ("<pre>a  b</pre>", "<pre>a b</pre>"),
    ("<textarea>a\n b</textarea>", "<textarea>a b</textarea>"),
    ('<td style="color:red;color:blue">x</td>', '<td style="color:blue;color:red">x</td>'),
    ('<a href="x">t</a>', '<a href="y">t</a>'),
    ('<a href="x">t</a>', '<a href="x" target="_blank">t</a>'),
    ("<p>a</p><p>b</p>", "<p>b</p><p>a</p>"),
    ("<p>x</p><!--[if mso]><table><![endif]-->", "<p>x</p>"),
    ("<p>a&nbsp;b</p>", "<p>a b</p>"),
    ("<p><span>a</span></p>", "<p><em>a</em></p>"),
    ("<table><tr><td><pre>a  b\n c</pre></td></tr></table>", "<table><tr><td><pre>a b c</pre></td></tr></table>"),
    ("<td><span>a</span> <span>b</span></td>", "<td><span>a</span><span>b</span></td>"),
    ("<pre><b>a</b>  <i>b</i></pre>", "<pre><b>a</b> <i>b</i></pre>"),
    ("<pre>\n\nx</pre>", "<pre>\nx</pre>"),  # only the first newline is ignored
]


@pytest.mark.parametrize(("left", "right"), SAME)
def test_meaningless_differences_vanish(left: str, right: str) -> None:
    assert normalize_html(left) == normalize_html(right)


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_meaningful_differences_stay(left: str, right: str) -> None:
    assert normalize_html(left) != normalize_html(right)


def test_block_tags_start_lines_and_indent_by_depth() -> None:
    html = "<table><tr><td>Hi <b>Ann</b></td></tr></table><pre>\n  keep  this\n</pre>"
    assert normalize_html(html) == (
        "<table>\n  <tr>\n    <td>\n      Hi <b>Ann</b>\n    </td>\n  </tr>\n</table>\n<pre>\n  keep  this\n</pre>\n"
    )


def test_empty_input_gives_empty_output() -> None:
    assert normalize_html("") == ""
    assert normalize_html("   \n ") == ""


def test_comments_and_conditional_comments_are_kept_verbatim() -> None:
    html = '<div><!--[if mso | IE]><table role="presentation"><tr><td><![endif]--></div>'
    assert '<!--[if mso | IE]><table role="presentation"><tr><td><![endif]-->' in normalize_html(html)


def test_attribute_values_are_escaped_so_the_output_stays_unambiguous() -> None:
    assert normalize_html("<a title='say \"hi\" & go'>x</a>") == '<a title="say &quot;hi&quot; &amp; go">x</a>\n'


def _templates_in_html() -> list[str]:
    result = load(ROOT / "templates_in")
    return [t.parts["html"] for t in result.templates if "html" in t.parts]


def test_normalizing_is_idempotent_on_the_sample_templates() -> None:
    sources = _templates_in_html()
    assert len(sources) >= 10
    for html in sources:
        once = normalize_html(html)
        assert normalize_html(once) == once


TAGS = st.sampled_from(["div", "p", "span", "b", "td", "table", "pre", "a", "br", "em"])
TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\n\t\xa0")), max_size=6)


@st.composite
def html_fragments(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(TAGS)
            if tag == "br":
                pieces.append("<br>")
                continue
            inner = draw(html_fragments(depth + 1))
            pieces.append(f'<{tag} class="{draw(st.sampled_from(["", "x y", "y  x"]))}">{inner}</{tag}>')
        else:
            pieces.append(draw(TEXT).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(pieces)


@settings(max_examples=150, deadline=None)
@given(html_fragments())
def test_normalizing_is_idempotent(html: str) -> None:
    once = normalize_html(html)
    assert normalize_html(once) == once
