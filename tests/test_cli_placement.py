"""`ses2mt check` reports positions in the file the user edits, whatever the source form."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from templating.cli import main


def test_findings_on_an_mjml_template_point_into_html_mjml(tmp_path: Path) -> None:
    folder = tmp_path / "invite"
    (folder / "data").mkdir(parents=True)
    (folder / "html.mjml").write_text(
        "<mjml>\n  <mj-body>\n    <mj-section><mj-column>\n"
        "      <mj-text>Hello   {{name}}</mj-text>\n"
        "    </mj-column></mj-section>\n  </mj-body>\n</mjml>\n",
        encoding="utf-8",
    )
    (folder / "subject.hbs").write_text("Hi", encoding="utf-8")
    (folder / "data" / "default.json").write_text('{"name": "Ann"}', encoding="utf-8")

    result = CliRunner().invoke(main, ["check", str(tmp_path), "--select", "C101"])

    lines = [line for line in result.output.splitlines() if " C101 " in line]
    assert lines == [lines[0]] and lines[0].startswith(f"{folder / 'html.mjml'}:4:24: C101 "), result.output


def test_a_syntax_error_in_a_cloudformation_part_quotes_the_opening_tag_in_the_file_too(tmp_path: Path) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        "Resources:\n"
        "  Welcome:\n"
        "    Type: AWS::SES::Template\n"
        "    Properties:\n"
        "      Template:\n"
        "        TemplateName: welcome\n"
        "        SubjectPart: Hi\n"
        "        HtmlPart: |\n"
        "          <p>\n"
        "            {{#if a}}\n"
        "              x\n"
        "            {{/each}}\n"
        "          </p>\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(stack)])
    assert result.exit_code == 1
    expected = "P101 error {{/each}} at 12:13 does not close {{#if a}} opened at 10:13"
    assert f"{stack}:12:13: {expected}" in result.output
