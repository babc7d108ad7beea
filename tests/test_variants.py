"""Variant consolidation: families of templates differing only in literal text become one Mailtrap template with
`{{{__text.KEY}}}` variables, merged only when exact (static whitespace check and render proof)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.mailtrap.local import load_local
from templating.render import render_part
from templating.send import TemplateIndex, translate
from templating.testing import template_payload, write_out_folder
from templating.variants import (
    TEXT_ROOT,
    VARIANTS_FILE,
    Family,
    Member,
    Rejection,
    consolidate,
    effective,
    family_name,
    find_families,
    merge_family,
    prove_family,
    split_part,
)


def member(name: str, html: str, subject: str = "Hi {{{name}}}", text: str = "", **fixtures: Any) -> Member:
    payload = {"name": name, "subject": subject, "category": "c", "body_html": html, "body_text": text}
    return Member(name, payload, fixtures or {"f": {"name": "Ann", "items": [{"n": 1}, {"n": 2}], "flag": True}})


def merged(*members: Member) -> Family:
    result = merge_family(list(members))
    assert isinstance(result, Family), result
    return result


@pytest.mark.parametrize(
    "source",
    ["", "plain", "{{x}}", "a{{x}}b{{#if y}}c{{else}}d{{/if}}e", "{{#if a}}\n  x\n{{/if}}\n", "{{! c }}{{{x}}}"],
)
def test_split_part_interleaves_back_to_the_source(source: str) -> None:
    split = split_part(source)
    assert len(split.runs) == len(split.tags) + 1 == len(split.mergeable)
    rebuilt = split.runs[0] + "".join(tag + run for tag, run in zip(split.tags, split.runs[1:], strict=True))
    assert rebuilt == source


def test_locale_family_merges_into_one_template_with_text_variables() -> None:
    en = member(
        "welcome-en", "<h1>Welcome, {{{name}}}</h1>\n{{#if flag}}\n<p>Enjoy</p>\n{{/if}}\n", "Welcome {{{name}}}"
    )
    de = member(
        "welcome-de",
        "<h1>Willkommen, {{{name}}}</h1>\n{{#if flag}}\n<p>Viel Spaß</p>\n{{/if}}\n",
        "Willkommen {{{name}}}",
    )
    family = merged(en, de)
    assert family.name == "welcome (2 variants)"
    assert family.payload["body_html"].count("{{{__text.") == 2
    assert family.values["welcome-de"] == {"s0": "Willkommen", "h0": "Willkommen,", "h2_1": "Viel Spaß"}
    assert prove_family(family, [en, de]) == [] and family.fixtures_proven == 2
    for m in (en, de):
        data = {**m.fixtures["f"], TEXT_ROOT: family.values[m.ses_name]}
        assert render_part(family.payload["body_html"], data, "mailtrap") == render_part(
            m.payload["body_html"], m.fixtures["f"], "ses"
        )


def test_different_structure_is_not_a_family() -> None:
    a = member("a", "<p>{{{name}}}</p>")
    b = member("b", "<p>{{{other}}}</p>")
    c = member("c", "<b>{{{name}}}</b>")
    assert [[m.ses_name for m in f] for f in find_families([a, b, c])] == [["a", "c"]]


def test_a_difference_inside_each_is_not_merged_but_inside_its_else_is() -> None:
    inside = merge_family(
        [member("a", "{{#each items}}x{{n}}{{/each}}"), member("b", "{{#each items}}y{{n}}{{/each}}")]
    )
    assert isinstance(inside, Rejection) and "context" in inside.reason
    in_else = merged(
        member("a", "{{#each items}}{{n}}{{else}}none{{/each}}"),
        member("b", "{{#each items}}{{n}}{{else}}keine{{/each}}"),
    )
    assert in_else.values == {"a": {"h1": "none"}, "b": {"h1": "keine"}}


def test_a_merge_that_would_change_standalone_whitespace_is_rejected() -> None:
    result = merge_family([member("a", "{{#if flag}}\nX\n{{/if}}"), member("b", "{{#if flag}}  Y\n{{/if}}")])
    assert isinstance(result, Rejection) and "whitespace" in result.reason


def test_text_on_the_other_side_of_a_tag_still_merges() -> None:
    """Word order differs between locales: one member's run before the first tag (or after the last) is empty."""
    en = member("welcome-en", "<p>x</p>", subject="Welcome {{{name}}}")
    de = member("welcome-de", "<p>x</p>", subject="{{{name}}}, willkommen")
    family = merged(en, de)
    assert family.values == {"welcome-de": {"s0": "", "s1": ", willkommen"}, "welcome-en": {"s0": "Welcome ", "s1": ""}}
    assert prove_family(family, [en, de]) == []


