"""`ses2mt check` end to end: output formats, exit codes, --select/--ignore, robustness, `python -m templating`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from templating import __version__, catalogue
from templating.catalogue import finding
from templating.cli import main
from templating.commands import check as check_command
from templating.model import LoadResult, Template

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]\d{3}) (?P<severity>error|warning|info) .+")
SUMMARY = re.compile(
    r"^Found \d+ errors?, \d+ warnings?, \d+ info in \d+ templates?( \(\d+ files? with load errors\))?\.$"
)
GOOD = {"TemplateName": "good", "TemplateContent": {"Subject": "Hello", "Html": "<p>Hello</p>", "Text": "Hello"}}


def fake_rules(*extra: tuple[str, str, int, int], fail: str | None = None) -> SimpleNamespace:
    """A stand-in for templating.rules: adds `extra` (code, template, line, col) findings for each loaded template
    whose name matches; `fail` makes check() raise and check_template() raise for that template name."""

    def check_template(template: Template):
        if template.name == fail:
            raise RuntimeError("rule bug")
        return [
            finding(code, f"message {code}", template.source, line, col, template=template.name, part="html")
            for code, name, line, col in extra
            if name == template.name
        ]

    def check(result: LoadResult):
        if fail is not None:
            raise RuntimeError("set bug")
        return [*result.findings, *(item for template in result.templates for item in check_template(template))]

    return SimpleNamespace(check=check, check_template=check_template)


@pytest.fixture(autouse=True)
def test_codes(monkeypatch):
    """Error codes in families no real rule uses, so these tests do not depend on the real catalogue's severities."""
    for code in ("Z101", "Z102", "Z201", "Y101"):
        monkeypatch.setitem(catalogue.RULES, code, catalogue.Rule(code, catalogue.ERROR, "test code"))


@pytest.fixture
def use_rules(monkeypatch):
    def install(rules: SimpleNamespace | None) -> None:
        monkeypatch.setattr(check_command, "rules_module", lambda: rules)

    return install


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def findings_of(output: str) -> list[dict[str, str]]:
    return [match.groupdict() for line in output.splitlines() if (match := LINE.match(line))]


# ------------------------------------------------------------------------------------------------ group and usage


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_check():
    result = run("--help")
    assert result.exit_code == 0
    assert "check" in result.output


