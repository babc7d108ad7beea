"""The runtime adapter with a mock HTTP transport: what is posted where, SES-shaped answers, and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from templating.mailtrap import MailtrapSender, SendError, send_templated
from templating.send import TemplateIndex

INDEX = TemplateIndex.from_mapping({"welcome": "uuid-welcome"})
V1_CALL = {
    "Source": "Shop <shop@example.com>",
    "Destination": {"ToAddresses": ["ann@example.com"]},
    "Template": "welcome",
    "TemplateData": '{"name": "Ann"}',
}


def recording_client(answer: Any = None, status: int = 200) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        if answer is not None:
            return httpx.Response(status, json=answer)
        if request.url.path == "/api/batch":
            responses = [{"success": True, "message_ids": [f"id-{n}"]} for n, _ in enumerate(body["requests"])]
            return httpx.Response(200, json={"success": True, "responses": responses})
        return httpx.Response(200, json={"success": True, "message_ids": ["id-1"]})

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


def test_send_templated_email_posts_the_translated_body_with_a_bearer_token() -> None:
    client, seen = recording_client()
    sender = MailtrapSender(token="secret", base_url="http://mt.test/", index=INDEX, client=client)
    answer = sender.send_templated_email(**V1_CALL)
    assert answer["MessageId"] == "id-1"
    [request] = seen
    assert str(request.url) == "http://mt.test/api/send"
    assert request.headers["Authorization"] == "Bearer secret"
    assert json.loads(request.content) == {
        "from": {"email": "shop@example.com", "name": "Shop"},
        "to": [{"email": "ann@example.com"}],
        "template_uuid": "uuid-welcome",
        "template_variables": {"name": "Ann"},
    }


def test_bulk_calls_answer_in_ses_shapes() -> None:
    client, seen = recording_client()
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    destinations = [{"Destination": {"ToAddresses": [f"u{n}@example.com"]}} for n in range(2)]
    v1 = sender.send_bulk_templated_email(
        Source="a@example.com", Template="welcome", DefaultTemplateData="{}", Destinations=destinations
    )
    assert v1["Status"] == [{"Status": "Success", "MessageId": "id-0"}, {"Status": "Success", "MessageId": "id-1"}]
    v2 = sender.send_bulk_email(
        FromEmailAddress="a@example.com",
        DefaultContent={"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
        BulkEmailEntries=destinations,
    )
    assert [r["Status"] for r in v2["BulkEmailEntryResults"]] == ["SUCCESS", "SUCCESS"]
    assert [r.url.path for r in seen] == ["/api/batch", "/api/batch"]


def test_a_failed_batch_entry_is_reported_per_destination() -> None:
    answer = {"success": True, "responses": [{"success": False, "errors": ["bad address"]}]}
    client, _ = recording_client(answer)
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    result = sender.send(
        Source="a@example.com",
        Template="welcome",
        DefaultTemplateData="{}",
        Destinations=[{"Destination": {"ToAddresses": ["u@example.com"]}}],
    )
    assert result["Status"] == [{"Status": "Failed", "Error": "bad address"}]


def test_translation_errors_raise_before_anything_is_sent() -> None:
    client, seen = recording_client()
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    with pytest.raises(SendError) as raised:
        sender.send_templated_email(**{**V1_CALL, "Template": "missing"})
    assert [f.code for f in raised.value.findings] == ["T101"] and seen == []


def test_mailtrap_refusals_raise_with_status_and_errors() -> None:
    client, _ = recording_client({"success": False, "errors": ["Unauthorized"]}, status=401)
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    with pytest.raises(SendError) as raised:
        sender.send_templated_email(**V1_CALL)
    assert raised.value.status == 401 and "Unauthorized" in str(raised.value)


def test_wrong_method_for_the_arguments_is_refused() -> None:
    client, _ = recording_client()
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    with pytest.raises(SendError, match="SendTemplatedEmail"):
        sender.send_bulk_email(**V1_CALL)


def test_arguments_of_no_send_operation_and_an_unreadable_lock_raise_send_error(tmp_path: Path) -> None:
    client, seen = recording_client()
    sender = MailtrapSender(token="t", base_url="http://mt.test", index=INDEX, client=client)
    with pytest.raises(SendError, match="not an SES send call"):
        sender.send(Subject="x")
    with pytest.raises(SendError, match="not an SES send call"):
        sender.send_templated_email(Subject="x")
    assert seen == []
    with pytest.raises(SendError, match="no lock file"):
        MailtrapSender(token="t", lock=tmp_path / "OUT")
    (tmp_path / "mailtrap.lock.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SendError, match="cannot read the lock file"):
        send_templated(token="t", lock=tmp_path, client=client, **V1_CALL)


def test_token_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILTRAP_API_TOKEN", raising=False)
    with pytest.raises(SendError, match="MAILTRAP_API_TOKEN"):
        MailtrapSender(index=INDEX)
    monkeypatch.setenv("MAILTRAP_API_TOKEN", "from-env")
    monkeypatch.setenv("MAILTRAP_SEND_API_BASE", "http://env.test")
    monkeypatch.setenv("MAILTRAP_TEMPLATE_WELCOME", "uuid-env")
    monkeypatch.delenv("MAILTRAP_LOCK_FILE", raising=False)
    client, seen = recording_client()
    send_templated(client=client, **V1_CALL)
    [request] = seen
    assert str(request.url) == "http://env.test/api/send" and request.headers["Authorization"] == "Bearer from-env"
    assert json.loads(request.content)["template_uuid"] == "uuid-env"
