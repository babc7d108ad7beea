"""A small Mailtrap templates API client on httpx: timeouts, pacing, retries, bounded total time.

- Pacing: a sliding window of at most `limit` requests per `window` seconds (Mailtrap: 150 per 10 s per token).
  `X-Ratelimit-Remaining: 0` pauses until our oldest request leaves the window; `Retry-After` pauses everyone.
- Retries: 429, 5xx and transport errors, with exponential backoff and full jitter, until `max_attempts` or the
  deadline. A create whose outcome is unknown (connection dropped after sending, 5xx) is looked up by name before it
  is sent again, so a retry never makes a duplicate.
- 401/403 raise AuthError at once; 422 raises ValidationFailed with Mailtrap's field errors.
The token only ever goes into the Authorization header; no message built here contains it.
"""

from __future__ import annotations

import collections
import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API_BASE = "https://mailtrap.io"
DEFAULT_RATE_LIMIT = 150
DEFAULT_RATE_WINDOW = 10.0
USER_AGENT = "ses2mt-sync"


class ApiError(Exception):
    """A request that did not succeed; `status` is the HTTP status (0 when no response came)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ApiError):
    """401 or 403: stop everything."""


class ValidationFailed(ApiError):
    """422: Mailtrap's field errors, e.g. {"name": ["can't be blank"]} or {"base": ["..."]}."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(message, 422)
        self.errors = errors


class NotFound(ApiError):
    pass


