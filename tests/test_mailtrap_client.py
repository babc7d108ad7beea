"""The Mailtrap client: pacing, retries, error shapes, no duplicate on an ambiguous create, bounded time."""

from __future__ import annotations

import time

import pytest

from templating.mailtrap.client import (
    AuthError,
    GaveUp,
    MailtrapClient,
    RetryPolicy,
    SlidingWindowLimiter,
    ValidationFailed,
)
from templating.testing import MailtrapServer, template_payload

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)

pytest_plugins = ["templating.testing.pytest_fixtures"]


def client_for(server: MailtrapServer, **options) -> MailtrapClient:
    options.setdefault("retry", FAST_RETRY)
    return MailtrapClient(server.token, server.account_id, server.api_base, **options)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_limiter_allows_limit_per_window_then_waits_for_the_oldest() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(150, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(150):
        limiter.acquire()
    assert clock.now == 100.0
    limiter.acquire()
    assert 110.0 <= clock.now <= 110.0 + limiter.margin + 1e-9


def test_limiter_gives_up_when_the_deadline_comes_first() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire(deadline=clock.now + 1)
    with pytest.raises(GaveUp):
        limiter.acquire(deadline=clock.now + 1)
    assert clock.now == 100.0


def test_limiter_pause_and_exhausted() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    limiter.pause(3.0)
    limiter.acquire()
    assert clock.now == pytest.approx(103.0)
    limiter.exhausted()
    limiter.acquire()
    assert clock.now == pytest.approx(104.0 + limiter.margin)


def test_crud_round_trip(mailtrap_server: MailtrapServer) -> None:
    with client_for(mailtrap_server) as client:
        created = client.create_template(template_payload("a"))
        assert client.list_templates() == [created]
        assert client.update_template(created["id"], {"subject": "S"})["subject"] == "S"
        client.delete_template(created["id"])
        client.delete_template(created["id"])  # already gone counts as done
        assert client.list_templates() == []


def test_retries_5xx_then_succeeds(mailtrap_server: MailtrapServer) -> None:
    mailtrap_server.fail_next(2, status=502)
    with client_for(mailtrap_server) as client:
        assert client.list_templates() == []
        assert client.stats.server_errors == 2


def test_gives_up_after_max_attempts_naming_the_request(mailtrap_server: MailtrapServer) -> None:
    mailtrap_server.fail_next(10, status=500)
    with client_for(mailtrap_server) as client, pytest.raises(GaveUp, match=r"GET /api/accounts/.*500.*4 attempts"):
        client.list_templates()


def test_401_and_403_stop_at_once(mailtrap_server: MailtrapServer) -> None:
    wrong_token = MailtrapClient("wrong", mailtrap_server.account_id, mailtrap_server.api_base, retry=FAST_RETRY)
    with wrong_token, pytest.raises(AuthError, match="401 Incorrect API token"):
        wrong_token.list_templates()
    wrong_account = MailtrapClient(mailtrap_server.token, "7", mailtrap_server.api_base, retry=FAST_RETRY)
    with wrong_account, pytest.raises(AuthError, match="403 Account access forbidden"):
        wrong_account.list_templates()
    assert len(mailtrap_server.requests) == 2


def test_422_carries_field_errors(mailtrap_server: MailtrapServer) -> None:
    with client_for(mailtrap_server) as client, pytest.raises(ValidationFailed) as caught:
        client.create_template({**template_payload("a"), "name": "x" * 256})
    assert caught.value.errors == {"name": ["is too long (maximum is 255 characters)"]}


@pytest.mark.parametrize("fault", ["dropped after the create took effect", "500 before it took effect"])
def test_create_whose_outcome_is_unknown_is_not_duplicated(mailtrap_server: MailtrapServer, fault: str) -> None:
    if fault.startswith("dropped"):
        mailtrap_server.drop_next(1, after_apply=True)
    else:
        mailtrap_server.fail_next(1, status=500)
    with client_for(mailtrap_server) as client:
        created = client.create_template(template_payload("a"))
    assert [t["id"] for t in mailtrap_server.templates] == [created["id"]]
    assert [r.method for r in mailtrap_server.requests] == [
        "POST",
        "GET",
        *(["POST"] if fault.startswith("500") else []),
    ]


def test_honours_ratelimit_remaining_without_hitting_429(mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(rate_limit=5, rate_window=0.5)
    # The client may send 150 per window, but others use the same token: only the server's headers tell.
    with client_for(server, limiter=SlidingWindowLimiter(150, 0.5)) as client:
        for _ in range(18):
            client.list_templates()
    # Ignoring the headers, these 18 requests meet a 429 after every 5 (3 in all: Retry-After spaces the rest).
    assert [r.status for r in server.requests].count(429) <= 1
    assert server.max_requests_in_window() <= 5


def test_survives_a_429_storm_with_and_without_retry_after(mailtrap_server: MailtrapServer) -> None:
    mailtrap_server.throttle_next(6, retry_after=None)
    with client_for(mailtrap_server) as client:
        assert client.list_templates() == []
        assert client.stats.rate_limited == 6
        mailtrap_server.throttle_next(1, retry_after=1)
        started = time.monotonic()
        client.list_templates()
        assert time.monotonic() - started >= 1.0


def test_bounded_total_time(mailtrap_server: MailtrapServer) -> None:
    mailtrap_server.slow_next(5, seconds=0.5)
    client = client_for(
        mailtrap_server,
        timeout=0.2,
        deadline=time.monotonic() + 0.6,
        retry=RetryPolicy(max_attempts=50, backoff_base=0.2, backoff_cap=0.2),
    )
    started = time.monotonic()
    with client, pytest.raises(GaveUp, match="time budget"):
        client.list_templates()
    assert time.monotonic() - started < 2.0


def test_unusable_api_base_is_a_clear_error() -> None:
    with (
        MailtrapClient("t", "1", "ftp://example.invalid", retry=FAST_RETRY) as client,
        pytest.raises(Exception, match="not a usable API base URL"),
    ):
        client.list_templates()
