"""M1xx limits, the set-level checks of `check`, and `check_many`'s parallel path."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_rules_support import at, make_template, messages

import templating.rules as rules
from templating.catalogue import finding
from templating.model import LoadResult, Severity
from templating.rules import check, check_many, check_template
from templating.rules.limits import limit_findings


def test_ses_size_limit_counts_html_and_text_bytes_together() -> None:
    half = "é" * 128_000  # 256,000 bytes of UTF-8 each: exactly 500 KB (512,000 bytes) together
    assert at(limit_findings(make_template(half, text=half)), "M101") == []
    over = make_template(half, text=half + "x")
    assert at(limit_findings(over), "M101") == [(None, 0, 0)]
    assert "512,001 bytes" in messages(limit_findings(over), "M101")[0]


def test_name_over_255_characters_is_m102() -> None:
    assert at(limit_findings(make_template("x", name="n" * 256)), "M102") == [(None, 0, 0)]
    assert at(limit_findings(make_template("x", name="n" * 255)), "M102") == []


def test_subject_source_over_255_characters_is_m103_warning() -> None:
    findings = limit_findings(make_template("x", subject="s" * 256))
    assert at(findings, "M103") == [("subject", 1, 1)]
    assert findings[0].severity is Severity.WARNING
    assert at(limit_findings(make_template("x", subject="s" * 255)), "M103") == []


def test_subject_that_conversion_lengthens_past_255_is_m103() -> None:
    subject = "s" * 247 + "{{name}}"  # 255 characters; {{{name}}} makes it 257
    assert at(check_template(make_template("x", subject=subject)), "M103") == [("subject", 1, 1)]
    assert "257 once convert" in messages(check_template(make_template("x", subject=subject)), "M103")[0]
    assert at(check_template(make_template("x", subject="s" * 245 + "{{name}}")), "M103") == []


def test_category_tag_over_255_characters_is_m104() -> None:
    assert at(limit_findings(make_template("x", tags={"category": "c" * 256})), "M104") == [(None, 0, 0)]
    assert at(limit_findings(make_template("x", tags={"category": "c" * 255})), "M104") == []


def test_body_over_ten_million_characters_is_m105() -> None:
    big = "x" * 10_000_001
    assert at(limit_findings(make_template("x", text=big)), "M105") == [("text", 0, 0)]
    assert at(limit_findings(make_template("x", text=big[:-1])), "M105") == []


def test_more_than_200_templates_is_m106_once() -> None:
    templates = [make_template("<p>x</p>", name=f"t{i}") for i in range(201)]
    findings = check(LoadResult(templates, []))
    assert len(at(findings, "M106")) == 1
    assert "201 templates" in messages(findings, "M106")[0]
    assert at(check(LoadResult(templates[:200], [])), "M106") == []


def test_check_keeps_load_findings_and_does_not_repeat_l110() -> None:
    t = make_template("<p>x</p>")
    load_findings = [
        finding("L110", "no fixture", t.source, template="t"),
        finding("L103", "bad", Path("src/bad.json"), 2, 3),
    ]
    findings = check(LoadResult([t], load_findings))
    assert findings[:2] == load_findings
    assert len(at(findings, "L110")) == 1


def test_check_template_reports_l110_without_fixtures_only() -> None:
    assert at(check_template(make_template("<p>x</p>")), "L110") == [(None, 0, 0)]
    assert at(check_template(make_template("<p>x</p>", fixtures={"default": {}})), "L110") == []


def test_check_many_in_parallel_equals_sequential() -> None:
    templates = [make_template(f"<p>{{{{v{i}}}}}</p>{{{{#if a}}}}", name=f"t{i}") for i in range(40)]
    templates += [make_template("{{#each items as |x|}}{{x}}{{/each}}", name="ok", fixtures={"d": {"items": [1]}})]
    sequential = check_many(templates, jobs=1)
    assert check_many(templates, jobs=2) == sequential
    assert len(at(sequential, "P101")) == 40


def test_progress_is_called_once_per_template() -> None:
    templates = [make_template("<p>x</p>", name=f"t{i}") for i in range(40)]
    for jobs in (1, 2):
        seen: list[str] = []
        check(LoadResult(templates, []), jobs=jobs, progress=lambda t, seen=seen: seen.append(t.name))
        assert seen == [t.name for t in templates]


def test_a_crashing_rule_becomes_x101_and_the_batch_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "limit_findings", explode)
    findings = check_many([make_template("x", name="a"), make_template("y", name="b")])
    assert [(f.code, f.template) for f in findings] == [("X101", "a"), ("X101", "b")]
    assert "RuntimeError: boom" in findings[0].message


def test_check_many_finishes_in_process_when_workers_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("no processes here")

    templates = [make_template(f"{{{{v{i}}}}}", name=f"t{i}") for i in range(40)]
    expected = check_many(templates, jobs=1)
    monkeypatch.setattr(rules, "ProcessPoolExecutor", NoProcesses)
    assert check_many(templates, jobs=2) == expected
