"""The upload commands' configuration, confirmation, dry run, mapping formats, send shape, and token secrecy."""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from templating.cli import main
from templating.commands import upload
from templating.testing import MailtrapServer, template_payload, write_out_folder

pytest_plugins = ["templating.testing.pytest_fixtures"]


def make_out(tmp_path: Path, names: list[str], **fixtures: dict) -> Path:
    return write_out_folder(
        tmp_path / "OUT",
        {name: template_payload(name) for name in names},
        fixtures={name: {"default": data} for name, data in fixtures.items()},
    )


def invoke(
    server: MailtrapServer,
    *args: str,
    token: str | None = "server",
    input: str | None = None,
    account: str | None = "server",
) -> Result:
    env = {
        "MAILTRAP_API_TOKEN": server.token if token == "server" else token,
        "MAILTRAP_ACCOUNT_ID": server.account_id if account == "server" else account,
        "MAILTRAP_API_BASE": server.api_base,
    }
    return CliRunner().invoke(main, list(args), env=env, input=input)


def test_missing_token_without_a_terminal_is_exit_2(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    result = invoke(mailtrap_server, "plan", str(make_out(tmp_path, ["a"])), token=None)
    assert result.exit_code == 2 and "MAILTRAP_API_TOKEN is not set" in result.stderr
    assert mailtrap_server.requests == []


def test_missing_token_on_a_terminal_is_asked_for_hidden(
    tmp_path: Path, mailtrap_server: MailtrapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload, "stdin_is_terminal", lambda: True)
    result = invoke(
        mailtrap_server, "plan", str(make_out(tmp_path, ["a"])), token=None, input=mailtrap_server.token + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Mailtrap API token" in result.output and mailtrap_server.token not in result.output


def test_account_id_from_flag_or_environment(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = str(make_out(tmp_path, ["a"]))
    missing = invoke(mailtrap_server, "plan", out, account=None)
    assert missing.exit_code == 2 and "MAILTRAP_ACCOUNT_ID" in missing.stderr
    assert invoke(mailtrap_server, "plan", out, "--account-id", mailtrap_server.account_id, account=None).exit_code == 0
    assert invoke(mailtrap_server, "plan", out, account="abc").exit_code == 2


def test_sync_without_yes_and_without_a_terminal_refuses(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, ["a"])
    result = invoke(mailtrap_server, "sync", str(out))
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert "create" in result.stdout  # the table came first
    assert mailtrap_server.templates == [] and not (out / "mailtrap.lock.json").exists()


@pytest.mark.parametrize(("answer", "created"), [("n\n", 0), ("y\n", 1)])
def test_confirmation_on_a_terminal(
    tmp_path: Path, mailtrap_server: MailtrapServer, monkeypatch: pytest.MonkeyPatch, answer: str, created: int
) -> None:
    monkeypatch.setattr(upload, "stdin_is_terminal", lambda: True)
    result = invoke(mailtrap_server, "sync", str(make_out(tmp_path, ["a"])), input=answer)
    assert result.exit_code == 0, result.output
    assert "Apply these changes" in result.output and len(mailtrap_server.templates) == created


def test_dry_run_never_writes(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, ["a", "b"])
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    result = invoke(mailtrap_server, "sync", str(out), "--dry-run", "--yes", "--prune")
    assert result.exit_code == 0 and "Dry run" in result.stdout
    assert [r.method for r in mailtrap_server.requests] == ["GET"]
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_plan_prints_slots_remaining(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    for index in range(10):
        mailtrap_server.add_template(f"x{index}")
    result = invoke(mailtrap_server, "plan", str(make_out(tmp_path, ["a", "b"])))
    assert result.exit_code == 0
    assert "10 templates now, 12 of 200 after this plan; 188 slots remain" in result.stdout


def test_invalid_template_is_reported_and_the_rest_uploaded(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = write_out_folder(
        tmp_path / "OUT", {"ok": template_payload("ok"), "bad": {**template_payload("bad"), "category": ""}}
    )
    result = invoke(mailtrap_server, "sync", str(out), "--yes")
    assert result.exit_code == 1
    assert "invalid" in result.stdout and "category can't be blank" in result.stdout
    assert [t["name"] for t in mailtrap_server.templates] == ["ok"]


def test_lock_file_of_another_account_is_refused(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, ["a"])
    assert invoke(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    lock = json.loads((out / "mailtrap.lock.json").read_text())
    lock["account_id"] = "999"
    (out / "mailtrap.lock.json").write_text(json.dumps(lock))
    result = invoke(mailtrap_server, "plan", str(out))
    assert result.exit_code == 2 and "belongs to Mailtrap account 999" in result.stderr


@pytest.mark.parametrize(
    ("lock_text", "message"),
    [
        ("{not json", "cannot read the lock file"),
        ("[]", "not a ses2mt lock file"),
        ('{"templates": []}', "not a ses2mt lock file"),
        ('{"templates": {"a": {"uuid": "u", "name": "a"}}}', "the entry of 'a' has no 'id'"),
        ('{"templates": {"a": {"id": "x", "uuid": "u", "name": "a"}}}', "the entry of 'a' is not an object"),
        ('{"templates": {"a": [1]}}', "the entry of 'a' is not an object"),
        ('{"templates": {"a": {"id": 1, "uuid": null, "name": "a"}}}', "no uuid string"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="nested-too-deeply"),
    ],
)
def test_corrupt_lock_file_is_a_clear_usage_error(
    tmp_path: Path, mailtrap_server: MailtrapServer, lock_text: str, message: str
) -> None:
    out = make_out(tmp_path, ["a"])
    (out / "mailtrap.lock.json").write_text(lock_text, encoding="utf-8")
    for arguments in (("plan", str(out)), ("sync", str(out), "--yes")):
        result = invoke(mailtrap_server, *arguments)
        assert result.exit_code == 2, result.output
        assert message in result.stderr and "object has no attribute" not in result.stderr
        assert "Traceback" not in result.output
    assert mailtrap_server.templates == []


def test_mapping_formats(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, ["order-shipped", "welcome"])
    assert invoke(mailtrap_server, "mapping", str(out)).exit_code == 2  # no lock file yet
    assert invoke(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    uuids = {t["name"]: t["uuid"] for t in mailtrap_server.templates}

    as_json = invoke(mailtrap_server, "mapping", str(out), token=None)
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == uuids
    as_csv = invoke(mailtrap_server, "mapping", str(out), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {row["template_name"]: row["template_uuid"] for row in rows} == uuids
    as_env = invoke(mailtrap_server, "mapping", str(out), "--format", "env")
    assert as_env.stdout.splitlines() == [
        f"MAILTRAP_TEMPLATE_ORDER_SHIPPED={uuids['order-shipped']}",
        f"MAILTRAP_TEMPLATE_WELCOME={uuids['welcome']}",
    ]


def test_mapping_output_fits_mailtrap_send_api(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    fixture = {"first_name": "Ann & <Bob>"}
    out = make_out(tmp_path, ["welcome"], welcome=fixture)
    assert invoke(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    mapping = json.loads(invoke(mailtrap_server, "mapping", str(out)).stdout)
    variables = json.loads((out / "welcome" / "fixtures" / "default.json").read_text())
    body = send_body(mapping["welcome"], variables)
    import httpx

    response = httpx.post(
        f"{mailtrap_server.url}/api/send", json=body, headers={"Authorization": f"Bearer {mailtrap_server.token}"}
    )
    assert response.status_code == 200 and response.json()["success"] is True
    (message,) = mailtrap_server.messages
    assert message["subject"] == "welcome: hello Ann & <Bob>"  # {{{ }}} in the converted template: no escaping
    assert message["html"] == "<p>welcome for Ann & <Bob></p>" and message["template_uuid"] == mapping["welcome"]


def send_body(template_uuid: str, variables: dict) -> dict:
    """Mailtrap's send JSON, built with the official SDK's models when it is installed."""
    try:
        from mailtrap import Address, MailFromTemplate
    except ImportError:
        return {
            "from": {"email": "shop@example.com"},
            "to": [{"email": "ann@example.com"}],
            "template_uuid": template_uuid,
            "template_variables": variables,
        }
    mail = MailFromTemplate(
        sender=Address(email="shop@example.com"),
        to=[Address(email="ann@example.com")],
        template_uuid=template_uuid,
        template_variables=variables,
    )
    return mail.api_data


def test_official_sdk_send_model_accepts_the_mapping(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    pytest.importorskip("mailtrap")
    body = send_body("00000000-0000-0000-0000-000000000000", {"x": 1})
    assert body == {
        "from": {"email": "shop@example.com"},
        "to": [{"email": "ann@example.com"}],
        "template_uuid": "00000000-0000-0000-0000-000000000000",
        "template_variables": {"x": 1},
    }


def test_the_token_never_appears_in_output_logs_or_files(
    tmp_path: Path, mailtrap_server_factory, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "tok_SECRET_4f8a2b9c7d1e"
    server = mailtrap_server_factory(token=secret, template_cap=2)
    caplog.set_level(logging.DEBUG)
    out = make_out(tmp_path, ["a", "b", "c"])
    wrong = "tok_WRONG_SECRET_0a1b2c3d"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on: connection refused
    refused = f"http://127.0.0.1:{closed.getsockname()[1]}"
    outputs = []
    for args, token, account in [
        (("plan", str(out)), "server", "server"),
        (("sync", str(out), "--yes"), "server", "server"),  # the third create fails with 422
        (("sync", str(out), "--yes", "--prune"), "server", "server"),
        (("sync", str(out), "--yes"), "server", "31337"),  # 403
        (("sync", str(out), "--yes"), wrong, "server"),  # 401
        (("sync", str(out), "--yes", "--max-time", "1", "--api-base", refused), "server", "server"),
        (("mapping", str(out), "--format", "env"), "server", "server"),
    ]:
        result = invoke(server, *args, token=token, account=account)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        outputs += [result.stdout, result.stderr]
    closed.close()
    assert "401 Incorrect API token" in outputs[9]
    assert f"cannot read the account's templates at {refused}: GET" in outputs[11] and "ConnectError" in outputs[11]
    assert len(server.templates) == 2
    for token in (secret, wrong):
        assert all(token not in text for text in outputs)
        assert token not in caplog.text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path


def test_exit_code_2_only_when_the_token_or_account_was_refused(tmp_path: Path) -> None:
    from templating.mailtrap.plan import Action, Kind, Plan
    from templating.mailtrap.sync import Outcome, Status, SyncResult

    action = Action(Kind.CREATE, "page-401", ("page-401",), template_payload("page-401"))
    plan = Plan([action], existing=0, cap=200, local_count=1, partial=False)
    # A 422 in account 4031 (its path holds "403"), then the sync gave up: a failure, not a configuration error.
    failed = Outcome(action, Status.FAILED, "POST /api/accounts/4031/email_templates: 422 name is invalid")
    gave_up = SyncResult([failed], stopped="gave up: the time budget ran out")
    assert upload._report(gave_up, plan, tmp_path) == 1
    refused = Outcome(action, Status.FAILED, "POST /api/accounts/1/email_templates: 401 Incorrect API token")
    assert upload._report(SyncResult([refused], stopped=refused.message, auth_failed=True), plan, tmp_path) == 2


@pytest.mark.parametrize("token", ["tok_SÉCRET_äöü", "tok_SECRET\nInjected: header", "tok SECRET"])
def test_a_token_with_impossible_characters_is_a_clear_usage_error(
    tmp_path: Path, mailtrap_server: MailtrapServer, token: str
) -> None:
    result = invoke(mailtrap_server, "sync", str(make_out(tmp_path, ["a"])), "--yes", token=token)
    assert result.exit_code == 2 and "MAILTRAP_API_TOKEN has characters" in result.stderr, result.output
    assert mailtrap_server.requests == [] and token.strip() not in result.output
