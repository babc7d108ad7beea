"""export-ses: v1 against moto in server mode (a real HTTP endpoint on 127.0.0.1), v2 with botocore's Stubber and
the service model's exact response shapes; pacing, throttling retries, resume, atomic writes inside DIR."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.loaders import load
from templating.sources.export_ses import (
    APIS,
    Caller,
    ExportError,
    Pacer,
    export_templates,
    make_client,
    template_document,
    template_path,
)

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")
from botocore.stub import Stubber  # noqa: E402

SECRET = "wJalrXUtnFEMI-K7MDENG-not-a-real-secret"
MOTO_TEMPLATES = 105  # more than one page of 100


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, and no real AWS configuration or instance metadata reachable."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# ------------------------------------------------------------------------------------------------ moto, v1


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def list_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """moto's ListTemplates returns every template at once; SES pages them by MaxItems with a NextToken. Teach moto
    the real contract, and record each call, so that the exporter's pagination runs against the HTTP endpoint."""
    from moto.core.responses import ActionResult
    from moto.ses.responses import EmailResponse

    calls: list[dict[str, Any]] = []

    def list_templates(self: Any) -> Any:
        templates = self.backend.list_templates()
        max_items = int(self._get_param("MaxItems") or 100)
        start = int(self._get_param("NextToken") or 0)
        calls.append({"MaxItems": max_items, "NextToken": start})
        page = templates[start : start + max_items]
        result: dict[str, Any] = {
            "TemplatesMetadata": [
                {"Name": item["template_name"], "CreatedTimestamp": item["Timestamp"]} for item in page
            ]
        }
        if start + max_items < len(templates):
            result["NextToken"] = str(start + max_items)
        return ActionResult(result)

    monkeypatch.setattr(EmailResponse, "list_templates", list_templates)
    return calls


def moto_template(index: int) -> dict[str, str]:
    return {
        "TemplateName": f"notice-{index:03d}",
        "SubjectPart": f"Notice {index} for {{{{user.name}}}}",
        "HtmlPart": f"<p>Hello {{{{user.name}}}},</p>\n<p>notice {index} — café</p>\n",
        "TextPart": f"Hello {{{{user.name}}}}, notice {index}\n",
    }


@pytest.fixture
def moto_account(moto_server: str, aws_env: None) -> list[dict[str, str]]:
    """A fresh region on the moto server holding MOTO_TEMPLATES v1 templates created through boto3."""
    client = boto3.client("ses", region_name="eu-west-1", endpoint_url=moto_server)
    for existing in client.list_templates().get("TemplatesMetadata", []):
        client.delete_template(TemplateName=existing["Name"])
    created = [moto_template(index) for index in range(MOTO_TEMPLATES)]
    for template in created:
        client.create_template(Template=template)
    return created


def run_export(moto_server: str, out: Path, *extra: str) -> Any:
    arguments = ["export-ses", "-o", str(out), "--api", "v1", "--endpoint-url", moto_server, "--rate", "2000"]
    return CliRunner().invoke(main, [*arguments, *extra])


