"""The translator's bodies are exactly what Mailtrap's official Python SDK (`mailtrap`, its send models) sends for the
same values: every key the translator writes exists in the SDK's models, with the SDK's names and shapes. Skipped
when the SDK is not installed."""

from __future__ import annotations

from typing import Any

import pytest

from templating.send import TemplateIndex, translate

mailtrap = pytest.importorskip("mailtrap")

INDEX = TemplateIndex.from_mapping({"welcome": "b81aabcd-1a1e-41cf-91b6-eca0254b3d96"})
CALL = {
    "FromEmailAddress": '"Shop, Inc." <shop@example.com>',
    "Destination": {
        "ToAddresses": ["=?utf-8?B?SsO2cmc=?= <jorg@example.com>"],
        "CcAddresses": ["cc@example.com"],
        "BccAddresses": ["bcc@example.com"],
    },
    "ReplyToAddresses": ["Help <help@example.com>"],
    "Content": {
        "Template": {
            "TemplateName": "welcome",
            "TemplateData": '{"name": "Jörg", "items": [{"n": 1}]}',
            "Headers": [{"Name": "X-Order", "Value": "42"}],
            "Attachments": [{"FileName": "a.txt", "RawContent": "aGVsbG8=", "ContentType": "text/plain"}],
        }
    },
    "EmailTags": [{"Name": "campaign", "Value": "spring"}],
}


def _address(value: dict[str, str]) -> Any:
    return mailtrap.Address(**value)


def _attachments(values: list[dict[str, str]] | None) -> Any:
    if values is None:
        return None
    return [
        mailtrap.Attachment(
            content=a["content"].encode(),
            filename=a["filename"],
            disposition=mailtrap.Disposition(a["disposition"]),
            mimetype=a.get("type"),
            content_id=a.get("content_id"),
        )
        for a in values
    ]


def test_single_send_body_equals_the_sdks_mail_from_template() -> None:
    body = translate(CALL, INDEX).output()
    mail = mailtrap.MailFromTemplate(
        sender=_address(body["from"]),
        to=[_address(a) for a in body["to"]],
        cc=[_address(a) for a in body["cc"]],
        bcc=[_address(a) for a in body["bcc"]],
        reply_to=_address(body["reply_to"]),
        template_uuid=body["template_uuid"],
        template_variables=body["template_variables"],
        headers=body["headers"],
        custom_variables=body["custom_variables"],
        attachments=_attachments(body["attachments"]),
    )
    assert mail.api_data == body


def test_batch_body_equals_the_sdks_batch_params() -> None:
    bulk = {
        "FromEmailAddress": "shop@example.com",
        "DefaultContent": {"Template": {"TemplateName": "welcome", "TemplateData": '{"a": 1}'}},
        "DefaultEmailTags": [{"Name": "campaign", "Value": "spring"}],
        "BulkEmailEntries": [
            {"Destination": {"ToAddresses": ["u1@example.com"]}},
            {
                "Destination": {"ToAddresses": ["U Two <u2@example.com>"]},
                "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": '{"a": 2}'}},
            },
        ],
    }
    [body] = translate(bulk, INDEX).output()
    base = body["base"]
    params = mailtrap.BatchSendEmailParams(
        base=mailtrap.BatchMailFromTemplate(
            sender=_address(base["from"]),
            template_uuid=base["template_uuid"],
            custom_variables=base.get("custom_variables"),
        ),
        requests=[
            mailtrap.BatchEmailRequest(
                to=[_address(a) for a in request["to"]], template_variables=request.get("template_variables")
            )
            for request in body["requests"]
        ],
    )
    assert params.api_data == body
