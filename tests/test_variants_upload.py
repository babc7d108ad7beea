"""`ses2mt plan|sync OUT --consolidate` over real HTTP with the local Mailtrap server: 210 SES templates (10 families
of 20 locales, a pair that differs inside `#each`, 6 unrelated templates, 2 exact duplicates) do not fit under the
200 cap; consolidated they do. The lock file maps every SES name to its uuid and the values to inject, and
`translate-send --lock` with it gives messages equal to SES's render of each original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from templating.cli import main
from templating.loaders import load
from templating.mailtrap.lock import LOCK_FILE_NAME, LockFile, LockFileError
from templating.model import Template
from templating.render import render_part
from templating.testing import MailtrapServer

pytest_plugins = ["templating.testing.pytest_fixtures"]

FAMILIES = 10
LOCALES = sorted("en de fr es it nl pt pl sv da fi nb cs hu ro el tr ja ko zh".split())  # noqa: SIM905
FIXTURES = {
    "vip": {"name": "Ann & <Bo>", "vip": True, "order": "<#1>", "items": ["a", "b"]},
    "plain": {"name": "Cy", "vip": False, "order": "42", "items": []},
}


def family_template(family: int, locale: str) -> dict[str, str]:
    word = f"{locale}w{family}"
    names = " {{name}}" * (family + 1)  # a different structure per family
    html = (
        f"<h1>Hello{word}, {{{{name}}}}</h1>\n{{{{#if vip}}}}\n<p>VIP {word} &amp; more</p>\n{{{{else}}}}\n"
        f"<p>Plain {word}</p>\n{{{{/if}}}}\n<p>Order {word}: {{{{order}}}}</p>\n<p>Shared footer{names}</p>\n"
    )
    return {"Subject": f"{word} {{{{name}}}}", "Html": html, "Text": f"Order {word}: {{{{order}}}}\nBye"}


def unrelated_template(number: int) -> dict[str, str]:
    html = "<p>" + " and ".join(["{{name}}"] * (number + 1)) + f" solo {number}</p>"
    return {"Subject": f"Solo {number}", "Html": html, "Text": ""}


def list_template(word: str) -> dict[str, str]:
    return {"Subject": "List", "Html": f"<ul>{{{{#each items}}}}<li>{word} {{{{this}}}}</li>{{{{/each}}}}</ul>"}


def ses_set() -> dict[str, dict[str, str]]:
    templates = {f"f{f}-{locale}": family_template(f, locale) for f in range(FAMILIES) for locale in LOCALES}
    templates |= {f"solo-{n}": unrelated_template(n) for n in range(6)}
    templates |= {"list-en": list_template("Item"), "list-de": list_template("Posten")}
    duplicate = {"Subject": "Dup", "Html": "<b>{{name}} {{order}} {{vip}}</b>", "Text": ""}
    templates |= {"dup-a": duplicate, "dup-b": duplicate}
    return templates


def write_src(folder: Path, templates: dict[str, dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in templates.items():
        template = {"TemplateName": name, "TemplateContent": content}
        (folder / f"{name}.json").write_text(json.dumps(template), encoding="utf-8")
        (folder / f"{name}.data").mkdir(exist_ok=True)
        for fixture, data in FIXTURES.items():
            (folder / f"{name}.data" / f"{fixture}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """SRC (210 SES templates with 2 fixtures each) and OUT, its `ses2mt convert` output."""
    root = tmp_path_factory.mktemp("variants-upload")
    src = write_src(root / "src", ses_set())
    out = root / "OUT"
    result = CliRunner().invoke(main, ["convert", str(src), "-o", str(out)])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["converted"] == len(ses_set()), result.output
    return src, out


@pytest.fixture
def work(converted: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of OUT per test (sync writes the lock file into it)."""
    import shutil

    src, out = converted
    return src, Path(shutil.copytree(out, tmp_path / "OUT"))


