"""templating.diagnostics (formatting, selection, summary) and templating.progress."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from templating import diagnostics
from templating.diagnostics import (
    CodeListError,
    context_label,
    format_finding,
    is_selected,
    parse_codes,
    summarize,
    summary_line,
)
from templating.model import Finding, Severity
from templating.progress import PROGRESS_THRESHOLD, progress_bar, wants_progress


def make(code="L103", severity=Severity.ERROR, path="a.json", line=1, column=2, **context) -> Finding:
    return Finding(code, severity, f"message {code}", Path(path), line, column, **context)


@pytest.mark.parametrize(
    ("context", "label"),
    [
        ({}, ""),
        ({"template": "t"}, "[t]"),
        ({"template": "t", "part": "html"}, "[t/html]"),
        ({"template": "t", "part": "html", "fixture": "f"}, "[t/html/f]"),
        ({"template": "t", "fixture": "f"}, "[t/-/f]"),
        ({"fixture": "f"}, "[-/-/f]"),
        ({"part": "subject"}, "[-/subject]"),
    ],
)
def test_context_label(context, label):
    assert context_label(make(**context)) == label


def test_format_finding_is_one_line():
    item = Finding("P101", Severity.ERROR, "bad\ntag\r", Path("d/x.json"), 3, 4, "t", "text", None)
    assert format_finding(item) == "d/x.json:3:4: P101 error bad\\ntag\\r [t/text]"


def test_parse_codes():
    assert parse_codes(None) == ()
    assert parse_codes(" l1, P101 ,,all") == ("L1", "P101", "ALL")
    with pytest.raises(CodeListError, match="'Q7'"):
        parse_codes("L1,Q7")


@pytest.mark.parametrize(
    ("code", "select", "ignore", "expected"),
    [
        ("L101", (), (), True),
        ("L101", ("L",), (), True),
        ("P101", ("L",), (), False),
        ("L101", (), ("L1",), False),
        ("L101", ("L101",), ("L1",), True),
        ("L101", ("L1",), ("L101",), False),
        ("L101", ("L1",), ("L1",), False),
        ("L101", ("ALL",), ("L",), False),
        ("L101", ("L",), ("ALL",), True),
    ],
)
def test_is_selected_follows_ruff(code, select, ignore, expected):
    assert is_selected(code, select, ignore) is expected


def test_sort_by_path_line_column_then_code_without_repeats():
    items = [make("P101", path="b", line=1), make("L103", path="a", line=9), make("C101", path="a", line=9)]
    items.append(make("L103", path="a", line=9))
    assert [(str(i.path), i.code) for i in diagnostics.sort_findings(items)] == [
        ("a", "C101"),
        ("a", "L103"),
        ("b", "P101"),
    ]


def test_summary_counts_and_wording():
    items = [
        make("L103", path="a.json"),
        make("L108", path="a.data.json"),
        make("L103", path="a.json", line=5),
        make("P101", path="b.json"),
        make("L109", Severity.WARNING, path="c.data.json"),
        make("L110", Severity.INFO),
    ]
    summary = summarize(items, 1)
    assert (summary.errors, summary.warnings, summary.info, summary.files_with_load_errors) == (4, 1, 1, 2)
    assert summary_line(summary) == "Found 4 errors, 1 warning, 1 info in 1 template (2 files with load errors)."
    assert summary_line(summarize([], 0)) == "Found 0 errors, 0 warnings, 0 info in 0 templates."
    assert summary_line(summarize([make("X101")], 3)).endswith("in 3 templates (1 file with load errors).")


def test_exit_code():
    assert diagnostics.exit_code([]) == 0
    assert diagnostics.exit_code([make(severity=Severity.WARNING), make(severity=Severity.INFO)]) == 0
    assert diagnostics.exit_code([make(severity=Severity.WARNING), make()]) == 1


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_for_large_sets():
    assert not wants_progress(PROGRESS_THRESHOLD + 1, io.StringIO())
    assert not wants_progress(PROGRESS_THRESHOLD, FakeTerminal())
    assert wants_progress(PROGRESS_THRESHOLD + 1, FakeTerminal())


def test_progress_bar_draws_on_its_stream_only(capsys):
    terminal = FakeTerminal()
    with progress_bar(PROGRESS_THRESHOLD + 10, "Checking", terminal) as advance:
        for _ in range(PROGRESS_THRESHOLD + 10):
            advance()
    assert "Checking" in terminal.getvalue()
    assert capsys.readouterr().out == ""
    quiet = io.StringIO()
    with progress_bar(1000, "Checking", quiet) as advance:
        advance()
    assert quiet.getvalue() == ""
