"""`ses2mt sync` against the local Mailtrap API over real HTTP: idempotence, the cap, dedupe, prune, resume, 429s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from templating.cli import main
from templating.mailtrap.client import MailtrapClient, RetryPolicy, SlidingWindowLimiter
from templating.mailtrap.local import load_local
from templating.mailtrap.lock import LockFile
from templating.mailtrap.plan import build_plan
from templating.mailtrap.sync import Status, apply_plan
from templating.testing import MailtrapServer, template_payload, write_out_folder

pytest_plugins = ["templating.testing.pytest_fixtures"]

REPO = Path(__file__).resolve().parents[1]
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05)


def make_out(tmp_path: Path, names: list[str], **overrides: dict[str, str]) -> Path:
    templates = {name: template_payload(name) for name in names}
    templates.update(overrides)
    return write_out_folder(tmp_path / "OUT", templates)


def cli(server: MailtrapServer, *args: str) -> Result:
    env = {
        "MAILTRAP_API_TOKEN": server.token,
        "MAILTRAP_ACCOUNT_ID": server.account_id,
        "MAILTRAP_API_BASE": server.api_base,
    }
    return CliRunner().invoke(main, list(args), env=env)


def writes(server: MailtrapServer) -> list[str]:
    return [r.method for r in server.requests if r.method != "GET"]


def lock_of(out: Path) -> dict:
    return json.loads((out / "mailtrap.lock.json").read_text(encoding="utf-8"))


def assert_each_once(server: MailtrapServer, out: Path, names: list[str]) -> None:
    by_name = {}
    for template in server.templates:
        assert template["name"] not in by_name, f"duplicate {template['name']}"
        by_name[template["name"]] = template
    assert sorted(by_name) == sorted(names)
    lock = lock_of(out)
    assert sorted(lock["templates"]) == sorted(names) and lock["pending"] == {}
    for name, entry in lock["templates"].items():
        assert (entry["id"], entry["uuid"]) == (by_name[name]["id"], by_name[name]["uuid"])
        assert entry["created_by_tool"] is True


def test_first_sync_creates_all_then_nothing_then_exactly_the_edited_one(
    tmp_path: Path, mailtrap_server: MailtrapServer
) -> None:
    names = ["invoice", "reset", "welcome"]
    out = make_out(tmp_path, names)
    first = cli(mailtrap_server, "sync", str(out), "--yes")
    assert first.exit_code == 0, first.output
    assert writes(mailtrap_server) == ["POST"] * 3
    assert_each_once(mailtrap_server, out, names)

    second = cli(mailtrap_server, "sync", str(out), "--yes")
    assert second.exit_code == 0, second.output
    assert writes(mailtrap_server) == ["POST"] * 3
    assert "0 create, 0 update, 0 delete, 0 blocked, 0 invalid, 3 unchanged" in second.stdout

    edited = {**template_payload("reset"), "subject": "Reset your password, {{{first_name}}}"}
    write_out_folder(out, {"reset": edited}, report=False)
    third = cli(mailtrap_server, "sync", str(out), "--yes")
    assert third.exit_code == 0, third.output
    assert writes(mailtrap_server) == ["POST"] * 3 + ["PATCH"]
    assert "update" in third.stdout and "subject" in third.stdout
    assert mailtrap_server.templates_named("reset")[0]["subject"] == edited["subject"]
    assert lock_of(out)["templates"]["reset"]["content_hash"] != lock_of(out)["templates"]["invoice"]["content_hash"]


def test_cap_exceeded_refuses_with_nothing_sent(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    for index in range(198):
        mailtrap_server.add_template(f"existing-{index:03}")
    out = make_out(tmp_path, ["a", "b", "c", "d", "e"])
    result = cli(mailtrap_server, "sync", str(out), "--yes")
    assert result.exit_code == 1
    assert "3 over the 200-template cap" in result.stderr and "Do not fit: c, d, e" in result.stderr
    assert [r.method for r in mailtrap_server.requests] == ["GET"]
    assert not (out / "mailtrap.lock.json").exists()
    plan = cli(mailtrap_server, "plan", str(out))
    assert plan.exit_code == 1 and "2 slots remain" in plan.stdout


def test_partial_uploads_what_fits_in_priority_order(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    for index in range(198):
        mailtrap_server.add_template(f"existing-{index:03}")
    out = make_out(tmp_path, ["a", "b", "c", "d", "e"])
    (out / "priority.txt").write_text("d\nb\n", encoding="utf-8")
    result = cli(mailtrap_server, "sync", str(out), "--yes", "--partial")
    assert result.exit_code == 1, result.output
    assert sorted(t["name"] for t in mailtrap_server.templates if not t["name"].startswith("existing")) == ["b", "d"]
    assert "Left out by the cap: a, c, e" in result.stderr
    assert len(mailtrap_server.templates) == 200


def test_dedupe_uploads_once_and_maps_every_name(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    same = template_payload("shared")
    out = make_out(tmp_path, ["other"], copy_a={**same, "name": "copy_a"}, copy_b={**same, "name": "copy_b"})
    plan = cli(mailtrap_server, "plan", str(out))
    assert "Dedupe: 3 SES templates -> 2 Mailtrap templates (1 saved)" in plan.stdout
    assert cli(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    assert sorted(t["name"] for t in mailtrap_server.templates) == ["copy_a", "other"]
    mapping = json.loads(cli(mailtrap_server, "mapping", str(out)).stdout)
    assert mapping["copy_a"] == mapping["copy_b"] == mailtrap_server.templates_named("copy_a")[0]["uuid"]


def test_prune_deletes_only_our_own(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    foreign = mailtrap_server.add_template("made-in-the-ui")
    adopted = mailtrap_server.add_template(
        "adopted", **{k: v for k, v in template_payload("adopted").items() if k != "name"}
    )
    out = make_out(tmp_path, ["adopted", "keep", "drop"])
    assert cli(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    for name in ("drop", "adopted"):
        (out / name / "mailtrap.json").unlink()
        (out / name).rmdir()
    (out / "report.json").unlink()
    without_prune = cli(mailtrap_server, "sync", str(out), "--yes")
    assert without_prune.exit_code == 0 and "DELETE" not in writes(mailtrap_server)
    pruned = cli(mailtrap_server, "sync", str(out), "--yes", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert writes(mailtrap_server).count("DELETE") == 1
    assert sorted(t["name"] for t in mailtrap_server.templates) == ["adopted", "keep", "made-in-the-ui"]
    assert {foreign["id"], adopted["id"]} <= {t["id"] for t in mailtrap_server.templates}
    assert "drop" not in lock_of(out)["templates"]


def test_killed_sync_resumes_without_duplicates(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    names = [f"template-{index:02}" for index in range(12)]
    out = make_out(tmp_path, names)
    mailtrap_server.fail_after_writes(5, mode="hang")  # writes 6+ take effect, then their answers never come
    env = {
        **os.environ,
        "MAILTRAP_API_TOKEN": mailtrap_server.token,
        "MAILTRAP_ACCOUNT_ID": mailtrap_server.account_id,
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "templating", "sync", str(out), "--yes", "--api-base", mailtrap_server.api_base]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while mailtrap_server.write_count < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mailtrap_server.write_count >= 6
        time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    mailtrap_server.clear_faults()
    interrupted = lock_of(out)
    assert 0 < len(interrupted["templates"]) <= 5 and interrupted["pending"]
    assert len(mailtrap_server.templates) > len(interrupted["templates"])  # some reached Mailtrap but not the lock

    resumed = cli(mailtrap_server, "sync", str(out), "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert_each_once(mailtrap_server, out, names)


def test_gave_up_sync_says_what_was_done_and_resumes(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    names = [f"t{index}" for index in range(8)]
    out = make_out(tmp_path, names)
    mailtrap_server.fail_after_writes(3, mode="error", status=503)

    def run_once():
        lock = LockFile.load(out)
        client = MailtrapClient(
            mailtrap_server.token, mailtrap_server.account_id, mailtrap_server.api_base, retry=FAST_RETRY
        )
        with client:
            plan = build_plan(load_local(out).templates, client.list_templates(), lock)
            return apply_plan(plan, client, lock, jobs=1)

    result = run_once()
    assert result.stopped and "gave up" in result.stopped and "503" in result.stopped
    assert len(result.with_status(Status.DONE)) == 3
    assert len(result.with_status(Status.NOT_DONE)) == 5
    mailtrap_server.clear_faults()
    assert run_once().ok
    assert_each_once(mailtrap_server, out, names)


def test_429_storm_is_survived_within_the_rate_limit(tmp_path: Path, mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(rate_limit=10, rate_window=0.5)
    names = [f"t{index:02}" for index in range(30)]
    out = make_out(tmp_path, names)
    server.throttle_next(8, retry_after=None)
    lock = LockFile.load(out)
    limiter = SlidingWindowLimiter(10, 0.5)
    with MailtrapClient(
        server.token,
        server.account_id,
        server.api_base,
        limiter=limiter,
        retry=RetryPolicy(backoff_base=0.05, backoff_cap=0.2),
    ) as client:
        plan = build_plan(load_local(out).templates, client.list_templates(), lock)
        result = apply_plan(plan, client, lock, jobs=4)
    assert result.ok, result.stopped
    assert_each_once(server, out, names)
    assert server.max_requests_in_window() <= 10
    assert [r.status for r in server.requests].count(429) >= 8


def test_422_fails_only_its_template(tmp_path: Path, mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(template_cap=2)  # the account's real cap turns out lower than the plan assumed
    out = make_out(tmp_path, ["a", "b", "c"])
    result = cli(server, "sync", str(out), "--yes", "--jobs", "1")
    assert result.exit_code == 1
    assert "failed: create c:" in result.stderr and "maximum number of email templates" in result.stderr
    assert sorted(t["name"] for t in server.templates) == ["a", "b"]
    assert sorted(lock_of(out)["templates"]) == ["a", "b"] and lock_of(out)["pending"] == {}


def test_auth_lost_mid_sync_stops_at_once(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, [f"t{index}" for index in range(6)])
    mailtrap_server.fail_after_writes(2, mode="error", status=401)
    result = cli(mailtrap_server, "sync", str(out), "--yes", "--jobs", "1")
    assert result.exit_code == 2
    assert "Stopped:" in result.stderr and "Not done" in result.stderr
    assert writes(mailtrap_server) == ["POST"] * 3


@pytest.mark.parametrize(("token", "account", "expected"), [("wrong", None, "401"), (None, "424242", "403")])
def test_wrong_token_or_account_is_a_configuration_error(
    tmp_path: Path, mailtrap_server: MailtrapServer, token: str | None, account: str | None, expected: str
) -> None:
    out = make_out(tmp_path, ["a"])
    env = {
        "MAILTRAP_API_TOKEN": token or mailtrap_server.token,
        "MAILTRAP_ACCOUNT_ID": account or mailtrap_server.account_id,
        "MAILTRAP_API_BASE": mailtrap_server.api_base,
    }
    result = CliRunner().invoke(main, ["sync", str(out), "--yes"], env=env)
    assert result.exit_code == 2 and expected in result.stderr
    assert len(mailtrap_server.requests) == 1 and mailtrap_server.templates == []


def test_max_time_bounds_the_sync_and_names_what_was_not_done(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, [f"t{index}" for index in range(5)])
    mailtrap_server.fail_after_writes(1, mode="hang")
    started = time.monotonic()
    result = cli(mailtrap_server, "sync", str(out), "--yes", "--jobs", "1", "--max-time", "1")
    assert time.monotonic() - started < 3
    assert result.exit_code == 1
    assert "Stopped: gave up" in result.stderr and "time budget" in result.stderr
    assert "Not done (run sync again to finish; nothing will be duplicated): create t1, create t2" in result.stderr
    assert "1 created" in result.stdout


@pytest.mark.parametrize("damage", ["unreadable", "invalid", "failed to convert", "report unreadable"])
def test_prune_keeps_templates_still_in_out_that_cannot_be_uploaded(
    tmp_path: Path, mailtrap_server: MailtrapServer, damage: str
) -> None:
    out = make_out(tmp_path, ["keep", "damaged", "gone"])
    assert cli(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    (out / "gone" / "mailtrap.json").unlink()
    (out / "gone").rmdir()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report["templates"] = [entry for entry in report["templates"] if entry["name"] != "gone"]
    if damage == "unreadable":
        (out / "damaged" / "mailtrap.json").write_text("{not json", encoding="utf-8")
    elif damage == "invalid":
        write_out_folder(out, {"damaged": {**template_payload("damaged"), "subject": "x" * 256}}, report=False)
    elif damage == "failed to convert":
        (out / "damaged" / "mailtrap.json").unlink()
        next(entry for entry in report["templates"] if entry["name"] == "damaged")["status"] = "failed"
    (out / "report.json").write_text(json.dumps(report) if damage != "report unreadable" else "{", encoding="utf-8")
    pruned = cli(mailtrap_server, "sync", str(out), "--yes", "--prune")
    assert sorted(t["name"] for t in mailtrap_server.templates) == ["damaged", "keep"], pruned.output
    assert "not pruned, damaged is still in OUT" in pruned.stderr


def test_lock_follows_the_account_for_unchanged_templates(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = make_out(tmp_path, ["kept", "recreated", "patched"])
    assert cli(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    # Recreated in the UI with the same content (new id and uuid); and a sync killed after its PATCH took effect but
    # before the lock file recorded it (the lock still has the old content hash).
    (old,) = mailtrap_server.templates_named("recreated")
    with mailtrap_server._mutex:
        del mailtrap_server._templates[old["id"]]
    new = mailtrap_server.add_template(**template_payload("recreated"))
    lock = lock_of(out)
    lock["templates"]["patched"]["content_hash"] = "sha256:before-the-patch"
    (out / "mailtrap.lock.json").write_text(json.dumps(lock), encoding="utf-8")

    result = cli(mailtrap_server, "sync", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert writes(mailtrap_server) == ["POST"] * 3
    entries = lock_of(out)["templates"]
    assert (entries["recreated"]["id"], entries["recreated"]["uuid"]) == (new["id"], new["uuid"])
    assert entries["recreated"]["created_by_tool"] is False  # made in the UI: --prune must not delete it
    (patched,) = [t for t in load_local(out).templates if t.ses_name == "patched"]
    assert entries["patched"]["content_hash"] == patched.content_hash
    mapping = json.loads(cli(mailtrap_server, "mapping", str(out)).stdout)
    assert mapping == {t["name"]: t["uuid"] for t in mailtrap_server.templates}


def test_lock_forgets_templates_deleted_from_the_account(tmp_path: Path, mailtrap_server_factory) -> None:
    server = mailtrap_server_factory(template_cap=3)
    out = make_out(tmp_path, ["a", "b"])
    assert cli(server, "sync", str(out), "--yes").exit_code == 0
    (b,) = server.templates_named("b")
    with server._mutex:
        del server._templates[b["id"]]  # deleted in the UI
    server.add_template("x")
    server.add_template("y")  # and the account filled up: b cannot come back
    result = cli(server, "sync", str(out), "--yes")
    assert result.exit_code == 1 and "failed: create b" in result.stderr
    assert sorted(lock_of(out)["templates"]) == ["a"]
    assert "b" not in json.loads(cli(server, "mapping", str(out)).stdout)


def test_deleted_lock_file_matches_by_name_without_duplicates(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    names = ["invoice", "welcome"]
    out = make_out(tmp_path, names)
    assert cli(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    (out / "mailtrap.lock.json").unlink()
    again = cli(mailtrap_server, "sync", str(out), "--yes")
    assert again.exit_code == 0, again.output
    assert "0 create, 0 update, 0 delete, 0 blocked, 0 invalid, 2 unchanged" in again.stdout
    assert writes(mailtrap_server) == ["POST"] * 2
    entries = lock_of(out)["templates"]
    assert {name: entry["uuid"] for name, entry in entries.items()} == {
        t["name"]: t["uuid"] for t in mailtrap_server.templates
    }
    assert not any(entry["created_by_tool"] for entry in entries.values())  # ownership was in the lost lock file
