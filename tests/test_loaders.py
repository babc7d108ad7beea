"""The input contract of templating.loaders.load: every form, every fixture layout, every L1xx code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating import loaders
from templating.loaders import json_position, load, name_problem
from templating.model import Finding, LoadResult, Template

V1 = {"Template": {"TemplateName": "welcome", "SubjectPart": "Hi {{name}}", "HtmlPart": "<p>{{name}}</p>"}}
V2 = {"TemplateName": "receipt", "TemplateContent": {"Subject": "Receipt", "Html": "<b>{{total}}</b>", "Text": "t"}}


def codes(result: LoadResult) -> list[str]:
    return sorted(item.code for item in result.findings)


def only(result: LoadResult, code: str) -> Finding:
    matching = [item for item in result.findings if item.code == code]
    assert len(matching) == 1, result.findings
    return matching[0]


def by_name(result: LoadResult) -> dict[str, Template]:
    return {template.name: template for template in result.templates}


# ------------------------------------------------------------------------------------------------------ JSON forms


def test_v1_object_loads_every_part(write_tree):
    src = write_tree({"welcome.json": V1, "welcome.data.json": {"name": "Ann"}})
    result = load(src)
    [template] = result.templates
    assert template.name == "welcome"
    assert template.form == "v1"
    assert template.source == src / "welcome.json"
    assert template.parts == {"subject": "Hi {{name}}", "html": "<p>{{name}}</p>"}
    assert template.part_paths == {"subject": src / "welcome.json", "html": src / "welcome.json"}
    assert template.fixtures["default"].data == {"name": "Ann"}
    assert template.fixtures["default"].path == src / "welcome.data.json"
    assert result.findings == []


def test_v1_with_only_a_name_and_one_part_and_null_parts(write_tree):
    content = {"Template": {"TemplateName": "t", "TextPart": "plain", "HtmlPart": None}}
    result = load(write_tree({"t.json": content, "t.data.json": {}}))
    assert result.templates[0].parts == {"text": "plain"}


def test_v2_object_with_tags(write_tree):
    content = {**V2, "Tags": [{"Key": "team", "Value": "billing"}, {"Key": "tier", "Value": "gold"}]}
    result = load(write_tree({"receipt.json": content, "receipt.data.json": {"total": 3}}))
    [template] = result.templates
    assert template.form == "v2"
    assert template.parts == {"subject": "Receipt", "html": "<b>{{total}}</b>", "text": "t"}
    assert template.tags == {"team": "billing", "tier": "gold"}
    assert result.findings == []


def test_malformed_tags_are_reported_and_the_template_still_loads(write_tree):
    result = load(write_tree({"r.json": {**V2, "Tags": [{"Key": 1}]}, "r.data.json": {}}))
    assert [template.name for template in result.templates] == ["receipt"]
    assert only(result, "L104").template == "receipt"


def test_list_of_mixed_v1_and_v2(write_tree):
    result = load(write_tree({"all.json": [V1, V2], "all.data.json": {"name": "x", "total": 1}}))
    assert [(template.name, template.form) for template in result.templates] == [("welcome", "v1"), ("receipt", "v2")]
    assert all("default" in template.fixtures for template in result.templates)


def test_text_is_kept_exactly(write_tree):
    html = "line1\r\nline2\rline3\n\u00e9\u4e2d\U0001f600 {{x}}\t "
    result = load(write_tree({"t.json": {"TemplateName": "t", "TemplateContent": {"Html": html}}, "t.data.json": {}}))
    assert result.templates[0].parts["html"] == html


def test_json_file_with_bom_loads(write_tree):
    result = load(write_tree({"t.json": b"\xef\xbb\xbf" + json.dumps(V1).encode(), "t.data.json": {}}))
    assert [template.name for template in result.templates] == ["welcome"]


# ----------------------------------------------------------------------------------------------------- folder form


def test_folder_form_with_all_parts_and_fixtures(write_tree):
    src = write_tree(
        {
            "reset/html.hbs": "<p>Hi {{name}}</p>\r\n",
            "reset/subject.hbs": "Reset",
            "reset/text.hbs": "Hi {{name}}\r\n",
            "reset/data/default.json": {"name": "Ann"},
            "reset/data/other.json": json.dumps(json.dumps({"name": "Bo"})),
        }
    )
    result = load(src)
    [template] = result.templates
    assert template.name == "reset"
    assert template.form == "folder"
    assert template.source == src / "reset"
    assert template.parts == {"subject": "Reset", "html": "<p>Hi {{name}}</p>\r\n", "text": "Hi {{name}}\r\n"}
    assert template.part_paths == {part: src / "reset" / f"{part}.hbs" for part in ("subject", "html", "text")}
    assert {name: fixture.data for name, fixture in template.fixtures.items()} == {
        "default": {"name": "Ann"},
        "other": {"name": "Bo"},
    }
    assert result.findings == []


def test_folder_form_html_only_and_bom_dropped(write_tree):
    result = load(write_tree({"t/html.hbs": b"\xef\xbb\xbf<p>x</p>", "t/data/a.json": {}}))
    assert result.templates[0].parts == {"html": "<p>x</p>"}


def test_src_can_be_the_folder_form_folder_itself_or_its_html_file(write_tree):
    src = write_tree({"news/html.hbs": "h", "news/data/d.json": {}})
    assert [template.name for template in load(src / "news").templates] == ["news"]
    assert [template.name for template in load(src / "news" / "html.hbs").templates] == ["news"]


def test_folder_form_name_from_dot(write_tree, monkeypatch):
    src = write_tree({"promo/html.hbs": "h", "promo/data/d.json": {}})
    monkeypatch.chdir(src / "promo")
    assert [template.name for template in load(Path(".")).templates] == ["promo"]


def test_folder_form_data_folder_is_not_walked_for_templates(write_tree):
    result = load(write_tree({"t/html.hbs": "h", "t/data/v1.json": V1}))
    assert [template.name for template in result.templates] == ["t"]
    assert result.templates[0].fixtures["v1"].data == V1


def test_folder_without_html_is_L111(write_tree):
    src = write_tree({"t/subject.hbs": "s", "t/text.hbs": "x"})
    result = load(src)
    assert result.templates == []
    assert only(result, "L111").path == src / "t"


def test_folder_form_part_not_utf8_excludes_the_template(write_tree):
    src = write_tree({"t/html.hbs": "ok", "t/text.hbs": b"ab\n\xfe", "t/data/d.json": {}})
    result = load(src)
    assert result.templates == []
    problem = only(result, "L102")
    assert (problem.path, problem.line, problem.column, problem.part) == (src / "t" / "text.hbs", 2, 1, "text")


# -------------------------------------------------------------------------------------------------------- fixtures


def test_fixture_layouts_for_a_list_file(write_tree):
    a = {"TemplateName": "a", "TemplateContent": {"Html": "A"}}
    b = {"TemplateName": "b", "TemplateContent": {"Html": "B"}}
    src = write_tree(
        {
            "pair.json": [a, b],
            "pair.data.json": {"who": "default"},
            "pair.data/shared.json": {"who": "shared"},
            "pair.data/a/only-a.json": {"who": "only-a"},
            "pair.data/a/shared.json": {"who": "a's own"},
            "pair.data/notes.txt": "ignored",
        }
    )
    result = load(src)
    templates = by_name(result)
    assert {name: f.data["who"] for name, f in templates["a"].fixtures.items()} == {
        "default": "default",
        "shared": "a's own",
        "only-a": "only-a",
    }
    assert {name: f.data["who"] for name, f in templates["b"].fixtures.items()} == {
        "default": "default",
        "shared": "shared",
    }
    assert templates["a"].fixtures["only-a"].path == src / "pair.data" / "a" / "only-a.json"
    assert result.findings == []


def test_fixture_files_are_never_templates(write_tree):
    result = load(write_tree({"t.json": V1, "t.data.json": V2, "t.data/x.json": V1}))
    assert [template.name for template in result.templates] == ["welcome"]
    assert set(result.templates[0].fixtures) == {"default", "x"}


def test_template_data_string_form_is_decoded(write_tree):
    result = load(write_tree({"t.json": V1, "t.data.json": json.dumps('{"name":"Ann","n":{"k":[1]}}')}))
    assert result.templates[0].fixtures["default"].data == {"name": "Ann", "n": {"k": [1]}}


@pytest.mark.parametrize(
    ("content", "line", "column", "words"),
    [
        (b'{\n  "a": }', 2, 8, "invalid JSON"),
        (b"[1, 2]", 1, 1, "a list"),
        (b'"not json"', 1, 1, "TemplateData string is not JSON"),
        (b'"[1]"', 1, 1, "holds a list"),
        (b"\xff", 1, 1, "not UTF-8"),
        (b"  ", 0, 0, "empty"),
    ],
)
def test_bad_fixture_is_L108_and_the_template_still_loads(write_tree, content, line, column, words):
    src = write_tree({"t.json": V1, "t.data/bad.json": content, "t.data/good.json": {}})
    result = load(src)
    [template] = result.templates
    assert set(template.fixtures) == {"good"}
    problem = only(result, "L108")
    assert (problem.path, problem.line, problem.column) == (src / "t.data" / "bad.json", line, column)
    assert (problem.template, problem.fixture) == ("welcome", "bad")
    assert words in problem.message


def test_fixture_defined_twice_is_L108_and_the_first_wins(write_tree):
    result = load(write_tree({"t.json": V1, "t.data.json": {"n": 1}, "t.data/default.json": {"n": 2}}))
    assert result.templates[0].fixtures["default"].data == {"n": 1}
    assert only(result, "L108").fixture == "default"


def test_orphan_fixtures_are_L109(write_tree):
    src = write_tree(
        {
            "lost.data.json": {},
            "gone.data/x.json": {},
            "pair.json": [V1],
            "pair.data/nobody/x.json": {},
            "f/html.hbs": "h",
            "f/data/deep/x.json": {},
        }
    )
    result = load(src)
    orphans = sorted(str(item.path.relative_to(src)) for item in result.findings if item.code == "L109")
    assert orphans == ["f/data/deep", "gone.data", "lost.data.json", "pair.data/nobody"]


def test_fixtures_of_a_broken_template_file_are_not_orphans(write_tree):
    result = load(write_tree({"t.json": "{", "t.data.json": {}}))
    assert codes(result) == ["L103"]


def test_template_without_fixture_is_L110_info(write_tree):
    result = load(write_tree({"t.json": V1}))
    assert [template.name for template in result.templates] == ["welcome"]
    assert only(result, "L110").severity == "info"


# ------------------------------------------------------------------------------------------------ bad input files


def test_missing_src_is_L101():
    result = load(Path("/nonexistent/ses2mt/src"))
    assert (result.templates, codes(result)) == ([], ["L101"])


def test_unreadable_file_is_L101(write_tree, monkeypatch):
    src = write_tree({"a.json": V1, "b.json": V2, "a.data.json": {}, "b.data.json": {}})
    real_file_bytes = loaders._file_bytes

    def file_bytes(path: Path) -> bytes:
        if path.name == "a.json":
            raise PermissionError(13, "Permission denied")
        return real_file_bytes(path)

    monkeypatch.setattr(loaders, "_file_bytes", file_bytes)
    result = load(src)
    assert [template.name for template in result.templates] == ["receipt"]
    problem = only(result, "L101")
    assert problem.path == src / "a.json"
    assert "Permission denied" in problem.message


def test_not_utf8_is_L102_with_line_and_character_column(write_tree):
    src = write_tree({"t.json": '{"a":\n "\u00e9\u00e9'.encode() + b'\xff"}'})
    problem = only(load(src), "L102")
    assert (problem.path, problem.line, problem.column) == (src / "t.json", 2, 5)
    assert "0xff" in problem.message


def test_invalid_json_is_L103_with_json_position(write_tree):
    problem = only(load(write_tree({"t.json": '{\n  "Template": {\n    "TemplateName": "x",,\n'})), "L103")
    assert (problem.line, problem.column) == (3, 25)


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000 + "]" * 100_000, '{"a": NaN}', '{"a": Infinity}', "1" * 5000, '{"a": 1} trailing'],
)
def test_hostile_json_is_L103(write_tree, content):
    assert codes(load(write_tree({"t.json": content}))) == ["L103"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"name": "my-package", "version": "1.0.0"}, "neither"),
        (42, "a number"),
        ('"text"', "a string"),
        ({"TemplatesMetadata": [], "NextToken": None}, "ListTemplates"),
        ({"Template": "x"}, '"Template" is a string'),
        ({"Template": {"TemplateName": 5, "HtmlPart": "h"}}, '"TemplateName" is a number'),
        ({"Template": {"TemplateName": "t", "HtmlPart": ["h"]}}, '"HtmlPart" is a list'),
        ({"TemplateName": "t", "TemplateContent": "h"}, '"TemplateContent" is a string'),
    ],
)
def test_json_that_is_not_a_template_is_L104(write_tree, content, words):
    result = load(write_tree({"x.json": content}))
    assert result.templates == []
    assert words in only(result, "L104").message


def test_list_item_that_is_not_a_template_points_at_the_item(write_tree):
    src = write_tree({"l.json": '[\n  {"TemplateName": "ok", "TemplateContent": {"Html": "h"}},\n  7\n]'})
    result = load(src)
    assert [template.name for template in result.templates] == ["ok"]
    problem = only(result, "L104")
    assert (problem.line, problem.column) == (3, 3)


@pytest.mark.parametrize(
    "files",
    [
        {"t.json": ""},
        {"t.json": " \n\t"},
        {"t.json": []},
        {"t.json": {"TemplateName": "t"}},
        {"t.json": {"TemplateName": "t", "TemplateContent": {}}},
        {"t.json": {"Template": {"TemplateName": "t", "HtmlPart": "", "TextPart": ""}}},
        {"t/html.hbs": ""},
    ],
)
def test_empty_file_or_template_is_L105(write_tree, files):
    result = load(write_tree(files))
    assert result.templates == []
    assert codes(result) == ["L105"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("..", "'..'"),
        ("x" * 65, "65 characters"),
        ("", "empty"),
        ("with space", "' '"),
        ("caf\u00e9", "'\u00e9'"),
        ("ok\n", "'\\n'"),
    ],
)
def test_invalid_name_is_L106(write_tree, name, words):
    result = load(write_tree({"t.json": {"TemplateName": name, "TemplateContent": {"Html": "h"}}}))
    assert result.templates == []
    problem = only(result, "L106")
    assert words in problem.message
    assert (problem.line, problem.column) == (1, 18)


def test_longest_valid_name_loads(write_tree):
    name = "A-z_9" * 12 + "abcd"
    result = load(write_tree({"t.json": {"TemplateName": name, "TemplateContent": {"Html": "h"}}, "t.data.json": {}}))
    assert [template.name for template in result.templates] == [name]


def test_missing_template_name_is_L106(write_tree):
    result = load(write_tree({"t.json": {"TemplateContent": {"Html": "h"}}}))
    assert "no TemplateName" in only(result, "L106").message


def test_invalid_folder_name_is_L106(write_tree):
    src = write_tree({"my template/html.hbs": "h"})
    result = load(src)
    assert result.templates == []
    assert only(result, "L106").path == src / "my template"


def test_name_problem_accepts_exactly_the_ses_rule():
    assert name_problem("Valid_name-1") is None
    assert name_problem("x" * 64) is None
    assert name_problem("x" * 65) is not None
    assert name_problem("a.b") is not None


def test_duplicate_names_are_L107_for_each_and_none_loads(write_tree):
    other = {"Template": {"TemplateName": "welcome", "TextPart": "t"}}
    src = write_tree({"a.json": V1, "b/welcome/html.hbs": "h", "c.json": [V2, other]})
    result = load(src)
    assert [template.name for template in result.templates] == ["receipt"]
    found = sorted(
        (str(item.path.relative_to(src)), item.line, item.column) for item in result.findings if item.code == "L107"
    )
    assert found == [("a.json", 1, 31), ("b/welcome", 0, 0), ("c.json", 1, 145)]
    assert all(item.template == "welcome" for item in result.findings if item.code == "L107")


def test_unknown_key_is_L112_with_a_suggestion(write_tree):
    content = {"Template": {"TemplateName": "t", "HTMLPart": "<p>x</p>", "TextPart": "x"}}
    result = load(write_tree({"t.json": content, "t.data.json": {}}))
    assert result.templates[0].parts == {"text": "x"}
    problem = only(result, "L112")
    assert "'HtmlPart'" in problem.message
    assert problem.severity == "warning"


def test_lone_surrogate_in_a_part_is_L102(write_tree):
    result = load(write_tree({"t.json": '{"TemplateName": "t", "TemplateContent": {"Html": "a\\ud800b"}}'}))
    assert (result.templates, codes(result)) == ([], ["L102"])


# ------------------------------------------------------------------------------------------- walking and robustness


def test_walk_is_recursive_sorted_and_ignores_other_files(write_tree):
    src = write_tree(
        {
            "z.json": {"TemplateName": "z", "TemplateContent": {"Html": "h"}},
            "a/b/deep.json": {"TemplateName": "deep", "TemplateContent": {"Html": "h"}},
            "a/folder/html.hbs": "h",
            "m.json": {"TemplateName": "m", "TemplateContent": {"Html": "h"}},
            "README.md": "# not a template",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00",
            "partial.hbs": "{{x}}",
            ".git/config.json": {"not": "a template"},
            ".hidden.json": "{",
        }
    )
    result = load(src)
    names = [template.name for template in result.templates]
    assert names == ["deep", "folder", "m", "z"]
    assert [item.code for item in result.findings] == ["L110"] * 4
    assert names == [template.name for template in load(src).templates]


def test_paths_are_relative_to_src_as_given(write_tree, monkeypatch):
    src = write_tree({"in/t.json": V1, "in/bad.json": "{"})
    monkeypatch.chdir(src)
    result = load(Path("in"))
    assert result.templates[0].source == Path("in/t.json")
    assert {str(item.path) for item in result.findings} == {"in/bad.json", "in/t.json"}


def test_single_file_src_finds_its_fixtures(write_tree):
    src = write_tree({"t.json": V1, "t.data/x.json": {"n": 1}, "other.json": V2})
    result = load(src / "t.json")
    assert [template.name for template in result.templates] == ["welcome"]
    assert set(result.templates[0].fixtures) == {"x"}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("t.data.json", "fixture file"),
        ("t.data/x.json", "fixture file"),
        ("t.data/T/y.json", "fixture file"),
        ("f/data/z.json", "fixture file"),
        ("README.md", "not a template file"),
    ],
)
def test_single_file_src_that_is_not_a_template_is_L104(write_tree, name, words):
    files = {"t.json": V1, "t.data.json": {}, "t.data/x.json": {}, "t.data/T/y.json": {}, "README.md": "x"}
    src = write_tree({**files, "f/html.hbs": "h", "f/data/z.json": {}})
    result = load(src / name)
    assert result.templates == []
    assert words in only(result, "L104").message


def test_symlink_loop_and_odd_entries_do_not_hang_or_crash(write_tree):
    src = write_tree({"t.json": V1, "t.data.json": {}})
    (src / "loop").symlink_to(src, target_is_directory=True)
    (src / "dangling.json").symlink_to(src / "missing.json")
    (src / "dir.json").mkdir()
    result = load(src)
    assert [template.name for template in result.templates] == ["welcome"]


def test_a_bug_while_loading_one_file_is_X101_and_the_batch_goes_on(write_tree, monkeypatch):
    src = write_tree({"a.json": V1, "b.json": V2, "a.data.json": {}, "b.data.json": {}})
    real_read = loaders.TemplateFileReader.read

    def read(self, value):
        if self.path.name == "a.json":
            raise RuntimeError("boom")
        return real_read(self, value)

    monkeypatch.setattr(loaders.TemplateFileReader, "read", read)
    result = load(src)
    assert [template.name for template in result.templates] == ["receipt"]
    problem = only(result, "X101")
    assert problem.path == src / "a.json"
    assert "boom" in problem.message


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names")
def test_non_utf8_file_names_do_not_crash(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / os.fsdecode(b"bad\xffname.json")).write_text(json.dumps(V1))
    result = load(src)
    assert [template.name for template in result.templates] == ["welcome"]


# ------------------------------------------------------------------------------------------------- json_position


@pytest.mark.parametrize(
    ("text", "pointer", "expected"),
    [
        ('{"a": 1}', ("a",), (1, 7)),
        ('{"a": 1, "a": 2}', ("a",), (1, 15)),
        ('[{"x": "}\\""}, {"b": [1, {"c": null}]}]', (1, "b", 1, "c"), (1, 32)),
        ('{\r\n  "k": "v"}', ("k",), (2, 8)),
        ('{"a": 1}', ("b",), (0, 0)),
        ("[1]", (3,), (0, 0)),
        ('{"\\u0041": true}', ("A",), (1, 12)),
        ("  [ ]", (), (1, 3)),
    ],
)
def test_json_position(text, pointer, expected):
    assert json_position(text, pointer) == expected


# ------------------------------------------------------------------------------------------- fuzz: never raises

KEYS = ["Template", "TemplateName", "TemplateContent", "Tags", "Key", "Value", "SubjectPart", "HtmlPart", "TextPart"]
KEYS += ["Subject", "Html", "Text"]
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
JSON_VALUES = st.recursive(
    SCALARS | st.sampled_from(["t", "", "a/b", "x" * 70]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner),
    max_leaves=20,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_well_formed(result: LoadResult) -> None:
    assert all(isinstance(item, Finding) and item.code.startswith("L") for item in result.findings), result.findings
    for template in result.templates:
        assert name_problem(template.name) is None
        assert template.parts


@FUZZ
@given(content=st.binary(max_size=200))
def test_random_bytes_never_raise(tmp_path, content):
    (tmp_path / "x.json").write_bytes(content)
    (tmp_path / "x.data.json").write_bytes(content)
    assert_well_formed(load(tmp_path))


@FUZZ
@given(template=JSON_VALUES, fixture=JSON_VALUES)
def test_random_json_shapes_never_raise(tmp_path, template, fixture):
    (tmp_path / "x.json").write_text(json.dumps(template), encoding="utf-8")
    (tmp_path / "x.data.json").write_text(json.dumps(fixture), encoding="utf-8")
    assert_well_formed(load(tmp_path))
