"""The send-call translator: SES request shapes (validated against botocore's service models when botocore is
installed) -> Mailtrap `/api/send` and `/api/batch` bodies, findings, and the `translate-send` command."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.send import TemplateIndex, parse_address, translate
from templating.send.addresses import AddressError
from templating.send.translate import (
    BATCH_LIMIT,
    MEMBERS,
    OPERATIONS,
    RequestError,
    detect_operation,
    inline_template_name,
)
from templating.testing import write_out_folder

INDEX = TemplateIndex.from_mapping({"welcome": "uuid-welcome", "receipt": "uuid-receipt"})
SERVICE = {
    "SendTemplatedEmail": "ses",
    "SendBulkTemplatedEmail": "ses",
    "SendEmail": "sesv2",
    "SendBulkEmail": "sesv2",
}


def assert_valid_ses_request(operation: str, request: dict[str, Any]) -> None:
    """The request is one boto3 would accept (botocore's own parameter validation), when botocore is installed."""
    session = pytest.importorskip("botocore.session").get_session()
    from botocore.validate import ParamValidator

    shape = session.get_service_model(SERVICE[operation]).operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


def codes(translation: Any) -> list[str]:
    return sorted(f.code for f in translation.findings)


V1_SEND = {
    "Source": '"Doe, Jane" <jane@example.com>',
    "Destination": {
        "ToAddresses": ["=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <jorg@example.com>", "plain@example.com"],
        "CcAddresses": ['"Quote \\"Q\\" Name" <q@example.com>'],
        "BccAddresses": ["Zoë Ångström <zoe@example.com>"],
    },
    "ReplyToAddresses": ["support@example.com"],
    "Template": "welcome",
    "TemplateData": '{"user": {"firstName": "Ann", "tags": ["a", "b"]}, "count": 3, "html": "<b>x</b>"}',
    "Tags": [{"Name": "campaign", "Value": "spring"}, {"Name": "tier", "Value": "gold"}],
}


def test_v1_send_templated_email_maps_every_field() -> None:
    assert_valid_ses_request("SendTemplatedEmail", V1_SEND)
    translation = translate(V1_SEND, INDEX)
    assert translation.ok and translation.findings == []
    assert translation.output() == {
        "from": {"email": "jane@example.com", "name": "Doe, Jane"},
        "to": [{"email": "jorg@example.com", "name": "Jörg Müller"}, {"email": "plain@example.com"}],
        "cc": [{"email": "q@example.com", "name": 'Quote "Q" Name'}],
        "bcc": [{"email": "zoe@example.com", "name": "Zoë Ångström"}],
        "reply_to": {"email": "support@example.com"},
        "template_uuid": "uuid-welcome",
        "template_variables": {"user": {"firstName": "Ann", "tags": ["a", "b"]}, "count": 3, "html": "<b>x</b>"},
        "custom_variables": {"campaign": "spring", "tier": "gold"},
    }


def test_template_variables_are_an_object_not_a_string() -> None:
    body = translate(V1_SEND, INDEX).output()
    assert isinstance(body["template_variables"], dict)
    assert json.loads(V1_SEND["TemplateData"]) == body["template_variables"]


def test_v2_send_email_by_template_arn_with_headers_and_attachments() -> None:
    request = {
        "FromEmailAddress": "Shop <shop@example.com>",
        "Destination": {"ToAddresses": ["a@example.com"]},
        "Content": {
            "Template": {
                "TemplateArn": "arn:aws:ses:eu-west-1:123456789012:template/receipt",
                "TemplateData": '{"total": "9.99"}',
                "Headers": [{"Name": "X-Order", "Value": "42"}],
                "Attachments": [
                    {"FileName": "r.pdf", "RawContent": b"%PDF", "ContentType": "application/pdf"},
                    {"FileName": "logo.png", "RawContent": b"png", "ContentDisposition": "INLINE", "ContentId": "logo"},
                ],
            }
        },
        "EmailTags": [{"Name": "category", "Value": "receipts"}],
    }
    assert_valid_ses_request("SendEmail", request)
    translation = translate(request, INDEX)
    body = translation.output()
    assert body["template_uuid"] == "uuid-receipt" and translation.template_name == "receipt"
    assert body["headers"] == {"X-Order": "42"}
    assert body["attachments"] == [
        {
            "content": base64.b64encode(b"%PDF").decode(),
            "filename": "r.pdf",
            "type": "application/pdf",
            "disposition": "attachment",
        },
        {
            "content": base64.b64encode(b"png").decode(),
            "filename": "logo.png",
            "disposition": "inline",
            "content_id": "logo",
        },
    ]
    assert "category" not in body  # Mailtrap refuses category with template_uuid
    assert body["custom_variables"] == {"category": "receipts"}
    assert codes(translation) == ["T106"]


def test_category_tag_equal_to_the_templates_category_is_not_reported(tmp_path: Path) -> None:
    out = write_out_folder(tmp_path / "OUT", {"welcome": {"name": "welcome", "category": "onboarding"}})
    lock = {"version": 1, "account_id": "1", "templates": {"welcome": _lock_entry("uuid-1")}, "pending": {}}
    (out / "mailtrap.lock.json").write_text(json.dumps(lock), encoding="utf-8")
    index = TemplateIndex.from_lock(out / "mailtrap.lock.json")
    same = translate({**V1_SEND, "Tags": [{"Name": "category", "Value": "onboarding"}]}, index)
    assert same.findings == [] and "custom_variables" not in same.output()
    other = translate({**V1_SEND, "Tags": [{"Name": "category", "Value": "promo"}]}, index)
    assert codes(other) == ["T106"] and "'onboarding'" in other.findings[0].message
    assert other.output()["custom_variables"] == {"category": "promo"}


def _lock_entry(uuid: str) -> dict[str, Any]:
    return {"id": 7, "uuid": uuid, "name": "welcome", "content_hash": "", "synced_at": "", "created_by_tool": True}


def test_bulk_v1_replacement_data_is_laid_over_the_defaults_top_level_only() -> None:
    request = {
        "Source": "news@example.com",
        "Template": "welcome",
        "DefaultTemplateData": '{"name": "friend", "plan": {"name": "Free", "seats": 1}, "footer": "bye"}',
        "DefaultTags": [{"Name": "campaign", "Value": "spring"}],
        "Destinations": [
            {
                "Destination": {"ToAddresses": ["ann@example.com"]},
                "ReplacementTemplateData": '{"name": "Ann", "plan": {"name": "Pro"}}',
                "ReplacementTags": [{"Name": "campaign", "Value": "vip"}],
            },
            {"Destination": {"ToAddresses": ["bob@example.com"]}},
        ],
    }
    assert_valid_ses_request("SendBulkTemplatedEmail", request)
    batches = translate(request, INDEX).output()
    assert isinstance(batches, list) and len(batches) == 1
    base, requests = batches[0]["base"], batches[0]["requests"]
    assert base == {"from": {"email": "news@example.com"}, "template_uuid": "uuid-welcome"}
    assert requests[0]["template_variables"] == {"name": "Ann", "plan": {"name": "Pro"}, "footer": "bye"}
    assert requests[1]["template_variables"] == {
        "name": "friend",
        "plan": {"name": "Free", "seats": 1},
        "footer": "bye",
    }
    assert requests[0]["custom_variables"] == {"campaign": "vip"}
    assert requests[1]["custom_variables"] == {"campaign": "spring"}


def test_bulk_v2_with_replacement_headers_and_more_than_500_destinations_is_split() -> None:
    entries = [{"Destination": {"ToAddresses": [f"u{n}@example.com"]}} for n in range(BATCH_LIMIT * 2 + 1)]
    entries[3]["ReplacementHeaders"] = [{"Name": "X-Seg", "Value": "b"}]
    request = {
        "FromEmailAddress": "news@example.com",
        "DefaultContent": {
            "Template": {"TemplateName": "welcome", "TemplateData": "{}", "Headers": [{"Name": "X-Seg", "Value": "a"}]}
        },
        "BulkEmailEntries": entries,
    }
    batches = translate(request, INDEX).output()
    assert [len(b["requests"]) for b in batches] == [500, 500, 1]
    assert all(b["base"]["template_uuid"] == "uuid-welcome" for b in batches)
    assert batches[0]["requests"][3]["headers"] == {"X-Seg": "b"}
    assert "headers" not in batches[0]["base"] and batches[0]["requests"][0]["headers"] == {"X-Seg": "a"}
    assert batches[1]["base"]["headers"] == {"X-Seg": "a"}
    recipients = [r["to"][0]["email"] for b in batches for r in b["requests"]]
    assert recipients == [f"u{n}@example.com" for n in range(len(entries))]


def test_fields_with_no_equivalent_are_reported_not_dropped_silently() -> None:
    request = {
        "FromEmailAddress": "a@example.com",
        "FromEmailAddressIdentityArn": "arn:aws:ses:us-east-1:1:identity/example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "FeedbackForwardingEmailAddress": "bounces@example.com",
        "Content": {"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
        "ConfigurationSetName": "tracking",
        "ListManagementOptions": {"ContactListName": "news", "TopicName": "weekly"},
    }
    assert_valid_ses_request("SendEmail", request)
    translation = translate(request, INDEX)
    assert translation.ok
    reported = sorted(f.message.split(":")[0] for f in translation.findings if f.code == "T103")
    assert reported == sorted(
        [
            "FromEmailAddressIdentityArn",
            "FeedbackForwardingEmailAddress",
            "ConfigurationSetName",
            "ListManagementOptions",
        ]
    )


def test_extra_reply_to_addresses_are_reported() -> None:
    translation = translate({**V1_SEND, "ReplyToAddresses": ["a@example.com", "B <b@example.com>"]}, INDEX)
    assert codes(translation) == ["T104"] and "b@example.com" in translation.findings[0].message
    assert translation.output()["reply_to"] == {"email": "a@example.com"}


def test_template_not_in_the_index_is_an_error_with_no_body() -> None:
    translation = translate({**V1_SEND, "Template": "missing"}, INDEX)
    assert codes(translation) == ["T101"] and translation.bodies == [] and translation.template_missing


@pytest.mark.parametrize(
    ("data", "fragment"),
    [('{"a": 1', "not valid JSON"), ("[1, 2]", "list"), ('{"x": NaN}', "not valid JSON"), (None, "missing")],
)
def test_template_data_must_be_a_json_object(data: str | None, fragment: str) -> None:
    request = dict(V1_SEND)
    if data is None:
        del request["TemplateData"]
    else:
        request["TemplateData"] = data
    translation = translate(request, INDEX)
    assert codes(translation) == ["T102"] and fragment in translation.findings[0].message


def test_v2_template_data_may_be_absent() -> None:
    request = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Template": {"TemplateName": "welcome"}},
    }
    translation = translate(request, INDEX)
    assert translation.ok and translation.output()["template_variables"] == {}


def test_a_bulk_call_without_destinations_is_an_error() -> None:
    request = {"Source": "a@example.com", "Template": "welcome", "DefaultTemplateData": "{}", "Destinations": []}
    assert codes(translate(request, INDEX)) == ["T107"]


def test_findings_point_at_the_nth_entry_of_a_list() -> None:
    entries = [{"Destination": {"ToAddresses": [f"u{n}@example.com"]}} for n in range(3)]
    entries[2]["ReplacementTemplateData"] = "[]"
    request = {"Source": "a@example.com", "Template": "welcome", "DefaultTemplateData": "{}", "Destinations": entries}
    text = json.dumps(request, indent=2)
    translation = translate(request, INDEX, source_text=text)
    [item] = translation.findings
    assert item.code == "T102" and text.splitlines()[item.line - 1].strip().startswith('"ReplacementTemplateData"')
    third = json.dumps({**V1_SEND, "Destination": {"ToAddresses": ["a@example.com", "b@example.com", "bad"]}}, indent=2)
    [bad] = translate(json.loads(third), INDEX, source_text=third).findings
    assert bad.code == "T107" and third.splitlines()[bad.line - 1].strip() == '"bad"'


def test_bad_addresses_are_errors() -> None:
    request = {**V1_SEND, "Destination": {"ToAddresses": ["a@example.com, b@example.com", "nodomain"]}}
    translation = translate(request, INDEX)
    assert codes(translation) == ["T107", "T107"] and not translation.ok


V2_BULK = {
    "FromEmailAddress": "a@example.com",
    "DefaultContent": {"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
    "BulkEmailEntries": [{"Destination": {"ToAddresses": ["b@example.com"]}}],
}
V2_ENTRY = V2_BULK["BulkEmailEntries"][0]


@pytest.mark.parametrize(
    ("operation", "request_", "code", "where"),
    [
        ("SendTemplatedEmail", {**V1_SEND, "ReplyToAddresses": "r@example.com"}, "T107", "ReplyToAddresses"),
        ("SendTemplatedEmail", {**V1_SEND, "Destination": ["b@example.com"]}, "T107", "Destination"),
        (
            "SendTemplatedEmail",
            {**V1_SEND, "Destination": {"ToAddresses": "b@example.com"}},
            "T107",
            "Destination.ToAddresses",
        ),
        ("SendTemplatedEmail", {**V1_SEND, "Tags": "campaign"}, "T109", "Tags"),
        (
            "SendBulkEmail",
            {**V2_BULK, "BulkEmailEntries": [{**V2_ENTRY, "ReplacementEmailContent": '{"name": "Ann"}'}]},
            "T102",
            "BulkEmailEntries[0].ReplacementEmailContent",
        ),
        (
            "SendBulkEmail",
            {**V2_BULK, "BulkEmailEntries": [{**V2_ENTRY, "ReplacementHeaders": {"X-A": "1"}}]},
            "T109",
            "BulkEmailEntries[0].ReplacementHeaders",
        ),
    ],
)
def test_members_of_the_wrong_type_are_reported_not_read_as_empty(
    operation: str, request_: dict[str, Any], code: str, where: str
) -> None:
    session = pytest.importorskip("botocore.session").get_session()
    from botocore.validate import ParamValidator

    shape = session.get_service_model(SERVICE[operation]).operation_model(operation).input_shape
    assert ParamValidator().validate(request_, shape).has_errors()  # boto3 refuses these calls
    translation = translate(request_, INDEX)
    assert any(f.code == code and f.message.startswith(f"{where} must be ") for f in translation.findings), [
        f.message for f in translation.findings
    ]
    assert translation.ok == (code == "T109")


def test_tags_and_headers_without_a_name_are_left_out_and_reported() -> None:
    """As `aws sesv2 send-email --generate-cli-skeleton` leaves them when not filled in: `{"Name": "", "Value": ""}`."""
    empty = [{"Name": "", "Value": ""}]
    request = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Template": {"TemplateName": "welcome", "TemplateData": "{}", "Headers": empty}},
        "EmailTags": empty,
    }
    translation = translate(request, INDEX)
    body = translation.output()
    assert "headers" not in body and "custom_variables" not in body
    assert codes(translation) == ["T109", "T109"]


def test_raw_content_is_an_error() -> None:
    request = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Raw": {"Data": "RnJvbTogYQ=="}},
    }
    assert codes(translate(request, INDEX)) == ["T108"]


