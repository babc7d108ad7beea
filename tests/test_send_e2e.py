"""End to end over real HTTP: convert two SES templates, sync them to the local Mailtrap API, translate SES send
calls (v1 SendTemplatedEmail, v2 SendBulkEmail) with `ses2mt translate-send`, POST the bodies, and compare every
stored message with SES's render of the original template for the data SES would have used. The runtime adapter
(`MailtrapSender`, `send_templated`) is checked the same way."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.loaders import load
from templating.mailtrap import MailtrapSender, send_templated
from templating.model import Template
from templating.render import render_part
from templating.testing import MailtrapServer

pytest_plugins = ["templating.testing.pytest_fixtures"]

TEMPLATES_IN = Path(__file__).resolve().parents[1] / "templates_in"
CHOSEN = ("saas/welcome", "saas/trial-ending")


@pytest.fixture
def synced(tmp_path: Path, mailtrap_server: MailtrapServer) -> tuple[Path, dict[str, Template]]:
    """OUT with the two templates converted and synced; returns (OUT, the original templates by name)."""
    src = tmp_path / "src"
    src.mkdir()
    for stem in CHOSEN:
        shutil.copy(TEMPLATES_IN / f"{stem}.json", src)
        shutil.copytree(TEMPLATES_IN / f"{stem}.data", src / f"{Path(stem).name}.data")
    out = tmp_path / "OUT"
    converted = CliRunner().invoke(main, ["convert", str(src), "-o", str(out)])
    assert converted.exit_code == 0, converted.output
    synced = CliRunner().invoke(main, ["sync", str(out), "--yes"], env=_env(mailtrap_server))
    assert synced.exit_code == 0, synced.output
    return out, {t.name: t for t in load(src).templates}


def _env(server: MailtrapServer) -> dict[str, str]:
    return {
        "MAILTRAP_API_TOKEN": server.token,
        "MAILTRAP_ACCOUNT_ID": server.account_id,
        "MAILTRAP_API_BASE": server.api_base,
    }


def _fixtures(template: Template) -> list[dict[str, Any]]:
    return [fixture.data for _, fixture in sorted(template.fixtures.items())]


def _translate(tmp_path: Path, out: Path, request: dict[str, Any]) -> Any:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request, indent=2, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(path), "--lock", str(out / "mailtrap.lock.json")])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def _assert_renders_like_ses(message: dict[str, Any], template: Template, data: dict[str, Any]) -> None:
    for part in ("subject", "html", "text"):
        expected = render_part(template.parts[part], data, "ses") if part in template.parts else ""
        assert message[part] == expected, f"{template.name}: {part} differs from SES's render"


def test_v1_send_templated_email_translated_and_sent_equals_ses(
    tmp_path: Path, mailtrap_server: MailtrapServer, synced: tuple[Path, dict[str, Template]]
) -> None:
    out, originals = synced
    sent = 0
    with httpx.Client(base_url=mailtrap_server.url, headers={"Api-Token": mailtrap_server.token}) as client:
        for name, template in sorted(originals.items()):
            for data in _fixtures(template):
                request = {
                    "Source": '"Tidewell, Inc." <hello@tidewell.example>',
                    "Destination": {"ToAddresses": ["=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <jorg@example.com>"]},
                    "ReplyToAddresses": ["support@tidewell.example"],
                    "Template": name,
                    "TemplateData": json.dumps(data),
                    "Tags": [{"Name": "campaign", "Value": "migration"}],
                }
                body = _translate(tmp_path, out, request)
                assert body["template_variables"] == data
                response = client.post("/api/send", json=body)
                assert response.status_code == 200, response.text
                message = mailtrap_server.messages[-1]
                assert message["from"] == {"email": "hello@tidewell.example", "name": "Tidewell, Inc."}
                assert message["to"] == [{"email": "jorg@example.com", "name": "Jörg Müller"}]
                _assert_renders_like_ses(message, template, data)
                sent += 1
    assert sent >= 4


def test_v2_send_bulk_email_batches_render_like_ses_with_merged_data(
    tmp_path: Path, mailtrap_server: MailtrapServer, synced: tuple[Path, dict[str, Template]]
) -> None:
    out, originals = synced
    template = originals["trial-ending"]
    first, *others = _fixtures(template)
    entries = [
        {
            "Destination": {"ToAddresses": [f"user{number}@example.com"]},
            "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": json.dumps(data)}},
        }
        for number, data in enumerate(others)
    ]
    entries.append({"Destination": {"ToAddresses": ["defaults@example.com"]}})  # no replacement: the defaults
    request = {
        "FromEmailAddress": "Tidewell <billing@tidewell.example>",
        "DefaultContent": {"Template": {"TemplateName": "trial-ending", "TemplateData": json.dumps(first)}},
        "BulkEmailEntries": entries,
    }
    batches = _translate(tmp_path, out, request)
    assert isinstance(batches, list) and len(batches) == 1
    with httpx.Client(base_url=mailtrap_server.url, headers={"Api-Token": mailtrap_server.token}) as client:
        response = client.post("/api/batch", json=batches[0])
    assert response.status_code == 200 and all(r["success"] for r in response.json()["responses"]), response.text
    messages = mailtrap_server.messages
    assert len(messages) == len(entries)
    for message, data in zip(messages, [*({**first, **d} for d in others), first], strict=True):
        _assert_renders_like_ses(message, template, data)


def test_runtime_adapter_posts_ses_shaped_calls(
    mailtrap_server: MailtrapServer, synced: tuple[Path, dict[str, Template]]
) -> None:
    out, originals = synced
    template = originals["welcome"]
    data = _fixtures(template)[0]
    lock = out / "mailtrap.lock.json"
    with MailtrapSender(token=mailtrap_server.token, base_url=mailtrap_server.url, lock=lock) as ses:
        answer = ses.send_email(
            FromEmailAddress="hello@tidewell.example",
            Destination={"ToAddresses": ["ann@example.com"]},
            Content={"Template": {"TemplateName": "welcome", "TemplateData": json.dumps(data)}},
            ConfigurationSetName="tracking",
        )
        assert answer["MessageId"] == mailtrap_server.messages[-1]["message_ids"][0]
        assert [w.code for w in ses.warnings] == ["T103"]
        bulk = ses.send_bulk_templated_email(
            Source="hello@tidewell.example",
            Template="welcome",
            DefaultTemplateData=json.dumps(data),
            Destinations=[{"Destination": {"ToAddresses": [f"u{n}@example.com"]}} for n in range(3)],
        )
    assert [s["Status"] for s in bulk["Status"]] == ["Success"] * 3
    for message in mailtrap_server.messages:
        _assert_renders_like_ses(message, template, data)

    one_call = send_templated(
        token=mailtrap_server.token,
        base_url=mailtrap_server.url,
        lock=lock,
        Source="hello@tidewell.example",
        Destination={"ToAddresses": ["last@example.com"]},
        Template="welcome",
        TemplateData=json.dumps(data),
    )
    assert one_call["MessageId"] and mailtrap_server.messages[-1]["to"] == [{"email": "last@example.com"}]
