"""Consolidation end to end over real HTTP: three locales of one SES template (plus an unrelated template) are
converted, consolidated, synced to the local Mailtrap API as two templates, and every SES call translated with
`translate-send` (which injects the `__text` values) gives, for every fixture, SES's render of the original."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.loaders import load
from templating.mailtrap import MailtrapSender
from templating.model import Template
from templating.render import render_part
from templating.testing import MailtrapServer

pytest_plugins = ["templating.testing.pytest_fixtures"]

TEMPLATES_IN = Path(__file__).resolve().parents[1] / "templates_in"
LOCALES = {
    "de": [
        ("Welcome aboard", "Willkommen an Bord"),
        ("Welcome to Tidewell", "Willkommen bei Tidewell"),
        ("Your account is ready.", "Ihr Konto ist bereit."),
        ("Need a hand?", "Brauchen Sie Hilfe?"),
    ],
    "fr": [
        ("Welcome aboard", "Bienvenue à bord"),
        ("Welcome to Tidewell", "Bienvenue chez Tidewell"),
        ("Please confirm", "Veuillez confirmer"),
    ],
}


def _translated(template: dict[str, Any], name: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    content = dict(template["TemplateContent"])
    for key, text in content.items():
        for english, other in pairs:
            text = text.replace(english, other)
        content[key] = text
    return {**template, "TemplateName": name, "TemplateContent": content}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    welcome = json.loads((TEMPLATES_IN / "saas/welcome.json").read_text(encoding="utf-8"))
    for name, pairs in {"welcome-en": [], **{f"welcome-{k}": v for k, v in LOCALES.items()}}.items():
        (folder / f"{name}.json").write_text(json.dumps(_translated(welcome, name, pairs)), encoding="utf-8")
        shutil.copytree(TEMPLATES_IN / "saas/welcome.data", folder / f"{name}.data")
    shutil.copy(TEMPLATES_IN / "saas/trial-ending.json", folder)
    shutil.copytree(TEMPLATES_IN / "saas/trial-ending.data", folder / "trial-ending.data")
    return folder


def test_consolidated_templates_render_every_original_exactly(
    tmp_path: Path, src: Path, mailtrap_server: MailtrapServer
) -> None:
    out, merged = tmp_path / "OUT", tmp_path / "MERGED"
    converted = CliRunner().invoke(main, ["convert", str(src), "-o", str(out)])
    assert converted.exit_code == 0, converted.output
    consolidated = CliRunner().invoke(main, ["consolidate", str(out), "-o", str(merged), "--src", str(src)])
    assert consolidated.exit_code == 0, consolidated.output
    assert "welcome (3 variants): welcome-de, welcome-en, welcome-fr" in consolidated.stdout
    assert "4 before, 2 after (2 saved); fits in 200" in consolidated.stdout

    env = {
        "MAILTRAP_API_TOKEN": mailtrap_server.token,
        "MAILTRAP_ACCOUNT_ID": mailtrap_server.account_id,
        "MAILTRAP_API_BASE": mailtrap_server.api_base,
    }
    synced = CliRunner().invoke(main, ["sync", str(merged), "--yes"], env=env)
    assert synced.exit_code == 0, synced.output
    assert sorted(t["name"] for t in mailtrap_server.templates) == ["trial-ending", "welcome (3 variants)"]
    mapping = json.loads(CliRunner().invoke(main, ["mapping", str(merged)], env=env).stdout)
    assert sorted(mapping) == ["trial-ending", "welcome-de", "welcome-en", "welcome-fr"]
    assert len({mapping[f"welcome-{k}"] for k in ("en", "de", "fr")}) == 1

    originals = {t.name: t for t in load(src).templates}
    compared = 0
    with httpx.Client(base_url=mailtrap_server.url, headers={"Api-Token": mailtrap_server.token}) as client:
        for name, original in sorted(originals.items()):
            for fixture in original.fixtures.values():
                body = _translate(tmp_path, merged, name, fixture.data)
                assert ("__text" in body["template_variables"]) == name.startswith("welcome")
                response = client.post("/api/send", json=body)
                assert response.status_code == 200, response.text
                _assert_renders_like_ses(mailtrap_server.messages[-1], original, fixture.data)
                compared += 1
    assert compared == 3 * 2 + 3

    welcome_de = originals["welcome-de"]
    data = next(iter(welcome_de.fixtures.values())).data
    lock = merged / "mailtrap.lock.json"
    with MailtrapSender(token=mailtrap_server.token, base_url=mailtrap_server.url, lock=lock) as ses:
        ses.send_bulk_email(
            FromEmailAddress="hello@tidewell.example",
            DefaultContent={"Template": {"TemplateName": "welcome-de", "TemplateData": json.dumps(data)}},
            BulkEmailEntries=[{"Destination": {"ToAddresses": ["a@example.com"]}}],
        )
    _assert_renders_like_ses(mailtrap_server.messages[-1], welcome_de, data)
    assert "Willkommen an Bord" in mailtrap_server.messages[-1]["html"]


def _translate(tmp_path: Path, merged: Path, name: str, data: dict[str, Any]) -> dict[str, Any]:
    request = tmp_path / "call.json"
    request.write_text(
        json.dumps(
            {
                "Source": "hello@tidewell.example",
                "Destination": {"ToAddresses": ["ann@example.com"]},
                "Template": name,
                "TemplateData": json.dumps(data),
            }
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["translate-send", str(request), "--lock", str(merged / "mailtrap.lock.json")])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_renders_like_ses(message: dict[str, Any], template: Template, data: dict[str, Any]) -> None:
    for part in ("subject", "html", "text"):
        expected = render_part(template.parts[part], data, "ses") if part in template.parts else ""
        assert message[part] == expected, f"{template.name}: {part} differs from SES's render"
