"""pytest fixtures for the local Mailtrap API. In a conftest.py (or a test module):

    pytest_plugins = ["templating.testing.pytest_fixtures"]

`mailtrap_server` is a server with Mailtrap's real limits (150 requests / 10 s, 200 templates), empty at the start
of every test. `mailtrap_server_factory(**options)` gives servers with other limits (rate_limit, rate_window,
template_cap, token, account_id). Servers are started once per session and reset (templates, messages, request log,
rate-limit windows, faults) before each test that asks for them; they stop at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from templating.testing.server import MailtrapServer


@pytest.fixture(scope="session")
def mailtrap_server_pool() -> Iterator[dict[tuple[tuple[str, Any], ...], MailtrapServer]]:
    pool: dict[tuple[tuple[str, Any], ...], MailtrapServer] = {}
    yield pool
    for server in pool.values():
        server.stop()


@pytest.fixture
def mailtrap_server_factory(
    mailtrap_server_pool: dict[tuple[tuple[str, Any], ...], MailtrapServer],
) -> Iterator[Callable[..., MailtrapServer]]:
    used: list[MailtrapServer] = []

    def start(**options: Any) -> MailtrapServer:
        key = tuple(sorted(options.items()))
        server = mailtrap_server_pool.get(key)
        if server is None:
            server = mailtrap_server_pool[key] = MailtrapServer(**options).start()
        server.reset()
        used.append(server)
        return server

    yield start
    for server in used:
        server.clear_faults()  # let any request held by a "hang" fault finish


@pytest.fixture
def mailtrap_server(mailtrap_server_factory: Callable[..., MailtrapServer]) -> MailtrapServer:
    return mailtrap_server_factory()
