"""Apply a plan: deletions first (they free slots under the cap), then creates and updates, a few at a time.

The lock file is saved after every successful call. 401/403 stop everything at once; running out of time or retries
stops everything too, and the result says what was done and what was not. 422 fails only its own template.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from templating.mailtrap.client import ApiError, AuthError, GaveUp, MailtrapClient, ValidationFailed
from templating.mailtrap.lock import LockFile
from templating.mailtrap.plan import Action, Kind, Plan

DEFAULT_JOBS = 4


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    NOT_DONE = "not done"


@dataclass(slots=True)
class Outcome:
    action: Action
    status: Status
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class SyncResult:
    outcomes: list[Outcome]
    stopped: str | None = None
    elapsed: float = 0.0
    auth_failed: bool = False

    def with_status(self, status: Status) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is status]

    @property
    def ok(self) -> bool:
        return self.stopped is None and all(outcome.status is Status.DONE for outcome in self.outcomes)


class _Stop:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason: str | None = None
        self.auth = False

    def set(self, reason: str, auth: bool = False) -> None:
        if not self.event.is_set():
            self.reason, self.auth = reason, auth
            self.event.set()


def apply_plan(
    plan: Plan,
    client: MailtrapClient,
    lock: LockFile,
    *,
    jobs: int = DEFAULT_JOBS,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> SyncResult:
    if plan.refused:
        raise ValueError("a refused plan cannot be applied")
    started = time.monotonic()
    for name in plan.stale_pending:  # announced creates that never reached the account
        lock.drop_pending(name)
    lock.forget(plan.stale_entries)  # templates deleted from the account elsewhere: their uuids no longer work
    for action in plan.of(Kind.UNCHANGED):
        if action.remote is not None and _lock_is_behind(action, lock):
            lock.record(action.ses_names, action.remote, action.content_hash, action.created_by_tool, action.variables)
    stop = _Stop()
    outcomes: list[Outcome] = []
    for phase in ([Kind.DELETE], [Kind.CREATE, Kind.UPDATE]):
        actions = [action for action in plan.actions if action.kind in phase]
        outcomes += _run_phase(actions, client, lock, stop, jobs, on_outcome)
    if stop.auth:
        reason = stop.reason
    elif stop.reason:
        reason = f"gave up: {stop.reason}"
    else:
        reason = None
    return SyncResult(outcomes, reason, time.monotonic() - started, stop.auth)


def _lock_is_behind(action: Action, lock: LockFile) -> bool:
    """An unchanged template still needs recording when a name is missing, points at another id or uuid, has another
    content hash, or its values to inject changed (a consolidated member's text can change without changing the
    family's merged template)."""
    assert action.remote is not None
    for name in action.ses_names:
        entry = lock.entries.get(name)
        expected = action.variables.get(name)
        if entry is None or entry.variables != (None if expected is None else _plain(expected)):
            return True
        if (entry.id, entry.uuid, entry.content_hash) != (
            int(action.remote["id"]),
            str(action.remote["uuid"]),
            action.content_hash,
        ):
            return True  # recreated elsewhere, or a sync stopped between a write and its lock file update
    return False


def _plain(variables: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    return {key: dict(inner) for key, inner in variables.items()}


def _run_phase(
    actions: list[Action],
    client: MailtrapClient,
    lock: LockFile,
    stop: _Stop,
    jobs: int,
    on_outcome: Callable[[Outcome], None] | None,
) -> list[Outcome]:
    def run(action: Action) -> Outcome:
        outcome = _apply_one(action, client, lock, stop)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    if not actions:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="ses2mt-sync")
    try:
        futures = [pool.submit(run, action) for action in actions]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        stop.set("interrupted")  # requests in flight finish and are recorded; the rest are not started
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _apply_one(action: Action, client: MailtrapClient, lock: LockFile, stop: _Stop) -> Outcome:
    if stop.event.is_set():
        return Outcome(action, Status.NOT_DONE, "not attempted: the sync stopped")
    try:
        if action.kind is Kind.DELETE:
            assert action.remote is not None
            client.delete_template(int(action.remote["id"]))
            lock.forget_remote(int(action.remote["id"]))
        elif action.kind is Kind.CREATE:
            assert action.payload is not None
            lock.announce_create(action.name)
            created = client.create_template(action.payload)
            lock.record(action.ses_names, created, action.content_hash, created=True, variables=action.variables)
        else:
            assert action.remote is not None
            updated = client.update_template(int(action.remote["id"]), action.update_fields)
            lock.record(action.ses_names, updated, action.content_hash, action.created_by_tool, action.variables)
    except AuthError as error:
        stop.set(str(error), auth=True)
        return Outcome(action, Status.FAILED, str(error))
    except GaveUp as error:
        stop.set(str(error))
        return Outcome(action, Status.NOT_DONE, str(error))
    except ValidationFailed as error:
        if action.kind is Kind.CREATE:
            lock.drop_pending(action.name)
        return Outcome(action, Status.FAILED, str(error), error.errors)
    except ApiError as error:
        return Outcome(action, Status.FAILED, str(error))
    except OSError as error:
        stop.set(f"cannot write the lock file: {error}")
        return Outcome(action, Status.FAILED, f"cannot write the lock file: {error}")
    return Outcome(action, Status.DONE)
