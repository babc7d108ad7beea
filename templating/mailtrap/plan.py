"""What a sync would do, computed without sending anything: a pure function of OUT, the account and the lock file.

Matching is by name: a converted template updates the account's template of the same name, so re-running never
creates duplicates. Templates with identical (subject, body_html, body_text) are uploaded once and every SES name is
mapped to that one Mailtrap template. The account holds at most `cap` (200) templates: existing + creates - deletes
above that refuses the whole plan, or with `partial` uploads in priority order and blocks the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from templating.mailtrap.local import LocalTemplate, content_hash, validation_errors
from templating.mailtrap.lock import LockFile

TEMPLATE_CAP = 200
COMPARED_FIELDS = ("name", "subject", "category", "body_html", "body_text")
BODY_FIELDS = ("body_html", "body_text")


class Kind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    BLOCKED = "blocked"
    INVALID = "invalid"
    UNCHANGED = "unchanged"


KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


@dataclass(slots=True)
class Action:
    """One Mailtrap template and what happens to it. `ses_names` are every SES template it stands for."""

    kind: Kind
    name: str
    ses_names: tuple[str, ...]
    payload: dict[str, str] | None = None
    changes: tuple[str, ...] = ()
    remote: dict[str, Any] | None = None
    created_by_tool: bool = False
    note: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    variables: dict[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    """SES name -> what its sends add to their template variables (only the names that need something)."""

    @property
    def content_hash(self) -> str:
        return content_hash(self.payload or {})

    @property
    def update_fields(self) -> dict[str, str]:
        assert self.payload is not None
        return {key: self.payload[key] for key in self.changes}


@dataclass(slots=True)
class Plan:
    actions: list[Action]
    existing: int
    cap: int
    local_count: int
    partial: bool
    over_by: int = 0
    warnings: list[str] = field(default_factory=list)
    stale_pending: list[str] = field(default_factory=list)
    stale_entries: list[str] = field(default_factory=list)
    """SES names the lock file maps to a template the account no longer has (deleted elsewhere)."""

    def of(self, kind: Kind) -> list[Action]:
        return [action for action in self.actions if action.kind is kind]

    @property
    def after(self) -> int:
        """Templates in the account once the plan is applied (what sync would leave)."""
        if self.refused:
            return self.existing
        return self.existing + len(self.of(Kind.CREATE)) - len(self.of(Kind.DELETE))

    @property
    def slots_remaining(self) -> int:
        return self.cap - self.after

    @property
    def refused(self) -> bool:
        return self.over_by > 0 and not self.partial

    @property
    def dedupe_saved(self) -> int:
        """Mailtrap templates saved by uploading identical SES templates once."""
        return sum(len(a.ses_names) - 1 for a in self.actions if a.kind not in (Kind.DELETE, Kind.INVALID))

    @property
    def has_changes(self) -> bool:
        return not self.refused and any(a.kind in (Kind.CREATE, Kind.UPDATE, Kind.DELETE) for a in self.actions)

    @property
    def has_problems(self) -> bool:
        return self.over_by > 0 or bool(self.of(Kind.INVALID))


def build_plan(
    local: list[LocalTemplate],
    remote: list[dict[str, Any]],
    lock: LockFile,
    *,
    prune: bool = False,
    partial: bool = False,
    cap: int = TEMPLATE_CAP,
    keep: Collection[str] = (),
) -> Plan:
    """`local` comes in upload priority order (see local.load_local); the plan keeps that order within each kind.
    `keep`: SES names OUT still has but does not upload this time (failed, unreadable): `prune` never deletes them."""
    warnings: list[str] = []
    actions: list[Action] = []
    valid: list[LocalTemplate] = []
    for template in local:
        errors = validation_errors(template.payload)
        if errors:
            actions.append(
                Action(
                    Kind.INVALID,
                    str(template.payload.get("name") or template.ses_name),
                    (template.ses_name,),
                    template.payload,
                    errors=errors,
                    note="Mailtrap would refuse it (422)",
                )
            )
        else:
            valid.append(template)

    groups = _dedupe(valid, warnings)
    remote_index = _RemoteIndex(remote, lock, warnings)
    claims = _claim_remote_templates(groups, remote_index, lock)
    for group in groups:
        claimed = claims.get(id(group))
        actions.append(_action_for_group(group, claimed, lock, warnings))
    if prune:
        claimed_ids = {int(remote_template["id"]) for _, remote_template in claims.values()}
        invalid = [action for action in actions if action.kind is Kind.INVALID]
        kept = set(keep) - {template.ses_name for template in valid}
        kept |= {name for action in invalid for name in (action.name, *action.ses_names)}
        actions += _deletions(remote, claimed_ids, lock, kept, warnings)

    plan = Plan(actions, existing=len(remote), cap=cap, local_count=len(local), partial=partial, warnings=warnings)
    remote_names = {str(t.get("name")) for t in remote}
    plan.stale_pending = sorted(name for name in lock.pending if name not in remote_names)
    remote_ids = {int(t["id"]) for t in remote}
    plan.stale_entries = sorted(name for name, entry in lock.entries.items() if entry.id not in remote_ids)
    if plan.stale_entries:
        warnings.append(
            f"the lock file maps {', '.join(plan.stale_entries)} to templates the account no longer has; "
            "sync forgets them (and creates what OUT still has)"
        )
    _apply_cap(plan)
    plan.actions.sort(key=lambda action: KIND_ORDER[action.kind])
    return plan


def _dedupe(templates: list[LocalTemplate], warnings: list[str]) -> list[list[LocalTemplate]]:
    by_content: dict[tuple[str, str, str], list[LocalTemplate]] = {}
    for template in templates:
        by_content.setdefault(template.content_key, []).append(template)
    groups = list(by_content.values())
    for group in groups:
        categories = {t.payload["category"] for t in group}
        if len(categories) > 1:
            warnings.append(
                f"{', '.join(t.ses_name for t in group)} are identical but for their categories "
                f"({', '.join(sorted(categories))}); uploaded once"
            )
    return groups


class _RemoteIndex:
    def __init__(self, remote: list[dict[str, Any]], lock: LockFile, warnings: list[str]) -> None:
        locked_ids = {entry.id for entry in lock.entries.values()}
        self.by_id = {int(t["id"]): t for t in remote}
        by_name: dict[str, list[dict[str, Any]]] = {}
        for template in remote:
            by_name.setdefault(str(template.get("name", "")), []).append(template)
        self.by_name: dict[str, dict[str, Any]] = {}
        for name, same_name in by_name.items():
            same_name.sort(key=lambda t: (int(t["id"]) not in locked_ids, int(t["id"])))
            self.by_name[name] = same_name[0]
            if len(same_name) > 1:
                warnings.append(
                    f"the account has {len(same_name)} templates named {name!r}; using id {same_name[0]['id']}"
                )


def _claim_remote_templates(
    groups: list[list[LocalTemplate]], index: _RemoteIndex, lock: LockFile
) -> dict[int, tuple[LocalTemplate, dict[str, Any]]]:
    """Each group gets at most one account template, each account template serves at most one group: first by name
    (any member's), then through the lock file (a template renamed in the UI, or a group whose first member left)."""
    claims: dict[int, tuple[LocalTemplate, dict[str, Any]]] = {}
    taken: set[int] = set()
    for group in groups:
        for member in group:
            remote = index.by_name.get(member.name)
            if remote is not None and int(remote["id"]) not in taken:
                claims[id(group)] = (member, remote)
                taken.add(int(remote["id"]))
                break
    for group in groups:
        if id(group) in claims:
            continue
        for member in group:
            entry = lock.entries.get(member.ses_name)
            remote = index.by_id.get(entry.id) if entry else None
            if remote is not None and int(remote["id"]) not in taken:
                claims[id(group)] = (group[0], remote)
                taken.add(int(remote["id"]))
                break
    return claims


def _action_for_group(
    group: list[LocalTemplate],
    claimed: tuple[LocalTemplate, dict[str, Any]] | None,
    lock: LockFile,
    warnings: list[str],
) -> Action:
    ses_names = tuple(t.ses_name for t in group)
    variables = {t.ses_name: t.variables for t in group if t.variables is not None}
    if claimed is None:
        leader = group[0]
        return Action(
            Kind.CREATE,
            leader.name,
            ses_names,
            dict(leader.payload),
            created_by_tool=True,
            note=_dedupe_note(ses_names, variables),
            variables=variables,
        )
    leader, remote = claimed
    payload = dict(leader.payload)
    changes = []
    for key in COMPARED_FIELDS:
        ours, theirs = payload.get(key) or "", remote.get(key) or ""
        if ours == theirs:
            continue
        if key in BODY_FIELDS and not ours:
            warnings.append(f"{leader.name}: Mailtrap cannot clear {key} once set; the account keeps its {key}")
            continue
        changes.append(key)
    remote_id = int(remote["id"])
    created_by_tool = remote_id in lock.ids_created_by_tool() or str(remote.get("name")) in lock.pending
    kind = Kind.UPDATE if changes else Kind.UNCHANGED
    return Action(
        kind,
        payload["name"],
        ses_names,
        payload,
        tuple(changes),
        remote,
        created_by_tool,
        note=_dedupe_note(ses_names, variables),
        variables=variables,
    )


def _dedupe_note(ses_names: tuple[str, ...], variables: Mapping[str, object]) -> str:
    if len(ses_names) < 2:
        return ""
    if variables:
        return f"serves {len(ses_names)} SES templates, each with its own text values"
    return f"also serves {', '.join(ses_names[1:])} (identical)"


def _deletions(
    remote: list[dict[str, Any]], claimed_ids: set[int], lock: LockFile, kept: set[str], warnings: list[str]
) -> list[Action]:
    ours = lock.ids_created_by_tool()
    deletions = []
    for template in remote:
        template_id = int(template["id"])
        if template_id in claimed_ids:
            continue
        if template_id in ours or str(template.get("name")) in lock.pending:
            ses_names = tuple(sorted(name for name, entry in lock.entries.items() if entry.id == template_id))
            still_in_out = sorted(kept.intersection((str(template.get("name")), *ses_names)))
            if still_in_out:
                warnings.append(
                    f"{template.get('name')}: not pruned, {', '.join(still_in_out)} is still in OUT "
                    "(not uploaded this time: failed, unreadable or invalid)"
                )
                continue
            deletions.append(
                Action(
                    Kind.DELETE,
                    str(template.get("name")),
                    ses_names,
                    remote=template,
                    created_by_tool=True,
                    note="created by ses2mt, no longer in OUT",
                )
            )
    return deletions


def _apply_cap(plan: Plan) -> None:
    creates = plan.of(Kind.CREATE)
    # Creates beyond the free slots (an account already over the cap, on a larger Mailtrap plan, may still update).
    free = max(0, plan.cap - plan.existing + len(plan.of(Kind.DELETE)))
    plan.over_by = max(0, len(creates) - free)
    if plan.over_by == 0:
        return
    for action in creates[max(0, len(creates) - plan.over_by) :]:
        action.kind = Kind.BLOCKED
        action.note = f"does not fit under the {plan.cap}-template cap"
