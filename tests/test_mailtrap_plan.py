"""Planning is a pure function of OUT, the account's templates and the lock file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from templating.mailtrap.local import LocalTemplate, load_local
from templating.mailtrap.lock import LockFile
from templating.mailtrap.plan import Kind, build_plan
from templating.testing import template_payload, write_out_folder


def local(*names: str, **payloads: dict[str, str]) -> list[LocalTemplate]:
    templates = [LocalTemplate(name, template_payload(name), Path(name)) for name in names]
    templates += [LocalTemplate(name, payload, Path(name)) for name, payload in payloads.items()]
    return templates


def remote(template_id: int, payload: dict[str, str]) -> dict[str, Any]:
    return {"id": template_id, "uuid": f"uuid-{template_id}", **payload}


def kinds(plan) -> dict[str, str]:
    return {action.name: str(action.kind) for action in plan.actions}


def empty_lock(tmp_path: Path) -> LockFile:
    return LockFile(tmp_path / "mailtrap.lock.json", "1")


def test_create_update_unchanged(tmp_path: Path) -> None:
    changed = {**template_payload("b"), "subject": "old subject", "body_text": "old"}
    plan = build_plan(
        local("a", "b", "c"), [remote(2, changed), remote(3, template_payload("c"))], empty_lock(tmp_path)
    )
    assert kinds(plan) == {"a": "create", "b": "update", "c": "unchanged"}
    (update,) = plan.of(Kind.UPDATE)
    assert update.changes == ("subject", "body_text")
    assert update.update_fields == {"subject": "b: hello {{{first_name}}}", "body_text": "b for {{{first_name}}}"}
    assert (plan.existing, plan.after, plan.slots_remaining) == (2, 3, 197)


def test_dedupe_uploads_identical_content_once(tmp_path: Path) -> None:
    same = template_payload("x")
    templates = local("a", x={**same, "name": "x"}, y={**same, "name": "y"}, z={**same, "name": "z"})
    plan = build_plan(templates, [], empty_lock(tmp_path))
    creates = plan.of(Kind.CREATE)
    assert [(a.name, a.ses_names) for a in creates] == [("a", ("a",)), ("x", ("x", "y", "z"))]
    assert plan.dedupe_saved == 2 and plan.after == 2


def test_dedupe_keeps_the_account_template_a_member_already_has(tmp_path: Path) -> None:
    same = template_payload("x")
    templates = local(a={**same, "name": "a"}, b={**same, "name": "b"})
    plan = build_plan(templates, [remote(7, {**same, "name": "b"})], empty_lock(tmp_path))
    (action,) = plan.actions
    assert (action.kind, action.name, action.ses_names) == (Kind.UNCHANGED, "b", ("a", "b"))


def test_lock_follows_a_renamed_template_and_a_split_group_gets_its_own(tmp_path: Path) -> None:
    lock = empty_lock(tmp_path)
    shared = remote(5, {**template_payload("a"), "name": "renamed in the UI"})
    lock.record(["a", "b"], shared, "h", created=True)
    templates = local("a", b={**template_payload("a"), "name": "b", "subject": "b now differs"})
    plan = build_plan(templates, [shared], lock)
    assert kinds(plan) == {"a": "update", "b": "create"}
    assert plan.of(Kind.UPDATE)[0].changes == ("name",)
    assert plan.of(Kind.UPDATE)[0].created_by_tool


def test_cap_refuses_and_names_what_does_not_fit(tmp_path: Path) -> None:
    existing = [remote(i, template_payload(f"other{i}")) for i in range(197)]
    plan = build_plan(local("a", "b", "c", "d", "e"), existing, empty_lock(tmp_path))
    assert plan.refused and plan.over_by == 2
    assert [a.name for a in plan.of(Kind.BLOCKED)] == ["d", "e"]
    assert plan.after == 197 and not plan.has_changes


def test_partial_uploads_in_priority_order(tmp_path: Path) -> None:
    out = write_out_folder(tmp_path / "OUT", {name: template_payload(name) for name in "abcde"})
    (out / "priority.txt").write_text("# most important first\ne\nc\nnot-a-template\n", encoding="utf-8")
    loaded = load_local(out)
    assert [t.ses_name for t in loaded.templates] == ["e", "c", "a", "b", "d"]
    assert any("not-a-template" in problem for problem in loaded.problems)
    existing = [remote(i, template_payload(f"other{i}")) for i in range(197)]
    plan = build_plan(loaded.templates, existing, empty_lock(tmp_path), partial=True)
    assert not plan.refused and plan.over_by == 2
    assert [a.name for a in plan.of(Kind.CREATE)] == ["e", "c", "a"]
    assert [a.name for a in plan.of(Kind.BLOCKED)] == ["b", "d"]
    assert (plan.after, plan.slots_remaining) == (200, 0)


def test_deletions_free_slots_under_the_cap(tmp_path: Path) -> None:
    lock = empty_lock(tmp_path)
    ours = remote(1000, template_payload("gone"))
    lock.record(["gone"], ours, "h", created=True)
    existing = [remote(i, template_payload(f"other{i}")) for i in range(199)] + [ours]
    assert build_plan(local("a"), existing, lock).refused
    plan = build_plan(local("a"), existing, lock, prune=True)
    assert kinds(plan) == {"a": "create", "gone": "delete"} and not plan.refused and plan.after == 200


def test_prune_deletes_only_templates_this_tool_created(tmp_path: Path) -> None:
    lock = empty_lock(tmp_path)
    lock.record(["mine"], remote(1, template_payload("mine")), "h", created=True)
    lock.record(["adopted"], remote(2, template_payload("adopted")), "h", created=False)
    lock.pending["half-created"] = "2026-01-01T00:00:00Z"
    account = [
        remote(1, template_payload("mine")),
        remote(2, template_payload("adopted")),
        remote(3, template_payload("foreign")),
        remote(4, template_payload("half-created")),
    ]
    plan = build_plan([], account, lock, prune=True)
    assert sorted(a.name for a in plan.of(Kind.DELETE)) == ["half-created", "mine"]
    assert plan.of(Kind.DELETE)[0].ses_names in (("mine",), ())
    assert build_plan([], account, lock).of(Kind.DELETE) == []


def test_invalid_templates_are_reported_not_sent(tmp_path: Path) -> None:
    templates = local("ok", bad={**template_payload("bad"), "subject": "x" * 256}, blank={"name": "blank"})
    plan = build_plan(templates, [], empty_lock(tmp_path))
    invalid = {a.name: a.errors for a in plan.of(Kind.INVALID)}
    assert invalid["bad"] == {"subject": ["is too long (maximum is 255 characters)"]}
    assert invalid["blank"]["subject"] == ["can't be blank"] and plan.has_problems


def test_a_body_that_cannot_be_cleared_is_not_an_endless_update(tmp_path: Path) -> None:
    account = [remote(1, {**template_payload("a"), "body_text": "set long ago"})]
    plan = build_plan(local(a={**template_payload("a"), "body_text": ""}), account, empty_lock(tmp_path))
    assert kinds(plan) == {"a": "unchanged"}
    assert any("cannot clear body_text" in warning for warning in plan.warnings)


def test_duplicate_names_in_the_account_prefer_the_locked_one(tmp_path: Path) -> None:
    lock = empty_lock(tmp_path)
    lock.record(["a"], remote(9, template_payload("a")), "h", created=True)
    account = [remote(3, template_payload("a")), remote(9, template_payload("a"))]
    plan = build_plan(local("a"), account, lock)
    assert plan.actions[0].remote["id"] == 9
    assert any("2 templates named 'a'" in warning for warning in plan.warnings)


def test_report_json_decides_what_is_uploaded(tmp_path: Path) -> None:
    out = write_out_folder(tmp_path / "OUT", {"a": template_payload("a")}, failed=["b"])
    (out / "b").mkdir()
    (out / "b" / "mailtrap.json").write_text(json.dumps(template_payload("b")), encoding="utf-8")
    assert [t.ses_name for t in load_local(out).templates] == ["a"]
    (out / "report.json").unlink()
    assert [t.ses_name for t in load_local(out).templates] == ["a", "b"]


def test_unreadable_payloads_are_problems(tmp_path: Path) -> None:
    out = write_out_folder(tmp_path / "OUT", {"a": template_payload("a"), "b": template_payload("b")})
    (out / "b" / "mailtrap.json").write_text("{not json", encoding="utf-8")
    loaded = load_local(out)
    assert [t.ses_name for t in loaded.templates] == ["a"]
    assert len(loaded.problems) == 1 and "b/mailtrap.json" in loaded.problems[0]


def test_announced_creates_that_never_arrived_are_forgotten(tmp_path: Path) -> None:
    lock = empty_lock(tmp_path)
    lock.pending.update({"arrived": "t", "lost": "t"})
    plan = build_plan(local("arrived"), [remote(1, template_payload("arrived"))], lock)
    assert plan.stale_pending == ["lost"]
    assert plan.actions[0].kind is Kind.UNCHANGED and plan.actions[0].created_by_tool


def test_empty_out_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "OUT").mkdir()
    loaded = load_local(tmp_path / "OUT")
    assert loaded.templates == [] and "no converted templates" in loaded.problems[0]


def test_an_account_already_over_the_cap_may_still_update(tmp_path: Path) -> None:
    account = [remote(index, template_payload(f"r{index}")) for index in range(201)]
    changed = {**template_payload("r0"), "subject": "new"}
    plan = build_plan(local(r0=changed), account, empty_lock(tmp_path))
    assert not plan.refused and kinds(plan)["r0"] == "update"
    plan = build_plan(local("new", r0=changed), account, empty_lock(tmp_path))
    assert plan.refused and plan.over_by == 1 and kinds(plan)["new"] == "blocked"