def test_simple_content_maps_to_subject_html_text_and_category() -> None:
    request = {
        "FromEmailAddress": "Sender Name <sender@example.com>",
        "Destination": {"ToAddresses": ["recipient@example.com"]},
        "Content": {
            "Simple": {
                "Subject": {"Data": "Welcome aboard"},
                "Body": {"Html": {"Data": "<h1>Hello</h1>"}, "Text": {"Data": "Hello."}},
                "Headers": [{"Name": "X-A", "Value": "1"}],
            }
        },
        "EmailTags": [{"Name": "category", "Value": "welcome"}, {"Name": "k", "Value": "v"}],
    }
    assert_valid_ses_request("SendEmail", request)
    assert translate(request, INDEX).output() == {
        "from": {"email": "sender@example.com", "name": "Sender Name"},
        "to": [{"email": "recipient@example.com"}],
        "subject": "Welcome aboard",
        "html": "<h1>Hello</h1>",
        "text": "Hello.",
        "category": "welcome",
        "headers": {"X-A": "1"},
        "custom_variables": {"k": "v"},
    }


def test_unknown_fields_are_reported() -> None:
    translation = translate({**V1_SEND, "TemplateDate": "{}"}, INDEX)
    assert codes(translation) == ["T109"] and translation.ok


def test_inline_template_content_is_reported_then_resolves_once_stored() -> None:
    content = {"Subject": "Hi {{name}}", "Html": "<p>{{name}}</p>", "Text": "{{name}}"}
    request = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Template": {"TemplateContent": content, "TemplateData": '{"name": "Ann"}'}},
    }
    assert_valid_ses_request("SendEmail", request)
    translation = translate(request, INDEX)
    assert codes(translation) == ["T105"] and "2 of Mailtrap's 200" in translation.findings[0].message
    stored = TemplateIndex.from_mapping({inline_template_name(content): "uuid-inline"})
    assert translate(request, stored).output()["template_uuid"] == "uuid-inline"


