"""A deterministic generator of realistic SES email templates, shared by the benchmarks.

    generate_template(index, size, expressions, seed=0) -> Template     (3 fixtures that render every printed path)
    iter_templates(count, sizes=(20_000, 30_000), seed=0) -> Iterator[Template]
    mixed_sizes(count, seed) -> list[tuple[int, int]]                   (2-200 KB, 10-500 expressions)
    write_folder_form(folder, template)                                 (html.hbs, subject.hbs, text.hbs, data/*.json)
    reference_email() -> tuple[str, list[dict]]                         (the 24 KB email of issue 3's target)

A template is an HTML email: a <style> block, nested layout tables with inline CSS, a greeting, order rows with
{{#if}}/{{else}} and nested paths, {{#each}} lists (with {{else}}, @index, ../ parents), {{#with}} blocks, an inline
partial called with a context argument, and static paragraphs that bring it to its size. Subject and text parts use
the same data. Every template is different (the generator draws from a seeded random.Random per template), so no
content-hash cache can serve one template's work for another. The three fixtures give every printed path a value,
flip the conditions and vary list lengths (one list is empty in one fixture), so each fixture takes other branches.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templating.model import Fixture, PartName, Template

WORD_TEXT = (
    "account order delivery update invoice receipt payment shipping team support welcome thanks summary weekly plan "
    "renewal subscription trial upgrade feature product release notes customer service security notice billing cycle "
    "package tracking carrier warehouse reward points member offer discount seasonal collection preferences privacy "
    "policy terms settings profile password reset confirm verify address region currency schedule reminder event "
    "ticket booking itinerary flight hotel check-in boarding gate seat baggage loyalty status balance statement"
)
WORDS = tuple(WORD_TEXT.split())
FONT = "font-family:Helvetica,Arial,sans-serif"
STYLE_BLOCK = (
    '<style type="text/css">\n'
    "  body { margin:0; padding:0; background-color:#f4f4f7; }\n"
    "  table { border-collapse:collapse; mso-table-lspace:0pt; mso-table-rspace:0pt; }\n"
    "  img { border:0; height:auto; line-height:100%; outline:none; text-decoration:none; }\n"
    "  .button { background-color:#3869d4; border-radius:3px; color:#ffffff; display:inline-block; }\n"
    "  @media only screen and (max-width:600px) { .wrapper { width:100% !important; } }\n"
    "</style>\n"
)
FIXTURE_NAMES = ("default", "returning", "empty-cart")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


_SENTENCE_RNG = random.Random(2026)
SENTENCES = tuple(_sentence(_SENTENCE_RNG, _SENTENCE_RNG.randint(6, 16)) for _ in range(4096))
PARAGRAPH_WRAPPER = 190  # characters of markup around a paragraph's text


def _paragraph(rng: random.Random, size: int) -> str:
    """Static text of about `size` characters in all, wrapped in an inline-styled table cell."""
    sentences: list[str] = []
    length = PARAGRAPH_WRAPPER
    while length < size:
        sentence = SENTENCES[rng.getrandbits(12)]
        if length + len(sentence) > size + 40:
            break
        sentences.append(sentence)
        length += len(sentence) + 1
    style = f"{FONT};font-size:{rng.choice((13, 14, 15, 16))}px;line-height:1.5;color:#{rng.randrange(0x1000000):06x}"
    return (
        f'<tr>\n  <td class="content-cell" style="padding:8px 24px;{style}">\n    <p style="margin:0 0 12px 0">'
        f"{' '.join(sentences)}</p>\n  </td>\n</tr>\n"
    )


@dataclass
class _Builder:
    """One template under construction: its parts' text, its expression count, and its three fixtures' data."""

    rng: random.Random
    html: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    expressions: int = 0
    data: tuple[dict[str, Any], ...] = field(default_factory=lambda: ({}, {}, {}))
    sections: int = 0

    def put(self, path: str, values: tuple[Any, Any, Any]) -> None:
        *parents, leaf = path.split(".")
        for data, value in zip(self.data, values, strict=True):
            target = data
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value

    def words(self, count: int = 2) -> str:
        return " ".join(self.rng.choices(WORDS, k=count))

    def values(self) -> tuple[str, str, str]:
        return (self.words(2).title(), self.words(1), f"{self.rng.randint(1, 9999)}.{self.rng.randint(0, 99):02}")

    # ----------------------------------------------------------------------------------------------- sections

    def greeting(self) -> None:
        self.put("user.firstName", ("Ada", "Grace", "Alan"))
        self.put("user.lastName", ("Lovelace", "Hopper", "Turing"))
        self.put("user.account.id", ("A-100", "B-200", "C-300"))
        self.put("user.isMember", (True, False, True))
        self.html.append(
            f'<tr>\n  <td style="padding:24px;{FONT};font-size:18px">Hi {{{{user.firstName}}}} '
            "{{user.lastName}},</td>\n</tr>\n"
            '{{#if user.isMember}}<tr><td style="padding:0 24px;color:#22bc66">Member {{user.account.id}}</td></tr>'
            '{{else}}<tr><td style="padding:0 24px">Join today and save.</td></tr>{{/if}}\n'
        )
        self.text.append("Hi {{user.firstName}} {{user.lastName}},\n\n")
        self.expressions += 8

    def order_rows(self, rows: int) -> None:
        """Rows of a summary table, each with a condition and three printed variables (nested paths)."""
        key = f"summary{self.sections}"
        self.html.append('<tr><td><table class="wrapper" width="100%" style="border:1px solid #eaeaec">\n')
        for row in range(rows):
            path = f"{key}.line{row}"
            self.put(f"{path}.label", tuple(self.words(2).title() for _ in range(3)))  # type: ignore[arg-type]
            self.put(f"{path}.amount", self.values())
            self.put(f"{path}.note", tuple(self.words(3) for _ in range(3)))  # type: ignore[arg-type]
            self.put(f"{path}.paid", (row % 2 == 0, row % 3 == 0, False))
            self.html.append(
                f'  <tr>\n    <td style="padding:6px 12px;{FONT};border-bottom:1px solid #eaeaec">'
                f"{{{{{path}.label}}}}</td>\n"
                f'    <td align="right" style="padding:6px 12px;{FONT}">{{{{{path}.amount}}}}</td>\n'
                f'    <td style="padding:6px 12px;font-size:12px">{{{{#if {path}.paid}}}}<span style="color:#22bc66">'
                f'Paid</span>{{{{else}}}}<span style="color:#ff6136">Due: {{{{{path}.note}}}}</span>{{{{/if}}}}</td>\n'
                "  </tr>\n"
            )
            self.expressions += 6
        self.html.append("</table></td></tr>\n")
        self.text.append(f"Summary: {{{{{key}.line0.label}}}} {{{{{key}.line0.amount}}}}\n")
        self.expressions += 2

    def item_list(self) -> None:
        """An #each over items with an {{else}}, @index, a ../ parent path and a nested #if."""
        key = f"items{self.sections}"
        currency = f"currency{self.sections}"
        counts = (self.rng.randint(2, 5), 1, 0)
        lists = []
        for count in counts:
            lists.append(
                [
                    {
                        "name": self.words(2).title(),
                        "sku": f"SKU-{self.rng.randint(1000, 9999)}",
                        "price": f"{self.rng.randint(1, 500)}.{self.rng.randint(0, 99):02}",
                        "onSale": self.rng.random() < 0.4,
                        "details": {"color": self.rng.choice(("red", "blue", "black")), "size": "M"},
                    }
                    for _ in range(count)
                ]
            )
        self.put(key, tuple(lists))  # type: ignore[arg-type]
        self.put(currency, ("EUR", "USD", "GBP"))
        self.html.append(
            f'<tr><td><table width="100%" style="{FONT};font-size:14px">\n'
            f"{{{{#each {key}}}}}\n"
            '  <tr>\n    <td style="padding:4px 12px;color:#51545e">{{@index}}. {{name}} <small>({{sku}}, '
            "{{details.color}}/{{details.size}})</small></td>\n"
            '    <td align="right" style="padding:4px 12px">{{price}} {{../' + currency + "}}"
            '{{#if onSale}} <b style="color:#ff6136">SALE</b>{{/if}}</td>\n  </tr>\n'
            "{{else}}\n"
            '  <tr><td style="padding:4px 12px;color:#a8aaaf">Your cart is empty.</td></tr>\n'
            "{{/each}}\n</table></td></tr>\n"
        )
        self.text.append(f"{{{{#each {key}}}}}- {{{{name}}}}: {{{{price}}}}\n{{{{/each}}}}")
        self.expressions += 15

    def shipping(self) -> None:
        key = f"shipping{self.sections}"
        cities = ("Lisbon", "Oslo", "Quito")
        self.put(
            f"{key}.address.line1", tuple(f"{self.rng.randint(1, 200)} {self.words(1).title()} St" for _ in cities)
        )
        self.put(f"{key}.address.city", cities)
        self.put(f"{key}.address.postcode", tuple(str(self.rng.randint(10000, 99999)) for _ in cities))
        self.put(f"{key}.carrier.name", ("DHL", "UPS", "Post"))
        self.put(f"{key}.carrier.tracking", (f"T{self.rng.randint(10**8, 10**9)}", "", "T1"))
        self.html.append(
            f'<tr><td style="padding:12px 24px;{FONT}">\n{{{{#with {key}}}}}\n'
            '  <p style="margin:0">{{address.line1}}<br>{{address.postcode}} {{address.city}}</p>\n'
            '  {{#if carrier.tracking}}<p style="margin:0;color:#51545e">{{carrier.name}}: '
            "{{carrier.tracking}}</p>{{/if}}\n{{/with}}\n</td></tr>\n"
        )
        self.expressions += 9

    def call_to_action(self) -> None:
        """A call of the inline partial `button` (defined once at the top of the html part) with a context."""
        key = f"cta{self.sections}"
        self.put(f"{key}.url", tuple(f"https://example.com/{self.words(1)}/{i}" for i in range(3)))  # type: ignore[arg-type]
        self.put(f"{key}.label", tuple(self.words(2).title() for _ in range(3)))  # type: ignore[arg-type]
        self.html.append(f'<tr><td align="center" style="padding:16px">\n{{{{> button {key}}}}}\n</td></tr>\n')
        self.text.append(f"{{{{{key}.label}}}}: {{{{{key}.url}}}}\n")
        self.expressions += 3

    def filler(self, size: int) -> None:
        self.html.append(_paragraph(self.rng, size))


