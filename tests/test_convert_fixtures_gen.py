"""The fixture generator gives every referenced path a value that makes the template render and convert."""

from __future__ import annotations

from templating.fixtures_gen import fixture_from_parts
from templating.render import compile_template


def test_generated_fixture_covers_paths_sections_and_partials() -> None:
    html = (
        '{{#*inline "card"}}<b>{{title}}</b>{{/inline}}'
        "<p>{{user.name}}</p>{{#each items}}{{sku}} {{../currency}}{{/each}}"
        "{{#if flags.vip}}VIP{{/if}}{{#stats.rows}}{{label}}{{/stats.rows}}{{#each tags}}{{this}}{{/each}}"
        "{{> card article}}{{#with shop}}{{url}}{{/with}}"
    )
    data = fixture_from_parts({"html": html, "subject": "{{subjectLine}}"})
    assert data["user"] == {"name": "user.name"}
    assert data["items"] == [{"sku": "sku"}, {"sku": "sku 2"}]
    assert data["currency"] == "../currency" or data["currency"] == "currency"
    assert data["flags"] == {"vip": True}
    assert data["stats"]["rows"][0] == {"label": "label"} and len(data["stats"]["rows"]) == 2
    assert data["tags"] == ["item", "item 2"]
    assert data["article"] == {"title": "title"} and data["shop"] == {"url": "url"}
    assert data["subjectLine"] == "subjectLine"
    compile_template(html).render(data, strict=True)
