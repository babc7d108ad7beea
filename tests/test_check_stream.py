"""`ses2mt check` on big sets streams (templating.rules.stream): the same report as the whole-set path, written while
the workers check, with --select/--ignore applied in the workers. The whole-set path is the oracle here."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_tree_at

from templating import diagnostics
from templating.catalogue import finding
from templating.cli import main
from templating.commands import check as check_command
from templating.loaders import discover, load_unit
from templating.rules import stream
from templating.rules.stream import StreamOptions, check_tree

REPO = Path(__file__).resolve().parents[1]


def v2(name: str, html: str = "<p>Hi {{name}}</p>", subject: str = "Hello {{name}}") -> dict[str, Any]:
    return {"TemplateName": name, "TemplateContent": {"Subject": subject, "Html": html, "Text": "Hi {{name}}"}}


def v1(name: str, html: str = "<p>{{#if vip}}VIP{{/if}} {{name}}</p>") -> dict[str, Any]:
    return {"Template": {"TemplateName": name, "SubjectPart": "Hi", "HtmlPart": html}}


TERRAFORM = """
resource "aws_ses_template" "page" {
  name = "page"
  html = file("${path.module}/parts/page.html")
  subject = "Hi {{name}}"
}
"""

CLOUDFORMATION = """
Resources:
  Welcome:
    Type: AWS::SES::Template
    Properties:
      Template:
        TemplateName: cf-welcome
        SubjectPart: "Hi {{name}}"
        HtmlPart: "<p>{{name}} {{#each items}}{{this}}{{/each}}</p>"
"""

# Every loader situation in one tree: names whose paths interleave in sort order (a.json, a.b.json, a-x.json, a/),
# fixtures in each layout, duplicates (across files and inside a list file), orphans, broken files, a folder without
# html.hbs, an invalid folder name, two Terraform files reading the same file("..."), CloudFormation, syntax errors.
MIXED: dict[str, Any] = {
    "a.json": v2("a", "<p>{{name}} {{{raw}}}</p>"),
    "a.data.json": {"name": "Ann"},
    "a.data/second.json": {"name": "Bob", "raw": "<b>"},
    "a.b.json": v1("ab"),
    "a.b.data.json": "[]",
    "a-x.json": [v2("ax1"), v2("ax2", "{{#each items}}{{this}}{{/each}}"), 7],
    "a-x.data/ax1/d.json": {"name": "x"},
    "a-x.data/nobody/d.json": {},
    "a/html.hbs": "<p>{{name}}</p>{{#if}}",
    "a/subject.hbs": "{{name}}",
    "a/data/d.json": {"name": "folder"},
    "dup.json": v2("twice"),
    "sub/dup.json": v2("twice", "<p>{{other}}</p>"),
    "list.json": [v2("same"), v2("same"), v2("unique-in-list")],
    "orphan.data.json": {},
    "orphan.data/x.json": {},
    "broken.json": "{\n  oops",
    "notutf8.json": b'{"a": "\xff"}',
    "empty.json": "",
    "lonely/subject.hbs": "s",
    "bad name/html.hbs": "h",
    "infra/one.tf": TERRAFORM,
    "infra/two.tf": TERRAFORM.replace('"page"', '"page2"'),
    "infra/parts/page.html": "<h1>{{title}} {{#unless x}}{{/if}}</h1>\n",
    "infra/ses.yaml": CLOUDFORMATION,
    "z/deep/er/t.json": v2("deep", "<p>{{user.name}} {{#with user}}{{name}}{{/with}}</p>"),
    "z/deep/er/t.data.json": {"user": {"name": "Zed"}},
}


def many(count: int) -> dict[str, Any]:
    """`count` small folder-form and JSON templates: over Mailtrap's cap of 200 (M106) when count > 200."""
    files: dict[str, Any] = {}
    for index in range(count):
        if index % 2:
            files[f"set/t{index:03}/html.hbs"] = f"<p>{{{{name}}}} {index}</p>"
            files[f"set/t{index:03}/data/d.json"] = {"name": str(index)}
        else:
            files[f"set/t{index:03}.json"] = v2(f"t{index:03}")
    return files


def whole_set(src: Path, *options: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    with monkeypatch.context() as patch:
        patch.setattr(check_command, "STREAM_MIN_UNITS", 10**9)
        result = CliRunner().invoke(main, ["check", *options, str(src)], catch_exceptions=False)
    return result.output, result.exit_code


def streamed(src: Path, *options: str, jobs: int = 1) -> tuple[str, int]:
    option_values = dict(zip(options[::2], options[1::2], strict=True))
    stream_options = StreamOptions(
        diagnostics.parse_codes(option_values.get("--select")),
        diagnostics.parse_codes(option_values.get("--ignore")),
        option_values.get("--format", "text"),
    )
    written: list[str] = []
    status = check_tree(discover(src), stream_options, written.append, jobs=jobs)
    return "".join(written), status


OPTIONS = [
    (),
    ("--format", "json"),
    ("--select", "C1,L107,M"),
    ("--ignore", "C101", "--format", "json"),
    ("--ignore", "ALL"),
]


@pytest.mark.parametrize("options", OPTIONS)
def test_streamed_report_equals_the_whole_set_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options):
    src = write_tree_at(tmp_path / "src", {**MIXED, **many(8)})
    expected, expected_status = whole_set(src, *options, monkeypatch=monkeypatch)
    assert streamed(src, *options) == (expected, expected_status)
    assert "L107" in expected or "--select" in options or "ALL" in options


