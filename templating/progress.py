"""A progress bar on stderr for long batches: shown only when stderr is a terminal and the batch is large, so that
pipes, CI logs and stdout stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

PROGRESS_THRESHOLD = 50


def wants_progress(total: int, stream: TextIO | None = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return total > PROGRESS_THRESHOLD and callable(isatty) and bool(isatty())


@contextmanager
def progress_bar(total: int, description: str, stream: TextIO | None = None) -> Iterator[Callable[[], None]]:
    """Yields `advance()`, to be called once per item; a no-op when no bar is shown."""
    if not wants_progress(total, stream):
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(file=stream if stream is not None else sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
