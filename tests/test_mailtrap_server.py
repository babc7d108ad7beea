"""The local Mailtrap API (templating.testing) answers as the reference says the real one does."""

from __future__ import annotations

import time

import httpx
import pytest

from templating.testing import MailtrapServer

CREATE = {"name": "welcome", "subject": "Hi {{name}}", "category": "c", "body_html": "<p>{{name}}</p>"}

pytest_plugins = ["templating.testing.pytest_fixtures"]


OPEN_CLIENTS: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def api(server: MailtrapServer, **headers: str) -> httpx.Client:
    headers = headers or {"Authorization": f"Bearer {server.token}"}
    client = httpx.Client(base_url=server.api_base, headers=headers, timeout=5)
    OPEN_CLIENTS.append(client)
    return client


def path(server: MailtrapServer, suffix: str = "") -> str:
    return f"/api/accounts/{server.account_id}/email_templates{suffix}"


def test_create_list_get_patch_delete(mailtrap_server: MailtrapServer) -> None:
    with api(mailtrap_server) as client:
        created = client.post(path(mailtrap_server), json={"email_template": CREATE})
        assert created.status_code == 201
        template = created.json()
        assert set(template) == {
            "id",
            "uuid",
            "name",
            "category",
            "subject",
            "body_html",
            "body_text",
            "created_at",
            "updated_at",
        }
        assert isinstance(template["id"], int) and template["body_text"] == ""
        listed = client.get(path(mailtrap_server))
        assert listed.status_code == 200 and listed.json() == [template]
        assert client.get(path(mailtrap_server, f"/{template['id']}")).json() == template
        patched = client.patch(path(mailtrap_server, f"/{template['id']}"), json={"email_template": {"subject": "New"}})
        assert patched.status_code == 200
        assert patched.json()["subject"] == "New" and patched.json()["body_html"] == CREATE["body_html"]
        deleted = client.delete(path(mailtrap_server, f"/{template['id']}"))
        assert deleted.status_code == 204 and deleted.content == b""
        missing = client.get(path(mailtrap_server, f"/{template['id']}"))
        assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
        assert client.get(path(mailtrap_server)).json() == []


def test_both_auth_headers_and_wrong_token_and_account(mailtrap_server: MailtrapServer) -> None:
    assert api(mailtrap_server, **{"Api-Token": mailtrap_server.token}).get(path(mailtrap_server)).status_code == 200
    wrong = api(mailtrap_server, Authorization="Bearer nope").get(path(mailtrap_server))
    assert wrong.status_code == 401 and wrong.json() == {"error": "Incorrect API token"}
    assert api(mailtrap_server, **{"Api-Token": "nope"}).get(path(mailtrap_server)).status_code == 401
    other = api(mailtrap_server).get("/api/accounts/999/email_templates")
    assert other.status_code == 403 and other.json() == {"errors": "Account access forbidden"}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": "", "subject": "s", "category": "c"}, {"name": ["can't be blank"]}),
        ({"subject": "s", "category": "c"}, {"name": ["can't be blank"]}),
        (
            {"name": "n", "subject": "s" * 256, "category": "c"},
            {"subject": ["is too long (maximum is 255 characters)"]},
        ),
        (
            {"name": "n", "subject": "s", "category": "c", "body_text": "x" * 10_000_001},
            {"body_text": ["is too long (maximum is 10000000 characters)"]},
        ),
    ],
)
def test_validation_errors(mailtrap_server: MailtrapServer, fields: dict, errors: dict) -> None:
    response = api(mailtrap_server).post(path(mailtrap_server), json={"email_template": fields})
    assert response.status_code == 422 and response.json() == {"errors": errors}
    assert mailtrap_server.templates == []


def test_missing_wrapper_is_refused(mailtrap_server: MailtrapServer) -> None:
    response = api(mailtrap_server).post(path(mailtrap_server), json=CREATE)
    assert response.status_code == 400 and mailtrap_server.templates == []