class GaveUp(ApiError):
    """Retries or the time budget ran out."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    max_throttled: int = 30
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 60.0


class SlidingWindowLimiter:
    """At most `limit` request starts in any `window` seconds, shared by all threads."""

    def __init__(
        self,
        limit: int = DEFAULT_RATE_LIMIT,
        window: float = DEFAULT_RATE_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        # Our clock starts a request a little before the server's does: keep a margin so its window agrees with ours.
        self.margin = max(0.05, window * 0.02)
        self._clock = clock
        self._sleep = sleep
        self._starts: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._mutex = threading.Lock()
        self.waited = 0.0

    def acquire(self, deadline: float | None = None) -> None:
        """Block until a request may start; raise GaveUp if that would be after `deadline`."""
        while True:
            with self._mutex:
                now = self._clock()
                self._forget_expired(now)
                ready_at = self._paused_until
                if len(self._starts) >= self.limit:
                    ready_at = max(ready_at, self._starts[0] + self.window + self.margin)
                if ready_at <= now:
                    self._starts.append(now)
                    return
            if deadline is not None and ready_at > deadline:
                raise GaveUp("the time budget ends before the rate limit allows another request")
            self.waited += ready_at - now
            self._sleep(ready_at - now)

    def pause(self, seconds: float) -> None:
        with self._mutex:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def exhausted(self, latency: float = 0.0) -> None:
        """The server says no request is left: wait until our oldest request in the window has left the server's
        window too (it reached the server up to about one round trip after we sent it)."""
        with self._mutex:
            now = self._clock()
            self._forget_expired(now)
            oldest = self._starts[0] if self._starts else now
            self._paused_until = max(self._paused_until, oldest + self.window + self.margin + latency)

    def _forget_expired(self, now: float) -> None:
        while self._starts and self._starts[0] + self.window + self.margin <= now:
            self._starts.popleft()


@dataclass(slots=True)
class ClientStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    transport_errors: int = 0


class MailtrapClient:
    """The account-scoped email templates API. Thread-safe: the sync runs a few requests at a time."""

    def __init__(
        self,
        token: str,
        account_id: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        timeout: float = 30.0,
        limiter: SlidingWindowLimiter | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_id = str(account_id)
        self.api_base = api_base.rstrip("/")
        self.limiter = limiter or SlidingWindowLimiter(clock=clock, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self.deadline = deadline
        self.stats = ClientStats()
        self._stats_mutex = threading.Lock()
        self._sleep = sleep
        self._clock = clock
        self._random = random.Random()
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._http = httpx.Client(
            base_url=self.api_base,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": USER_AGENT},
            timeout=self._timeout,
            transport=transport,
            follow_redirects=False,
        )

    # -- the templates API --------------------------------------------------------------------------------------

    @property
    def templates_path(self) -> str:
        return f"/api/accounts/{self.account_id}/email_templates"

    def list_templates(self) -> list[dict[str, Any]]:
        data = self._request("GET", self.templates_path)
        if not isinstance(data, list):
            raise ApiError("listing templates did not return a JSON array", 200)
        return data

    def get_template(self, template_id: int) -> dict[str, Any]:
        return self._request("GET", f"{self.templates_path}/{template_id}")

    def create_template(self, payload: dict[str, str]) -> dict[str, Any]:
        def already_created() -> dict[str, Any] | None:
            return next((t for t in self.list_templates() if _same_template(t, payload)), None)

        return self._request("POST", self.templates_path, json={"email_template": payload}, recover=already_created)

    def update_template(self, template_id: int, fields: dict[str, str]) -> dict[str, Any]:
        return self._request("PATCH", f"{self.templates_path}/{template_id}", json={"email_template": fields})

    def delete_template(self, template_id: int) -> None:
        """Deleting a template that is already gone counts as done (a retried DELETE may see 404)."""
        try:
            self._request("DELETE", f"{self.templates_path}/{template_id}")
        except NotFound:
            return

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MailtrapClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _count(self, counter: str) -> None:
        with self._stats_mutex:
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)

    # -- one request, with pacing and retries -------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        recover: Callable[[], dict[str, Any] | None] | None = None,
    ) -> Any:
        attempt = 0
        throttled = 0
        outcome_unknown = False
        while True:
            if outcome_unknown and recover is not None:
                found = recover()
                if found is not None:
                    return found
            self.limiter.acquire(self.deadline)
            self._count("requests")
            try:
                response = self._http.request(method, path, json=json, timeout=self._timeout_within_deadline())
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
                raise ApiError(f"{self.api_base}: not a usable API base URL ({error})") from error
            except httpx.TransportError as error:
                self._count("transport_errors")
                sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                outcome_unknown = outcome_unknown or sent
                attempt += 1
                self._wait_before_retry(attempt, None, f"{method} {path}: {type(error).__name__}")
                continue
            if response.is_success:
                self._observe_rate_headers(response)
                return _json_or_none(response)
            if response.status_code == 429:
                self._count("rate_limited")
                throttled += 1
                self._wait_before_retry(
                    throttled,
                    _retry_after(response),
                    f"{method} {path}: 429 Too Many Requests",
                    self.retry.max_throttled,
                )
                continue
            if response.status_code >= 500:
                self._count("server_errors")
                outcome_unknown = outcome_unknown or method == "POST"
                attempt += 1
                self._wait_before_retry(
                    attempt, _retry_after(response), f"{method} {path}: HTTP {response.status_code}"
                )
                continue
            raise _error_for(method, path, response)

    def _timeout_within_deadline(self) -> httpx.Timeout:
        """The configured timeouts, shortened so that no request outlives the time budget."""
        if self.deadline is None:
            return self._timeout
        left = self.deadline - self._clock()
        if left <= 0:
            raise GaveUp("the time budget ran out")
        return httpx.Timeout(min(self._timeout.read or left, left), connect=min(self._timeout.connect or left, left))

    def _wait_before_retry(
        self, attempt: int, retry_after: float | None, what: str, max_attempts: int | None = None
    ) -> None:
        if attempt >= (max_attempts or self.retry.max_attempts):
            raise GaveUp(f"{what}, still failing after {attempt} attempts")
        if retry_after is not None:
            wait = min(retry_after, self.retry.max_retry_after) + self._random.uniform(0, 0.1)
            self.limiter.pause(wait)
        else:
            ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * 2 ** min(attempt - 1, 20))
            wait = self._random.uniform(ceiling / 2, ceiling)
        if self.deadline is not None and self._clock() + wait > self.deadline:
            raise GaveUp(f"{what}; the time budget ran out")
        self._count("retries")
        self._sleep(wait)

    def _observe_rate_headers(self, response: httpx.Response) -> None:
        """A success with no request left predicts a 429: wait for the window (429s themselves back off)."""
        remaining = response.headers.get("X-Ratelimit-Remaining")
        if remaining is not None and remaining.strip().isdigit() and int(remaining) <= 0:
            self.limiter.exhausted(latency=response.elapsed.total_seconds())


def _same_template(remote: dict[str, Any], payload: dict[str, str]) -> bool:
    return all((remote.get(key) or "") == (payload.get(key) or "") for key in ("name", "subject", "category"))


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError as error:
        raise ApiError(
            f"{response.request.method} {response.request.url.path}: response is not JSON", response.status_code
        ) from error


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _error_for(method: str, path: str, response: httpx.Response) -> ApiError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = _error_text(body) or response.reason_phrase or "no details"
    where = f"{method} {path}"
    if status == 401:
        return AuthError(f"{where}: 401 {detail} (check MAILTRAP_API_TOKEN)", status)
    if status == 403:
        return AuthError(f"{where}: 403 {detail} (check MAILTRAP_ACCOUNT_ID and the token's permissions)", status)
    if status == 404:
        return NotFound(f"{where}: 404 {detail}", status)
    if status == 422:
        errors = _field_errors(body)
        return ValidationFailed(f"{where}: 422 {format_field_errors(errors) or detail}", errors)
    return ApiError(f"{where}: HTTP {status} {detail}", status)


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "errors", "message"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list):
                return "; ".join(str(item) for item in value)
            if isinstance(value, dict):
                return format_field_errors(_field_errors(body))
    return ""


def _field_errors(body: Any) -> dict[str, list[str]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, dict):
        return {
            str(key): [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in errors.items()
        }
    if isinstance(errors, list):
        return {"base": [str(item) for item in errors]}
    if isinstance(errors, str):
        return {"base": [errors]}
    return {}


def format_field_errors(errors: dict[str, list[str]]) -> str:
    """{"name": ["can't be blank"]} -> "name can't be blank"; base errors read on their own."""
    parts = []
    for key, messages in errors.items():
        for message in messages:
            parts.append(message if key == "base" else f"{key} {message}")
    return "; ".join(parts)
