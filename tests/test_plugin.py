"""The ses2mt pytest plugin, tested with pytester: first run writes, a changed template fails with a diff,
--force-regen regenerates, --regen-all passes; ids, dialects, normalization, the `ses2mt snapshot` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from templating.cli import main

pytest_plugins = ["pytester"]

TEST_MODULE = """
from pathlib import Path

import pytest

from templating.pytest_plugin import email_cases, email_regression_test

TEMPLATES = Path(__file__).parent / "templates"

test_emails = email_regression_test(TEMPLATES)
"""

CONFTEST = """
from importlib.metadata import entry_points

# active through its entry point when ses2mt is installed; from a source checkout, load it here
installed = any(entry.name == "ses2mt" for entry in entry_points(group="pytest11"))
pytest_plugins = [] if installed else ["templating.pytest_plugin"]
"""

WELCOME_HTML = '<html><body><table><tr><td style="color: red">Hello {{name}}</td></tr></table></body></html>'


def write_project(pytester: pytest.Pytester, html: str = WELCOME_HTML) -> Path:
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_emails=TEST_MODULE)
    folder = pytester.path / "templates" / "welcome"
    (folder / "data").mkdir(parents=True)
    (folder / "html.hbs").write_text(html, encoding="utf-8")
    (folder / "subject.hbs").write_text("Welcome, {{name}}", encoding="utf-8")
    (folder / "text.hbs").write_text("Hello {{name}}\n", encoding="utf-8")
    (folder / "data" / "invited.json").write_text(json.dumps({"name": "Ann & Bo"}), encoding="utf-8")
    (folder / "data" / "self-signup.json").write_text(json.dumps({"name": "Cy"}), encoding="utf-8")
    return folder


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process pytest run; plugins this test does not need are off (hypothesis' summary is slow)."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider", *args)


def snapshots(pytester: pytest.Pytester) -> Path:
    return pytester.path / "tests" / "snapshots"


def test_first_run_writes_every_snapshot_then_passes(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    first = run(pytester)
    first.assert_outcomes(failed=2)
    first.stdout.fnmatch_lines(["*File not found in data directory, created:*"])
    written = sorted(p.relative_to(snapshots(pytester)).as_posix() for p in snapshots(pytester).rglob("*.*"))
    assert written == [
        "welcome/invited.html",
        "welcome/invited.subject.txt",
        "welcome/invited.txt",
        "welcome/self-signup.html",
        "welcome/self-signup.subject.txt",
        "welcome/self-signup.txt",
    ]
    assert (snapshots(pytester) / "welcome/invited.subject.txt").read_text(encoding="utf-8") == "Welcome, Ann & Bo"
    assert "Hello Ann &amp; Bo" in (snapshots(pytester) / "welcome/invited.html").read_text(encoding="utf-8")
    run(pytester).assert_outcomes(passed=2)


def test_changed_template_fails_with_a_readable_diff_and_force_regen_regenerates(pytester: pytest.Pytester) -> None:
    folder = write_project(pytester)
    run(pytester)
    (folder / "html.hbs").write_text(WELCOME_HTML.replace("Hello", "Howdy"), encoding="utf-8")
    changed = run(pytester)
    changed.assert_outcomes(failed=2, passed=0)
    changed.stdout.fnmatch_lines(
        [
            "*welcome[[]invited[]] (mailtrap dialect):*",
            "*FILES DIFFER*",
            "-*Hello Ann &amp; Bo*",
            "+*Howdy Ann &amp; Bo*",
        ]
    )
    assert "invited.subject.txt" not in changed.stdout.str()  # only the part that changed is reported
    regen = run(pytester, "--force-regen")
    regen.assert_outcomes(failed=2)
    regen.stdout.fnmatch_lines(["*--force-regen set, regenerating file at:*"])
    run(pytester).assert_outcomes(passed=2)
    assert "Howdy" in (snapshots(pytester) / "welcome/invited.html").read_text(encoding="utf-8")


def test_each_changed_part_links_its_own_html_diff_file(pytester: pytest.Pytester) -> None:
    # pytest-regressions names the side-by-side diff after the obtained file minus its suffix: the HTML and text
    # parts of one case must not share (and overwrite) one diff file.
    folder = write_project(pytester)
    run(pytester)
    (folder / "html.hbs").write_text(WELCOME_HTML.replace("Hello", "Howdy"), encoding="utf-8")
    (folder / "text.hbs").write_text("Goodbye {{name}}\n", encoding="utf-8")
    changed = run(pytester, "-k", "invited")
    changed.assert_outcomes(failed=1)
    # each link once per place the failure is shown (under CI=true pytest also repeats it in the short summary)
    diffs = {line.split("HTML DIFF:", 1)[1].strip() for line in changed.outlines if "HTML DIFF:" in line}
    assert len(diffs) == 2, diffs
    html_diff, text_diff = (Path(diff).read_text(encoding="utf-8") for diff in sorted(diffs))
    assert "snapshots/welcome/invited.html" in html_diff and "Goodbye" not in html_diff
    assert "snapshots/welcome/invited.txt" in text_diff and "Goodbye" in text_diff


def test_regen_all_rewrites_and_passes(pytester: pytest.Pytester) -> None:
    folder = write_project(pytester)
    run(pytester)
    (folder / "subject.hbs").write_text("Hi {{name}}", encoding="utf-8")
    run(pytester, "--regen-all").assert_outcomes(passed=2)
    assert (snapshots(pytester) / "welcome/invited.subject.txt").read_text(encoding="utf-8") == "Hi Ann & Bo"
    run(pytester).assert_outcomes(passed=2)


def test_layout_only_html_changes_do_not_fail(pytester: pytest.Pytester) -> None:
    folder = write_project(pytester)
    run(pytester)
    reformatted = '<html>\n <body>\n  <table>\n   <tr>\n    <td style="color:red;">\n      Hello   {{name}}\n'
    (folder / "html.hbs").write_text(reformatted + "    </td></tr></table></body></html>", encoding="utf-8")
    run(pytester).assert_outcomes(passed=2)


def test_test_ids_are_template_and_fixture(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    collected = run(pytester, "--collect-only", "-q")
    collected.stdout.fnmatch_lines(
        [
            "test_emails.py::test_emails[[]welcome[[]invited[]][]]",
            "test_emails.py::test_emails[[]welcome[[]self-signup[]][]]",
        ]
    )


def test_ses_dialect_checks_the_same_snapshots(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    run(pytester)
    pytester.makepyfile(
        test_ses="""
        import pytest
        from pathlib import Path
        from templating.pytest_plugin import email_cases

        @pytest.mark.parametrize("case", email_cases(Path(__file__).parent / "templates"))
        def test_ses(email_regression, case):
            rendered = email_regression.check(case, dialect="ses")
            assert rendered.dialect == "ses"
        """
    )
    run(pytester, "test_ses.py").assert_outcomes(passed=2)


def test_snapshot_written_in_one_dialect_checks_the_other(pytester: pytest.Pytester) -> None:
    # Written from SES's render of the original, then checked against Mailtrap's render of the converted template.
    write_project(pytester)
    pytester.makepyfile(
        test_one="""
        from pathlib import Path

        def test_one(email_regression):
            email_regression.check(Path(__file__).parent / "templates" / "welcome", "invited", dialect="ses")

        def test_two(email_regression):
            email_regression.check(Path(__file__).parent / "templates" / "welcome", "invited")
        """
    )
    run(pytester, "test_one.py::test_one").assert_outcomes(failed=1)
    run(pytester, "test_one.py").assert_outcomes(passed=2)


def test_unrenderable_fixture_fails_with_ses_message(pytester: pytest.Pytester) -> None:
    folder = write_project(pytester)
    (folder / "data" / "broken.json").write_text("{}", encoding="utf-8")
    pytester.makepyfile(
        test_ses="""
        from pathlib import Path

        def test_ses(email_regression):
            email_regression.check(Path(__file__).parent / "templates" / "welcome", "broken", dialect="ses")
        """
    )
    result = run(pytester, "test_ses.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*welcome[[]broken[]]*SES cannot render: Attribute 'name' is not present*"])


def test_a_file_that_does_not_load_is_a_failing_case(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    (pytester.path / "templates" / "broken.json").write_text("{not json", encoding="utf-8")
    result = run(pytester)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*test_emails[[]broken.json[[]load-error[]][]]*", "*L103*"])


def test_snapshot_folder_option_and_ini(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    run(pytester, "--ses2mt-snapshots", "elsewhere")
    assert (pytester.path / "elsewhere" / "welcome" / "invited.html").is_file()
    pytester.makeini("[pytest]\nses2mt_snapshots = from-ini\n")
    run(pytester)
    assert (pytester.path / "from-ini" / "welcome" / "invited.html").is_file()


def test_snapshot_command_writes_what_the_plugin_checks(pytester: pytest.Pytester) -> None:
    write_project(pytester)
    runner = CliRunner()
    args = ["snapshot", str(pytester.path / "templates"), "--dir", str(snapshots(pytester))]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "6 snapshot files written, 0 unchanged" in first.output
    run(pytester).assert_outcomes(passed=2)
    again = runner.invoke(main, args)
    assert "0 snapshot files written, 6 unchanged" in again.output


def test_snapshot_command_reports_problems_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "promo"
    (folder / "data").mkdir(parents=True)
    (folder / "html.hbs").write_text("<p>{{formatDate when}}</p>", encoding="utf-8")
    (folder / "data" / "a.json").write_text('{"when": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["snapshot", str(tmp_path / "src"), "--dir", str(tmp_path / "snaps")])
    assert result.exit_code == 1
    assert "promo: the template cannot be converted for Mailtrap" in result.output
    assert "R120" in result.output


def test_snapshot_command_lists_stale_files_and_prunes_them(pytester: pytest.Pytester) -> None:
    folder = write_project(pytester)
    runner = CliRunner()
    args = ["snapshot", str(pytester.path / "templates"), "--dir", str(snapshots(pytester))]
    runner.invoke(main, args)
    (folder / "data" / "self-signup.json").unlink()
    (folder / "text.hbs").unlink()
    listed = runner.invoke(main, args)
    assert listed.exit_code == 0
    stale = sorted(line.split(":")[0] for line in listed.output.splitlines() if line.endswith("deletes it)"))
    assert [Path(p).name for p in stale] == [
        "invited.txt",
        "self-signup.html",
        "self-signup.subject.txt",
        "self-signup.txt",
    ]
    assert (snapshots(pytester) / "welcome" / "self-signup.html").is_file()
    pruned = runner.invoke(main, [*args, "--prune"])
    assert "4 stale removed" in pruned.output
    remaining = sorted(p.name for p in (snapshots(pytester) / "welcome").iterdir())
    assert remaining == ["invited.html", "invited.subject.txt"]


def test_email_cases_selects_templates_and_reports_unknown_names(tmp_path: Path) -> None:
    from templating.pytest_plugin import email_cases

    folder = tmp_path / "welcome"
    (folder / "data").mkdir(parents=True)
    (folder / "html.hbs").write_text("<p>{{a}}</p>", encoding="utf-8")
    (folder / "data" / "one.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "html.hbs").write_text("<p>x</p>", encoding="utf-8")
    assert [p.id for p in email_cases(tmp_path)] == ["other[no-fixture]", "welcome[one]"]
    selected = email_cases(tmp_path, templates=["welcome", "nope"])
    assert [p.id for p in selected] == ["nope[missing]", "welcome[one]"]
    assert "no template named 'nope'" in (selected[0].values[0].problem or "")
