"""End to end: `ses2mt convert / verify / render` on templates_in and on small hand-made sets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from templating.cli import main

REPO = Path(__file__).resolve().parents[1]
TEMPLATES_IN = REPO / "templates_in"
MAILTRAP_KEYS = ["name", "subject", "category", "body_html", "body_text"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def converted_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out = tmp_path_factory.mktemp("convert") / "out"
    code, output = run("convert", str(TEMPLATES_IN), "-o", str(out))
    return code, output, out


def test_every_sample_template_converts_and_is_proven(converted_corpus: tuple[int, str, Path]) -> None:
    code, output, out = converted_corpus
    assert code == 0, output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["failed"] == 0
    assert report["summary"]["converted"] == len(report["templates"]) >= 12
    for entry in report["templates"]:
        assert set(entry) == {"name", "source", "status", "findings", "rewrites"}
        assert entry["status"] == "converted" and entry["source"].startswith("templates_in/")
        assert not [f for f in entry["findings"] if f["code"].startswith(("V101", "V103", "R1"))]
        for f in entry["findings"]:
            assert set(f) == {"code", "severity", "message", "part", "line", "column", "fixture"}
        for r in entry["rewrites"]:
            assert set(r) == {"code", "part", "line", "column", "before", "after"}
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# ses2mt conversion report")


def test_output_files_follow_the_contract(converted_corpus: tuple[int, str, Path]) -> None:
    _code, _output, out = converted_corpus
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert folders
    for folder in folders:
        payload = json.loads((folder / "mailtrap.json").read_text(encoding="utf-8"))
        assert list(payload) == MAILTRAP_KEYS
        assert payload["name"] == folder.name and all(isinstance(v, str) for v in payload.values())
        assert "{{else if" not in payload["body_html"] and "{{#*" not in payload["body_html"]
        assert " as |" not in payload["body_html"] + payload["body_text"]
        fixtures = list((folder / "fixtures").glob("*.json"))
        assert fixtures and all(isinstance(json.loads(f.read_text(encoding="utf-8")), dict) for f in fixtures)
        raw = (folder / "mailtrap.json").read_text(encoding="utf-8")
        assert raw.endswith("}\n") and '\n  "name"' in raw


def test_rerun_rewrites_nothing(converted_corpus: tuple[int, str, Path]) -> None:
    _code, _output, out = converted_corpus
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    code, output = run("convert", str(TEMPLATES_IN), "-o", str(out))
    assert code == 0 and ": 0 files written" in output
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file()} == before


def test_category_comes_from_tag_then_option(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.json").write_text(
        json.dumps(
            {
                "TemplateName": "a",
                "TemplateContent": {"Subject": "s", "Html": "h"},
                "Tags": [{"Key": "category", "Value": "billing"}],
            }
        )
    )
    (src / "b.json").write_text(json.dumps({"Template": {"TemplateName": "b", "SubjectPart": "s", "HtmlPart": "h"}}))
    (src / "a.data.json").write_text("{}")
    (src / "b.data.json").write_text("{}")
    code, output = run("convert", str(src), "-o", str(tmp_path / "out"), "--category", "news")
    assert code == 0, output
    a = json.loads((tmp_path / "out/a/mailtrap.json").read_text())
    b = json.loads((tmp_path / "out/b/mailtrap.json").read_text())
    assert a["category"] == "billing" and b["category"] == "news" and b["body_text"] == ""


def test_failures_exit_1_and_others_are_still_written(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "good").mkdir(parents=True)
    (src / "good/html.hbs").write_text("<p>{{name}}</p>")
    (src / "good/data").mkdir()
    (src / "good/data/default.json").write_text('{"name": "<b>A</b>"}')
    (src / "bad").mkdir()
    (src / "bad/html.hbs").write_text("<p>{{formatDate when}}</p>")
    (src / "broken.json").write_text("{not json")
    out = tmp_path / "out"
    code, output = run("convert", str(src), "-o", str(out))
    assert code == 1
    assert "R120" in output and "formatDate" in output
    assert json.loads((out / "good/mailtrap.json").read_text())["body_html"] == "<p>{{{name}}}</p>"
    assert not (out / "bad").exists()
    report = json.loads((out / "report.json").read_text())
    statuses = {e["name"]: (e["status"], e["source"]) for e in report["templates"]}
    assert statuses["good"][0] == "converted" and statuses["bad"][0] == "failed"
    assert statuses["broken"] == ("failed", "src/broken.json")


def test_a_template_over_the_size_limit_fails_without_running_the_proof(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "huge/data").mkdir(parents=True)
    (src / "huge/html.hbs").write_text("<p>{{name}}</p>" + "<p>static</p>\n" * 40_000)
    (src / "huge/data/default.json").write_text('{"name": "Ann"}')
    out = tmp_path / "out"
    code, output = run("convert", str(src), "-o", str(out))
    assert code == 1, output
    entry = json.loads((out / "report.json").read_text())["templates"][0]
    codes = {f["code"]: f["message"] for f in entry["findings"]}
    assert entry["status"] == "failed" and "M101" in codes
    assert "over a size limit" in codes["V104"] and not {"V101", "V102", "V103"} & set(codes)


def test_require_proof_fails_a_template_no_fixture_proves(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "proven/data").mkdir(parents=True)
    (src / "proven/html.hbs").write_text("<p>{{name}}</p>")
    (src / "proven/data/default.json").write_text('{"name": "Ann"}')
    (src / "unproven").mkdir()
    (src / "unproven/html.hbs").write_text("<p>{{name}}</p>")
    code, output = run("convert", str(src), "-o", str(tmp_path / "loose"))
    assert code == 0, output
    assert "V104 warning" in output and (tmp_path / "loose/unproven/mailtrap.json").exists()
    strict = tmp_path / "strict"
    code, output = run("convert", str(src), "-o", str(strict), "--require-proof")
    assert code == 1 and "V104 error" in output, output
    statuses = {e["name"]: e["status"] for e in json.loads((strict / "report.json").read_text())["templates"]}
    assert statuses == {"proven": "converted", "unproven": "failed"}
    assert (strict / "proven/mailtrap.json").exists() and not (strict / "unproven").exists()
    assert run("verify", str(src))[0] == 0 and run("verify", str(src), "--require-proof")[0] == 1


def test_lone_surrogates_in_fixtures_and_file_names_do_not_stop_the_batch(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "t/data").mkdir(parents=True)
    (src / "t/html.hbs").write_text("{{x}}")
    (src / "t/data/default.json").write_text('{"x": "\\ud800"}')  # valid JSON, not encodable as UTF-8
    (src / "t/data" / os.fsdecode(b"bad\xff.json")).write_text('{"x": "y"}')  # a file name that is not UTF-8
    (src / "u").mkdir()
    (src / "u/html.hbs").write_text("ok")
    out = tmp_path / "out"
    code, output = run("convert", str(src), "-o", str(out))
    assert code == 0, output
    assert json.loads((out / "t/fixtures/default.json").read_text(encoding="ascii")) == {"x": "\ud800"}
    report = json.loads((out / "report.json").read_bytes())
    assert [e["status"] for e in report["templates"]] == ["converted", "converted"]
    assert (out / "u/mailtrap.json").exists() and (out / "report.md").exists()


def test_output_inside_source_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t/html.hbs").write_text("x")
    code, output = run("convert", str(tmp_path), "-o", str(tmp_path / "out"))
    assert code == 2 and "inside the source folder" in output
    assert not (tmp_path / "out").exists()


def test_output_above_the_source_never_writes_into_it(tmp_path: Path) -> None:
    # `ses2mt convert welcome -o .`: OUT/welcome would be the folder-form template's own folder
    (tmp_path / "welcome/data").mkdir(parents=True)
    (tmp_path / "welcome/html.hbs").write_text("hi")
    (tmp_path / "welcome/data/d.json").write_text("{}")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    code, output = run("convert", str(tmp_path / "welcome"), "-o", str(tmp_path))
    assert code == 2 and "inside the source folder" in output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    code, output = run("convert", str(tmp_path / "welcome"), "-o", str(tmp_path / "out"))
    assert code == 0 and (tmp_path / "out/welcome/mailtrap.json").is_file()


def test_verify_writes_nothing_and_fails_on_difference(tmp_path: Path) -> None:
    code, output = run("verify", str(TEMPLATES_IN))
    assert code == 0, output
    (tmp_path / "t").mkdir()
    (tmp_path / "t/html.hbs").write_text("{{#x}}y{{/x}}")
    (tmp_path / "t/data").mkdir()
    (tmp_path / "t/data/a.json").write_text('{"x": [1]}')
    (tmp_path / "t/data/b.json").write_text('{"x": {"k": 1}}')
    code, output = run("verify", str(tmp_path / "t"))
    assert code == 1 and "R129" in output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["data", "html.hbs"]


def test_render_both_dialects(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t/html.hbs").write_text("{{#if vip}}<b>{{name}}</b>{{else if new}}new{{/if}}")
    (tmp_path / "t/subject.hbs").write_text("Hi {{name}}")
    (tmp_path / "t/data").mkdir()
    (tmp_path / "t/data/one.json").write_text('{"vip": true, "name": "A&B"}')
    assert run("render", str(tmp_path / "t"), "t") == (0, "<b>A&B</b>")
    assert run("render", str(tmp_path / "t"), "t", "--dialect", "mailtrap") == (0, "<b>A&B</b>")
    assert run("render", str(tmp_path / "t"), "t", "--part", "subject", "--fixture", "one") == (0, "Hi A&B")
    assert run("render", str(tmp_path / "t"), "t", "--dialect", "mailtrap", "--escape", "mailtrap") == (
        0,
        "<b>A&amp;B</b>",
    )
    code, output = run("render", str(tmp_path / "t"), "nope")
    assert code == 2 and "no template named" in output


def test_render_of_a_lone_surrogate_is_printed_escaped(tmp_path: Path) -> None:
    (tmp_path / "t/data").mkdir(parents=True)
    (tmp_path / "t/html.hbs").write_text("<{{x}}>\r\n")
    (tmp_path / "t/data/one.json").write_text('{"x": "\\ud800\\u00e9"}')
    for dialect in ("ses", "mailtrap"):
        result = CliRunner().invoke(main, ["render", str(tmp_path / "t"), "t", "--dialect", dialect])
        assert result.exit_code == 0 and result.stdout_bytes == "<\\ud800é>\r\n".encode(), result.output