BUTTON_PARTIAL = (
    '{{#*inline "button"}}\n<a href="{{url}}" class="button" style="{FONT};color:#ffffff;padding:10px 18px;'
    'text-decoration:none">{{label}}</a>\n{{/inline}}\n'
).replace("{FONT}", FONT)


HTML_HEAD = (
    '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
    + STYLE_BLOCK
    + "</head>\n<body>\n"
    + BUTTON_PARTIAL
    + '<table class="wrapper" width="600" cellpadding="0" cellspacing="0" role="presentation" '
    'style="margin:0 auto;background:#ffffff">\n'
)
HTML_FOOT = (
    f'<tr><td style="padding:24px;{FONT};font-size:12px;color:#a8aaaf">You receive this email because you have '
    "an account. {{#if user.isMember}}Manage your membership in your profile.{{/if}}</td></tr>\n"
    "</table>\n</body>\n</html>\n"
)


def generate_template(index: int, size: int, expressions: int, seed: int = 0) -> Template:
    """One template of about `size` characters (html + subject + text) with about `expressions` tags."""
    rng = random.Random(seed * 1_000_003 + index)
    builder = _Builder(rng)
    builder.greeting()
    while builder.expressions < expressions - 4:
        builder.sections += 1
        remaining = expressions - builder.expressions
        choice = rng.random()
        if remaining >= 40 and choice < 0.35:
            builder.order_rows(min(40, rng.randint(3, max(3, remaining // 8))))
        elif remaining >= 16 and choice < 0.6:
            builder.item_list()
        elif remaining >= 9 and choice < 0.8:
            builder.shipping()
        else:
            builder.call_to_action()
    subject = "{{user.firstName}}, your " + builder.words(2) + " update #{{user.account.id}}"
    text = "".join(builder.text) + "\nThanks,\nThe team\n"
    sections = builder.html
    builder.html = []
    fixed = len(HTML_HEAD) + len(HTML_FOOT) + sum(map(len, sections)) + len(subject) + len(text)
    per_gap = max(0, size - fixed) // (len(sections) + 1)
    for section in sections:
        if per_gap > 2 * PARAGRAPH_WRAPPER:
            builder.filler(per_gap)
        builder.html.append(section)
    if per_gap > 2 * PARAGRAPH_WRAPPER:
        builder.filler(per_gap)
    html = HTML_HEAD + "".join(builder.html) + HTML_FOOT
    builder.expressions += 2
    name = f"bench-{seed}-{index:05}"
    source = Path("corpus") / name
    parts: dict[PartName, str] = {"subject": subject, "html": html, "text": text}
    part_paths: dict[PartName, Path] = {part: source / f"{part}.hbs" for part in parts}
    fixtures = {
        fixture: Fixture(fixture, data, source / "data" / f"{fixture}.json")
        for fixture, data in zip(FIXTURE_NAMES, builder.data, strict=True)
    }
    return Template(name, source, "folder", parts, part_paths, fixtures)


def template_size(t: Template) -> int:
    return sum(len(text) for text in t.parts.values())


def expression_count(t: Template) -> int:
    return sum(text.count("{{") for text in t.parts.values())


def mixed_sizes(count: int, seed: int = 0) -> list[tuple[int, int]]:
    """(size, expressions) pairs spread log-uniformly over 2-200 KB, expressions growing with size (10-500)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        size = int(2_000 * 100 ** rng.random())
        expressions = max(10, min(500, int(size / 1000 * rng.uniform(2.5, 8))))
        pairs.append((size, expressions))
    return pairs


def iter_templates(
    count: int,
    size_range: tuple[int, int] = (20_000, 30_000),
    expression_range: tuple[int, int] = (80, 200),
    seed: int = 0,
) -> Iterator[Template]:
    """`count` templates generated one at a time (nothing is kept), sizes and expression counts drawn per template."""
    rng = random.Random(seed)
    for index in range(count):
        yield generate_template(index, rng.randint(*size_range), rng.randint(*expression_range), seed)


def write_folder_form(folder: Path, t: Template) -> Path:
    """Write `t` in the loader's folder form under `folder`; returns the template's folder."""
    import json

    target = folder / t.name
    (target / "data").mkdir(parents=True, exist_ok=True)
    for part, text in t.parts.items():
        (target / f"{part}.hbs").write_text(text, encoding="utf-8")
    for fixture in t.fixtures.values():
        (target / "data" / f"{fixture.name}.json").write_text(json.dumps(fixture.data, indent=1), encoding="utf-8")
    return target


def reference_email() -> tuple[str, list[dict[str, Any]]]:
    """Issue 3's reference: a 24 KB email with 40 table rows (each an #if/else and 3 variables), an #each of 20 items,
    about 18 KB of static text. Returns the html source and three fixtures."""
    rng = random.Random(24)
    rows = []
    for row in range(40):
        rows.append(
            f'<tr>\n  <td>{{{{row{row}.label}}}}</td>\n  <td align="right">{{{{row{row}.amount}}}}</td>\n'
            f"  <td>{{{{#if row{row}.paid}}}}Paid{{{{else}}}}Due {{{{row{row}.due}}}}{{{{/if}}}}</td>\n</tr>\n"
        )
    each = (
        '<table width="100%">\n{{#each items}}\n  <tr><td style="padding:4px 12px">{{name}}</td>'
        '<td align="right">{{price}}</td></tr>\n{{/each}}\n</table>\n'
    )
    static = [_paragraph(rng, 1_500) for _ in range(12)]
    body = [static[0], *rows[:20], static[1], each, *static[2:7], *rows[20:], *static[7:]]
    html = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        + STYLE_BLOCK
        + '</head>\n<body>\n<table class="wrapper" width="600" style="margin:0 auto">\n'
        + "".join(body)
        + "</table>\n</body>\n</html>\n"
    )
    fixtures = []
    for variant in range(3):
        data: dict[str, Any] = {
            f"row{row}": {
                "label": f"Line {row}",
                "amount": f"{row * 7 + variant}.00",
                "paid": (row + variant) % 2 == 0,
                "due": f"2026-0{variant + 1}-{row % 28 + 1:02}",
            }
            for row in range(40)
        }
        data["items"] = [{"name": f"Item {i}", "price": f"{i + variant}.99"} for i in range(20)]
        fixtures.append(data)
    return html, fixtures
