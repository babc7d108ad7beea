"""pytest fixtures for the local Mailtrap API. In a conftest.py:

    pytest_plugins = ["templating.testing.pytest_fixtures"]

or import the fixtures you use: `from templating.testing.pytest_fixtures import mailtrap_server`.

`mailtrap_server` is a fresh server per test with Mailtrap's real limits (150 requests / 10 s, 200 templates).
`mailtrap_server_factory(**options)` starts servers with other limits; all are stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from templating.testing.server import MailtrapServer


@pytest.fixture
def mailtrap_server_factory() -> Iterator[Callable[..., MailtrapServer]]:
    started: list[MailtrapServer] = []

    def start(**options: Any) -> MailtrapServer:
        server = MailtrapServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def mailtrap_server(mailtrap_server_factory: Callable[..., MailtrapServer]) -> MailtrapServer:
    return mailtrap_server_factory()