def test_the_mixed_tree_covers_what_it_claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree_at(tmp_path / "src", MIXED)
    output, status = whole_set(src, monkeypatch=monkeypatch)
    codes = {line.split(": ", 2)[1].split()[0] for line in output.splitlines()[:-1]}
    assert {"L103", "L102", "L105", "L106", "L107", "L108", "L109", "L110", "L111", "P101", "C101"} <= codes
    assert status == 1
    assert f"{src / 'infra' / 'parts' / 'page.html'}:" in output  # both .tf files report into the same file


@pytest.mark.parametrize("jobs", [1, 2])
def test_over_the_cap_with_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    src = write_tree_at(tmp_path / "src", {**many(210), "set/dup.json": v2("t001"), "set/bad.json": "{"})
    expected, expected_status = whole_set(src, monkeypatch=monkeypatch)
    assert " M106 warning 209 templates" in expected  # t001 twice: neither is loaded
    assert streamed(src, jobs=jobs) == (expected, expected_status)
    expected_json, _ = whole_set(src, "--format", "json", monkeypatch=monkeypatch)
    assert streamed(src, "--format", "json", jobs=jobs)[0] == expected_json


@pytest.mark.parametrize("sample", ["infra", "saas", "shop", "travel"])
def test_the_sample_sets_stream_to_the_same_report(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    src = REPO / "templates_in" / sample
    if not src.is_dir():
        pytest.skip(f"{src} is not there")
    assert streamed(src) == whole_set(src, monkeypatch=monkeypatch)


def test_the_command_streams_from_the_threshold_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree_at(tmp_path / "src", MIXED)
    expected, expected_status = whole_set(src, "--format", "json", monkeypatch=monkeypatch)

    def no_whole_set_load(_src: Path) -> None:
        raise AssertionError("the whole set was loaded")

    monkeypatch.setattr(check_command, "STREAM_MIN_UNITS", 2)
    monkeypatch.setattr(check_command, "load", no_whole_set_load)
    result = CliRunner().invoke(main, ["check", "--format", "json", "-j", "2", str(src)], catch_exceptions=False)
    assert (result.output, result.exit_code) == (expected, expected_status)
    json.loads(result.output)


def test_select_and_ignore_apply_in_the_workers(tmp_path: Path) -> None:
    src = write_tree_at(tmp_path / "src", MIXED)
    units = discover(src).units
    stream._set_context(stream._WorkerContext(StreamOptions(select=("C101",)), {}, units))
    try:
        reports = stream._check_units((0, len(units)))
    finally:
        stream._set_context(stream._WorkerContext(StreamOptions(), {}))
    texts = [block.text for _count, blocks in reports for block in blocks]
    assert texts and all(" C101 " in line for text in texts for line in text.splitlines())


def test_the_report_is_written_while_units_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tree_at(tmp_path / "src", many(40))
    monkeypatch.setattr(diagnostics.ReportWriter, "FLUSH_SIZE", 1)
    written: list[str] = []
    written_at_each_template: list[int] = []

    @contextmanager
    def progress(total: int) -> Iterator[Callable[[], None]]:
        assert total == 40
        yield lambda: written_at_each_template.append(len(written))

    check_tree(discover(src), StreamOptions(), written.append, jobs=1, progress=progress)
    assert len(written_at_each_template) == 40
    assert 0 < written_at_each_template[20] < written_at_each_template[-1] < len(written)


def test_a_crash_while_checking_one_unit_is_x101_and_the_rest_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_tree_at(tmp_path / "src", {"a.json": v2("a"), "b.json": v2("b")})

    def crash_on_b(unit, fixtures=True):
        if unit.path.name == "b.json" and fixtures:
            raise RuntimeError("boom")
        return load_unit(unit, fixtures)

    monkeypatch.setattr(stream, "load_unit", crash_on_b)
    output, status = streamed(src)
    lines = output.splitlines()
    assert any(line.startswith(f"{src / 'a.json'}:0:0: L110 ") for line in lines)
    assert f"{src / 'b.json'}:0:0: X101 error internal error while checking: RuntimeError: boom" in lines
    assert lines[-1].startswith("Found 1 error, ")
    assert lines[-1].endswith(" in 1 template (1 file with load errors).")
    assert status == 1


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_pieces_equal_one_json_dumps(count: int) -> None:
    findings = [
        finding("C101", f'message {index} \u00e9 "quoted"\nnext', Path(f"p{index}.json"), index, 2, template="t")
        for index in range(count)
    ]
    summary = diagnostics.summarize(findings, 5)
    expected = json.dumps(diagnostics.json_report(findings, summary), indent=2, ensure_ascii=False) + "\n"
    written: list[str] = []
    writer = diagnostics.ReportWriter(written.append, "json")
    if findings:
        writer.write_block(diagnostics.format_json_finding(findings[0]))
        rest = findings[1:]
        if rest:
            writer.write_block(",\n".join(diagnostics.format_json_finding(item) for item in rest))
    writer.finish(summary)
    assert "".join(written) == expected


def test_lowest_path_is_a_prefix_of_every_path_a_unit_reports(tmp_path: Path) -> None:
    src = write_tree_at(tmp_path / "src", MIXED)
    for unit in discover(src).units:
        _count, blocks = stream._check_unit(unit, stream._WorkerContext(StreamOptions(), {}))
        assert all(block.path.startswith(unit.lowest_path) for block in blocks), unit.path


def test_a_terraform_unit_may_report_anywhere_so_it_comes_first(tmp_path: Path) -> None:
    src = write_tree_at(tmp_path / "src", {"t.tf": textwrap.dedent(TERRAFORM), "a.json": v2("a")})
    units = {unit.path.name: unit for unit in discover(src).units}
    assert units["t.tf"].lowest_path == ""
    assert units["a.json"].lowest_path == str(src / "a")
