"""Whitespace control: ContentStatement.value and PartialStatement.indent must equal handlebars.js 4.7.8's AST.

Each case is (template, ignore_standalone, content values in source order, partial indents in source order). The
expected values were produced by `Handlebars.parse` (which applies WhitespaceControl) and pasted here; the templates
are hand-written edge cases plus randomly generated ones.
"""

from __future__ import annotations

import pytest

from templating.hbs import ContentStatement, PartialStatement, parse, walk

CASES: list[tuple[str, bool, list[str], list[str]]] = [
    ("{{#if a}}\n  x\n{{else}}\n  y\n{{/if}}\n", False, ["  x\n", "  y\n", ""], []),
    ("{{#if a}}\r\n  x\r\n{{else}}\r\n  y\r\n{{/if}}\r\n", False, ["  x\r\n", "  y\r\n", ""], []),
    ("  {{#each xs}}\n    {{this}}\n  {{/each}}\n", False, ["", "    ", "\n", ""], []),
    ("a\n  {{> p}}\n b", False, ["a\n", " b"], ["  "]),
    ("a\r\n\t {{> p}}\r\nb", False, ["a\r\n", "b"], ["\t "]),
    ("{{> p}}\n", False, [""], [""]),
    ("  {{!-- comment }} --}}  \nx", False, ["", "x"], []),
    ("x {{! c }} \ny", False, ["x ", " \ny"], []),
    ("{{~#if x~}}  a  {{~else~}}  b  {{~/if~}}", False, ["a", "b"], []),
    ("  {{~#if x}}  a  {{/if~}}  ", False, ["", "  a  ", ""], []),
    ("{{#if a}}x{{~^~}}  y  {{/if}}", False, ["x", "y  "], []),
    (
        "1\n{{#if a}}\n2\n{{else if b}}\n3\n{{else unless c}}\n4\n{{else}}\n5\n{{/if}}\n6",
        False,
        ["1\n", "2\n", "3\n", "4\n", "5\n", "6"],
        [],
    ),
    ("{{#if a~}}\n2\n{{~else if b~}}\n3\n{{~else~}}\n5\n{{~/if}}", False, ["2", "3", "5"], []),
    (
        "{{#each xs as |x i|}}\n {{x}}\n{{else each ys as |y|}}\n {{y}}\n{{/each}}\n",
        False,
        [" ", "\n", " ", "\n", ""],
        [],
    ),
    ("{{^x}}\n  none\n{{else}}\n  some\n{{/x}}\n", False, ["  none\n", "  some\n", ""], []),
    ('{{#*inline "row"}}\n  <tr>{{x}}</tr>\n{{/inline}}\n{{> row x=1}}\n', False, ["  <tr>", "</tr>\n", "", ""], [""]),
    ("  {{#> layout}}\n  body\n  {{/layout}}\n", False, ["", "  body\n", ""], []),
    ("{{{{raw}}}}\n {{x}}\n{{{{/raw}}}}\n", False, [" {{x}}\n", ""], []),
    ("a {{{{raw}}}} {{x}} {{{{/raw}}}} b", False, ["a ", " {{x}} ", " b"], []),
    ("\\{{x}}\n{{#if a}}\n\\\\{{y}}\n{{/if}}\n", False, ["{{x}}\n", "\\", "\n", ""], []),
    ("x\\{{#if a}}\n y\n", False, ["x", "{{#if a}}\n y\n"], []),
    ("{{x}}   {{~y}}   {{~{z}~}}   {{&w~}}   .", False, ["", "", "", "."], []),
    ("{{~> p~}}   \n  q", False, ["q"], [""]),
    ("  {{~!-- c --~}}  \n  r", False, ["", "r"], []),
    ("  {{* deco}}\n  s", False, ["  ", "\n  s"], []),
    ("{{#if a}} \n  t\n {{/if}} ", False, ["  t\n", ""], []),
    ("\n{{#if a}}\n{{/if}}\n", False, ["\n", "", ""], []),
    ("{{#if a}}{{/if}}\n  \n", False, ["\n  \n"], []),
    ("  {{#if a}}  {{/if}}  \n", False, ["  ", "  ", "  \n"], []),
    ("a\n{{#if x}}\n{{#each y}}\n  {{.}}\n{{/each}}\n{{/if}}\nb\n", False, ["a\n", "", "  ", "\n", "", "b\n"], []),
    ("{{#a}}\n{{#b}}\n{{/b}}\n{{/a}}", False, ["", "", ""], []),
    ("| {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} |", False, ["| ", " ", "\n ", " |"], []),
    ("  {{#if a}}\n    x\n  {{else}}\n    y\n  {{/if}}", False, ["", "    x\n", "    y\n"], []),
    ("{{#foo}}\n\t{{bar}}\n{{^}}\n\t{{baz}}\n{{/foo}}\n", False, ["\t", "\n", "\t", "\n", ""], []),
    ("  \n{{> p}}", False, ["  \n"], [""]),
    ("text\n  {{> p}}  \n", False, ["text\n", ""], ["  "]),
    (
        "<ul>\n  {{#each items}}\n  <li>{{name}}</li>\n  {{/each}}\n</ul>\n",
        False,
        ["<ul>\n", "  <li>", "</li>\n", "</ul>\n"],
        [],
    ),
    ("Hello {{~name~}} !\n", False, ["Hello", "!\n"], []),
    ("{{#with p as |q|}}\r\n{{q}}\r\n{{/with}}", False, ["", "\r\n"], []),
    ("x\n  {{#if a}}\n  {{else if b}}  \n  {{/if}}\n", False, ["x\n", "", "  ", ""], []),
    (
        "{{a x.y a k=-1.5}}{{#with p as |a b|~}}{{~#> lay}}{{/lay~}} \n    \n{{/with~}}\r\n<p> \r\n ",
        False,
        ["", "<p> \r\n "],
        [],
    ),
    ("{{~!-- }} --~}} \n<p>\t{{ a foo.[bar] k=null }}", False, ["<p>\t"], []),
    ("{{~#unless}}{{~.. ../a~}}{{~!-- }} --~}}\ttext \n{{^~}}{{/unless~}}", False, ["text \n"], []),
    ("{{~^x~}}   x  \r\n{{else~}}{{~/x}}\n\n x \r\n", False, ["x", "\n x \r\n"], []),
    ("{{{{raw}}}}\n{{{{y}}}}{{{{/y}}}}\n{{{{/raw}}}}{{{this k=undefined}~}}", False, ["{{{{y}}}}{{{{/y}}}}\n"], []),
    ("\n\n \r\n z \n\n {{* deco}}", False, ["\n\n \r\n z \n\n "], []),
    ("z <p>\n{{~ this.a ~}}", False, ["z <p>"], []),
    (
        "\r\ntext{{~#> lay}}\n\n<p>\t{{#each p~}}{{^~}}\n \r\n \n\n<p> \n\n\n<p> {{/each~}}{{> (dyn) k=1}}{{~/lay~}}",
        False,
        ["\r\ntext", "\n\n<p>\t", "<p> \n\n\n<p> "],
        [""],
    ),
    ("\\{{x}}<p>  \r\n x \n\n", False, ["{{x}}<p>  \r\n x \n\n"], []),
    ("{{!----~}}\n  x  \r\n ", False, ["x  \r\n "], []),
    (
        "{{^x}}\r\n<p>\r\n{{~#unless as |a b|~}}{{{{raw}}}}{{{{/raw}}}}{{~else~}}{{!----}}\n\n \n{{~/unless}}z{{/x~}} x \r\n",  # noqa: E501
        False,
        ["<p>", "", "z", "x \r\n"],
        [],
    ),
    ("\n\ntext \n x \n ", False, ["\n\ntext \n x \n "], []),
    ("\n \n\n{{~ ../a else k=@../index ~}}", False, [""], []),
    ("\n \n  \r\n <p> \n", False, ["\n \n  \r\n <p> \n"], []),
    (
        " \n<p>\r\n \r\n {{~ . (a this/.. k=foo.[bar]) @root.x ~}}{{^x~}}{{~#if p~}}{{/if}}{{~ else ~}}\n  x  \r\n {{/x}}",  # noqa: E501
        False,
        [" \n<p>", "x"],
        [],
    ),
    (" \r\n <p> \n\r\ntext\t", False, [" \r\n <p> \n\r\ntext\t"], []),
    ("text \r\n \\\\\\{{y}}", False, ["text \r\n \\\\"], []),
    ("{{&this~}}{{ x.y (true) ~}}{{ a/b a/b }} \r\n <p>\n ", False, [" \r\n <p>\n "], []),
    ("{{ @root.x k=null }} \n {{~#unless p}}\n  \r\n z{{/unless}}", False, ["", "  \r\n z"], []),
    ("{{~ -1.5 ~}}\n\n \n", False, [""], []),
    (" \n", False, [" \n"], []),
    ("  x \nz", False, ["  x \nz"], []),
    (" \r\n <p> ", False, [" \r\n <p> "], []),
    (
        "{{!-----~}} <p>\t{{{{raw}}}}\n{{{{y}}}}{{{{/y}}}}\n{{{{/raw}}}}\n text\n\n",
        False,
        ["<p>\t", "\n{{{{y}}}}{{{{/y}}}}\n", " text\n\n"],
        [],
    ),
    ("{{~{../a [a b] (foo.[bar])}~}}\n<p>{{ null @root.x if ~}}", False, ["<p>"], []),
    ("\n x  \r\n {{x.y}}z", False, ["\n x  \r\n ", "z"], []),
    (
        "{{~ @../index (foo k=a) this.a }}{{~#x.y p q as |a b|~}}{{~/x.y}}{{~#> lay~}}<p>    \n   x \t{{/lay}}",
        False,
        ["<p>    \n   x \t"],
        [],
    ),
    ("\n <p>  <p> \r\n z", False, ["\n <p>  <p> \r\n z"], []),
    ('\r\ntext\n {{* deco}}{{~{"s" @../index}~}}', False, ["\r\ntext\n "], []),
    (" \n\n {{!-~}}", False, [" \n\n"], []),
    (
        '{{~#x.y p}}zz{{^}}{{#*inline "n"}}\t x \n{{/inline}}{{~/x.y~}}  text \n{{{{raw}}}}{{{{/raw}}}}',
        False,
        ["zz", "\t x \n", "text \n"],
        [],
    ),
    ("\t<p>\r\n", False, ["\t<p>\r\n"], []),
    ("z\t x \t\n\n<p>", False, ["z\t x \t\n\n<p>"], []),
    ("z\n {{{. @index}}}{{{{raw}}}} {{x}} {{{{/raw}}}}", False, ["z\n ", " {{x}} "], []),
    (" \n<p>\n  x ", False, [" \n<p>\n  x "], []),
    ("\r\ntext  {{~#foo p q as |i|}}{{~ foo.[bar] }}   x \t{{~/foo~}} \r\n  \n", False, ["\r\ntext", "   x", ""], []),
    ("  \n", False, ["  \n"], []),
    ("{{~&@index a @../index~}}  text\r\n", False, ["text\r\n"], []),
    ("{{^x}}{{^}}{{/x}} \n<p>\n\n", False, [" \n<p>\n\n"], []),
    (
        "{{~^x~}}zz{{~^~}}{{#foo p}} \r\n <p> \\{{{{~/foo}}{{{this/..}~}}text{{~/x~}}",
        False,
        ["zz", " \r\n <p> ", "{{", "text"],
        [],
    ),
    ("{{#if a}}\n  x\n{{else}}\n  y\n{{/if}}\n", True, ["\n  x\n", "\n  y\n", "\n"], []),
    ("{{#if a}}\r\n  x\r\n{{else}}\r\n  y\r\n{{/if}}\r\n", True, ["\r\n  x\r\n", "\r\n  y\r\n", "\r\n"], []),
    ("  {{#each xs}}\n    {{this}}\n  {{/each}}\n", True, ["  ", "\n    ", "\n  ", "\n"], []),
    ("a\n  {{> p}}\n b", True, ["a\n  ", "\n b"], [""]),
    ("a\r\n\t {{> p}}\r\nb", True, ["a\r\n\t ", "\r\nb"], [""]),
    ("{{> p}}\n", True, ["\n"], [""]),
]


