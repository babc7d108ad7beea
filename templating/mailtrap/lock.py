"""The lock file `OUT/mailtrap.lock.json`: which Mailtrap template each SES template went to, and for a template
merged into a consolidated family (`sync --consolidate`, templating.variants), the variables to inject when sending.

Written atomically (temp file + rename) after every successful API call, so a sync killed at any moment resumes
without duplicates: creates are announced in `pending` before they are sent, so a template that reached Mailtrap
but not the lock file is recognised by name on the next run and still counted as created by this tool.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from templating.fileio import write_atomic

LOCK_FILE_NAME = "mailtrap.lock.json"
LOCK_VERSION = 1


class LockFileError(Exception):
    """The lock file exists but cannot be used (bad JSON, other account)."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class LockEntry:
    id: int
    uuid: str
    name: str
    content_hash: str
    synced_at: str
    created_by_tool: bool
    variables: dict[str, Any] | None = None
    """Added to the send call's template variables (`{"__text": {...}}` for a consolidated template); absent in
    lock files written before consolidation existed, and for every template that was not merged."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockEntry:
        if not isinstance(data["uuid"], str):
            raise ValueError("no uuid string")
        return cls(
            id=int(data["id"]),
            uuid=data["uuid"],
            name=str(data["name"]),
            content_hash=str(data.get("content_hash", "")),
            synced_at=str(data.get("synced_at", "")),
            created_by_tool=bool(data.get("created_by_tool", False)),
            variables=_variables(data.get("variables")),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.variables is None:
            del data["variables"]
        return data


def _variables(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise TypeError(f"variables must be an object of objects, not {value!r}")
    return {str(key): dict(inner) for key, inner in value.items()}


class LockFile:
    """SES TemplateName -> LockEntry, plus pending creates (Mailtrap name -> time announced). Thread-safe."""

    def __init__(self, path: Path, account_id: str | None = None) -> None:
        self.path = path
        self.account_id = account_id
        self.entries: dict[str, LockEntry] = {}
        self.pending: dict[str, str] = {}
        self._mutex = threading.Lock()

    @classmethod
    def load(cls, out: Path) -> LockFile:
        return cls.read(out / LOCK_FILE_NAME)

    @classmethod
    def read(cls, path: Path) -> LockFile:
        """The lock file at `path` (empty when there is none yet). Raises LockFileError when it cannot be used."""
        lock = cls(path)
        if not path.exists():
            return lock
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            raise LockFileError(f"{path}: cannot read the lock file ({reason})") from None
        if not (
            isinstance(data, dict)
            and isinstance(data.get("templates", {}), dict)
            and isinstance(data.get("pending", {}), dict)
        ):
            raise LockFileError(
                f"{path}: cannot read the lock file: not a ses2mt lock file (expected an object whose 'templates' and "
                "'pending' are objects); move it away to start a new one"
            )
        lock.account_id = None if data.get("account_id") is None else str(data["account_id"])
        for name, entry in data.get("templates", {}).items():
            try:
                lock.entries[name] = LockEntry.from_json(entry)
            except KeyError as error:
                message = f"{path}: cannot read the lock file: the entry of {name!r} has no {error}"
                raise LockFileError(message) from None
            except (ValueError, TypeError, AttributeError) as error:
                raise LockFileError(
                    f"{path}: cannot read the lock file: the entry of {name!r} is not an object with an integer id "
                    f"and a uuid ({error})"
                ) from None
        lock.pending = {str(k): str(v) for k, v in data.get("pending", {}).items()}
        return lock

    def bind_account(self, account_id: str) -> None:
        """Refuse to mix accounts: ids in the lock file mean nothing in another account."""
        if self.account_id is not None and self.account_id != account_id and self.entries:
            raise LockFileError(
                f"{self.path} belongs to Mailtrap account {self.account_id}, not {account_id}; "
                "use another output folder or move the lock file away"
            )
        self.account_id = account_id

    def ids_created_by_tool(self) -> set[int]:
        return {entry.id for entry in self.entries.values() if entry.created_by_tool}

    def announce_create(self, name: str) -> None:
        with self._mutex:
            self.pending[name] = utc_now()
            self._save_locked()

    def record(
        self,
        ses_names: list[str] | tuple[str, ...],
        remote: dict[str, Any],
        content_hash: str,
        created: bool,
        variables: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Map every SES name to the Mailtrap template `remote` (with `variables[name]` to inject, if any) and save."""
        with self._mutex:
            now = utc_now()
            for ses_name in ses_names:
                previous = self.entries.get(ses_name)
                created_by_tool = created or (
                    previous is not None and previous.id == remote["id"] and previous.created_by_tool
                )
                self.entries[ses_name] = LockEntry(
                    id=int(remote["id"]),
                    uuid=str(remote["uuid"]),
                    name=str(remote["name"]),
                    content_hash=content_hash,
                    synced_at=now,
                    created_by_tool=created_by_tool,
                    variables=_copy((variables or {}).get(ses_name)),
                )
            self.pending.pop(str(remote["name"]), None)
            self._save_locked()

    def forget_remote(self, remote_id: int) -> None:
        """Drop every entry pointing at a deleted Mailtrap template and save."""
        with self._mutex:
            for ses_name in [name for name, entry in self.entries.items() if entry.id == remote_id]:
                del self.entries[ses_name]
            self._save_locked()

    def forget(self, ses_names: list[str] | tuple[str, ...]) -> None:
        """Drop these SES names' entries (their Mailtrap template is no longer in the account) and save."""
        with self._mutex:
            if any(self.entries.pop(name, None) is not None for name in list(ses_names)):
                self._save_locked()

    def drop_pending(self, name: str) -> None:
        with self._mutex:
            if self.pending.pop(name, None) is not None:
                self._save_locked()

    def save(self) -> None:
        with self._mutex:
            self._save_locked()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "account_id": self.account_id,
            "templates": {name: self.entries[name].to_json() for name in sorted(self.entries)},
            "pending": dict(sorted(self.pending.items())),
        }

    def _save_locked(self) -> None:
        write_atomic(self.path, json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", durable=True)


def _copy(variables: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any] | None:
    return None if variables is None else {key: dict(inner) for key, inner in variables.items()}
