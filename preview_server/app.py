"""The preview web app: Starlette routes over a Workspace, Jinja2 pages (autoescaped), SSE for live updates.

Pages:  /  (index),  /t/{id}  (one template),  /static/*  (this package's CSS and JS),  /files/{path}  (a file under
SRC, as plain text). JSON: /api/templates, /api/templates/{id}, /api/templates/{id}/renders?fixture=, and the event
stream /api/events. The pages' own live-update calls (/t/{id}/update, /fragments/index) return JSON holding
server-rendered HTML fragments, so every name and message reaches the browser through Jinja2's escaping.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from preview_server.events import Broadcaster
from preview_server.rendering import MAX_WORKERS, Preparer
from preview_server.views import RenderSet, annotate_sources, build_render_set
from preview_server.watcher import Watcher
from preview_server.workspace import Change, TemplateEntry, Workspace
from templating.model import PART_NAMES, Finding, Severity

PACKAGE_DIR = Path(__file__).parent
TABS = ("html", "text", "subject", "source")
WIDTHS = {"desktop": 640, "mobile": 375}
TEMPLATE_SLOTS = (
    "header",
    "fixture_options",
    "diff",
    "ses_error",
    "mailtrap_error",
    "text",
    "subject",
    "source",
    "findings_list",
)
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
PART_ORDER = {part: index for index, part in enumerate(PART_NAMES)}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # the emails' own <style> and style="" (the frames inherit this policy)
        "img-src * data: blob:",
        "font-src * data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


@dataclass(slots=True)
class PreviewState:
    """What the routes share: the workspace, the event fan-out, the watcher's settings."""

    workspace: Workspace
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    watch: bool = True
    poll: bool = False
    watcher: Watcher | None = None

    def apply(self, paths: list[Path]) -> Change:
        """Reload what `paths` touched and tell every open page (called in the watcher's thread)."""
        change = self.workspace.refresh(paths)
        if not change.empty:
            self.broadcaster.publish(change.to_json())
        return change


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["url_id"] = lambda value: quote(str(value), safe="")
    return env