def _values(template: str, ignore_standalone: bool) -> tuple[list[str], list[str]]:
    program = parse(template, ignore_standalone=ignore_standalone)
    nodes = list(walk(program))
    contents = sorted((n for n in nodes if isinstance(n, ContentStatement)), key=lambda n: n.span.start)
    partials = sorted((n for n in nodes if isinstance(n, PartialStatement)), key=lambda n: n.span.start)
    return [n.value for n in contents], [n.indent for n in partials]


@pytest.mark.parametrize(("template", "ignore_standalone", "values", "indents"), CASES)
def test_whitespace_matches_handlebars_js(
    template: str, ignore_standalone: bool, values: list[str], indents: list[str]
) -> None:
    assert _values(template, ignore_standalone) == (values, indents)


def test_original_is_never_modified() -> None:
    template = "  {{#if a}}\n  x\n  {{~/if}}\n"
    for node in walk(parse(template)):
        if isinstance(node, ContentStatement):
            assert template[node.span.start : node.span.end] == node.original


def test_escaped_mustache_keeps_backslash_in_original_only() -> None:
    program = parse("a\\{{x}} b")
    assert [(n.original, n.value) for n in program.body] == [("a", "a"), ("\\{{x}} b", "{{x}} b")]
    program = parse("a\\\\{{x}}")
    first = program.body[0]
    assert isinstance(first, ContentStatement)
    assert (first.original, first.value) == ("a\\\\", "a\\")
