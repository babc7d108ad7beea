"""pytest plugin: regression tests for rendered emails, on top of pytest-regressions' `file_regression`.

Installed with ses2mt (entry point `pytest11`, name `ses2mt`); without the package installed, enable it with
`pytest_plugins = ["templating.pytest_plugin"]` in a conftest.py. docs/testing.md is the guide. In short:

    from templating.pytest_plugin import email_cases, email_regression_test

    test_emails = email_regression_test("templates")          # one test per template x fixture: welcome[invited]

    @pytest.mark.parametrize("case", email_cases("templates"))   # the same, written out
    def test_email(email_regression, case):
        email_regression.check(case)                             # or .check(case, dialect="ses")

    def test_one(email_regression):
        email_regression.check("templates/welcome.json", "invited")

Each check renders subject, HTML and text (Mailtrap dialect by default: the converted template through the Mailtrap
engine; "ses": the original as SES renders it) and compares them with `<snapshots>/<template>/<fixture>.subject.txt`,
`.html` (normalized, see templating/normalize.py) and `.txt`. As with pytest-regressions: a missing file is written and
the test fails once ("created"); a difference fails with a unified diff; `--force-regen` rewrites the files that
differ (the test fails once, saying so), `--regen-all` rewrites every file and passes. `ses2mt snapshot SRC --dir DIR`
writes the same files from the command line.

(PYTEST_DONT_REWRITE: test modules import the helpers below before pytest registers this module as a plugin.)

Options: `--ses2mt-snapshots DIR` or ini `ses2mt_snapshots` (default `tests/snapshots`, relative to the rootdir), ini
`ses2mt_dialect` (`mailtrap` or `ses`). Fixtures `email_snapshot_dir` and `email_dialect` can be overridden in a
conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from templating.loaders import load
from templating.model import Finding, PartName, Severity, Template
from templating.snapshot import (
    DIALECTS,
    Dialect,
    RenderedEmail,
    SnapshotError,
    case_id,
    converted_parts,
    render_email,
    snapshot_files,
    snapshot_paths,
)

__all__ = ["EmailCase", "EmailRegression", "email_cases", "email_regression_test"]

DEFAULT_SNAPSHOT_DIR = "tests/snapshots"


@dataclass(slots=True)
class EmailCase:
    """One template x fixture to check. `problem` marks a case that can only fail (a file under SRC did not load)."""

    template: Template | None
    fixture: str
    problem: str | None = None
    shared: dict[str, dict[PartName, str]] = field(default_factory=dict, repr=False)  # converted parts, by template

    @property
    def id(self) -> str:
        return case_id(self.template.name if self.template else "load", self.fixture)

    def converted(self) -> dict[PartName, str]:
        assert self.template is not None
        if self.template.name not in self.shared:
            self.shared[self.template.name] = converted_parts(self.template)
        return self.shared[self.template.name]


def email_cases(src: str | os.PathLike[str], *, templates: list[str] | None = None) -> list[Any]:
    """`pytest.param`s for every template x fixture under `src` (a file or folder, as for `ses2mt check`), with ids
    `template[fixture]`. A file that does not load gives a failing case; a template without fixtures a skipped one.
    `templates` keeps only the templates with those names."""
    result = load(Path(src))
    shared: dict[str, dict[PartName, str]] = {}
    params: list[Any] = []
    for f in result.findings:
        if f.severity == Severity.ERROR:
            params.append(pytest.param(EmailCase(None, "load", _describe(f)), id=f"{f.path.name}[load-error]"))
    for name in sorted(set(templates or ()) - {t.name for t in result.templates}):
        problem = f"{src}: no template named {name!r}"
        params.append(pytest.param(EmailCase(None, "missing", problem), id=case_id(name, "missing")))
    for t in result.templates:
        if templates is not None and t.name not in templates:
            continue
        if not t.fixtures:
            skip = pytest.mark.skip(reason=f"{t.name} has no fixture to render")
            params.append(pytest.param(EmailCase(t, "no-fixture"), id=case_id(t.name, "no-fixture"), marks=skip))
        for fixture in sorted(t.fixtures):
            case = EmailCase(t, fixture, shared=shared)
            params.append(pytest.param(case, id=case.id))
    return params


def _describe(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}"


def email_regression_test(
    src: str | os.PathLike[str], *, dialect: Dialect | None = None, templates: list[str] | None = None
) -> Callable[..., None]:
    """A ready-made test for a whole folder: `test_emails = email_regression_test("templates")`."""

    @pytest.mark.parametrize("email_case", email_cases(src, templates=templates))
    def test_email_snapshot(email_case: EmailCase, email_regression: EmailRegression) -> None:
        email_regression.check(email_case, dialect=dialect)

    return test_email_snapshot


class EmailRegression:
    """The `email_regression` fixture: render, normalize, compare with the stored snapshot files."""

    def __init__(self, file_regression: Any, snapshot_dir: Path, obtained_dir: Path, dialect: Dialect) -> None:
        self.file_regression = file_regression
        self.snapshot_dir = snapshot_dir
        self.obtained_dir = obtained_dir
        self.dialect = dialect

    def check(
        self,
        case: EmailCase | Template | str | os.PathLike[str],
        fixture: str | None = None,
        *,
        dialect: Dialect | None = None,
    ) -> RenderedEmail:
        """Check one template x fixture against its snapshots: an EmailCase, or a Template (or the path of one
        template file/folder) with a fixture name. Fails the test with every part's difference at once."""
        __tracebackhide__ = True
        dialect = dialect or self.dialect
        if dialect not in DIALECTS:
            pytest.fail(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}", pytrace=False)
        email_case = self._case(case, fixture)
        try:
            converted = email_case.converted() if dialect == "mailtrap" else None
            assert email_case.template is not None
            rendered = render_email(email_case.template, email_case.fixture, dialect, converted)
        except SnapshotError as error:
            pytest.fail(error.message, pytrace=False)
        self._compare(rendered)
        return rendered

    def _case(self, case: EmailCase | Template | str | os.PathLike[str], fixture: str | None) -> EmailCase:
        __tracebackhide__ = True
        if isinstance(case, EmailCase):
            if case.problem is not None:
                pytest.fail(case.problem, pytrace=False)
            return case
        if fixture is None:
            pytest.fail("email_regression.check(template, fixture): name the fixture", pytrace=False)
        if isinstance(case, Template):
            return EmailCase(case, fixture)
        result = load(Path(case))
        errors = [
            f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.findings if f.severity == "error"
        ]
        if errors or len(result.templates) != 1:
            detail = "\n".join(errors) or f"{len(result.templates)} templates found, expected exactly one"
            pytest.fail(f"{case}: cannot load one template:\n{detail}", pytrace=False)
        return EmailCase(result.templates[0], fixture)

    def _compare(self, rendered: RenderedEmail) -> None:
        __tracebackhide__ = True
        paths = snapshot_paths(self.snapshot_dir, rendered.template, rendered.fixture)
        failures: list[str] = []
        for suffix, content in snapshot_files(rendered).items():
            # one obtained name per part: pytest-regressions derives the diff file from it minus its last suffix
            part = suffix.split(".")[1]
            obtained = self.obtained_dir / f"{rendered.template}.{rendered.fixture}.{part}.obtained{suffix}"
            try:
                self.file_regression.check(
                    content, encoding="utf-8", extension=suffix, newline="", fullpath=paths[suffix],
                    obtained_filename=obtained,
                )  # fmt: skip
            except (AssertionError, pytest.fail.Exception) as failure:
                failures.append(str(failure))
        if failures:
            label = f"{case_id(rendered.template, rendered.fixture)} ({rendered.dialect} dialect)"
            pytest.fail(f"{label}:\n" + "\n\n".join(failures), pytrace=False)