def invoke(server: MailtrapServer, *args: str) -> Result:
    env = {
        "MAILTRAP_API_TOKEN": server.token,
        "MAILTRAP_ACCOUNT_ID": server.account_id,
        "MAILTRAP_API_BASE": server.api_base,
    }
    return CliRunner().invoke(main, list(args), env=env)


def test_without_consolidate_nothing_is_merged_and_the_set_is_refused(
    work: tuple[Path, Path], mailtrap_server: MailtrapServer
) -> None:
    _, out = work
    planned = invoke(mailtrap_server, "plan", str(out))
    assert planned.exit_code == 1, planned.output
    assert "merged" not in planned.stdout and "__text" not in planned.output
    assert "Dedupe: 210 SES templates -> 209 Mailtrap templates (1 saved)." in planned.stdout
    assert "this plan needs 209, 9 over the 200-template cap" in planned.stderr
    assert "--consolidate" in planned.stderr
    synced = invoke(mailtrap_server, "sync", str(out), "--yes")
    assert synced.exit_code == 1
    assert mailtrap_server.templates == []
    assert not (out / LOCK_FILE_NAME).exists()


def test_plan_consolidate_shows_families_slots_saved_and_that_the_set_fits(
    work: tuple[Path, Path], mailtrap_server: MailtrapServer
) -> None:
    src, out = work
    planned = invoke(mailtrap_server, "plan", str(out), "--consolidate", "--src", str(src))
    assert planned.exit_code == 0, planned.output
    for family in range(FAMILIES):
        members = ", ".join(f"f{family}-{locale}" for locale in LOCALES)
        assert f"merged  f{family} (20 variants): {members} (" in planned.stdout
    assert planned.stdout.count("fixtures proven, 19 slots saved)") == FAMILIES
    assert planned.stdout.count("40 fixtures proven") == FAMILIES  # 20 members x 2 fixtures, proven against SES
    assert "kept    list-de, list-en: not merged (html: text run" in planned.stdout
    assert "Mailtrap templates: 209 before, 19 after (190 saved); fits in 200." in planned.stdout
    assert "Plan: 19 create, 0 update, 0 delete, 0 blocked" in planned.stdout
    assert "Account: 0 templates now, 19 of 200 after this plan; 181 slots remain." in planned.stdout
    assert mailtrap_server.templates == [] and not (out / LOCK_FILE_NAME).exists()


def test_sync_consolidate_uploads_each_family_once_and_translate_send_renders_like_ses(
    work: tuple[Path, Path], mailtrap_server: MailtrapServer
) -> None:
    src, out = work
    synced = invoke(mailtrap_server, "sync", str(out), "--consolidate", "--src", str(src), "--yes")
    assert synced.exit_code == 0, synced.output
    names = sorted(t["name"] for t in mailtrap_server.templates)
    assert len(names) == 19
    assert [n for n in names if "variants" in n] == [f"f{f} (20 variants)" for f in range(FAMILIES)]
    assert sum(1 for r in mailtrap_server.requests if r.method == "POST") == 19

    lock = LockFile.load(out)
    assert sorted(lock.entries) == sorted(ses_set())
    stored = {t["uuid"]: t for t in mailtrap_server.templates}
    for family in range(FAMILIES):
        entries = [lock.entries[f"f{family}-{locale}"] for locale in LOCALES]
        assert len({entry.uuid for entry in entries}) == 1
        assert stored[entries[0].uuid]["name"] == f"f{family} (20 variants)"
        for locale, entry in zip(LOCALES, entries, strict=True):
            assert entry.variables is not None and set(entry.variables) == {"__text"}
            assert all(f"{locale}w{family}" in value for value in entry.variables["__text"].values())
    for name in ("solo-0", "solo-5", "list-en", "list-de", "dup-a", "dup-b"):
        assert lock.entries[name].variables is None
        assert "__text" not in stored[lock.entries[name].uuid]["body_html"]
    assert lock.entries["dup-a"].uuid == lock.entries["dup-b"].uuid
    assert lock.entries["list-en"].uuid != lock.entries["list-de"].uuid

    originals = {t.name: t for t in load(src).templates}
    sample = [f"f0-{locale}" for locale in LOCALES] + [f"f{f}-nl" for f in range(1, FAMILIES)]
    sample += ["solo-3", "list-de", "dup-b"]
    with httpx.Client(base_url=mailtrap_server.url, headers={"Api-Token": mailtrap_server.token}) as client:
        for name in sample:
            for data in FIXTURES.values():
                body = translate_send(out, name, data)
                assert ("__text" in body["template_variables"]) == name.startswith("f")
                response = client.post("/api/send", json=body)
                assert response.status_code == 200, response.text
                assert_renders_like_ses(mailtrap_server.messages[-1], originals[name], data)

    again = invoke(mailtrap_server, "sync", str(out), "--consolidate", "--src", str(src), "--yes")
    assert again.exit_code == 0, again.output
    assert "Plan: 0 create, 0 update, 0 delete, 0 blocked, 0 invalid, 19 unchanged." in again.stdout
    assert LockFile.load(out).entries["f3-pt"].variables == lock.entries["f3-pt"].variables