def test_every_operations_members_match_botocores_model() -> None:
    session = pytest.importorskip("botocore.session").get_session()
    for operation in OPERATIONS:
        shape = session.get_service_model(SERVICE[operation]).operation_model(operation).input_shape
        assert set(shape.members) == MEMBERS[operation], operation


def test_detect_operation() -> None:
    assert detect_operation(V1_SEND) == "SendTemplatedEmail"
    assert detect_operation({"Content": {}}) == "SendEmail"
    with pytest.raises(RequestError):
        detect_operation({"Subject": "x"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@example.com", {"email": "a@example.com"}),
        ('"Doe, Jane" <jane@example.com>', {"email": "jane@example.com", "name": "Doe, Jane"}),
        ("=?UTF-8?Q?Caf=C3=A9_Team?= <cafe@example.com>", {"email": "cafe@example.com", "name": "Café Team"}),
        ("Jöhn Dœ <j@example.com>", {"email": "j@example.com", "name": "Jöhn Dœ"}),
        ("<only@example.com>", {"email": "only@example.com"}),
        ("J. R. Doe <jr@example.com>", {"email": "jr@example.com", "name": "J. R. Doe"}),
        ("jane@example.com (Jane Doe)", {"email": "jane@example.com"}),
    ],
)
def test_parse_address(text: str, expected: dict[str, str]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nodomain",
        "a@example.com, b@example.com",
        "a@example.com\nBcc: x@y.z",
        # the header parser would keep only the first address, or reshape the string, without these checks
        "a@example.com; b@example.com",
        "Ann <a@example.com> <b@example.com>",
        "<a@example.com> trailing text",
        "Jane Doe jane@example.com",
        "Jane <jane@example.com",
        "=?UTF-8?B?not base64!?= <a@example.com>",
        "üser@example.com",
    ],
)
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(AddressError):
        parse_address(text)