def test_missing_src_is_a_usage_error():
    result = CliRunner().invoke(main, ["check", "/nonexistent/templates"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args", [["--select", "Z9"], ["--ignore", "L1,nope"], ["--format", "xml"], ["--frobnicate"], []]
)
def test_bad_options_are_usage_errors(write_tree, args):
    src = write_tree({"good.json": GOOD})
    result = CliRunner().invoke(main, ["check", *args, str(src)] if args else ["check"])
    assert result.exit_code == 2
    assert "Error" in result.output


# ---------------------------------------------------------------------------------------------------- text output


def test_text_output_lines_are_ruff_style_sorted_with_a_summary(write_tree, use_rules, monkeypatch):
    use_rules(fake_rules(("Z101", "good", 9, 2), ("Z102", "good", 3, 5)))
    src = write_tree({"good.json": GOOD, "bad.json": "{\n  oops", "good.data.json": "[]"})
    monkeypatch.chdir(src.parent)
    result = run("check", "src")
    lines = result.output.splitlines()
    assert lines[0] == "src/bad.json:2:3: L103 error invalid JSON: Expecting property name enclosed in double quotes"
    assert lines[1].startswith("src/good.data.json:1:1: L108 error fixture 'default' is a list")
    assert lines[1].endswith(" [good/-/default]")
    assert lines[2:5] == [
        "src/good.json:0:0: L110 info template has no fixture: checks that need data, and the render proof, cannot run"
        " [good]",
        "src/good.json:3:5: Z102 error message Z102 [good/html]",
        "src/good.json:9:2: Z101 error message Z101 [good/html]",
    ]
    assert lines[5] == "Found 4 errors, 0 warnings, 1 info in 1 template (2 files with load errors)."
    assert SUMMARY.match(lines[5])
    assert len(lines) == 6
    assert result.exit_code == 1


def test_exit_0_when_only_warnings_and_info(write_tree, use_rules):
    use_rules(fake_rules(("L112", "good", 1, 1)))
    src = write_tree({"good.json": GOOD})  # no fixture: L110 info from the loader
    result = run("check", str(src))
    assert [entry["code"] for entry in findings_of(result.output)] == ["L110", "L112"]
    assert result.output.splitlines()[-1] == "Found 0 errors, 1 warning, 1 info in 1 template."
    assert result.exit_code == 0


def test_clean_set(write_tree, use_rules):
    use_rules(fake_rules())
    src = write_tree({"good.json": GOOD, "good.data.json": {}, "other/html.hbs": "h", "other/data/a.json": {}})
    result = run("check", str(src))
    assert result.output == "Found 0 errors, 0 warnings, 0 info in 2 templates.\n"
    assert result.exit_code == 0


# ------------------------------------------------------------------------------------------------- select/ignore


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ["L110", "Y101", "Z101", "Z102", "Z201"]),
        (["--select", "Z1"], ["Z101", "Z102"]),
        (["--select", "z1,y"], ["Y101", "Z101", "Z102"]),
        (["--ignore", "Z"], ["L110", "Y101"]),
        (["--select", "Z", "--ignore", "Z10"], ["Z201"]),
        (["--select", "Z101", "--ignore", "Z1"], ["Z101"]),
        (["--select", "ALL", "--ignore", "L110,Y101"], ["Z101", "Z102", "Z201"]),
        (["--select", "Z1", "--ignore", "Z1"], []),
    ],
)
def test_select_and_ignore(write_tree, use_rules, monkeypatch, options, expected):
    extra = [("Z101", "good", 1, 1), ("Z102", "good", 1, 2), ("Z201", "good", 1, 3), ("Y101", "good", 2, 1)]
    use_rules(fake_rules(*extra))
    result = run("check", *options, str(write_tree({"good.json": GOOD})))
    assert sorted(entry["code"] for entry in findings_of(result.output)) == expected
    assert result.exit_code == (1 if set(expected) - {"L110"} else 0)


# ---------------------------------------------------------------------------------------------------- JSON output


def test_json_output_schema(write_tree, use_rules):
    use_rules(fake_rules(("L112", "good", 4, 7)))
    src = write_tree({"good.json": GOOD, "broken.json": "{"})
    result = run("check", "--format", "json", str(src))
    document = json.loads(result.output)
    assert set(document) == {"version", "findings", "summary"}
    assert document["version"] == 1
    assert document["summary"] == {"templates": 1, "errors": 1, "warnings": 1, "info": 1}
    keys = {"code", "severity", "message", "path", "line", "column", "template", "part", "fixture"}
    assert all(set(item) == keys for item in document["findings"])
    assert [(item["code"], item["path"], item["line"], item["column"]) for item in document["findings"]] == [
        ("L103", str(src / "broken.json"), 1, 2),
        ("L110", str(src / "good.json"), 0, 0),
        ("L112", str(src / "good.json"), 4, 7),
    ]
    assert document["findings"][2] | {"message": ""} == {
        "code": "L112",
        "severity": "warning",
        "message": "",
        "path": str(src / "good.json"),
        "line": 4,
        "column": 7,
        "template": "good",
        "part": "html",
        "fixture": None,
    }
    assert result.exit_code == 1


def test_json_output_respects_select(write_tree, use_rules):
    use_rules(fake_rules())
    result = run("check", "--format", "json", "--ignore", "L", str(write_tree({"x.json": "{"})))
    assert json.loads(result.output) == {
        "version": 1,
        "findings": [],
        "summary": {"templates": 0, "errors": 0, "warnings": 0, "info": 0},
    }
    assert result.exit_code == 0


# ---------------------------------------------------------------------------------------------------- robustness


