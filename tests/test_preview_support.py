"""Helpers for the preview tests: a small corpus written to a temporary folder, and a live uvicorn server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from preview_server import create_app
from preview_server.rendering import Preparer
from preview_server.workspace import Workspace

XSS_FIXTURE = "x<img src=x onerror=alert(1)>"

GREETING_HTML = '<h1 id="greet">Hello {{name}}</h1>\n<p id="plan">Plan: {{plan}}</p>\n'

CORPUS: dict[str, Any] = {
    "greeting.json": {
        "Template": {
            "TemplateName": "greeting",
            "SubjectPart": "Hello {{name}}",
            "HtmlPart": GREETING_HTML,
            "TextPart": "Hello {{name}}, you are on {{plan}}.\n",
        }
    },
    "greeting.data/ann.json": {"name": "Ann", "plan": "Pro"},
    "greeting.data/bob.json": {"name": "Bob", "plan": "Free"},
    f"greeting.data/{XSS_FIXTURE}.json": {"name": "Eve", "plan": "<b>bold</b>"},
    "shop/receipt/html.hbs": "<p>Total: {{total}}</p>\n<ul>{{#each items}}<li>{{this}}</li>{{/each}}</ul>\n",
    "shop/receipt/subject.hbs": "Receipt {{number}}",
    "shop/receipt/data/default.json": {"total": "12.00", "items": ["tea", "cake"], "number": "R-1"},
    "scripted.json": {
        "TemplateName": "scripted",
        "TemplateContent": {
            "Subject": "Scripts",
            "Html": (
                '<p id="visible">static content {{name}}</p>'
                "<script>parent.document.title = 'pwned'; window.top.pwned = 1; document.body.innerHTML = 'ran';"
                "</script>"
                '<img src="data:," onerror="parent.document.title = \'pwned\'">'
            ),
        },
    },
    "scripted.data.json": {"name": "Ann"},
    "missing.json": {
        "Template": {"TemplateName": "missing", "SubjectPart": "Hi", "HtmlPart": "<p>{{greeting}} {{absent}}</p>"}
    },
    "missing.data.json": {"greeting": "Hi"},
    "broken.json": "{ this is not json",
}


def write_files(root: Path, files: Mapping[str, Any]) -> Path:
    """Write files under root: str as UTF-8 text, anything else as JSON."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text, encoding="utf-8")
    return root


def write_corpus(root: Path) -> Path:
    return write_files(root, CORPUS)


def set_greeting_html(src: Path, html: str) -> None:
    """Rewrite greeting.json with a new HtmlPart (atomically, as editors save)."""
    path = src / "greeting.json"
    value = json.loads(path.read_text(encoding="utf-8"))
    value["Template"]["HtmlPart"] = html
    temporary = path.with_name(".greeting.json.tmp")
    temporary.write_text(json.dumps(value, indent=2), encoding="utf-8")
    temporary.replace(path)


@dataclass(slots=True)
class RunningServer:
    url: str
    src: Path
    server: uvicorn.Server


@contextmanager
def running_server(
    src: Path, *, poll: bool = False, preparer: Preparer | None = None, port: int = 0
) -> Iterator[RunningServer]:
    """The preview app for `src`, served by uvicorn in a thread on a free port, watching for changes. Conversions run
    in `preparer`'s worker processes (shared between tests, as starting them takes a moment), else in the app's own.
    `port` 0: a free one."""
    workspace = None
    if preparer is not None:
        workspace = Workspace(src, preparer)
        workspace.load_all()
    app = create_app(src, watch=True, poll=poll, workspace=workspace)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="preview-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the preview server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", src, server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