def test_a_merge_that_does_not_parse_is_rejected_not_a_crash() -> None:
    # text kept next to a slot joins the slot's braces into another tag (a raw block); both members parse (fuzzing)
    crafted = merge_family([member("a", ">}{{~name~}}~ }"), member("b", "}{{~name~}}}~& ")])
    assert isinstance(crafted, Rejection) and "does not parse" in crafted.reason


def test_members_using_text_root_themselves_are_not_merged() -> None:
    result = merge_family([member("a", "A {{{__text.x}}}"), member("b", "B {{{__text.x}}}")])
    assert isinstance(result, Rejection) and TEXT_ROOT in result.reason


def test_exact_duplicates_and_singletons_stay_as_they_are() -> None:
    a, a2, b = member("a", "<p>same</p>"), member("a2", "<p>same</p>"), member("b", "<p>{{{name}}} alone</p>")
    consolidation = consolidate([a, a2, b])
    assert consolidation.families == [] and consolidation.slots_before == consolidation.slots_after == 2


def test_family_names_are_unique_for_sync() -> None:
    names = ["x-1", "x-2", "x-3", "x-4"]
    members = [member(n, f"<p>{n} {{{{{{name}}}}}}</p>", subject="S") for n in names[:2]]
    members += [member(n, f"<p>{n} {{{{{{other}}}}}}</p>", subject="S") for n in names[2:]]
    consolidation = consolidate(members)
    assert sorted(f.name for f in consolidation.families) == ["x (2 variants)", "x (2 variants) #2"]
    assert consolidation.slots_before == 4 and consolidation.slots_after == 2


def test_family_name() -> None:
    assert family_name(["welcome-de", "welcome-en"]) == "welcome (2 variants)"
    assert family_name(["alpha", "beta"]) == "alpha (2 variants)"


def test_a_render_mismatch_rejects_the_family() -> None:
    a, b = member("a", "<p>A {{{name}}}</p>"), member("b", "<p>B {{{name}}}</p>")
    family = merged(a, b)
    family.values["b"] = {"h0": "wrong"}
    assert prove_family(family, [a, b]) != []


# -- property: random families built from one skeleton -------------------------------------------------------

SKELETONS = [
    "{a}\n{{{{#if flag}}}}\n{b}\n{{{{else}}}}\n{c}\n{{{{/if}}}}\n{d}",
    "{a}{{{{{{name}}}}}}{b}\n{{{{#each items}}}}<li>{{{{n}}}}</li>{{{{else}}}}{c}{{{{/each}}}}\n{d}",
    "  {a}  \n{{{{#unless flag}}}}{b}{{{{/unless}}}}\n\n{c} {{{{! note }}}}\n{d}",
    "{{{{#with items}}}}{{{{length}}}}{{{{else}}}}\n{a}\n{{{{/with}}}}{b}{c}{d}",
]
WORDS = ["Hello", "Hallo", "Bonjour", "", " ", "\n", "<b>x</b>", "a\nb", "Ümlaut ß", "  Ciao\n", "end.\n  "]


@pytest.mark.parametrize("seed", range(40))
def test_merged_family_renders_every_member_exactly_or_is_rejected(seed: int) -> None:
    rng = random.Random(seed)
    skeleton = rng.choice(SKELETONS)
    members = []
    for number in range(rng.randint(2, 4)):
        texts = {key: rng.choice(WORDS) for key in "abcd"}
        members.append(
            member(f"t-{number}", skeleton.format(**texts), subject=rng.choice(["S", "Sujet", "S {{{name}}}"]))
        )
    fixtures = [{"name": "Ann", "items": [{"n": 1}], "flag": True}, {"name": "Bo", "items": [], "flag": False}]
    members = [Member(m.ses_name, m.payload, {str(i): f for i, f in enumerate(fixtures)}) for m in members]
    groups = find_families(members)
    for group in groups:
        result = merge_family(group)
        if isinstance(result, Rejection):
            continue
        for m in group:
            for key in ("subject", "body_html"):
                assert effective(result.payload[key], result.values[m.ses_name]) == effective(m.payload[key])
        assert prove_family(result, group) == [], json.dumps(result.payload)