def test_garbage_input_never_gives_a_traceback(write_tree, use_rules):
    use_rules(fake_rules())
    src = write_tree(
        {
            "binary.json": bytes(range(256)) * 4,
            "deep.json": "[" * 50_000 + "]" * 50_000,
            "nul.json": b'{"Template": {"TemplateName": "n", "HtmlPart": "\x00"}}',
            "huge-int.json": "9" * 10_000,
            "good.json": GOOD,
            "partial/subject.hbs": "s",
        }
    )
    (src / "dir.json").mkdir()
    (src / "loop").symlink_to(src, target_is_directory=True)
    result = run("check", str(src))
    assert "Traceback" not in result.output
    assert {entry["code"] for entry in findings_of(result.output)} >= {"L102", "L103", "L111"}
    assert result.output.splitlines()[-1].endswith("in 1 template (5 files with load errors).")
    assert result.exit_code == 1


def test_a_rules_bug_is_isolated_per_template(write_tree, use_rules):
    use_rules(fake_rules(("Z101", "good", 2, 2), fail="bad"))
    bad = {"TemplateName": "bad", "TemplateContent": {"Html": "x"}}
    result = run("check", str(write_tree({"good.json": GOOD, "bad.json": bad})))
    entries = findings_of(result.output)
    x101 = [entry for entry in entries if entry["code"] == "X101"]
    assert len(x101) == 2  # the whole-set run, then the one template that still fails alone
    assert "Z101" in {entry["code"] for entry in entries}
    assert "rule bug" in result.output
    assert result.exit_code == 1


def test_rules_progress_hook_is_used_when_offered(write_tree, use_rules):
    seen: list[str] = []

    def check(result: LoadResult, progress=None):
        for template in result.templates:
            progress(template)
            seen.append(template.name)
        return list(result.findings)

    use_rules(SimpleNamespace(check=check, check_template=lambda template: []))
    result = run("check", str(write_tree({"good.json": GOOD, "good.data.json": {}})))
    assert seen == ["good"]
    assert result.exit_code == 0


def test_unexpected_exception_becomes_one_line_exit_1(write_tree, monkeypatch):
    def explode(src):
        raise KeyError("surprise")

    monkeypatch.setattr(check_command, "load", explode)
    result = CliRunner().invoke(main, ["check", str(write_tree({"good.json": GOOD}))])
    assert result.exit_code == 1
    assert "internal error" in result.output
    assert "surprise" in result.output
    assert "Traceback" not in result.output


def test_real_rules_report_a_syntax_error(write_tree):
    try:
        rules = check_command.rules_module()
    except ImportError as exc:
        pytest.skip(f"templating.rules cannot be imported yet: {exc}")
    if rules is None or not hasattr(rules, "check"):
        pytest.skip("templating.rules is not there yet")
    broken = {"TemplateName": "broken", "TemplateContent": {"Html": "<p>{{#if x}}never closed</p>"}}
    result = run("check", "--select", "P", str(write_tree({"broken.json": broken, "broken.data.json": {"x": 1}})))
    assert [entry["code"] for entry in findings_of(result.output)] == ["P101"]
    assert result.exit_code == 1


# ---------------------------------------------------------------------------------------------- real processes


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "templating", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_python_m_templating_check_in_a_real_process(write_tree):
    src = write_tree({"ok.json": GOOD, "ok.data.json": {}, "broken.json": '{\n "Template": \n}'})
    text = run_module("check", "src", cwd=src.parent)
    assert text.returncode == 1, text.stderr
    assert "src/broken.json:3:1: L103 error invalid JSON: Expecting value" in text.stdout.splitlines()
    assert SUMMARY.match(text.stdout.splitlines()[-1])
    assert "Traceback" not in text.stderr
    assert text.stderr == ""  # no progress bar or noise when stderr is not a terminal

    as_json = run_module("check", "--format", "json", "src", cwd=src.parent)
    document = json.loads(as_json.stdout)
    assert document["version"] == 1
    assert document["summary"]["templates"] == 1
    located = [(item["path"], item["line"], item["column"]) for item in document["findings"] if item["code"] == "L103"]
    assert located == [("src/broken.json", 3, 1)]

    usage = run_module("check", "missing", cwd=src.parent)
    assert usage.returncode == 2
    assert "does not exist" in usage.stderr


def test_a_closed_stdout_ends_quietly(write_tree):
    src = write_tree({"broken.json": "{", **{f"t{i}.json": {**GOOD, "TemplateName": f"t{i}"} for i in range(5)}})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "templating", "check", str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head` exiting before ses2mt writes
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr
    process.stderr.close()
