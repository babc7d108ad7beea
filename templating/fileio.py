"""Atomic file writes: every file ses2mt writes goes through here; and the JSON text it writes and prints."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates files readable by their owner only; written files get the mode a plain open() would give them
NEW_FILE_MODE = 0o666 & ~_umask()


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> None:
    """Write `data` (str is UTF-8 encoded, newlines untouched) to a hidden temporary file in `path`'s folder, then
    rename it over `path`: readers see the old file or the new one, never a part. The file keeps the mode of the file it
    replaces (a new one: what the umask gives, as with open()). `durable` also fsyncs before the rename (for files that
    must survive a crash right after, such as the upload lock file)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            try:
                mode = path.stat().st_mode & 0o7777  # a file replaced keeps its mode
            except OSError:
                mode = NEW_FILE_MODE
            os.chmod(temporary, mode)
            stream.write(payload)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """JSON with non-ASCII characters as they are; `\\u` escapes throughout instead when a string holds a lone
    surrogate (a fixture's or a request's `"\\ud800"`, a file name that is not UTF-8), which UTF-8 cannot encode."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=indent)
    return text