def translate_send(out: Path, name: str, data: dict[str, Any]) -> dict[str, Any]:
    request = out.parent / "call.json"
    call = {
        "Source": "hello@example.com",
        "Destination": {"ToAddresses": ["ann@example.com"]},
        "Template": name,
        "TemplateData": json.dumps(data),
    }
    request.write_text(json.dumps(call), encoding="utf-8")
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(out / LOCK_FILE_NAME)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_renders_like_ses(message: dict[str, Any], template: Template, data: dict[str, Any]) -> None:
    for part in ("subject", "html", "text"):
        expected = render_part(template.parts[part], data, "ses") if part in template.parts else ""
        assert message[part] == expected, f"{template.name}: {part} differs from SES's render"


# -- a small set: values that change without changing the merged template; leaving consolidation -------------


def small_set(greeting_de: str = "Hallo") -> dict[str, dict[str, str]]:
    return {
        f"hi-{locale}": {"Subject": f"{word} {{{{name}}}}", "Html": f"<p>{word}, {{{{name}}}}!</p>", "Text": ""}
        for locale, word in (("en", "Hello"), ("de", greeting_de), ("fr", "Bonjour"))
    }


def test_changed_text_updates_the_lock_values_and_sync_without_consolidate_unmerges(
    tmp_path: Path, mailtrap_server: MailtrapServer
) -> None:
    src = write_src(tmp_path / "src", small_set())
    out = tmp_path / "OUT"
    assert CliRunner().invoke(main, ["convert", str(src), "-o", str(out)]).exit_code == 0
    first = invoke(mailtrap_server, "sync", str(out), "--consolidate", "--yes")
    assert first.exit_code == 0, first.output
    assert [t["name"] for t in mailtrap_server.templates] == ["hi (3 variants)"]
    assert LockFile.load(out).entries["hi-de"].variables == {"__text": {"s0": "Hallo", "h0": "Hallo,"}}

    write_src(src, small_set("Servus"))  # same structure: the merged template does not change, the values do
    assert CliRunner().invoke(main, ["convert", str(src), "-o", str(out)]).exit_code == 0
    second = invoke(mailtrap_server, "sync", str(out), "--consolidate", "--yes")
    assert second.exit_code == 0, second.output
    assert "1 unchanged" in second.stdout
    assert LockFile.load(out).entries["hi-de"].variables == {"__text": {"s0": "Servus", "h0": "Servus,"}}
    body = translate_send(out, "hi-de", {"name": "Ann"})
    assert body["template_variables"] == {"name": "Ann", "__text": {"s0": "Servus", "h0": "Servus,"}}

    unmerged = invoke(mailtrap_server, "sync", str(out), "--prune", "--yes")
    assert unmerged.exit_code == 0, unmerged.output
    assert sorted(t["name"] for t in mailtrap_server.templates) == ["hi-de", "hi-en", "hi-fr"]
    lock = LockFile.load(out)
    assert all(entry.variables is None for entry in lock.entries.values())
    assert translate_send(out, "hi-de", {"name": "Ann"})["template_variables"] == {"name": "Ann"}


