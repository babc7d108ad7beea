"""The preview server over HTTP (Starlette's TestClient), its workspace's file-by-file reloads, and its watcher."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_preview_support import GREETING_HTML, XSS_FIXTURE, set_greeting_html, write_corpus, write_files

from preview_server import create_app
from preview_server.events import Broadcaster
from preview_server.watcher import Debouncer, Watcher
from preview_server.workspace import Workspace
from templating.cli import main
from templating.loaders import load

with warnings.catch_warnings():  # starlette's note about its httpx-based client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "templates")


@pytest.fixture
def client(src: Path) -> TestClient:
    return TestClient(create_app(src, watch=False, workers=0))


# ------------------------------------------------------------------------------------------------------ pages


def test_index_lists_every_template_with_status_counts_and_fixtures(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for name in ("greeting", "receipt", "scripted", "missing", "broken"):
        assert f'href="/t/{name}"' in page.text
    data = client.get("/api/templates").json()
    by_name = {t["name"]: t for t in data["templates"]}
    assert by_name["greeting"]["status"] == "converted"
    assert by_name["greeting"]["fixtures"] == sorted(["ann", "bob", XSS_FIXTURE])
    assert by_name["receipt"]["fixtures"] == ["default"]
    assert by_name["broken"]["status"] == "failed"
    assert by_name["broken"]["errors"] >= 1
    assert by_name["greeting"]["rewrites"] > 0
    assert data["generation"] == 1
    assert 'id="filter"' in page.text


def test_template_page_has_both_renders_in_sandboxed_frames(client: TestClient) -> None:
    page = client.get("/t/greeting", params={"fixture": "bob"})
    assert page.status_code == 200
    assert page.text.count('sandbox="allow-same-origin"') == 2
    assert "allow-scripts" not in page.text
    # the render reaches the frame escaped as an attribute value, never as markup of the page itself
    assert 'srcdoc="&lt;h1 id=&#34;greet&#34;&gt;Hello Bob&lt;/h1&gt;' in page.text
    assert '<option value="bob" selected>' in page.text
    assert 'data-verdict="identical"' in page.text
    for tab in ("html", "text", "subject", "source"):
        assert f'data-tab="{tab}"' in page.text


def test_names_and_messages_are_escaped(client: TestClient) -> None:
    for url in ("/", "/t/greeting"):
        text = client.get(url).text
        assert XSS_FIXTURE not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_renders_endpoint_compares_ses_and_mailtrap(client: TestClient) -> None:
    renders = client.get("/api/templates/greeting/renders", params={"fixture": XSS_FIXTURE}).json()
    assert renders["fixture"] == XSS_FIXTURE
    # SES inserts the value raw; the converted template ({{{plan}}}) makes Mailtrap do the same
    assert "Plan: <b>bold</b>" in renders["ses"]["html"]["text"]
    assert renders["mailtrap"]["html"]["text"] == renders["ses"]["html"]["text"]
    assert renders["verdict"] == "identical"
    assert renders["comparison"]["subject"] == {"verdict": "identical", "offset": None, "line": None, "column": None}
    missing = client.get("/api/templates/greeting/renders", params={"fixture": "nobody"})
    assert missing.status_code == 404
    assert missing.json()["fixtures"] == sorted(["ann", "bob", XSS_FIXTURE])


def test_detail_endpoint(client: TestClient) -> None:
    detail = client.get("/api/templates/greeting").json()
    assert detail["original"]["html"] == GREETING_HTML
    assert "{{{name}}}" in detail["converted"]["html"]
    assert {r["code"] for r in detail["rewrites"]} == {"R101"}
    assert any(f["code"] == "C101" and f["part"] == "html" and f["line"] == 1 for f in detail["findings"])
    assert any(path.endswith("greeting.json") for path in detail["files"])
    assert any(path.endswith("ann.json") for path in detail["files"])
    assert client.get("/api/templates/nope").status_code == 404
    assert client.get("/t/nope").status_code == 404


def test_missing_attribute_shows_ses_message_with_location(client: TestClient) -> None:
    renders = client.get("/api/templates/missing/renders").json()
    error = renders["ses"]["html"]["error"]
    assert error["kind"] == "missing"
    assert error["message"] == "Attribute 'absent' is not present in the rendering data."
    assert (error["line"], error["column"]) == (1, 17)
    assert renders["verdict"] == "unavailable"
    page = client.get("/t/missing").text
    assert "SES cannot render this fixture" in page
    assert "html line 1, column 17" in page


def test_syntax_error_is_shown_in_place_of_the_render(src: Path) -> None:
    set_greeting_html(src, "<h1>Hello {{#if name}}{{name}}</h1>\n")
    client = TestClient(create_app(src, watch=False, workers=0))
    renders = client.get("/api/templates/greeting/renders").json()
    error = renders["ses"]["html"]["error"]
    assert error["kind"] == "syntax"
    assert error["line"] >= 1 and error["column"] >= 1
    assert renders["mailtrap"]["html"]["error"]["kind"] == "not-converted"
    update = client.get("/t/greeting/update").json()
    assert update["frames"] == {"ses": None, "mailtrap": None}
    assert 'data-kind="syntax"' in update["slots"]["ses_error"]
    assert client.get("/api/templates/greeting").json()["status"] == "failed"


def test_first_difference_is_located(client: TestClient) -> None:
    from preview_server.views import Side, compare_part

    ses = Side(texts={"text": "line one\nline two"})
    mailtrap = Side(texts={"text": "line one\nline 2wo"})
    comparison = compare_part("text", ses, mailtrap)
    assert (comparison.verdict, comparison.line, comparison.column) == ("differs", 2, 6)
    assert comparison.ses_excerpt.mark == "t" and comparison.mailtrap_excerpt.mark == "2"


def test_update_endpoint_returns_fragments_and_frames(client: TestClient) -> None:
    update = client.get("/t/greeting/update", params={"fixture": "ann"}).json()
    assert update["fixture"] == "ann"
    assert "Hello Ann" in update["frames"]["ses"]
    assert set(update["slots"]) >= {"header", "fixture_options", "findings_list", "text", "subject"}
    assert "source" not in update["slots"]  # the biggest fragment goes only to a page showing it
    with_source = client.get("/t/greeting/update", params={"fixture": "ann", "tab": "source"}).json()
    assert '<mark class="rw"' in with_source["slots"]["source"]
    fragment = client.get("/fragments/index").json()
    assert 'href="/t/greeting"' in fragment["slots"]["rows"]


def test_every_live_update_slot_has_a_place_on_the_page(client: TestClient) -> None:
    """The page swaps in each fragment by its slot name: a slot the page does not have is never updated."""
    import re

    page = client.get("/t/greeting", params={"tab": "source"}).text
    on_page = set(re.findall(r'data-slot="([a-z_]+)"', page))
    update = client.get("/t/greeting/update", params={"tab": "source"}).json()
    assert set(update["slots"]) <= on_page
    index_slots = set(re.findall(r'data-slot="([a-z_]+)"', client.get("/").text))
    assert set(client.get("/fragments/index").json()["slots"]) <= index_slots


def test_security_headers(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_static_files_are_served(client: TestClient) -> None:
    assert client.get("/static/preview.js").status_code == 200
    assert "text/css" in client.get("/static/preview.css").headers["content-type"]


# --------------------------------------------------------------------------------------------- path traversal


def test_files_route_serves_only_files_under_src(src: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    (src / "link.txt").symlink_to(secret)
    (src / ".hidden").write_text("hidden", encoding="utf-8")
    client = TestClient(create_app(src, watch=False, workers=0))
    ok = client.get("/files/greeting.json")
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")
    assert "sandbox" in ok.headers["content-security-policy"]
    for attempt in (
        "/files/../secret.txt",
        "/files/..%2Fsecret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/shop/../../secret.txt",
        "/files//etc/passwd",
        "/files/link.txt",
        "/files/.hidden",
        "/files/shop",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
    ):
        response = client.get(attempt)
        assert response.status_code == 404, attempt
        assert "top secret" not in response.text


# ------------------------------------------------------------------------------------------------- workspace


def test_refresh_reconverts_only_the_changed_template(src: Path) -> None:
    workspace = Workspace(src)
    workspace.load_all()
    receipt_before = workspace.entry("receipt")
    set_greeting_html(src, "<h1>Hi {{name}}</h1>")
    change = workspace.refresh([src / "greeting.json"])
    assert change.changed == ["greeting"] and not change.added and not change.removed
    assert workspace.entry("receipt").outcome is receipt_before.outcome  # not converted again
    assert workspace.entry("greeting").generation == change.generation == 2
    assert workspace.entry("greeting").outcome.parts["html"] == "<h1>Hi {{{name}}}</h1>"


def test_refresh_picks_up_fixtures_added_and_deleted(src: Path) -> None:
    workspace = Workspace(src)
    workspace.load_all()
    write_files(src, {"greeting.data/cy.json": {"name": "Cy", "plan": "Pro"}})
    change = workspace.refresh([src / "greeting.data" / "cy.json"])
    assert change.changed == ["greeting"]
    assert "cy" in workspace.entry("greeting").fixture_names
    (src / "shop/receipt/data/default.json").unlink()
    change = workspace.refresh([src / "shop/receipt/data/default.json"])
    assert change.changed == ["receipt"]
    assert workspace.entry("receipt").fixture_names == []


def test_refresh_picks_up_templates_added_deleted_and_renamed(src: Path) -> None:
    workspace = Workspace(src)
    workspace.load_all()
    write_files(src, {"extra/html.hbs": "<p>{{x}}</p>", "extra/data/default.json": {"x": 1}})
    change = workspace.refresh([src / "extra"])
    assert change.added == ["extra"]
    (src / "missing.json").unlink()
    change = workspace.refresh([src / "missing.json"])
    assert change.removed == ["missing"]
    value = json.loads((src / "greeting.json").read_text(encoding="utf-8"))
    value["Template"]["TemplateName"] = "salutation"
    (src / "greeting.json").write_text(json.dumps(value), encoding="utf-8")
    change = workspace.refresh([src / "greeting.json"])
    assert change.renamed == {"greeting": "salutation"}
    assert workspace.entry("salutation").fixture_names == sorted(["ann", "bob", XSS_FIXTURE])
    (src / "shop").rename(src / "store")
    change = workspace.refresh([src / "shop", src / "store"])
    assert change.changed == ["receipt"] and not change.removed
    assert str(workspace.entry("receipt").outcome.source).endswith("store/receipt")


def test_refresh_ignores_hidden_files_and_paths_outside_src(src: Path, tmp_path: Path) -> None:
    workspace = Workspace(src)
    workspace.load_all()
    assert workspace.reload_roots([src / ".git" / "index", tmp_path / "elsewhere.json", src / "notes.txt"]) == []
    assert workspace.reload_roots([src / "greeting.data" / "ann.json"]) == [src / "greeting.json"]
    assert workspace.reload_roots([src / "shop/receipt/data/default.json"]) == [src / "shop/receipt"]
    assert workspace.reload_roots([(src / "greeting.data.json").resolve()]) == [src / "greeting.json"]


def test_duplicate_names_across_files_are_reported(src: Path) -> None:
    write_files(src, {"again.json": {"Template": {"TemplateName": "greeting", "SubjectPart": "x"}}})
    workspace = Workspace(src)
    workspace.load_all()
    workspace.refresh([src / "again.json"])
    entries = [e for e in workspace.entries() if e.name == "greeting"]
    assert len(entries) >= 1
    assert all(e.outcome.status == "failed" for e in entries)


def test_single_file_src(src: Path) -> None:
    client = TestClient(create_app(src / "greeting.json", watch=False, workers=0))
    names = [t["name"] for t in client.get("/api/templates").json()["templates"]]
    assert names == ["greeting"]


# ------------------------------------------------------------------------------------------ watcher and events


def test_debouncer_batches_a_burst_of_events(tmp_path: Path) -> None:
    batches: list[list[Path]] = []
    done = threading.Event()

    def handle(batch: list[Path]) -> None:
        batches.append(batch)
        done.set()

    debouncer = Debouncer(handle, quiet=0.1)
    try:
        for index in range(5):
            debouncer.add(tmp_path / f"f{index}")
            time.sleep(0.02)
        assert done.wait(2)
        time.sleep(0.2)
    finally:
        debouncer.stop()
    assert len(batches) == 1 and len(batches[0]) == 5


@pytest.mark.parametrize("poll", [False, True])
def test_watcher_reports_saved_files(tmp_path: Path, poll: bool) -> None:
    seen: list[Path] = []
    done = threading.Event()

    def handle(batch: list[Path]) -> None:
        seen.extend(batch)
        done.set()

    watcher = Watcher(tmp_path, handle, poll=poll)
    try:
        time.sleep(0.3 if poll else 0.1)
        (tmp_path / "new.json").write_text("{}", encoding="utf-8")
        assert done.wait(3)
    finally:
        watcher.stop()
    assert any(path.name == "new.json" for path in seen)


def test_broadcaster_delivers_published_changes_to_streams() -> None:
    async def scenario() -> list[str]:
        broadcaster = Broadcaster()
        broadcaster.bind(asyncio.get_running_loop())
        stream = broadcaster.stream({"generation": 3})
        received = [await anext(stream)]
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.01)
        threading.Thread(target=broadcaster.publish, args=({"generation": 4, "changed": ["a"]},)).start()
        received.append(await asyncio.wait_for(waiting, 2))
        broadcaster.close()
        await stream.aclose()
        return received

    hello, change = asyncio.run(scenario())
    assert "event: hello" in hello and '"generation": 3' in hello and hello.startswith("retry:")
    assert change == 'event: change\ndata: {"generation": 4, "changed": ["a"]}\n\n'


def test_live_server_publishes_file_changes(src: Path) -> None:
    import httpx
    from test_preview_support import running_server

    with running_server(src) as running:
        assert httpx.get(f"{running.url}/api/templates").json()["generation"] == 1
        set_greeting_html(src, "<h1>Changed {{name}}</h1>")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            detail = httpx.get(f"{running.url}/api/templates/greeting").json()
            if "Changed" in detail["original"]["html"]:
                break
            time.sleep(0.05)
        assert "Changed" in detail["original"]["html"]
        assert detail["generation"] >= 2


# ----------------------------------------------------------------------------------------------------- command


def test_cli_help_states_the_contract() -> None:
    result = CliRunner().invoke(main, ["preview", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--open", "--poll", "[SRC]"):
        assert option in result.output
    assert "127.0.0.1" in result.output and "8025" in result.output


def test_cli_reports_a_busy_port(src: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["preview", str(src), "--port", str(port)])
    assert result.exit_code == 1
    assert "already in use" in result.output
    assert "Traceback" not in result.output


def test_cli_default_src_is_templates_in(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["preview"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2
    assert "templates_in" in result.output


def test_infrastructure_files_and_their_references_reload_their_templates(tmp_path: Path) -> None:
    infra = Path(__file__).resolve().parents[1] / "templates_in" / "infra"
    if not (infra / "transactional.tf").is_file():
        pytest.skip("templates_in/infra is not there")
    src = tmp_path / "infra"
    shutil.copytree(infra, src)
    workspace = Workspace(src)
    workspace.load_all()
    referenced = next(path for path in workspace.entry("invoice-paid").files if path.suffix == ".html")
    assert workspace.reload_roots([referenced]) == [src / "transactional.tf"]
    assert workspace.reload_roots([src / "notifications.data" / "order-shipped" / "new.json"]) == [
        src / "notifications.yaml"
    ]
    referenced.write_text(referenced.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    change = workspace.refresh([referenced])
    assert change.changed == ["invoice-paid"]


def test_worker_processes_prepare_what_this_process_would(src: Path) -> None:
    from preview_server.rendering import Preparer, prepare

    t = next(t for t in load(src).templates if t.name == "greeting")
    preparer = Preparer(workers=1)
    try:
        [remote] = preparer.run([(t, [])])
    finally:
        preparer.shutdown()
    local = prepare(t, [])
    assert remote.outcome.parts == local.outcome.parts
    assert remote.outcome.status == local.outcome.status == "converted"
    assert remote.renders == local.renders
    assert set(remote.renders) == {"ann", "bob", XSS_FIXTURE}


def test_a_difference_is_shown_with_its_first_position(src: Path) -> None:
    """pybars3 (standing for Mailtrap) treats `{}` as false where SES does not: verification fails, and the page
    still shows both renders, the "differs" badge and the first difference."""
    html = "<p>Settings {{#if settings}}present{{else}}missing{{/if}}.</p>"
    write_files(src, {"differ.json": {"Template": {"TemplateName": "differ", "HtmlPart": html}}})
    write_files(src, {"differ.data.json": {"settings": {}}})
    client = TestClient(create_app(src, watch=False, workers=0))
    renders = client.get("/api/templates/differ/renders").json()
    assert renders["verdict"] == "differs"
    assert renders["ses"]["html"]["text"] == "<p>Settings present.</p>"
    assert renders["mailtrap"]["html"]["text"] == "<p>Settings missing.</p>"
    assert renders["comparison"]["html"] == {"verdict": "differs", "offset": 12, "line": 1, "column": 13}
    page = client.get("/t/differ").text
    assert 'data-verdict="differs"' in page
    assert 'id="first-difference"' in page and "output line 1, column 13" in page
    assert '<mark class="first-diff">p</mark>' in page and '<mark class="first-diff">m</mark>' in page
    assert 'id="not-converted-notice"' in page
    assert client.get("/api/templates/differ").json()["status"] == "failed"


def test_the_command_serves_and_stops_cleanly_on_ctrl_c(src: Path) -> None:
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "templating", "preview", str(src), "--port", str(port)]
    process = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/api/templates").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, (
                process.stderr.read() if process.stderr else ""
            )
            time.sleep(0.1)
        assert httpx.get(url + "/t/greeting").status_code == 200
        # open pages hold event streams: Ctrl+C ends them instead of waiting for them (and cancelling them noisily)
        with (
            httpx.stream("GET", url + "/api/events", timeout=5) as events,
            httpx.stream("GET", url + "/api/events", timeout=5) as other,
        ):
            lines = events.iter_lines()
            assert next(lines).startswith("retry:")
            assert next(other.iter_lines()).startswith("retry:")
            time.sleep(0.3)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=15)
            rest = list(lines)  # the stream ended properly: no "incomplete chunked read"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert f"Serving at {url}/" in stdout
    assert "5 templates" in stdout
    assert "Traceback" not in stderr and "Cancel" not in stderr and "Aborted" not in stderr, stderr
    assert "leaked" not in stderr
    assert "event: change" not in "\n".join(rest)
    assert process.returncode == 0


def test_allowed_hosts_reject_other_host_names(src: Path) -> None:
    app = create_app(src, watch=False, workers=0, allowed_hosts=["127.0.0.1", "localhost"])
    assert TestClient(app, base_url="http://127.0.0.1:8025").get("/api/templates").status_code == 200
    assert TestClient(app, base_url="http://localhost:8025").get("/").status_code == 200
    assert TestClient(app, base_url="http://attacker.example:8025").get("/api/templates").status_code == 400


def test_a_file_saved_half_written_shows_the_load_error_then_recovers(src: Path) -> None:
    app = create_app(src, watch=False, workers=0)
    workspace: Workspace = app.state.preview.workspace
    client = TestClient(app)
    good = (src / "greeting.json").read_text(encoding="utf-8")
    (src / "greeting.json").write_text(good[: len(good) // 2], encoding="utf-8")
    change = workspace.refresh([src / "greeting.json"])
    assert change.changed == ["greeting"]
    page = client.get("/t/greeting").text
    assert "This file did not load" in page and "L103" in page
    assert client.get("/api/templates/greeting").json()["status"] == "failed"
    (src / "greeting.json").write_text(good, encoding="utf-8")
    workspace.refresh([src / "greeting.json"])
    assert client.get("/api/templates/greeting/renders", params={"fixture": "ann"}).json()["verdict"] == "identical"
