"""SES templates from CloudFormation (YAML, JSON) and Terraform files: intrinsic functions, heredocs, file(), the
findings for what cannot be resolved, fixtures by template name, and findings placed in the infrastructure file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.diagnostics import place_in_files
from templating.loaders import load
from templating.model import Finding, LoadResult, Severity, Template

REPO = Path(__file__).resolve().parents[1]
INFRA = REPO / "templates_in" / "infra"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def by_name(result: LoadResult) -> dict[str, Template]:
    return {template.name: template for template in result.templates}


def codes(result: LoadResult) -> list[str]:
    return sorted(item.code for item in result.findings)


def position_of(path: Path, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the n-th occurrence of `needle` in the file."""
    text = path.read_text(encoding="utf-8")
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def check_json(src: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["check", str(src), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)["findings"]


# ------------------------------------------------------------------------------------------------ the samples


def test_sample_infra_folder_loads_two_cloudformation_and_two_terraform_templates_with_fixtures() -> None:
    result = load(INFRA)
    assert not result.findings
    templates = by_name(result)
    assert {name: template.form for name, template in templates.items()} == {
        "order-shipped": "cloudformation",
        "password-changed": "cloudformation",
        "invoice-paid": "terraform",
        "team-invitation": "terraform",
    }
    assert all(len(template.fixtures) == 2 for template in templates.values())
    changed = templates["password-changed"]
    assert changed.parts["subject"] == "Your Harborline password was changed"
    assert "mailto:security@harborline.example" in changed.parts["html"]
    assert "${" not in changed.parts["html"]
    assert changed.parts["text"].startswith("Hi {{firstName}},\n\nThe password of your Harborline account")
    invoice = templates["invoice-paid"]
    assert invoice.part_paths["html"] == INFRA / "templates" / "invoice-paid.html"
    assert invoice.parts["html"] == (INFRA / "templates" / "invoice-paid.html").read_text(encoding="utf-8")
    assert invoice.parts["text"].startswith("Thanks for your payment, {{customer.name}}.\n\nInvoice")
    assert "\n  {{description}}: {{amount}}\n" in invoice.parts["text"]  # <<-EOT keeps indentation beyond the common
    invitation = templates["team-invitation"]
    assert invitation.parts["text"].count("\n") == 6 and '"{{message}}"' in invitation.parts["text"]


def test_check_places_findings_on_the_line_and_column_inside_the_infrastructure_file() -> None:
    findings = check_json(INFRA)
    yaml_file, tf_file = INFRA / "notifications.yaml", INFRA / "transactional.tf"

    def located(template: str, part: str, code: str = "C101") -> set[tuple[str, int, int]]:
        return {
            (Path(item["path"]).name, item["line"], item["column"])
            for item in findings
            if item["template"] == template and item["part"] == part and item["code"] == code
        }

    assert ("notifications.yaml", *position_of(yaml_file, "{{order.number}} is on its way")) in located(
        "order-shipped", "subject"
    )
    assert ("notifications.yaml", *position_of(yaml_file, "{{customer.firstName}}!</h1>")) in located(
        "order-shipped", "html"
    )
    assert ("transactional.tf", *position_of(tf_file, "{{customer.name}}.\n")) in located("invoice-paid", "text")
    html_file = INFRA / "templates" / "invoice-paid.html"
    assert ("invoice-paid.html", *position_of(html_file, "{{customer.name}}")) in located("invoice-paid", "html")
    # substituted by Fn::Sub: not laid out line for line, so every finding points at the string that holds the part
    html_findings = located("password-changed", "html")
    assert sum(1 for item in findings if item["template"] == "password-changed" and item["part"] == "html") > 1
    assert html_findings == {("notifications.yaml", *position_of(yaml_file, "<p>Hi {{firstName}},</p>"))}


# ------------------------------------------------------------------------------------------------ CloudFormation


CFN_YAML = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Brand: {Type: String}
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Welcome:
    Type: AWS::SES::Template
    Properties:
      Template:
        TemplateName: welcome
        SubjectPart: !Sub "Welcome to ${Brand}, {{name}}"
        HtmlPart: !Sub |
          <p>Hi {{name}}, cost: ${!Price}</p>
          <p>${AWS::Region}</p>
        TextPart:
          Fn::Join: ["", ["Hi ", "{{name}}", !Ref Brand, !GetAtt Topic.TopicName]]
  Receipt:
    Type: AWS::SES::Template
    Properties:
      Template:
        TemplateName:
          Fn::Sub: ["${Prefix}-receipt", {Prefix: shop}]
        SubjectPart:
          Fn::Sub:
            - "Receipt from ${Shop}"
            - Shop: !Join [" ", [Fjord, Supply]]
        HtmlPart: '<p>{{total}}</p>'
"""


def test_cloudformation_yaml_resolves_literal_intrinsics_and_marks_the_rest(tmp_path: Path) -> None:
    stack = write(tmp_path, "stack.yaml", CFN_YAML)
    result = load(tmp_path)
    templates = by_name(result)
    welcome, receipt = templates["welcome"], templates["shop-receipt"]
    assert welcome.parts["subject"] == "Welcome to ${Brand}, {{name}}"
    assert welcome.parts["html"] == "<p>Hi {{name}}, cost: ${Price}</p>\n<p>${AWS::Region}</p>\n"
    assert welcome.parts["text"] == "Hi {{name}}${Brand}${Topic.TopicName}"
    assert receipt.parts == {"subject": "Receipt from Fjord Supply", "html": "<p>{{total}}</p>"}
    unresolved = [item for item in result.findings if item.code == "S102"]
    assert {(item.part, item.severity) for item in unresolved} == {
        ("subject", Severity.WARNING),
        ("html", Severity.WARNING),
        ("text", Severity.WARNING),
    }
    messages = " | ".join(item.message for item in unresolved)
    assert "SubjectPart: Fn::Sub uses ${Brand}" in messages
    assert "HtmlPart: Fn::Sub uses the pseudo parameter ${AWS::Region}" in messages
    assert "TextPart: Ref to the parameter or resource 'Brand'" in messages
    assert "Fn::GetAtt 'Topic.TopicName'" in messages
    assert "Price" not in messages  # ${!Price} is an escape, not a reference
    subject = next(item for item in unresolved if item.part == "subject")
    assert (subject.path, subject.line, subject.column) == (stack, *position_of(stack, '!Sub "Welcome'))
    assert set(codes(result)) == {"S102", "L110"}


def test_cloudformation_block_scalar_origin_is_exact_and_substituted_parts_point_at_their_string(
    tmp_path: Path,
) -> None:
    stack = write(tmp_path, "stack.yaml", CFN_YAML)
    templates = by_name(load(tmp_path))
    receipt = templates["shop-receipt"]
    assert receipt.part_origins["html"] == position_of(stack, "<p>{{total}}")
    line, column = receipt.part_origins["subject"]
    assert column < 0 and (line, -column) == position_of(stack, 'Receipt from ${Shop}"')


def test_short_form_functions_inside_a_part_are_s102_naming_the_property_and_marked(tmp_path: Path) -> None:
    stack = write(
        tmp_path,
        "stack.yaml",
        """
        Conditions:
          Prod: !Equals [!Ref Env, prod]
        Resources:
          T:
            Type: AWS::SES::Template
            Properties:
              Template:
                TemplateName: short-forms
                SubjectPart: !If [Prod, "Hi {{name}}", "[test] Hi {{name}}"]
                HtmlPart: !Join ["", ["<p>", !Select [0, !GetAZs ""], "</p>", !Ref Env, "{{x}}"]]
        """,
    )
    result = load(tmp_path)
    (template,) = result.templates
    assert template.parts == {"subject": "${Fn::If}", "html": "<p>${Fn::Select}</p>${Env}{{x}}"}
    placed = sorted(
        (item.line, item.column, item.message.split(":")[0]) for item in result.findings if item.code == "S102"
    )
    assert placed == [
        (*position_of(stack, "!If"), "SubjectPart"),
        (*position_of(stack, "!Select"), "HtmlPart"),
        (*position_of(stack, "!Ref Env,", occurrence=1), "HtmlPart"),
    ]


def test_unknown_names_and_malformed_resources_are_findings_and_not_loaded(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.yml",
        """
        Resources:
          FromParameter:
            Type: AWS::SES::Template
            Properties:
              Template: {TemplateName: !Ref Name, HtmlPart: x}
          Unnamed:
            Type: AWS::SES::Template
            Properties:
              Template: {HtmlPart: x}
          NoTemplate:
            Type: AWS::SES::Template
            Properties: {}
          ListPart:
            Type: AWS::SES::Template
            Properties:
              Template: {TemplateName: list-part, HtmlPart: [a, b]}
          BadName:
            Type: AWS::SES::Template
            Properties:
              Template: {TemplateName: "bad name", HtmlPart: x, Subject: typo}
          Good:
            Type: AWS::SES::Template
            Properties:
              Template: {TemplateName: good, HtmlPart: "<p>ok</p>", Subject: typo}
        """,
    )
    result = load(tmp_path)
    assert [template.name for template in result.templates] == ["good"]
    assert codes(result) == ["L106", "L110", "L112", "S103", "S103", "S104", "S104"]
    messages = {item.code + " " + item.message for item in result.findings}
    assert any("Ref to the parameter or resource 'Name'" in message for message in messages)
    assert any("CloudFormation makes one up" in message for message in messages)


def test_yaml_without_ses_templates_is_skipped_silently_and_broken_yaml_that_has_them_is_s101(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", "services:\n  web: {image: nginx\n")  # broken, but not ours
    write(tmp_path, "other-stack.yaml", "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    broken = write(tmp_path, "ses.yaml", "Resources:\n  T:\n    Type: AWS::SES::Template\n    Properties: [\n")
    result = load(tmp_path)
    assert not result.templates
    assert [(item.code, item.path) for item in result.findings] == [("S101", broken)]
    assert result.findings[0].line > 0
    named = load(tmp_path / "other-stack.yaml")
    assert [item.code for item in named.findings] == ["L104"]


def test_a_non_utf8_infrastructure_file_that_defines_templates_is_l102_in_a_folder(tmp_path: Path) -> None:
    yaml_bytes = b"Resources:\n  T:\n    Type: AWS::SES::Template\n    Properties:\n      Template:\n"
    (tmp_path / "ses.yaml").write_bytes(yaml_bytes + b"        TemplateName: a\n        SubjectPart: caf\xe9\n")
    (tmp_path / "ses.tf").write_bytes(b'resource "aws_ses_template" "b" {\n  name = "b"\n  subject = "caf\xe9"\n}\n')
    (tmp_path / "ci.yml").write_bytes(b"name: caf\xe9\n")  # not UTF-8, but no SES template: not ours, skipped
    result = load(tmp_path)
    assert not result.templates
    assert sorted((item.code, item.path.name, item.line) for item in result.findings) == [
        ("L102", "ses.tf", 3),
        ("L102", "ses.yaml", 7),
    ]


def test_cloudformation_json_is_told_from_ses_json_by_its_shape(tmp_path: Path) -> None:
    stack = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Welcome": {
                "Type": "AWS::SES::Template",
                "Properties": {
                    "Template": {
                        "TemplateName": "welcome",
                        "SubjectPart": "Hi {{name}}",
                        "HtmlPart": "<p>Hi {{name}}</p>\n<p>{{#if vip}}VIP{{/if}}</p>",
                    }
                },
            }
        },
    }
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack, indent=2), encoding="utf-8")
    (tmp_path / "network.json").write_text('{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}}', encoding="utf-8")
    write(tmp_path, "stack.data/welcome/vip.json", '{"name": "Ann", "vip": true}')
    result = load(tmp_path)
    assert not result.findings  # no L104 for either file, no L109 for stack.data
    (welcome,) = result.templates
    assert welcome.form == "cloudformation" and list(welcome.fixtures) == ["vip"]
    assert welcome.part_origins["subject"] == position_of(path, "Hi {{name}}")
    line, column = welcome.part_origins["html"]
    assert column < 0 and (line, -column) == position_of(path, "<p>Hi {{name}}</p>\\n")


def test_check_places_findings_in_folded_scalars_and_escaped_json_strings_at_their_string(tmp_path: Path) -> None:
    # Not laid out line for line: the finding points at the string's first character, never at a column computed
    # as if the part's text were the file's (which would land in the wrong place after `\u00e9` or a folded line).
    yaml_file = write(
        tmp_path,
        "stack.yaml",
        """
        Resources:
          T:
            Type: AWS::SES::Template
            Properties:
              Template:
                TemplateName: folded
                HtmlPart: >
                  <p>Hi {{name}}
                  {{#each items}}</p>
                TextPart: plain {{#if}} line
        """,
    )
    template = {"TemplateName": "escaped", "SubjectPart": "caf\u00e9 {{#if x}}", "HtmlPart": "<p>a</p>\n{{#each}}"}
    resource = {"Type": "AWS::SES::Template", "Properties": {"Template": template}}
    json_file = tmp_path / "stack.json"
    json_file.write_text(json.dumps({"Resources": {"E": resource}}, indent=2), encoding="utf-8")
    placed = {(item["template"], item["part"]): (Path(item["path"]).name, item["line"], item["column"])
              for item in check_json(tmp_path) if item["code"] == "P101"}  # fmt: skip
    assert placed == {
        ("folded", "html"): ("stack.yaml", *position_of(yaml_file, "<p>Hi {{name}}")),
        ("folded", "text"): ("stack.yaml", *position_of(yaml_file, "{{#if}} line")),  # plain: exact
        ("escaped", "subject"): ("stack.json", *position_of(json_file, "caf\\u00e9")),
        ("escaped", "html"): ("stack.json", *position_of(json_file, "<p>a</p>\\n")),
    }


def test_fixture_conventions_apply_to_infrastructure_files(tmp_path: Path) -> None:
    write(tmp_path, "stack.yaml", CFN_YAML)
    write(tmp_path, "stack.data.json", '{"name": "Ann", "total": "1"}')
    write(tmp_path, "stack.data/shop-receipt/big.json", '{"total": "999"}')
    write(tmp_path, "stack.data/nobody/x.json", "{}")
    result = load(tmp_path)
    templates = by_name(result)
    assert sorted(templates["shop-receipt"].fixtures) == ["big", "default"]
    assert sorted(templates["welcome"].fixtures) == ["default"]
    assert [(item.code, item.path.name) for item in result.findings if item.code != "S102"] == [("L109", "nobody")]


def test_a_name_used_by_a_cloudformation_template_and_a_json_file_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "stack.yaml", CFN_YAML)
    write(tmp_path, "receipt.json", '{"TemplateName": "shop-receipt", "TemplateContent": {"Html": "x"}}')
    result = load(tmp_path)
    assert "shop-receipt" not in by_name(result)
    duplicates = [item for item in result.findings if item.code == "L107"]
    assert {item.path.name for item in duplicates} == {"stack.yaml", "receipt.json"}
    yaml_duplicate = next(item for item in duplicates if item.path.name == "stack.yaml")
    assert yaml_duplicate.line == position_of(tmp_path / "stack.yaml", "Fn::Sub: [")[0]


# ------------------------------------------------------------------------------------------------ Terraform

TF = """
variable "brand" {
  type = string
}

resource "aws_ses_template" "welcome" {
  name    = "welcome"
  subject = "Caf\\u00e9 \\"{{name}}\\" at ${var.brand} $${literal} %%{literal}"
  html    = <<-EOT
    <p>Hi {{name}}</p>
      <p>%{ if var.vip }VIP%{ endif }</p>
    EOT
  text    = <<EOT
Hi {{name}}, $${keep}
EOT
}

resource "aws_ses_template" "page" {
  name = "page"
  html = file("${path.module}/parts/page.html")
  text = file("../outside.txt")
  subject = templatefile("subject.tpl", {})
}

resource "aws_ses_template" "computed" {
  name = "${var.brand}-computed"
  html = "x"
}

resource "aws_ses_template" "missing" {
  name = "missing"
  html = file("parts/missing.html")
}
"""


@pytest.fixture
def terraform_src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write(src, "main.tf", TF)
    write(src, "parts/page.html", "<h1>{{title}}</h1>\n")
    write(tmp_path, "outside.txt", "SECRET OUTSIDE SRC")
    return src


def test_terraform_strings_heredocs_and_escapes(terraform_src: Path) -> None:
    templates = by_name(load(terraform_src))
    welcome = templates["welcome"]
    assert welcome.form == "terraform"
    assert welcome.parts["subject"] == 'Café "{{name}}" at ${var.brand} ${literal} %{literal}'
    assert welcome.parts["html"] == "<p>Hi {{name}}</p>\n  <p>%{ if var.vip }VIP%{ endif }</p>\n"
    assert welcome.parts["text"] == "Hi {{name}}, ${keep}\n"
    main_tf = terraform_src / "main.tf"
    assert welcome.part_origins["html"] == position_of(main_tf, "<p>Hi {{name}}")
    line, column = welcome.part_origins["subject"]
    assert column < 0 and (line, -column) == position_of(main_tf, "Caf\\u00e9")
    # $${keep} differs from the text it yields: the heredoc is not laid out character for character
    assert welcome.part_origins["text"][1] < 0


def test_terraform_interpolations_and_directives_are_s102_at_their_position(terraform_src: Path) -> None:
    result = load(terraform_src)
    main_tf = terraform_src / "main.tf"
    welcome = sorted(
        (item.line, item.column, item.part, item.message)
        for item in result.findings
        if item.code == "S102" and item.template == "welcome"
    )
    assert [(line, column, part) for line, column, part, _ in welcome] == [
        (*position_of(main_tf, "${var.brand} $$"), "subject"),
        (*position_of(main_tf, "%{ if var.vip }"), "html"),
        (*position_of(main_tf, "%{ endif }"), "html"),
    ]
    assert "interpolation ${var.brand}" in welcome[0][3]
    assert "template directive %{ if var.vip }" in welcome[1][3]


def test_terraform_file_reads_inside_src_only_and_reports_the_rest(terraform_src: Path) -> None:
    result = load(terraform_src)
    templates = by_name(result)
    page = templates["page"]
    assert page.parts["html"] == "<h1>{{title}}</h1>\n"
    assert page.part_paths["html"] == terraform_src / "parts" / "page.html"
    assert "html" not in page.part_origins
    assert page.parts["text"] == '${file("../outside.txt")}'
    assert "SECRET" not in json.dumps(page.parts)
    assert page.parts["subject"] == '${templatefile("subject.tpl", {})}'
    by_code = {(item.code, item.template, item.part) for item in result.findings}
    assert ("S105", "page", "text") in by_code
    assert ("S102", "page", "subject") in by_code
    assert ("S105", "missing", "html") in by_code
    assert ("S104", None, None) in by_code
    assert "computed" not in templates
    outside = next(item for item in result.findings if item.code == "S105" and item.template == "page")
    assert "points outside" in outside.message


def test_findings_in_a_file_read_through_dot_dot_name_the_file_plainly(tmp_path: Path) -> None:
    write(
        tmp_path,
        "infra/ses.tf",
        'resource "aws_ses_template" "x" {\n  name = "x"\n  html = file("../parts/x.html")\n}\n',
    )
    html = write(tmp_path, "parts/x.html", "<p>{{#if a}}</p>\n")
    (template,) = load(tmp_path).templates
    assert template.part_paths["html"] == html  # as Terraform cleans the path, not infra/../parts/x.html
    [unclosed] = [item for item in check_json(tmp_path) if item["code"] == "P101"]
    assert (unclosed["path"], unclosed["line"], unclosed["column"]) == (str(html), 1, 4)


def test_terraform_syntax_errors_missing_names_and_unrelated_files(tmp_path: Path) -> None:
    write(tmp_path, "network.tf", 'resource "aws_vpc" "main" {\n  cidr_block = \n}\n')  # broken, not ours
    broken = write(tmp_path, "ses.tf", 'resource "aws_ses_template" "x" {\n  name = \n}\n')
    write(tmp_path, "unnamed.tf", 'resource "aws_ses_template" "x" {\n  html = "x"\n}\n')
    result = load(tmp_path)
    assert not result.templates
    assert sorted((item.code, item.path.name) for item in result.findings) == [
        ("S101", "ses.tf"),
        ("S103", "unnamed.tf"),
    ]
    syntax = next(item for item in result.findings if item.code == "S101")
    assert syntax.path == broken and syntax.line == 2


def test_check_translates_terraform_heredoc_positions(tmp_path: Path) -> None:
    tf = write(
        tmp_path,
        "mail.tf",
        """
        resource "aws_ses_template" "note" {
          name    = "note"
          subject = "Note for {{who}}"
          html    = <<-EOT
            <p>First</p>
              <p>{{#each items}}{{this}}{{/each}}</p>
            EOT
        }
        """,
    )
    write(tmp_path, "mail.data/note/one.json", '{"who": "Ann", "items": ["a"]}')
    findings = check_json(tmp_path)
    c101 = {(item["part"], item["line"], item["column"]) for item in findings if item["code"] == "C101"}
    assert ("subject", *position_of(tf, "{{who}}")) in c101
    assert ("html", *position_of(tf, "{{this}}")) in c101


# ------------------------------------------------------------------------------------------------ place_in_files


def test_place_in_files_maps_parts_and_leaves_other_findings_alone(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    template = Template("t", path, "cloudformation", {"html": "a\nb", "text": "c"}, {"html": path, "text": path})
    template.part_origins = {"html": (10, 5), "text": (20, -7)}
    findings = [
        Finding("C101", Severity.WARNING, "m", path, 2, 3, "t", "html"),
        Finding("C101", Severity.WARNING, "m", path, 1, 4, "t", "text"),
        Finding("C121", Severity.WARNING, "m", path, 0, 0, "t", "html"),  # whole template: left alone
        Finding("S102", Severity.WARNING, "m", path, 3, 3, "t", "html"),  # loader finding: already in the file
        Finding("C101", Severity.WARNING, "m", path, 1, 1, "other", "html"),
    ]
    placed = place_in_files(findings, [template])
    assert [(item.line, item.column) for item in placed] == [(11, 7), (20, 7), (0, 0), (3, 3), (1, 1)]


def test_a_template_file_holding_json_is_read_as_json(tmp_path: Path) -> None:
    text = (
        '{"Resources": {"T": {"Type": "AWS::SES::Template", "Properties": {"Template": '
        r'{"TemplateName": "from-template-file", "HtmlPart": "<p>{{a}}<\/p>"}}}}}'
    )
    (tmp_path / "stack.template").write_text(text, encoding="utf-8")
    (template,) = load(tmp_path).templates
    assert template.name == "from-template-file" and template.parts["html"] == "<p>{{a}}</p>"
    assert template.part_origins["html"][1] < 0  # the escape \/ shifts columns: the string is pointed at