# -- the command and the translator ------------------------------------------------------------------------------


def test_consolidate_command_writes_merged_folder_and_translate_send_injects_values(tmp_path: Path) -> None:
    payloads = {
        "promo-acme": template_payload("promo-acme", "Acme sale", "<p>Acme: {{{item}}}</p>\n", "Acme: {{{item}}}"),
        "promo-zeta": template_payload("promo-zeta", "Zeta sale", "<p>Zeta: {{{item}}}</p>\n", "Zeta: {{{item}}}"),
        "other": template_payload("other", "Other", "<p>{{{x}}}</p>", ""),
    }
    fixtures = {name: {"f": {"item": "<b>hat</b>", "x": "1"}} for name in payloads}
    out = write_out_folder(tmp_path / "OUT", payloads, fixtures=fixtures)
    merged = tmp_path / "MERGED"
    result = CliRunner().invoke(main, ["consolidate", str(out), "-o", str(merged)])
    assert result.exit_code == 0, result.output
    assert (
        "merged  promo (2 variants): promo-acme, promo-zeta (3 text variables, 2 fixtures proven, 1 slot saved)"
        in result.stdout
    )
    assert "3 before, 2 after (1 saved); fits in 200" in result.stdout
    acme = json.loads((merged / "promo-acme" / "mailtrap.json").read_text(encoding="utf-8"))
    assert acme == json.loads((merged / "promo-zeta" / "mailtrap.json").read_text(encoding="utf-8"))
    assert acme["body_html"] == "<p>{{{__text.h0}}} {{{item}}}</p>\n"
    assert json.loads((merged / "other" / "mailtrap.json").read_text(encoding="utf-8")) == payloads["other"]
    variants = json.loads((merged / VARIANTS_FILE).read_text(encoding="utf-8"))
    assert variants["templates"]["promo-zeta"] == {
        "family": "promo (2 variants)",
        TEXT_ROOT: {"s0": "Zeta", "h0": "Zeta:", "t0": "Zeta:"},
    }
    local = {t.ses_name: t.variables for t in load_local(merged).templates}
    assert local == {
        "other": None,
        "promo-acme": {TEXT_ROOT: variants["templates"]["promo-acme"][TEXT_ROOT]},
        "promo-zeta": {TEXT_ROOT: variants["templates"]["promo-zeta"][TEXT_ROOT]},
    }

    # sync records those values in the lock file: the translator reads them there (one reader, the lock)
    entry = {"id": 1, "uuid": "uuid-promo", "name": "promo (2 variants)", "content_hash": "", "synced_at": ""}
    zeta = {**entry, "variables": local["promo-zeta"]}
    lock = {"version": 1, "account_id": "1", "templates": {"promo-zeta": zeta, "other": {**entry, "uuid": "u2"}}}
    (merged / "mailtrap.lock.json").write_text(json.dumps(lock), encoding="utf-8")
    index = TemplateIndex.from_lock(merged)
    call = {
        "Source": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Template": "promo-zeta",
        "TemplateData": '{"item": "cap"}',
    }
    variables = translate(call, index).output()["template_variables"]
    assert variables == {"item": "cap", TEXT_ROOT: {"s0": "Zeta", "h0": "Zeta:", "t0": "Zeta:"}}
    other = translate({**call, "Template": "other"}, index).output()["template_variables"]
    assert other == {"item": "cap"}


def test_consolidate_refuses_to_write_into_out(tmp_path: Path) -> None:
    out = write_out_folder(tmp_path / "OUT", {"a": template_payload("a")})
    result = CliRunner().invoke(main, ["consolidate", str(out), "-o", str(out)])
    assert result.exit_code == 2 and "another folder" in result.stderr
