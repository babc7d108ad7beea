"""A tiny runtime adapter: application code keeps its SES-shaped calls and sends through Mailtrap.

    from templating.mailtrap import MailtrapSender
    ses = MailtrapSender(lock="OUT/mailtrap.lock.json")        # instead of boto3.client("ses") / ("sesv2")
    ses.send_templated_email(Source=..., Destination=..., Template="welcome", TemplateData=json.dumps(data))

or the one-call form `send_templated(**ses_kwargs)`, which recognises any of the four operations by its arguments.
The token comes from $MAILTRAP_API_TOKEN (never a default), the base URL from `base_url` or $MAILTRAP_SEND_API_BASE
(default https://send.api.mailtrap.io; https://bulk.api.mailtrap.io for the bulk stream). Answers are SES-shaped
(`MessageId`, bulk `Status` / `BulkEmailEntryResults`) with Mailtrap's own answer under `Mailtrap`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from templating.diagnostics import format_finding
from templating.model import Finding, Severity
from templating.send.index import LockReadError, TemplateIndex
from templating.send.translate import (
    SEND_BULK_EMAIL,
    SEND_BULK_TEMPLATED_EMAIL,
    SEND_EMAIL,
    SEND_TEMPLATED_EMAIL,
    RequestError,
    Translation,
    detect_operation,
    translate,
)

TOKEN_VARIABLE = "MAILTRAP_API_TOKEN"
BASE_VARIABLE = "MAILTRAP_SEND_API_BASE"
DEFAULT_SEND_BASE = "https://send.api.mailtrap.io"
BULK_SEND_BASE = "https://bulk.api.mailtrap.io"
DEFAULT_TIMEOUT = 30.0


class SendError(Exception):
    """The call could not be translated (`findings`) or Mailtrap refused it (`status`, `response`)."""

    def __init__(
        self,
        message: str,
        findings: list[Finding] | None = None,
        status: int | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(message)
        self.findings = findings or []
        self.status = status
        self.response = response


class MailtrapSender:
    """boto3-style methods for the four SES send operations, posting to Mailtrap. `warnings` collects the warning
    findings of every call (what was left out: configuration sets, extra reply-to addresses, ...)."""

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        lock: str | Path | None = None,
        index: TemplateIndex | None = None,
        client: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.token = token or os.environ.get(TOKEN_VARIABLE, "")
        if not self.token:
            raise SendError(f"no Mailtrap API token: set {TOKEN_VARIABLE}")
        self.base_url = (base_url or os.environ.get(BASE_VARIABLE) or DEFAULT_SEND_BASE).rstrip("/")
        try:
            self.index = index if index is not None else TemplateIndex.discover(Path(lock) if lock else None)
        except LockReadError as error:
            raise SendError(str(error)) from None
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self.warnings: list[Finding] = []

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> MailtrapSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # boto3's method names: a drop-in for the send calls of boto3.client("ses") and boto3.client("sesv2").
    def send_templated_email(self, **kwargs: Any) -> dict[str, Any]:
        return self._send(SEND_TEMPLATED_EMAIL, kwargs)

    def send_bulk_templated_email(self, **kwargs: Any) -> dict[str, Any]:
        return self._send(SEND_BULK_TEMPLATED_EMAIL, kwargs)

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        return self._send(SEND_EMAIL, kwargs)

    def send_bulk_email(self, **kwargs: Any) -> dict[str, Any]:
        return self._send(SEND_BULK_EMAIL, kwargs)

    def send(self, **kwargs: Any) -> dict[str, Any]:
        """Any of the four operations, recognised by its arguments."""
        return self._send(_operation(kwargs), kwargs)

    def translate(self, request: Mapping[str, Any]) -> Translation:
        return translate(request, self.index)

    def _send(self, operation: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        detected = _operation(kwargs)
        if detected != operation:
            raise SendError(f"these arguments are those of {detected}, not {operation}")
        translation = self.translate(kwargs)
        self.warnings += [f for f in translation.findings if f.severity != Severity.ERROR]
        if not translation.ok:
            errors = [format_finding(f) for f in translation.findings if f.severity == Severity.ERROR]
            raise SendError("; ".join(errors), translation.findings)
        if translation.bulk:
            return self._send_batches(operation, translation.bodies)
        answer = self._post("/api/send", translation.bodies[0])
        ids = answer.get("message_ids") or []
        return {"MessageId": ids[0] if ids else None, "Mailtrap": answer}

    def _send_batches(self, operation: str, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        answers = [self._post("/api/batch", body) for body in bodies]
        results = [item for answer in answers for item in answer.get("responses", [])]
        if operation == SEND_BULK_TEMPLATED_EMAIL:
            status = [_v1_status(item) for item in results]
            return {"Status": status, "Mailtrap": answers}
        return {"BulkEmailEntryResults": [_v2_status(item) for item in results], "Mailtrap": answers}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            response = self._client.post(self.base_url + path, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise SendError(f"POST {self.base_url}{path} failed: {type(error).__name__}: {error}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {"errors": [response.text[:500]]}
        if response.status_code >= 400 or not isinstance(answer, dict) or answer.get("success") is False:
            errors = answer.get("errors") if isinstance(answer, dict) else answer
            raise SendError(
                f"Mailtrap answered {response.status_code}: {errors}", status=response.status_code, response=answer
            )
        return answer


def _operation(kwargs: Mapping[str, Any]) -> str:
    try:
        return detect_operation(kwargs)
    except RequestError as error:
        raise SendError(str(error)) from None


def _v1_status(item: Mapping[str, Any]) -> dict[str, Any]:
    if item.get("success"):
        ids = item.get("message_ids") or []
        return {"Status": "Success", "MessageId": ids[0] if ids else None}
    return {"Status": "Failed", "Error": "; ".join(map(str, item.get("errors") or []))}


def _v2_status(item: Mapping[str, Any]) -> dict[str, Any]:
    if item.get("success"):
        ids = item.get("message_ids") or []
        return {"Status": "SUCCESS", "MessageId": ids[0] if ids else None}
    return {"Status": "FAILED", "Error": "; ".join(map(str, item.get("errors") or []))}


def send_templated(
    *,
    token: str | None = None,
    base_url: str | None = None,
    lock: str | Path | None = None,
    client: httpx.Client | None = None,
    **ses_kwargs: Any,
) -> dict[str, Any]:
    """One call with SES-shaped keyword arguments (any of the four operations). Raises SendError."""
    sender = MailtrapSender(token=token, base_url=base_url, lock=lock, client=client)
    with sender:
        return sender.send(**ses_kwargs)
