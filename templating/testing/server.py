"""A faithful local Mailtrap API for tests: the account-scoped email templates endpoints and the send endpoints.

Behaviour follows ../shared/reference/mailtrap.md: `{"email_template": {...}}` payloads, name/subject/category
required and at most 255 characters, bodies at most 10,000,000, 201/200/204, 401 `{"error":"Incorrect API token"}`,
403 `{"errors":"Account access forbidden"}`, 404 `{"error":"Not Found"}`, 422 `{"errors":{"name":["can't be blank"]}}`,
the 200-template cap as 422 `{"errors":{"base":[...]}}`, and 429 past `rate_limit` requests in `rate_window` seconds
per token with X-Ratelimit-Limit/Remaining and Retry-After. Faults can be switched on for the next requests.

    with MailtrapServer() as server:
        client = MailtrapClient(server.token, server.account_id, server.api_base)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import json
import logging
import math
import socket
import threading
import time
import uuid as uuid_module
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from templating.testing.render import TemplateRenderError, render_mailtrap

DEFAULT_TOKEN = "test-token"
DEFAULT_ACCOUNT_ID = "1001"
SHORT_FIELD_LIMIT = 255
BODY_LIMIT = 10_000_000
BATCH_LIMIT = 500
CAP_MESSAGE = "You have reached the maximum number of email templates ({cap}) for this account"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    path: str
    status: int
    at: float
    counted: bool  # accepted by the rate limiter (429s are not)


@dataclass(slots=True)
class _Faults:
    statuses: collections.deque[int] = field(default_factory=collections.deque)
    throttle: int = 0
    throttle_retry_after: float | None = 1.0
    drop: int = 0
    drop_after_apply: bool = False
    slow: int = 0
    slow_seconds: float = 0.0
    writes_allowed: int | None = None
    after_writes_mode: str = "error"
    after_writes_status: int = 500


class _DropConnection(Exception):
    pass


class _UvicornNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("ASGI callable")


_NOISE_FILTER = _UvicornNoise()


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


class MailtrapServer:
    """Runs in a background thread on 127.0.0.1 at a free port; `start()`/`stop()` or use it as a context manager."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        account_id: str | int = DEFAULT_ACCOUNT_ID,
        *,
        rate_limit: int = 150,
        rate_window: float = 10.0,
        template_cap: int = 200,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.account_id = str(account_id)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.template_cap = template_cap
        self.host = host
        self._requested_port = port
        self.port = 0
        self._mutex = threading.RLock()
        self._templates: dict[int, dict[str, Any]] = {}
        self._next_id = 40_001
        self._messages: list[dict[str, Any]] = []
        self._requests: list[RequestRecord] = []
        self._windows: dict[str, collections.deque[float]] = {}
        self._faults = _Faults()
        self._release = threading.Event()
        self.write_count = 0
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url

    def start(self) -> MailtrapServer:
        logging.getLogger("uvicorn.error").addFilter(_NOISE_FILTER)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            interface="asgi3",
            timeout_graceful_shutdown=1,
            log_config=None,
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [sock]}, name=f"mailtrap-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the local Mailtrap server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._release.set()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._uvicorn = self._thread = None

    def __enter__(self) -> MailtrapServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- state for tests ----------------------------------------------------------------------------------------

    @property
    def templates(self) -> list[dict[str, Any]]:
        with self._mutex:
            return [copy.deepcopy(t) for t in self._templates.values()]

    def templates_named(self, name: str) -> list[dict[str, Any]]:
        return [t for t in self.templates if t["name"] == name]

    def add_template(
        self, name: str, subject: str = "Subject", category: str = "seeded", body_html: str = "", body_text: str = ""
    ) -> dict[str, Any]:
        """Put a template straight into the account (no HTTP, no rate limit): templates someone else made."""
        with self._mutex:
            return copy.deepcopy(
                self._insert(
                    {
                        "name": name,
                        "subject": subject,
                        "category": category,
                        "body_html": body_html,
                        "body_text": body_text,
                    }
                )
            )

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._mutex:
            return copy.deepcopy(self._messages)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._mutex:
            return list(self._requests)

    def max_requests_in_window(self) -> int:
        """The most requests the rate limiter accepted in any `rate_window` seconds (<= rate_limit, by design)."""
        times = [r.at for r in self.requests if r.counted]
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= self.rate_window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self) -> None:
        with self._mutex:
            self._templates.clear()
            self._messages.clear()
            self._requests.clear()
            self._windows.clear()
            self._faults = _Faults()
            self.write_count = 0
            self._release.clear()

    # -- faults -------------------------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """The next `count` API requests answer `status` without doing anything."""
        with self._mutex:
            self._faults.statuses.extend([status] * count)

    def throttle_next(self, count: int = 1, retry_after: float | None = 1.0) -> None:
        """The next `count` API requests answer 429 (a storm), with Retry-After unless None."""
        with self._mutex:
            self._faults.throttle += count
            self._faults.throttle_retry_after = retry_after

    def drop_next(self, count: int = 1, after_apply: bool = False) -> None:
        """Close the connection without an answer for the next `count` API requests; with `after_apply` the request
        takes effect first (the client cannot know whether it did)."""
        with self._mutex:
            self._faults.drop = count
            self._faults.drop_after_apply = after_apply

    def slow_next(self, count: int = 1, seconds: float = 1.0) -> None:
        with self._mutex:
            self._faults.slow = count
            self._faults.slow_seconds = seconds

    def fail_after_writes(self, writes: int, mode: str = "error", status: int = 500) -> None:
        """Let `writes` more successful writes through, then: "error" answers `status` without applying; "drop"
        applies and closes the connection; "hang" applies and never answers until clear_faults() or stop()."""
        if mode not in ("error", "drop", "hang"):
            raise ValueError("mode is error, drop or hang")
        with self._mutex:
            self._faults.writes_allowed = self.write_count + writes
            self._faults.after_writes_mode = mode
            self._faults.after_writes_status = status
            self._release.clear()

    def clear_faults(self) -> None:
        with self._mutex:
            self._faults = _Faults()
            self._release.set()

    # -- the ASGI layer: auth, rate limit, faults ---------------------------------------------------------------

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method, path = scope["method"], scope["path"]
        token = _token_from(headers)
        if token != self.token:
            self._log(method, path, 401, counted=False)
            await _error(401, {"error": "Incorrect API token"})(scope, receive, send)
            return None
        management = path.startswith("/api/accounts/")
        if not management:
            await self.app(scope, receive, send)
            return None
        early = self._admit(token)
        if early is not None:
            self._log(method, path, early.status_code, counted=early.status_code != 429)
            await early(scope, receive, send)
            return None
        remaining = self._remaining(token)
        rate_headers = [
            (b"x-ratelimit-limit", str(self.rate_limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
        ]
        pre = self._pre_request_fault(method)
        if pre == "drop":
            self._log(method, path, 0, counted=True)
            return "dropped"  # uvicorn closes the connection when an ASGI app returns a value
        if isinstance(pre, Response):
            self._log(method, path, pre.status_code, counted=True)
            await _with_headers(pre, rate_headers)(scope, receive, send)
            return None
        if pre == "slow":
            await asyncio.sleep(self._faults.slow_seconds)
        buffered: list[Message] = []

        async def buffer(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + rate_headers
            buffered.append(message)

        await self.app(scope, receive, buffer)
        status = next((m["status"] for m in buffered if m["type"] == "http.response.start"), 500)
        self._log(method, path, status, counted=True)
        post = self._post_request_fault(method, status)
        if post == "hang":
            while not self._release.is_set():
                await asyncio.sleep(0.02)
            return "dropped"
        if post == "drop":
            return "dropped"
        for message in buffered:
            await send(message)
        return None

    def _admit(self, token: str) -> Response | None:
        with self._mutex:
            if self._faults.throttle > 0:
                self._faults.throttle -= 1
                retry_after = self._faults.throttle_retry_after
                return self._too_many(retry_after)
            window = self._windows.setdefault(token, collections.deque())
            now = time.monotonic()
            while window and window[0] <= now - self.rate_window:
                window.popleft()
            if len(window) >= self.rate_limit:
                return self._too_many(max(0.0, window[0] + self.rate_window - now))
            window.append(now)
            return None

    def _too_many(self, retry_after: float | None) -> Response:
        headers = {"X-Ratelimit-Limit": str(self.rate_limit), "X-Ratelimit-Remaining": "0"}
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return _error(429, {"error": "Too Many Requests"}, headers)

    def _remaining(self, token: str) -> int:
        with self._mutex:
            return max(0, self.rate_limit - len(self._windows.get(token, ())))

    def _pre_request_fault(self, method: str) -> Response | str | None:
        with self._mutex:
            faults = self._faults
            if faults.statuses:
                status = faults.statuses.popleft()
                return _error(status, {"error": "Internal Server Error" if status >= 500 else "Fault"})
            if faults.drop > 0 and not faults.drop_after_apply:
                faults.drop -= 1
                return "drop"
            is_write = method in ("POST", "PATCH", "DELETE")
            if (
                is_write
                and faults.writes_allowed is not None
                and self.write_count >= faults.writes_allowed
                and faults.after_writes_mode == "error"
            ):
                return _error(faults.after_writes_status, {"error": "Internal Server Error"})
            if faults.slow > 0:
                faults.slow -= 1
                return "slow"
            return None

    def _post_request_fault(self, method: str, status: int) -> str | None:
        with self._mutex:
            faults = self._faults
            is_write = method in ("POST", "PATCH", "DELETE")
            if is_write and 200 <= status < 300:
                self.write_count += 1
                if faults.writes_allowed is not None and self.write_count > faults.writes_allowed:
                    return faults.after_writes_mode if faults.after_writes_mode != "error" else None
            if faults.drop > 0 and faults.drop_after_apply:
                faults.drop -= 1
                return "drop"
            return None

    def _log(self, method: str, path: str, status: int, *, counted: bool) -> None:
        with self._mutex:
            self._requests.append(RequestRecord(method, path, status, time.monotonic(), counted))

    # -- the routes ---------------------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        templates = "/api/accounts/{account_id}/email_templates"
        routes = [
            Route(templates, self._list_templates, methods=["GET"]),
            Route(templates, self._create_template, methods=["POST"]),
            Route(templates + "/{template_id}", self._get_template, methods=["GET"]),
            Route(templates + "/{template_id}", self._update_template, methods=["PATCH"]),
            Route(templates + "/{template_id}", self._delete_template, methods=["DELETE"]),
            Route("/api/send", self._send, methods=["POST"]),
            Route("/api/send/{inbox_id}", self._send, methods=["POST"]),
            Route("/api/batch", self._batch, methods=["POST"]),
            Route("/api/batch/{inbox_id}", self._batch, methods=["POST"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            if status in (404, 405):
                return _error(404, {"error": "Not Found"})
            return _error(status, {"error": str(getattr(exc, "detail", "error"))})

        return Starlette(routes=routes, exception_handlers={HTTPException: not_found})

    def _forbidden(self, request: Request) -> Response | None:
        if request.path_params.get("account_id") != self.account_id:
            return _error(403, {"errors": "Account access forbidden"})
        return None

    async def _list_templates(self, request: Request) -> Response:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        return JSONResponse(self.templates)

    async def _get_template(self, request: Request) -> Response:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        template = self._find(request)
        return JSONResponse(copy.deepcopy(template)) if template else _error(404, {"error": "Not Found"})

    async def _create_template(self, request: Request) -> Response:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        fields = await _email_template_fields(request)
        if isinstance(fields, Response):
            return fields
        errors = _validate(fields, creating=True)
        if errors:
            return _error(422, {"errors": errors})
        with self._mutex:
            if len(self._templates) >= self.template_cap:
                return _error(422, {"errors": {"base": [CAP_MESSAGE.format(cap=self.template_cap)]}})
            created = self._insert(fields)
            return JSONResponse(copy.deepcopy(created), status_code=201)

    async def _update_template(self, request: Request) -> Response:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        fields = await _email_template_fields(request)
        if isinstance(fields, Response):
            return fields
        errors = _validate(fields, creating=False)
        if errors:
            return _error(422, {"errors": errors})
        with self._mutex:
            template = self._find(request)
            if template is None:
                return _error(404, {"error": "Not Found"})
            for key in ("name", "subject", "category", "body_html", "body_text"):
                if key in fields and fields[key] is not None:
                    if key.startswith("body_") and fields[key] == "":
                        continue  # a body cannot be cleared once set
                    template[key] = fields[key]
            template["updated_at"] = _now_iso()
            return JSONResponse(copy.deepcopy(template))

    async def _delete_template(self, request: Request) -> Response:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        with self._mutex:
            template = self._find(request)
            if template is None:
                return _error(404, {"error": "Not Found"})
            del self._templates[template["id"]]
        return Response(status_code=204)

    def _find(self, request: Request) -> dict[str, Any] | None:
        raw = request.path_params.get("template_id", "")
        with self._mutex:
            return self._templates.get(int(raw)) if raw.isdigit() else None

    def _insert(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = _now_iso()
        template = {
            "id": self._next_id,
            "uuid": str(uuid_module.uuid4()),
            "name": fields["name"],
            "category": fields["category"],
            "subject": fields["subject"],
            "body_html": fields.get("body_html") or "",
            "body_text": fields.get("body_text") or "",
            "created_at": now,
            "updated_at": now,
        }
        self._templates[self._next_id] = template
        self._next_id += 1
        return template

    # -- sending ------------------------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return _error(400, {"success": False, "errors": ["request body is not a JSON object"]})
        result = self._deliver(body, request.url.path)
        status = 200 if result["success"] else 400
        return JSONResponse(result, status_code=status)

    async def _batch(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            return _error(400, {"success": False, "errors": ["'requests' must be an array"]})
        if len(body["requests"]) > BATCH_LIMIT:
            return _error(400, {"success": False, "errors": [f"at most {BATCH_LIMIT} requests per batch"]})
        base = body.get("base") if isinstance(body.get("base"), dict) else {}
        responses = []
        for item in body["requests"]:
            if not isinstance(item, dict):
                responses.append({"success": False, "errors": ["request is not a JSON object"]})
                continue
            responses.append(self._deliver({**base, **item}, request.url.path))
        return JSONResponse({"success": True, "responses": responses})

    def _deliver(self, mail: dict[str, Any], endpoint: str) -> dict[str, Any]:
        errors = _mail_errors(mail)
        template = None
        if not errors and mail.get("template_uuid") is not None:
            with self._mutex:
                template = next((t for t in self._templates.values() if t["uuid"] == mail["template_uuid"]), None)
            if template is None:
                errors.append("template_uuid: template not found")
        if errors:
            return {"success": False, "errors": errors}
        variables = mail.get("template_variables") or {}
        if template is not None:
            try:
                subject = render_mailtrap(template["subject"], variables)
                html = render_mailtrap(template["body_html"], variables)
                text = render_mailtrap(template["body_text"], variables)
            except TemplateRenderError as error:
                return {"success": False, "errors": [f"template cannot be rendered: {error}"]}
            category = template["category"]
        else:
            subject, html, text, category = mail["subject"], mail.get("html"), mail.get("text"), mail.get("category")
        message_ids = [str(uuid_module.uuid4()) for _ in _recipients(mail)]
        with self._mutex:
            self._messages.append(
                {
                    "message_ids": message_ids,
                    "endpoint": endpoint,
                    "from": mail["from"],
                    "to": mail.get("to", []),
                    "cc": mail.get("cc", []),
                    "bcc": mail.get("bcc", []),
                    "subject": subject,
                    "html": html,
                    "text": text,
                    "category": category,
                    "template_uuid": mail.get("template_uuid"),
                    "template_variables": variables,
                    "sent_at": _now_iso(),
                }
            )
        return {"success": True, "message_ids": message_ids}


def _token_from(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("api-token")


def _with_headers(response: Response, headers: list[tuple[bytes, bytes]]) -> Response:
    for key, value in headers:
        if key.decode() not in response.headers:
            response.headers[key.decode()] = value.decode()
    return response


async def _json_body(request: Request) -> Any:
    with contextlib.suppress(ValueError):
        return json.loads(await request.body() or b"null")
    return None


async def _email_template_fields(request: Request) -> dict[str, Any] | Response:
    body = await _json_body(request)
    fields = body.get("email_template") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        return _error(400, {"error": "param is missing or the value is empty: email_template"})
    return fields


def _validate(fields: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key in ("name", "subject", "category"):
        if key not in fields and not creating:
            continue
        value = fields.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.setdefault(key, []).append("can't be blank")
        elif not isinstance(value, str):
            errors.setdefault(key, []).append("is invalid")
        elif len(value) > SHORT_FIELD_LIMIT:
            errors.setdefault(key, []).append(f"is too long (maximum is {SHORT_FIELD_LIMIT} characters)")
    for key in ("body_html", "body_text"):
        value = fields.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.setdefault(key, []).append("is invalid")
        elif len(value) > BODY_LIMIT:
            errors.setdefault(key, []).append(f"is too long (maximum is {BODY_LIMIT} characters)")
    return errors


def _recipients(mail: dict[str, Any]) -> list[Any]:
    return [*mail.get("to", []), *mail.get("cc", []), *mail.get("bcc", [])]


def _mail_errors(mail: dict[str, Any]) -> list[str]:
    errors = []
    sender = mail.get("from")
    if not isinstance(sender, dict) or not sender.get("email"):
        errors.append("'from' is required and needs an 'email'")
    for key in ("to", "cc", "bcc"):
        value = mail.get(key, [])
        if not isinstance(value, list) or not all(isinstance(a, dict) and a.get("email") for a in value):
            errors.append(f"'{key}' must be an array of addresses with an 'email'")
    if not mail.get("to") and not mail.get("cc") and not mail.get("bcc"):
        errors.append("at least one recipient is required in 'to', 'cc' or 'bcc'")
    if mail.get("template_uuid") is not None:
        for key in ("subject", "text", "html", "category"):
            if key in mail:
                errors.append(f"'{key}' is not allowed with 'template_uuid'")
        if not isinstance(mail.get("template_variables", {}), dict):
            errors.append("'template_variables' must be an object")
    elif not mail.get("subject"):
        errors.append("'subject' is required")
    elif not mail.get("text") and not mail.get("html"):
        errors.append("'text' or 'html' is required")
    return errors