# -- the command ---------------------------------------------------------------------------------------------


def _write_lock(out: Path, names: dict[str, str]) -> Path:
    templates = {name: {**_lock_entry(uuid), "name": name} for name, uuid in names.items()}
    path = out / "mailtrap.lock.json"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "account_id": "1", "templates": templates, "pending": {}}), "utf-8")
    return path


def test_cli_prints_the_body_and_findings_on_stderr_with_positions(tmp_path: Path) -> None:
    lock = _write_lock(tmp_path / "OUT", {"welcome": "uuid-w"})
    request = tmp_path / "send.json"
    request.write_text(json.dumps({**V1_SEND, "ConfigurationSetName": "cs"}, indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["template_uuid"] == "uuid-w"
    line = next(n for n, text in enumerate(request.read_text().splitlines(), 1) if "ConfigurationSetName" in text)
    assert f"{request}:{line}:3: T103 warning ConfigurationSetName" in result.stderr


def test_cli_exit_1_when_the_template_is_not_in_the_lock(tmp_path: Path) -> None:
    lock = _write_lock(tmp_path / "OUT", {"other": "uuid-o"})
    request = tmp_path / "send.json"
    request.write_text(json.dumps(V1_SEND), encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 1 and result.stdout == ""
    assert "T101 error template 'welcome' is not in" in result.stderr


def test_cli_bulk_prints_a_list_of_batch_bodies(tmp_path: Path) -> None:
    lock = _write_lock(tmp_path / "OUT", {"welcome": "uuid-w"})
    request = tmp_path / "bulk.json"
    request.write_text(
        json.dumps(
            {
                "Source": "a@example.com",
                "Template": "welcome",
                "DefaultTemplateData": "{}",
                "Destinations": [{"Destination": {"ToAddresses": ["b@example.com"]}}],
            }
        ),
        "utf-8",
    )
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock.parent)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "base": {"from": {"email": "a@example.com"}, "template_uuid": "uuid-w", "template_variables": {}},
            "requests": [{"to": [{"email": "b@example.com"}]}],
        }
    ]


