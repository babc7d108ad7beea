"""Export every email template of an SES account into files of the input contract, one per template.

v2 (sesv2 ListEmailTemplates / GetEmailTemplate) writes `{"TemplateName", "TemplateContent", "Tags"?}`; v1 (ses
ListTemplates / GetTemplate) writes `{"Template": {...}}`: exactly what the API returns, so `check` and `convert` read
the files unchanged. SES allows about one management call per second, so calls are paced (`rate` calls/s), throttling
errors are retried with exponential backoff, and an export that stopped resumes by skipping the files already written.
Writes are atomic (a hidden temporary file renamed into place) and never leave the output folder.

boto3 is imported only by `make_client` (the `aws` extra); everything else takes a client, so tests can pass a
Stubber-backed or moto-backed one.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templating import fileio
from templating.loaders import name_problem

PAGE_SIZE = 100  # the most either API returns per page
MAX_ATTEMPTS = 8
BACKOFF_BASE = 1.0  # seconds; doubled on every throttled attempt, with jitter
BACKOFF_CAP = 60.0
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
)


@dataclass(frozen=True, slots=True)
class Api:
    service: str
    list_operation: str
    page_size_parameter: str
    name_key: str
    get_operation: str


APIS: dict[str, Api] = {
    "v2": Api("sesv2", "list_email_templates", "PageSize", "TemplateName", "get_email_template"),
    "v1": Api("ses", "list_templates", "MaxItems", "Name", "get_template"),
}


class ExportError(Exception):
    """The export cannot go on (listing failed, no credentials, no region): one line for the user."""


# ------------------------------------------------------------------------------------------------ pacing, retries


class Pacer:
    """At most `rate` calls per second: `wait()` before each call sleeps until the next call is due."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next_call: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_call is not None and now < self.next_call:
            self.sleep(self.next_call - now)
            now = self.next_call
        self.next_call = now + self.interval


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def describe_error(exc: BaseException) -> str:
    """A one-line description of an AWS error (botocore's messages carry no credentials)."""
    code = error_code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message") or ""
        return f"{code}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


class Caller:
    """Calls one client operation paced, retrying throttling errors with exponential backoff and jitter."""

    def __init__(
        self,
        client: Any,
        pacer: Pacer,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.pacer = pacer
        self.sleep = sleep
        self.jitter = jitter
        self.retries = 0

    def __call__(self, operation: str, **arguments: Any) -> dict[str, Any]:
        for attempt in range(MAX_ATTEMPTS):
            self.pacer.wait()
            try:
                return getattr(self.client, operation)(**arguments)
            except Exception as exc:
                if error_code(exc) not in THROTTLING_CODES or attempt == MAX_ATTEMPTS - 1:
                    raise
                self.retries += 1
                delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
                self.sleep(delay * (0.5 + self.jitter() / 2))
        raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------------------ SES calls


def list_template_names(call: Caller, api: Api, page_size: int = PAGE_SIZE) -> Iterator[str]:
    """Every template name, page after page (NextToken)."""
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {api.page_size_parameter: page_size}
        if token:
            arguments["NextToken"] = token
        page = call(api.list_operation, **arguments)
        for metadata in page.get("TemplatesMetadata", []):
            yield metadata[api.name_key]
        token = page.get("NextToken")
        if not token:
            return


def template_document(api: Api, response: dict[str, Any]) -> dict[str, Any]:
    """The input contract's JSON for one GetEmailTemplate (v2) or GetTemplate (v1) answer."""
    if api.service == "ses":
        template = response["Template"]
        keys = ("TemplateName", "SubjectPart", "HtmlPart", "TextPart")
        return {"Template": {key: template[key] for key in keys if key in template}}
    content = response.get("TemplateContent", {})
    document: dict[str, Any] = {
        "TemplateName": response["TemplateName"],
        "TemplateContent": {key: content[key] for key in ("Subject", "Html", "Text") if key in content},
    }
    if response.get("Tags"):
        document["Tags"] = [{"Key": tag["Key"], "Value": tag.get("Value", "")} for tag in response["Tags"]]
    return document


# ------------------------------------------------------------------------------------------------ files


def template_path(out_dir: Path, name: str) -> Path:
    """`out_dir/<name>.json`; raises ValueError for a name that could leave the folder or is not an SES name."""
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    path = out_dir / f"{name}.json"
    if path.resolve().parent != out_dir.resolve():
        raise ValueError(f"template name {name!r} would be written outside {out_dir}")
    return path


def write_atomic(path: Path, document: dict[str, Any]) -> None:
    """Write JSON through a hidden temporary file in the same folder, renamed into place."""
    fileio.write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------ the export


@dataclass(slots=True)
class ExportReport:
    listed: int = 0
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the folder: an earlier export wrote them
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    retries: int = 0


def export_templates(
    client: Any,
    api_name: str,
    out_dir: Path,
    *,
    rate: float = 1.0,
    page_size: int = PAGE_SIZE,
    on_total: Callable[[int], None] = lambda _total: None,
    advance: Callable[[], None] = lambda: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ExportReport:
    """List every template, then fetch and write each one not already in `out_dir`. A template that fails is
    reported and the export goes on; a listing that fails raises ExportError."""
    api = APIS[api_name]
    call = Caller(client, Pacer(rate, clock, sleep), sleep)
    report = ExportReport()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        names = list(dict.fromkeys(list_template_names(call, api, page_size)))
    except Exception as exc:
        raise ExportError(f"listing the templates failed: {describe_error(exc)}") from None
    report.listed = len(names)
    on_total(len(names))
    for name in names:
        export_one(call, api, out_dir, name, report)
        advance()
    report.retries = call.retries
    return report


def export_one(call: Caller, api: Api, out_dir: Path, name: str, report: ExportReport) -> None:
    try:
        path = template_path(out_dir, name)
    except ValueError as exc:
        report.failed.append((name, f"not written: {exc}"))
        return
    if path.exists():
        report.skipped.append(name)
        return
    try:
        response = call(api.get_operation, TemplateName=name)
    except Exception as exc:
        report.failed.append((name, describe_error(exc)))
        return
    try:
        write_atomic(path, template_document(api, response))
    except (OSError, KeyError, TypeError) as exc:
        report.failed.append((name, f"cannot write {path}: {exc}"))
        return
    report.written.append(name)


def make_client(api_name: str, region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """A boto3 client for the API, credentials and region found the boto3 way (environment, config files, profile,
    instance role). botocore's own retries are off: the Caller paces and retries."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise ExportError("export-ses needs boto3: pip install 'ses2mt[aws]'") from None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        config = Config(retries={"total_max_attempts": 1}, user_agent_extra="ses2mt-export")
        return session.client(APIS[api_name].service, endpoint_url=endpoint_url, config=config)
    except BotoCoreError as exc:
        raise ExportError(str(exc)) from None
