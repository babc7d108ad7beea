"""Benchmark variant consolidation: 2,000 templates in 100 families of 20 locale variants, merged and proven.

    python bench/bench_consolidate.py [--families 100] [--variants 20] [--no-src]

Writes an OUT folder (what `ses2mt convert` leaves: OUT/<name>/mailtrap.json and fixtures) and the SES originals
(SRC), then times what `ses2mt plan|sync OUT --consolidate --src SRC` does before talking to Mailtrap: read OUT and
its fixtures, load SRC, find the families, merge them, and prove every fixture of every member (Mailtrap's engine on
the merged template with the injected `__text` values against SES's render of the original). With --no-src the proof
compares with Mailtrap's render of each member's converted template instead (what happens without --src).
Each family has its own structure (a ~5 KB HTML email: style block, layout tables, `#if`/`{{else}}`, `#each` with
`{{else}}`, nested paths); its 20 variants differ in every sentence. Two fixtures per template.

Target (issue 8): <= 60 s; prints the Mailtrap template slots before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from templating.mailtrap.local import load_local
from templating.variants import consolidate_local, load_originals

LOCALES = "en de fr es it nl pt pl sv da fi nb cs hu ro el tr ja ko zh ga is lt lv et sk sl hr bg uk".split()  # noqa: SIM905
VOCABULARY = (  # noqa: SIM905
    "account order delivery update invoice receipt payment shipping team support welcome thanks summary weekly plan "
    "renewal subscription trial upgrade feature product release notes customer service security notice billing cycle "
    "package tracking carrier warehouse reward points member offer discount seasonal collection preferences privacy"
).split()
STYLE = (
    "<style>\n  body { margin:0; padding:0; background:#f4f4f7; font-family:Helvetica,Arial,sans-serif; }\n"
    "  table { border-collapse:collapse; } td { padding:8px 12px; font-size:14px; line-height:20px; color:#333; }\n"
    "  h1 { font-size:22px; color:#111; } .muted { color:#888; font-size:12px; } .cta { background:#0a6; }\n"
    "  @media only screen and (max-width:620px) { .container { width:100% !important; } }\n</style>\n"
)


def sentence(rng: random.Random, locale: str, words: int) -> str:
    return " ".join(f"{rng.choice(VOCABULARY)}-{locale}" for _ in range(words)).capitalize() + "."


def family_sources(family: int, locale: str) -> dict[str, str]:
    """One variant: the family's structure (tags) with this locale's sentences. Same for SES and Mailtrap (only
    triple-stash output, which both engines print unescaped)."""
    rng = random.Random(f"{family}-{locale}")
    text = [sentence(rng, locale, 8 + rng.randint(0, 10)) for _ in range(24)]
    rows = "".join(
        f'<tr><td class="muted">{{{{{{order.line{family}_{row}}}}}}}</td><td>Static cell {row}</td></tr>\n'
        for row in range(2 + family % 5)
    )
    html = (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n{STYLE}</head>\n<body>\n'
        '<table class="container" width="600" align="center"><tr><td>\n'
        f"<h1>{text[0]} {{{{{{user.name}}}}}}</h1>\n<p>{text[1]} {text[2]}</p>\n"
        f"{{{{#if user.vip}}}}<p>{text[3]}</p>{{{{else}}}}<p>{text[4]}</p>{{{{/if}}}}\n"
        "<table>{{#each items}}<tr><td>{{{@index}}}</td><td>{{{name}}}</td><td>{{{price}}}</td></tr>"
        f"{{{{else}}}}<tr><td>{text[5]}</td></tr>{{{{/each}}}}</table>\n"
        f"<table>\n{rows}</table>\n"
        + "".join(f"<p>{text[index]}</p>\n" for index in range(6, 22))
        + f'<p class="muted">{text[22]} {{{{{{user.email}}}}}}</p>\n'
        f'<a class="cta" href="https://example.com/o/{{{{{{order.id}}}}}}">{text[23]}</a>\n'
        "</td></tr></table>\n</body>\n</html>\n"
    )
    subject = f"{text[0]} {{{{{{order.id}}}}}}"
    body_text = f"{text[0]} {{{{{{user.name}}}}}}\n{text[1]}\n{{{{#if user.vip}}}}{text[3]}{{{{/if}}}}\n{text[23]}\n"
    return {"subject": subject, "html": html, "text": body_text}


def fixtures(family: int) -> dict[str, dict[str, Any]]:
    lines = {f"line{family}_{row}": f"L{row} &amp; <b>{row}</b>" for row in range(2 + family % 5)}
    user = {"name": "Ann <Bo>", "email": "ann@example.com"}
    items = [{"name": f"item {n}", "price": f"{n}.00"} for n in range(3)]
    return {
        "vip": {"user": {**user, "vip": True}, "items": items, "order": {"id": "A-1", **lines}},
        "plain": {"user": {**user, "vip": False}, "items": [], "order": {"id": "B-2", **lines}},
    }


def write_sets(root: Path, families: int, variants: int) -> tuple[Path, Path, int]:
    out, src = root / "OUT", root / "SRC"
    out.mkdir()
    src.mkdir()
    written = 0
    report = []
    for family in range(families):
        data = fixtures(family)
        for locale in LOCALES[:variants]:
            name = f"mail{family:03}-{locale}"
            parts = family_sources(family, locale)
            payload = {
                "name": name,
                "subject": parts["subject"],
                "category": "migrated-from-ses",
                "body_html": parts["html"],
                "body_text": parts["text"],
            }
            (out / name / "fixtures").mkdir(parents=True)
            (out / name / "mailtrap.json").write_text(json.dumps(payload), encoding="utf-8")
            ses = {"TemplateName": name, "TemplateContent": {k.capitalize(): v for k, v in parts.items()}}
            (src / f"{name}.json").write_text(json.dumps(ses), encoding="utf-8")
            (src / f"{name}.data").mkdir()
            for fixture, values in data.items():
                (out / name / "fixtures" / f"{fixture}.json").write_text(json.dumps(values), encoding="utf-8")
                (src / f"{name}.data" / f"{fixture}.json").write_text(json.dumps(values), encoding="utf-8")
            report.append({"name": name, "status": "converted"})
            written += len(parts["html"])
    summary = {"converted": len(report), "failed": 0}
    (out / "report.json").write_text(json.dumps({"templates": report, "summary": summary}), encoding="utf-8")
    return out, src, written // max(1, len(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100)
    parser.add_argument("--variants", type=int, default=20, choices=range(2, len(LOCALES) + 1), metavar="2-30")
    parser.add_argument("--no-src", action="store_true", help="prove against Mailtrap's render of each member")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-consolidate-") as folder:
        out, src, average = write_sets(Path(folder), args.families, args.variants)
        count = args.families * args.variants
        print(f"{count} templates ({args.families} families x {args.variants}), html ~{average / 1000:.1f} KB each")
        cpu, started = os.times(), time.perf_counter()
        templates = load_local(out).templates
        originals = None if args.no_src else load_originals(src)
        loaded = time.perf_counter() - started
        consolidation, merged = consolidate_local(out, templates, originals)
        elapsed = time.perf_counter() - started
        after = os.times()
        cpu_seconds = (after.user - cpu.user) + (after.system - cpu.system)
        proven = sum(family.fixtures_proven for family in consolidation.families)
        fixtures_total = sum(len(list((out / t.ses_name / "fixtures").glob("*.json"))) for t in templates)
        print(
            f"consolidate with proof ({'Mailtrap render of each member' if args.no_src else 'against SES, --src'}): "
            f"{elapsed:.1f} s wall, {cpu_seconds:.1f} s CPU (reading OUT and SRC: {loaded:.1f} s) [target <= 60 s]"
        )
        print(
            f"families merged: {len(consolidation.families)}, kept apart: {len(consolidation.rejected)}; "
            f"fixtures proven: {proven} of {fixtures_total}"
        )
        print(
            f"Mailtrap template slots: {consolidation.slots_before} before, {consolidation.slots_after} after "
            f"({consolidation.slots_before - consolidation.slots_after} saved); "
            f"{len({json.dumps(t.payload, sort_keys=True) for t in merged})} distinct payloads to upload"
        )
        for rejection in consolidation.rejected[:3]:
            print(f"  kept apart: {', '.join(rejection.members[:3])}...: {rejection.reason}")


if __name__ == "__main__":
    main()
