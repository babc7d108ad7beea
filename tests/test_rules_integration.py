"""check() on sets loaded from disk: findings point at the file each part came from, with the part's own positions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from templating.loaders import load
from templating.rules import check


def located(findings: list[Any], code: str) -> list[tuple[str, int, int, str | None, str | None]]:
    return [(Path(f.path).name, f.line, f.column, f.part, f.fixture) for f in findings if f.code == code]


def test_folder_form_findings_point_at_the_part_files(write_tree: Any) -> None:
    src = write_tree(
        {
            "welcome/subject.hbs": "Hi {{name}}",
            "welcome/html.hbs": "<p>\n  {{#if vip}}{{> badge}}{{/if}}</p>",
            "welcome/text.hbs": "{{#each items as |i|}}{{{i}}}{{/each}}",
            "welcome/data/default.json": {"vip": True, "items": []},
        }
    )
    findings = check(load(src))
    assert located(findings, "C101") == [("subject.hbs", 1, 4, "subject", None)]
    assert located(findings, "C103") == [("html.hbs", 2, 14, "html", None)]
    assert located(findings, "C109") == [("text.hbs", 1, 1, "text", None)]
    assert located(findings, "D101") == [("subject.hbs", 1, 4, "subject", "default")]
    assert located(findings, "D104") == [("html.hbs", 2, 14, "html", "default")]


def test_json_form_findings_count_lines_within_the_part(write_tree: Any) -> None:
    template = {"Template": {"TemplateName": "promo", "SubjectPart": "Sale", "HtmlPart": "<p>\r\n{{formatDate d}}</p>"}}
    src = write_tree({"promo.json": template, "promo.data.json": '"{\\"d\\": 1}"'})
    findings = check(load(src))
    assert located(findings, "C113") == [("promo.json", 2, 1, "html", None)]
    assert located(findings, "L110") == []
    assert [f.template for f in findings if f.code == "C113"] == ["promo"]


def test_a_broken_file_and_a_good_template_are_both_reported(write_tree: Any) -> None:
    src = write_tree(
        {
            "bad.json": "{not json",
            "ok.json": {"Template": {"TemplateName": "ok", "SubjectPart": "x", "HtmlPart": "{{#if a}}"}},
        }
    )
    codes = {f.code for f in check(load(src))}
    assert {"L103", "P101", "L110"} <= codes