def test_consolidating_an_account_synced_without_it_updates_one_member_and_prunes_the_others(
    tmp_path: Path, mailtrap_server: MailtrapServer
) -> None:
    src = write_src(tmp_path / "src", small_set())
    out = tmp_path / "OUT"
    assert CliRunner().invoke(main, ["convert", str(src), "-o", str(out)]).exit_code == 0
    assert invoke(mailtrap_server, "sync", str(out), "--yes").exit_code == 0
    assert len(mailtrap_server.templates) == 3
    merged = invoke(mailtrap_server, "sync", str(out), "--consolidate", "--src", str(src), "--prune", "--yes")
    assert merged.exit_code == 0, merged.output
    assert "Plan: 0 create, 1 update, 2 delete" in merged.stdout
    assert [t["name"] for t in mailtrap_server.templates] == ["hi (3 variants)"]
    lock = LockFile.load(out)
    assert {entry.uuid for entry in lock.entries.values()} == {mailtrap_server.templates[0]["uuid"]}
    assert lock.entries["hi-fr"].variables == {"__text": {"s0": "Bonjour", "h0": "Bonjour,"}}
    mapping = invoke(mailtrap_server, "mapping", str(out), "--format", "env")
    assert mapping.exit_code == 0 and mapping.stdout.count("MAILTRAP_TEMPLATE_HI_") == 3
    assert "3 SES templates were consolidated (hi-de, hi-en, hi-fr)" in mapping.stderr


def test_src_without_consolidate_is_a_usage_error(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    src = write_src(tmp_path / "src", small_set())
    result = invoke(mailtrap_server, "plan", str(src), "--src", str(src))
    assert result.exit_code == 2 and "--src is used by --consolidate only" in result.stderr


# -- the lock format stays compatible ----------------------------------------------------------------------------


def test_lock_without_variables_loads_and_entries_without_values_are_written_without_them(tmp_path: Path) -> None:
    entry = {"id": 1, "uuid": "u1", "name": "a", "content_hash": "h", "synced_at": "t", "created_by_tool": True}
    old = {"version": 1, "account_id": "7", "templates": {"a": entry}, "pending": {}}
    (tmp_path / LOCK_FILE_NAME).write_text(json.dumps(old), encoding="utf-8")
    lock = LockFile.load(tmp_path)
    assert lock.entries["a"].variables is None
    lock.record(
        ["b", "c"], {"id": 2, "uuid": "u2", "name": "b (2 variants)"}, "h2", True, {"c": {"__text": {"k": "v"}}}
    )
    written = json.loads((tmp_path / LOCK_FILE_NAME).read_text(encoding="utf-8"))
    assert written["templates"]["a"] == entry
    assert "variables" not in written["templates"]["b"]
    assert written["templates"]["c"]["variables"] == {"__text": {"k": "v"}}
    assert LockFile.load(tmp_path).entries["c"].variables == {"__text": {"k": "v"}}


def test_lock_with_malformed_variables_is_refused(tmp_path: Path) -> None:
    entry = {"id": 1, "uuid": "u1", "name": "a", "variables": {"__text": "not an object"}}
    (tmp_path / LOCK_FILE_NAME).write_text(json.dumps({"templates": {"a": entry}}), encoding="utf-8")
    with pytest.raises(LockFileError, match="variables must be an object"):
        LockFile.load(tmp_path)
