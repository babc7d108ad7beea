"""Watch SRC with watchdog and hand debounced batches of changed paths to a callback.

Events are collected until the folder has been quiet for `DEBOUNCE_SECONDS` (editors write a file in several steps:
truncate, write, rename), but never held longer than `MAX_WAIT_SECONDS`. An event that says a write is complete (the
writer closed the file, or renamed or deleted it) shortens the wait to `SETTLE_SECONDS`, so that a save shows up
sooner without ever reading a half-written file. The callback runs in the debouncer's own
thread, so reloading never blocks the web server's event loop. `poll=True` uses watchdog's PollingObserver, for
file systems without change notification (Docker bind mounts, WSL, network drives).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

DEBOUNCE_SECONDS = 0.1
SETTLE_SECONDS = 0.02
MAX_WAIT_SECONDS = 1.0
POLL_INTERVAL_SECONDS = 0.25
IGNORED_EVENT_TYPES = frozenset({"opened", "closed_no_write"})
COMPLETING_EVENT_TYPES = frozenset({"closed", "moved", "deleted"})

BatchHandler = Callable[[list[Path]], None]


class Debouncer:
    """Collects paths; after a quiet period, calls `handle` once with all of them (in a worker thread)."""

    def __init__(
        self,
        handle: BatchHandler,
        quiet: float = DEBOUNCE_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        self.handle = handle
        self.quiet = quiet
        self.max_wait = max_wait
        self.settle = settle
        self._pending: dict[Path, None] = {}
        self._first = 0.0
        self._last = 0.0
        self._settled: float | None = None
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="ses2mt-preview-reload", daemon=True)
        self._thread.start()

    def add(self, *paths: Path, complete: bool = False) -> None:
        """Queue changed paths; `complete` when the event says the write is finished (close, rename, delete)."""
        with self._condition:
            now = time.monotonic()
            if not self._pending:
                self._first = now
                self._settled = None
            self._last = now
            if complete:
                self._settled = now + self.settle
            for path in paths:
                self._pending[path] = None
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._stopped:
                    self._condition.wait()
                if self._stopped:
                    return
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.max_wait)
                if self._settled is not None:
                    due = min(due, max(self._settled, self._last + self.settle))
                if now < due:
                    self._condition.wait(due - now)
                    continue
                batch = list(self._pending)
                self._pending.clear()
            try:
                self.handle(batch)
            except Exception as exc:  # a reload bug must not kill the watcher; the page keeps its last state
                print(f"ses2mt preview: reloading failed: {type(exc).__name__}: {exc}")


class _Handler(FileSystemEventHandler):
    def __init__(self, debouncer: Debouncer) -> None:
        self.debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in IGNORED_EVENT_TYPES:
            return
        paths = [Path(_text(event.src_path))]
        destination = getattr(event, "dest_path", "")
        if destination:
            paths.append(Path(_text(destination)))
        self.debouncer.add(*paths, complete=event.event_type in COMPLETING_EVENT_TYPES)


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path


class Watcher:
    """A running watch of `folder`; `stop()` ends it."""

    def __init__(self, folder: Path, handle: BatchHandler, *, poll: bool = False) -> None:
        self.debouncer = Debouncer(handle)
        self.observer: BaseObserver = PollingObserver(timeout=POLL_INTERVAL_SECONDS) if poll else Observer()
        self.observer.schedule(_Handler(self.debouncer), str(folder.resolve()), recursive=True)
        self.observer.daemon = True
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.debouncer.stop()
        self.observer.join(timeout=5)