class SecurityHeaders:
    """Adds the Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _value in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ------------------------------------------------------------------------------------------------- view models


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (PART_ORDER.get(f.part or "", -1), f.line, f.column, SEVERITY_ORDER.get(f.severity, 3), f.code),
    )


def entry_summary(entry: TemplateEntry) -> dict[str, Any]:
    outcome = entry.outcome
    return {
        "id": entry.id,
        "name": entry.name,
        "source": str(outcome.source),
        "status": outcome.status,
        "errors": entry.count(Severity.ERROR),
        "warnings": entry.count(Severity.WARNING),
        "infos": entry.count(Severity.INFO),
        "fixtures": entry.fixture_names,
        "verified_fixtures": list(outcome.verified_fixtures),
        "rewrites": len(outcome.rewrites),
        "parts": [part for part in PART_NAMES if entry.template is not None and part in entry.template.parts],
        "generation": entry.generation,
        "url": f"/t/{quote(entry.id, safe='')}",
        "api": f"/api/templates/{quote(entry.id, safe='')}",
    }


def entry_detail(entry: TemplateEntry) -> dict[str, Any]:
    t = entry.template
    return {
        **entry_summary(entry),
        "form": t.form if t else None,
        "files": [str(path) for path in entry.files],
        "findings": [f.to_json() for f in sorted_findings(entry.outcome.findings)],
        "rewrites": [r.to_json() for r in entry.outcome.rewrites],
        "original": dict(t.parts) if t else {},
        "converted": dict(entry.outcome.parts),
        "rewritten": dict(entry.converted),
    }


def index_context(workspace: Workspace) -> dict[str, Any]:
    entries = workspace.entries()
    return {
        "src": str(workspace.src),
        "generation": workspace.generation,
        "entries": entries,
        "converted": sum(1 for e in entries if e.outcome.status == "converted"),
        "failed": sum(1 for e in entries if e.outcome.status == "failed"),
        "other_findings": sorted_findings(workspace.other_findings()),
        "Severity": Severity,
    }


def template_context(
    workspace: Workspace, entry: TemplateEntry, fixture: str | None, with_sources: bool = True
) -> dict[str, Any]:
    renders = build_render_set(entry, fixture)
    return {
        "src": str(workspace.src),
        "generation": workspace.generation,
        "entry": entry,
        "r": renders,
        "findings": sorted_findings(entry.outcome.findings),
        "sources": annotate_sources(entry) if with_sources else [],
        "widths": WIDTHS,
        "Severity": Severity,
    }


def frame_documents(renders: RenderSet) -> dict[str, str | None]:
    return {"ses": renders.ses.texts.get("html"), "mailtrap": renders.mailtrap.texts.get("html")}


# ------------------------------------------------------------------------------------------------------ routes


def create_app(
    src: Path,
    *,
    watch: bool = True,
    poll: bool = False,
    workers: int = MAX_WORKERS,
    workspace: Workspace | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The preview app for SRC. Loads and converts everything now (in `workers` processes; 0: in this process);
    watching starts with the app's lifespan. `allowed_hosts` limits the Host header the app answers (so that a web
    page cannot reach a server bound to 127.0.0.1 through a DNS-rebinding name)."""
    owns_workspace = workspace is None
    if workspace is None:
        workspace = Workspace(src, Preparer(workers))
        workspace.load_all()
    state = PreviewState(workspace, watch=watch, poll=poll)
    instance = secrets.token_hex(8)  # tells a page that reconnects after a restart that its generation means nothing
    env = make_environment()

    def src_relative(path: Path) -> str:
        """A path as shown on the pages: relative to SRC (the full path is in the top bar and in tooltips)."""
        try:
            return str(Path(path).relative_to(workspace.base))
        except ValueError:
            return str(path)

    env.filters["src_relative"] = src_relative
    slots = env.get_template("slots.html").module

    def page(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)

    def not_found(what: str) -> HTMLResponse:
        return page("error.html", {"src": str(workspace.src), "message": what, "generation": 0}, 404)

    def find(request: Request) -> TemplateEntry | None:
        return workspace.entry(request.path_params["template_id"])

    async def index(request: Request) -> Response:
        return page("index.html", index_context(workspace))

    async def index_fragment(request: Request) -> Response:
        context = index_context(workspace)
        return JSONResponse(
            {
                "generation": context["generation"],
                "slots": {
                    "summary": str(slots.index_summary(context["entries"], context["converted"], context["failed"])),
                    "rows": str(slots.index_rows(context["entries"])),
                    "other": str(slots.other_findings(context["other_findings"])),
                },
            }
        )

    async def template_page(request: Request) -> Response:
        entry = find(request)
        if entry is None:
            return not_found(f"No template named {request.path_params['template_id']!r} under {workspace.src}.")
        context = await run_in_threadpool(template_context, workspace, entry, request.query_params.get("fixture"))
        tab = request.query_params.get("tab", "html")
        width = request.query_params.get("width", "desktop")
        context |= {"tab": tab if tab in TABS else "html", "width": width if width in WIDTHS else "desktop"}
        return page("template.html", context)

    async def template_update(request: Request) -> Response:
        entry = find(request)
        if entry is None:
            return JSONResponse({"exists": False, "generation": workspace.generation}, status_code=404)
        with_source = request.query_params.get("tab") == "source"
        fixture = request.query_params.get("fixture")
        context = await run_in_threadpool(template_context, workspace, entry, fixture, with_source)
        renders: RenderSet = context["r"]
        arguments = (entry, renders, context["findings"], context["sources"])
        # the annotated sources are the biggest fragment: sent only to a page showing them (others fetch on switch)
        wanted = [name for name in TEMPLATE_SLOTS if with_source or name != "source"]
        return JSONResponse(
            {
                "exists": True,
                "generation": workspace.generation,
                "template_generation": entry.generation,
                "fixture": renders.fixture,
                "verdict": renders.verdict,
                "slots": {name: str(getattr(slots, name)(*arguments)) for name in wanted},
                "frames": frame_documents(renders),
            }
        )

    async def api_list(request: Request) -> Response:
        entries = workspace.entries()
        return JSONResponse(
            {
                "src": str(workspace.src),
                "generation": workspace.generation,
                "templates": [entry_summary(entry) for entry in entries],
                "findings": [f.to_json() for f in sorted_findings(workspace.other_findings())],
            }
        )

    async def api_detail(request: Request) -> Response:
        entry = find(request)
        if entry is None:
            return JSONResponse({"error": "no such template"}, status_code=404)
        return JSONResponse({"generation": workspace.generation, **entry_detail(entry)})

    async def api_renders(request: Request) -> Response:
        entry = find(request)
        if entry is None:
            return JSONResponse({"error": "no such template"}, status_code=404)
        wanted = request.query_params.get("fixture")
        if wanted is not None and wanted not in entry.fixture_names:
            return JSONResponse({"error": f"no fixture named {wanted!r}", "fixtures": entry.fixture_names}, 404)
        renders = await run_in_threadpool(build_render_set, entry, wanted)
        return JSONResponse(renders.to_json())

    async def api_events(request: Request) -> Response:
        hello = {"generation": workspace.generation, "instance": instance}
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(state.broadcaster.stream(hello), media_type="text/event-stream", headers=headers)

    async def source_file(request: Request) -> Response:
        path = contained_file(workspace.base, request.path_params["path"])
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        content = await run_in_threadpool(path.read_bytes)
        headers = {"Content-Security-Policy": "sandbox; default-src 'none'"}
        return Response(content, media_type="text/plain; charset=utf-8", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.broadcaster.bind(asyncio.get_running_loop())
        if state.watch:
            state.watcher = Watcher(workspace.base, state.apply, poll=state.poll)
        try:
            yield
        finally:
            state.broadcaster.close()
            if state.watcher is not None:
                await run_in_threadpool(state.watcher.stop)
                state.watcher = None
            if owns_workspace:
                await run_in_threadpool(workspace.preparer.shutdown)

    routes = [
        Route("/", index),
        Route("/fragments/index", index_fragment),
        Route("/t/{template_id}", template_page),
        Route("/t/{template_id}/update", template_update),
        Route("/api/templates", api_list),
        Route("/api/templates/{template_id}", api_detail),
        Route("/api/templates/{template_id}/renders", api_renders),
        Route("/api/events", api_events),
        Route("/files/{path:path}", source_file),
        Mount("/static", app=StaticFiles(directory=PACKAGE_DIR / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.state.preview = state
    return app


def contained_file(base: Path, relative: str) -> Path | None:
    """The file at `relative` under `base`, or None when it escapes `base` (`..`, absolute, symlinks), is hidden,
    or is not a regular file."""
    parts = Path(relative).parts
    if (
        not relative
        or Path(relative).is_absolute()
        or any(part in ("..", "") or part.startswith(".") for part in parts)
    ):
        return None
    root = base.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError):
        return None
    if root not in target.parents or not target.is_file():
        return None
    return target