def test_cli_missing_lock_file_is_a_usage_error(tmp_path: Path) -> None:
    request = tmp_path / "send.json"
    request.write_text(json.dumps(V1_SEND), encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(tmp_path / "OUT")])
    assert result.exit_code == 2 and "no lock file" in result.stderr and "ses2mt sync" in result.stderr


def test_cli_uses_mapping_environment_variables_without_a_lock(tmp_path: Path) -> None:
    request = tmp_path / "send.json"
    request.write_text(json.dumps(V1_SEND), encoding="utf-8")
    env = {"MAILTRAP_TEMPLATE_WELCOME": "uuid-env", "MAILTRAP_LOCK_FILE": ""}
    result = CliRunner().invoke(main, ["translate-send", str(request)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["template_uuid"] == "uuid-env"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"Subject": "x"}', "not an SES send call"),
        ("[1]", "not a JSON object"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="nested-too-deeply"),
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    request = tmp_path / "send.json"
    if content is not None:
        request.write_text(content, encoding="utf-8")
    lock = _write_lock(tmp_path / "OUT", {"welcome": "uuid-w"})
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize(
    ("lock_text", "message"),
    [
        ("{not json", "cannot read the lock file"),
        ('{"templates": []}', "cannot read the lock file"),
        ('{"templates": {"welcome": {"id": 1, "uuid": null, "name": "welcome"}}}', "no uuid string"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="nested-too-deeply"),
    ],
)
def test_cli_corrupt_lock_file_is_a_usage_error(tmp_path: Path, lock_text: str, message: str) -> None:
    request = tmp_path / "send.json"
    request.write_text(json.dumps(V1_SEND), encoding="utf-8")
    lock = tmp_path / "mailtrap.lock.json"
    lock.write_text(lock_text, encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 2 and message in result.stderr and result.stdout == "", result.output


def test_cli_template_data_nested_too_deeply_is_t102(tmp_path: Path) -> None:
    request = tmp_path / "send.json"
    request.write_text(json.dumps({**V1_SEND, "TemplateData": "[" * 100_000 + "]" * 100_000}), encoding="utf-8")
    lock = _write_lock(tmp_path / "OUT", {"welcome": "uuid-w"})
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 1 and "T102 error TemplateData is not valid JSON (nested too deeply)" in result.stderr


def test_cli_prints_a_lone_surrogate_from_the_request_as_an_escape(tmp_path: Path) -> None:
    request = tmp_path / "send.json"
    request.write_text(json.dumps({**V1_SEND, "TemplateData": json.dumps({"x": "\udc8a"})}), encoding="utf-8")
    lock = _write_lock(tmp_path / "OUT", {"welcome": "uuid-w"})
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(lock)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["template_variables"] == {"x": "\udc8a"}


def test_cli_save_inline_writes_a_template_with_the_calls_data_as_fixture(tmp_path: Path) -> None:
    content = {"Subject": "Hi {{name}}", "Html": "<p>{{name}}</p>"}
    request = tmp_path / "inline.json"
    request.write_text(
        json.dumps(
            {
                "FromEmailAddress": "a@example.com",
                "Destination": {"ToAddresses": ["b@example.com"]},
                "Content": {"Template": {"TemplateContent": content, "TemplateData": '{"name": "Ann"}'}},
            }
        ),
        "utf-8",
    )
    lock = _write_lock(tmp_path / "OUT", {})
    saved = tmp_path / "inline_templates"
    args = ["translate-send", str(request), "--lock", str(lock), "--save-inline", str(saved)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "T105" in result.stderr
    name = inline_template_name(content)
    assert json.loads((saved / f"{name}.json").read_text()) == {"TemplateName": name, "TemplateContent": content}
    assert json.loads((saved / f"{name}.data" / "inline.json").read_text()) == {"name": "Ann"}
    from templating.loaders import load

    loaded = load(saved).templates
    assert [t.name for t in loaded] == [name] and list(loaded[0].fixtures) == ["inline"]


def test_cli_save_inline_before_the_first_sync_saves_without_a_lock_file(tmp_path: Path) -> None:
    content = {"Subject": "Hi {{name}}", "Html": "<p>{{name}}</p>"}
    request = tmp_path / "inline.json"
    call = {"Source": "a@example.com", "Destination": {"ToAddresses": ["b@example.com"]}, "TemplateData": "{}"}
    request.write_text(json.dumps({**call, "Template": "welcome"}), "utf-8")
    missing_lock = tmp_path / "OUT" / "mailtrap.lock.json"
    plain = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(missing_lock)])
    assert plain.exit_code == 2 and "no lock file" in plain.stderr
    v2 = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Template": {"TemplateContent": content, "TemplateData": '{"name": "Ann"}'}},
    }
    request.write_text(json.dumps(v2), "utf-8")
    saved = tmp_path / "inline_templates"
    args = ["translate-send", str(request), "--lock", str(missing_lock), "--save-inline", str(saved)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "T105" in result.stderr and "no lock file yet" in result.stderr
    assert (saved / f"{inline_template_name(content)}.json").exists()
    assert not missing_lock.exists()


def test_cli_save_inline_keeps_a_lone_surrogate_of_the_data_as_an_escape(tmp_path: Path) -> None:
    content = {"Subject": "Hi", "Html": "<p>{{x}}</p>"}
    request = tmp_path / "inline.json"
    template = {"TemplateContent": content, "TemplateData": json.dumps({"x": "\udc8a"})}
    call = {"FromEmailAddress": "a@example.com", "Destination": {"ToAddresses": ["b@example.com"]}}
    request.write_text(json.dumps({**call, "Content": {"Template": template}}), "utf-8")
    saved = tmp_path / "inline_templates"
    result = CliRunner().invoke(main, ["translate-send", str(request), "--save-inline", str(saved)])
    assert result.exit_code == 1 and "T105" in result.stderr and "internal error" not in result.output
    fixture = saved / f"{inline_template_name(content)}.data" / "inline.json"
    assert json.loads(fixture.read_text(encoding="utf-8")) == {"x": "\udc8a"}


def test_limits_of_ses_and_mailtrap_are_reported() -> None:
    many = [{"Destination": {"ToAddresses": [f"u{n}@example.com"]}} for n in range(51)]
    bulk = {"Source": "a@example.com", "Template": "welcome", "DefaultTemplateData": "{}", "Destinations": many}
    assert codes(translate(bulk, INDEX)) == ["T110"]
    crowded = {**V1_SEND, "Destination": {"BccAddresses": [f"u{n}@example.com" for n in range(1001)]}}
    assert codes(translate(crowded, INDEX)) == ["T110", "T111"]
    huge = base64.b64encode(b"x" * (10 * 1024 * 1024 + 1)).decode()
    attached = {
        "FromEmailAddress": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com"]},
        "Content": {"Template": {"TemplateName": "welcome", "Attachments": [{"FileName": "f", "RawContent": huge}]}},
    }
    translation = translate(attached, INDEX)
    assert codes(translation) == ["T111"] and translation.bodies == []