def test_v1_export_from_moto_pages_through_the_listing_and_writes_one_file_per_template(
    moto_server: str, moto_account: list[dict[str, str]], list_calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    result = run_export(moto_server, out, "--region", "eu-west-1")
    assert result.exit_code == 0, result.output
    assert f"Exported {MOTO_TEMPLATES} of {MOTO_TEMPLATES} templates" in result.output
    assert [call["NextToken"] for call in list_calls] == [0, 100]
    files = sorted(path.name for path in out.iterdir())
    assert files == sorted(f"{template['TemplateName']}.json" for template in moto_account)
    for template in moto_account:
        written = json.loads((out / f"{template['TemplateName']}.json").read_text(encoding="utf-8"))
        assert written == {"Template": template}
    loaded = load(out)
    assert len(loaded.templates) == MOTO_TEMPLATES
    assert not [item for item in loaded.findings if item.code != "L110"]
    first = next(template for template in loaded.templates if template.name == "notice-000")
    assert first.form == "v1"
    assert first.parts["html"] == moto_account[0]["HtmlPart"]
    assert SECRET not in result.output


def test_v1_export_resumes_skipping_files_already_written(
    moto_server: str, moto_account: list[dict[str, str]], list_calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    assert run_export(moto_server, out).exit_code == 0
    kept = out / "notice-007.json"
    kept.write_text('{"Template": {"TemplateName": "notice-007", "SubjectPart": "edited by hand"}}\n')
    for index in (1, 50, 104):
        (out / f"notice-{index:03d}.json").unlink()
    result = run_export(moto_server, out)
    assert result.exit_code == 0, result.output
    assert f"Exported 3 of {MOTO_TEMPLATES} templates" in result.output
    assert f"{MOTO_TEMPLATES - 3} already there, skipped" in result.output
    assert "edited by hand" in kept.read_text()
    assert (out / "notice-050.json").is_file()
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_missing_credentials_is_one_line_and_no_traceback(
    moto_server: str, monkeypatch: pytest.MonkeyPatch, aws_env: None, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_export(moto_server, tmp_path / "out")
    assert result.exit_code == 1
    assert "credentials" in result.output.lower()
    assert "Traceback" not in result.output


def test_without_boto3_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ExportError, match=r"pip install 'ses2mt\[aws\]'"):
        make_client("v2", "eu-west-1", None, None)


# ------------------------------------------------------------------------------------------------ Stubber, v2

CREATED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def v2_template(name: str, subject: str | None = "Hi {{name}}", tags: bool = False) -> dict[str, Any]:
    content: dict[str, str] = {"Html": f"<p>{name}: {{{{name}}}}</p>", "Text": f"{name}: {{{{name}}}}"}
    if subject is not None:
        content["Subject"] = subject
    response: dict[str, Any] = {"TemplateName": name, "TemplateContent": content}
    if tags:
        response["Tags"] = [{"Key": "team", "Value": "growth"}]
    return response


@pytest.fixture
def sesv2() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "sesv2", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key=SECRET
    )
    with Stubber(client) as stubber:
        yield client, stubber
    stubber.assert_no_pending_responses()


def stub_listing(stubber: Stubber, pages: list[list[str]], page_size: int) -> None:
    for index, names in enumerate(pages):
        response: dict[str, Any] = {
            "TemplatesMetadata": [{"TemplateName": name, "CreatedTimestamp": CREATED} for name in names]
        }
        if index < len(pages) - 1:
            response["NextToken"] = f"token-{index + 1}"
        expected: dict[str, Any] = {"PageSize": page_size}
        if index:
            expected["NextToken"] = f"token-{index}"
        stubber.add_response("list_email_templates", response, expected)


def test_v2_export_with_stubber_pages_fetches_and_writes_the_v2_form(
    sesv2: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = sesv2
    stub_listing(stubber, [["welcome", "receipt"], ["digest"]], page_size=2)
    responses = [v2_template("welcome", tags=True), v2_template("receipt"), v2_template("digest", subject=None)]
    for response in responses:
        stubber.add_response("get_email_template", response, {"TemplateName": response["TemplateName"]})
    fake = FakeTime()
    report = export_templates(client, "v2", tmp_path, rate=1.0, page_size=2, clock=fake.clock, sleep=fake.sleep)
    assert report.written == ["welcome", "receipt", "digest"]
    assert report.listed == 3 and not report.failed and not report.skipped
    assert sum(fake.sleeps) == pytest.approx(4.0)  # 5 calls at 1 call/s
    welcome = json.loads((tmp_path / "welcome.json").read_text(encoding="utf-8"))
    assert welcome == {
        "TemplateName": "welcome",
        "TemplateContent": {"Subject": "Hi {{name}}", "Html": "<p>welcome: {{name}}</p>", "Text": "welcome: {{name}}"},
        "Tags": [{"Key": "team", "Value": "growth"}],
    }
    assert "Subject" not in json.loads((tmp_path / "digest.json").read_text())["TemplateContent"]
    loaded = load(tmp_path)
    assert sorted(template.name for template in loaded.templates) == ["digest", "receipt", "welcome"]
    assert next(t for t in loaded.templates if t.name == "welcome").tags == {"team": "growth"}


def test_throttling_is_retried_with_backoff_and_other_errors_are_reported_per_template(
    sesv2: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = sesv2
    stub_listing(stubber, [["welcome", "gone"]], page_size=100)
    for _ in range(2):
        stubber.add_client_error(
            "get_email_template", "TooManyRequestsException", "Rate exceeded", 429, {"TemplateName": "welcome"}
        )
    stubber.add_response("get_email_template", v2_template("welcome"), {"TemplateName": "welcome"})
    stubber.add_client_error(
        "get_email_template", "NotFoundException", "Template gone does not exist", 404, {"TemplateName": "gone"}
    )
    fake = FakeTime()
    report = export_templates(client, "v2", tmp_path, rate=100.0, clock=fake.clock, sleep=fake.sleep)
    assert report.written == ["welcome"]
    assert report.failed == [("gone", "NotFoundException: Template gone does not exist")]
    assert report.retries == 2
    backoffs = [seconds for seconds in fake.sleeps if seconds > 0.011]
    assert len(backoffs) == 2 and 0.5 <= backoffs[0] <= 1.0 and 1.0 <= backoffs[1] <= 2.0
    assert not (tmp_path / "gone.json").exists()


def test_a_failing_listing_stops_the_export_with_one_message(sesv2: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = sesv2
    stubber.add_client_error("list_email_templates", "AccessDeniedException", "not authorized", 403)
    with pytest.raises(ExportError, match="listing the templates failed: AccessDeniedException: not authorized"):
        export_templates(client, "v2", tmp_path, rate=1000.0)


def test_names_that_could_leave_the_folder_are_not_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert template_path(out, "welcome") == out / "welcome.json"
    for bad in ("../escape", "a/b", "..", "", "x" * 65):
        with pytest.raises(ValueError):
            template_path(out, bad)

    class Listing:
        def list_email_templates(self, **_: Any) -> dict[str, Any]:
            return {"TemplatesMetadata": [{"TemplateName": "../escape"}, {"TemplateName": "ok"}]}

        def get_email_template(self, TemplateName: str) -> dict[str, Any]:
            return v2_template(TemplateName)

    report = export_templates(Listing(), "v2", out, rate=1000.0)
    assert report.written == ["ok"]
    assert [name for name, _ in report.failed] == ["../escape"]
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == ["ok.json"]


def test_pacer_spaces_calls_and_caller_gives_up_after_the_last_attempt() -> None:
    fake = FakeTime()
    pacer = Pacer(2.0, fake.clock, fake.sleep)
    for _ in range(5):
        pacer.wait()
    assert fake.sleeps == [0.5, 0.5, 0.5, 0.5]

    class Throttled(Exception):
        def __init__(self) -> None:
            super().__init__("throttled")
            self.response = {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}

    class AlwaysThrottled:
        calls = 0

        def get_template(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            raise Throttled()

    client = AlwaysThrottled()
    caller = Caller(client, Pacer(1000.0, fake.clock, fake.sleep), fake.sleep, jitter=lambda: 1.0)
    with pytest.raises(Throttled):
        caller("get_template", TemplateName="x")
    assert client.calls == 8


def test_v1_document_keeps_only_the_contract_keys() -> None:
    response = {"Template": {"TemplateName": "a", "SubjectPart": "s", "HtmlPart": "h"}, "ResponseMetadata": {}}
    assert template_document(APIS["v1"], response) == {
        "Template": {"TemplateName": "a", "SubjectPart": "s", "HtmlPart": "h"}
    }


def test_cli_v2_with_progress_bar_prints_failures_and_exits_1(
    sesv2: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import templating.commands.export_ses as command

    client, stubber = sesv2
    stub_listing(stubber, [["welcome", "gone"]], page_size=100)
    stubber.add_response("get_email_template", v2_template("welcome"), {"TemplateName": "welcome"})
    stubber.add_client_error(
        "get_email_template", "NotFoundException", "no such template", 404, {"TemplateName": "gone"}
    )
    monkeypatch.setattr(command, "make_client", lambda *arguments: client)
    monkeypatch.setattr(command, "wants_progress", lambda total: True)
    result = CliRunner().invoke(main, ["export-ses", "-o", str(tmp_path / "out"), "--rate", "1000"])
    assert result.exit_code == 1
    assert "gone: NotFoundException: no such template" in result.output
    assert "Exported 1 of 2 templates" in result.output and "1 failed" in result.output
    assert (tmp_path / "out" / "welcome.json").is_file()
    assert SECRET not in result.output


def test_the_cli_and_check_work_without_boto3(tmp_path: Path) -> None:
    import subprocess

    infra = Path(__file__).resolve().parents[1] / "templates_in" / "infra"
    script = (
        "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None\n"
        "from click.testing import CliRunner\n"
        "from templating.cli import main\n"
        f"result = CliRunner().invoke(main, ['check', {str(infra)!r}])\n"
        "print(result.exit_code, result.output.splitlines()[-1])\n"
        f"result = CliRunner().invoke(main, ['export-ses', '-o', {str(tmp_path)!r}])\n"
        "print(result.exit_code, result.output.strip())\n"
    )
    repo = Path(__file__).resolve().parents[1]
    output = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True)
    check_line, export_line = output.stdout.strip().splitlines()
    assert check_line.startswith("0 Found 0 errors") and "in 4 templates" in check_line
    assert export_line == "1 Error: export-ses needs boto3: pip install 'ses2mt[aws]'"