def test_cap_is_422_with_base_errors(mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(template_cap=2)
    server.add_template("a")
    server.add_template("b")
    response = api(server).post(path(server), json={"email_template": CREATE})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["base"]
    assert len(server.templates) == 2


def test_body_cannot_be_cleared(mailtrap_server: MailtrapServer) -> None:
    template = mailtrap_server.add_template("a", body_text="keep me")
    response = api(mailtrap_server).patch(
        path(mailtrap_server, f"/{template['id']}"), json={"email_template": {"body_text": ""}}
    )
    assert response.json()["body_text"] == "keep me"


def test_rate_limit_429_with_headers(mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(rate_limit=3, rate_window=0.5)
    with api(server) as client:
        remaining = [client.get(path(server)).headers["X-Ratelimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        limited = client.get(path(server))
        assert limited.status_code == 429
        assert limited.headers["X-Ratelimit-Limit"] == "3" and limited.headers["X-Ratelimit-Remaining"] == "0"
        assert int(limited.headers["Retry-After"]) >= 1
        time.sleep(0.55)
        assert client.get(path(server)).status_code == 200
    assert server.max_requests_in_window() <= 3


def test_faults(mailtrap_server: MailtrapServer) -> None:
    with api(mailtrap_server) as client:
        mailtrap_server.fail_next(2, status=503)
        assert [client.get(path(mailtrap_server)).status_code for _ in range(3)] == [503, 503, 200]
        mailtrap_server.drop_next(1)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(path(mailtrap_server), json={"email_template": CREATE})
        assert mailtrap_server.templates == []
        mailtrap_server.drop_next(1, after_apply=True)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(path(mailtrap_server), json={"email_template": CREATE})
        assert len(mailtrap_server.templates) == 1
        mailtrap_server.slow_next(1, seconds=0.3)
        with pytest.raises(httpx.ReadTimeout):
            client.get(path(mailtrap_server), timeout=0.1)
        mailtrap_server.fail_after_writes(1, mode="error")
        assert client.post(path(mailtrap_server), json={"email_template": CREATE}).status_code == 201
        assert client.post(path(mailtrap_server), json={"email_template": CREATE}).status_code == 500
        mailtrap_server.clear_faults()
        assert client.post(path(mailtrap_server), json={"email_template": CREATE}).status_code == 201
        mailtrap_server.throttle_next(1, retry_after=2)
        throttled = client.get(path(mailtrap_server))
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"


def test_send_renders_the_stored_template_and_keeps_the_message(mailtrap_server: MailtrapServer) -> None:
    template = mailtrap_server.add_template(
        "w", subject="Hi {{name}}", body_html="<p>{{{name}}}</p>", body_text="{{#each items}}{{this}},{{/each}}"
    )
    mail = {
        "from": {"email": "a@example.com"},
        "to": [{"email": "b@example.com"}],
        "template_uuid": template["uuid"],
        "template_variables": {"name": "<Ann>", "items": [1, 2]},
    }
    response = api(mailtrap_server).post("/api/send", json=mail)
    assert response.status_code == 200 and response.json()["success"] is True
    (message,) = mailtrap_server.messages
    assert (message["subject"], message["html"], message["text"]) == ("Hi &lt;Ann&gt;", "<p><Ann></p>", "1,2,")
    assert message["message_ids"] == response.json()["message_ids"]


def test_send_refusals(mailtrap_server: MailtrapServer) -> None:
    template = mailtrap_server.add_template("w")
    base = {"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}]}
    unknown = api(mailtrap_server).post("/api/send", json={**base, "template_uuid": "nope"})
    assert unknown.status_code == 400 and unknown.json()["success"] is False
    mixed = api(mailtrap_server).post("/api/send", json={**base, "template_uuid": template["uuid"], "subject": "x"})
    assert mixed.status_code == 400
    assert api(mailtrap_server, Authorization="Bearer nope").post("/api/send", json=base).status_code == 401
    assert mailtrap_server.messages == []


def test_batch_merges_base_and_requests(mailtrap_server: MailtrapServer) -> None:
    template = mailtrap_server.add_template("w", subject="For {{name}}")
    body = {
        "base": {"from": {"email": "a@example.com"}, "template_uuid": template["uuid"]},
        "requests": [
            {"to": [{"email": "x@example.com"}], "template_variables": {"name": "X"}},
            {"to": [{"email": "y@example.com"}], "template_variables": {"name": "Y"}},
            {"to": []},
        ],
    }
    response = api(mailtrap_server).post("/api/batch", json=body)
    assert response.status_code == 200
    assert [item["success"] for item in response.json()["responses"]] == [True, True, False]
    assert [m["subject"] for m in mailtrap_server.messages] == ["For X", "For Y"]