# ------------------------------------------------------------------------------------------------------ pytest hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ses2mt", "ses2mt email regression tests")
    group.addoption(
        "--ses2mt-snapshots",
        dest="ses2mt_snapshots",
        default=None,
        help=f"Folder of email snapshots (default: ini ses2mt_snapshots, else {DEFAULT_SNAPSHOT_DIR}).",
    )
    parser.addini("ses2mt_snapshots", f"Folder of email snapshots, relative to the rootdir ({DEFAULT_SNAPSHOT_DIR}).")
    parser.addini("ses2mt_dialect", "Dialect email_regression renders in: mailtrap (default) or ses.")


def _option(config: pytest.Config, name: str) -> str | None:
    try:
        value = config.getoption(name)
    except ValueError:
        value = None
    if value:
        return str(value)
    try:
        ini = config.getini(name)
    except ValueError:
        return None
    return str(ini) if ini else None


@pytest.fixture
def email_snapshot_dir(request: pytest.FixtureRequest) -> Path:
    """Where snapshots live: --ses2mt-snapshots, else ini ses2mt_snapshots, else tests/snapshots (rootdir-relative)."""
    configured = _option(request.config, "ses2mt_snapshots") or DEFAULT_SNAPSHOT_DIR
    return request.config.rootpath / configured


@pytest.fixture
def email_dialect(request: pytest.FixtureRequest) -> Dialect:
    """The default dialect of `email_regression.check`: ini ses2mt_dialect, else mailtrap."""
    dialect = _option(request.config, "ses2mt_dialect") or "mailtrap"
    if dialect not in DIALECTS:
        raise pytest.UsageError(f"ses2mt_dialect = {dialect!r}: use one of {', '.join(DIALECTS)}")
    return dialect  # type: ignore[return-value]


@pytest.fixture
def email_regression(
    file_regression: Any, email_snapshot_dir: Path, email_dialect: Dialect, tmp_path: Path
) -> EmailRegression:
    """Check rendered emails against stored snapshots: `email_regression.check(case)`."""
    return EmailRegression(file_regression, email_snapshot_dir, tmp_path, email_dialect)
