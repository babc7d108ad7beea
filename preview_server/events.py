"""Server-Sent Events: the watcher's thread publishes changes, every open page's stream receives them.

Each message is one JSON `Change` (`generation`, `changed`, `added`, `removed`, `renamed`) as an SSE `change` event.
A new stream starts with a `hello` event carrying the current generation and the server's instance id, so a page that
reconnects after missing events (or after the server was restarted) knows to refresh. Comment lines keep idle
connections alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 1000


def sse_message(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


class Broadcaster:
    """Fan-out of change messages to per-connection queues. `publish` may be called from any thread."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._closed = False

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def publish(self, message: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            loop.call_soon_threadsafe(self._deliver, message)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        self._closed = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, None)

    def _deliver(self, message: dict[str, Any] | None) -> None:
        for queue in list(self._queues):
            queue.put_nowait(message)

    async def stream(self, hello: dict[str, Any]) -> AsyncIterator[str]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n" + sse_message("hello", hello)
            while not self._closed:
                try:
                    message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if message is None:
                    break
                yield sse_message("change", message)
        finally:
            self._queues.discard(queue)
