"""End to end over real HTTP: convert templates_in/, sync to the local Mailtrap API, send every fixture with the
template's uuid, and compare each stored message with SES's render of the original template."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.loaders import load
from templating.render import render_part
from templating.testing import MailtrapServer

pytest_plugins = ["templating.testing.pytest_fixtures"]

TEMPLATES_IN = Path(__file__).resolve().parents[1] / "templates_in"


def test_convert_sync_send_equals_ses(tmp_path: Path, mailtrap_server: MailtrapServer) -> None:
    out = tmp_path / "OUT"
    converted = CliRunner().invoke(main, ["convert", str(TEMPLATES_IN), "-o", str(out)])
    if not (out / "report.json").exists():
        pytest.fail(f"convert wrote no report: {converted.output}")
    env = {
        "MAILTRAP_API_TOKEN": mailtrap_server.token,
        "MAILTRAP_ACCOUNT_ID": mailtrap_server.account_id,
        "MAILTRAP_API_BASE": mailtrap_server.api_base,
    }
    synced = CliRunner().invoke(main, ["sync", str(out), "--yes"], env=env)
    assert synced.exit_code == 0, synced.output
    mapping = json.loads(CliRunner().invoke(main, ["mapping", str(out)], env=env).stdout)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    converted_names = {t["name"] for t in report["templates"] if t["status"] == "converted"}
    assert converted_names and set(mapping) == converted_names

    originals = {t.name: t for t in load(TEMPLATES_IN).templates}
    compared = 0
    with httpx.Client(base_url=mailtrap_server.url, headers={"Api-Token": mailtrap_server.token}) as client:
        for name in sorted(converted_names):
            for fixture_path in sorted((out / name / "fixtures").glob("*.json")):
                variables = json.loads(fixture_path.read_text(encoding="utf-8"))
                mail = {
                    "from": {"email": "sender@example.com"},
                    "to": [{"email": "recipient@example.com"}],
                    "template_uuid": mapping[name],
                    "template_variables": variables,
                }
                response = client.post("/api/send", json=mail)
                assert response.status_code == 200, response.text
                message = mailtrap_server.messages[-1]
                original = originals[name]
                for part, key in (("subject", "subject"), ("html", "html"), ("text", "text")):
                    expected = render_part(original.parts[part], variables, "ses") if part in original.parts else ""
                    assert message[key] == expected, f"{name} / {fixture_path.stem} / {part}"
                compared += 1
    assert compared >= len(converted_names)
