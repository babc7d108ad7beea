"""`ses2mt preview [SRC]`: serve SES and Mailtrap renders side by side, updated live as the files change."""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import webbrowser
from pathlib import Path
from types import FrameType

import click

DEFAULT_SRC = Path("templates_in")


def display_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def allowed_hosts(host: str) -> list[str] | None:
    """Host headers to answer: on a loopback address only the loopback names (a DNS-rebinding page gets 400)."""
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1", "localhost"]
    return None


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is already in use on {host}; choose another with --port"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


@click.command()
@click.argument("src", required=False, default=DEFAULT_SRC, type=click.Path(exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep 127.0.0.1 unless needed).")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the default browser.")
@click.option("--poll", is_flag=True, help="Poll for changes (Docker bind mounts, WSL, network drives).")
def preview(src: Path, host: str, port: int, open_browser: bool, poll: bool) -> None:
    """Preview the SES templates under SRC (default: templates_in/) in the browser: the original rendered as SES next
    to the converted template rendered as Mailtrap, for every fixture, reloading live when files change."""
    import uvicorn

    from preview_server import create_app

    problem = port_problem(host, port)
    if problem is not None:
        raise click.ClickException(problem)
    click.echo(f"Loading and converting the templates under {src} …")
    app = create_app(src, watch=True, poll=poll, allowed_hosts=allowed_hosts(host))
    count = len(app.state.preview.workspace.entries())
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1, lifespan="on", access_log=False
    )
    broadcaster = app.state.preview.broadcaster

    class PreviewServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # end the open pages' event streams now: uvicorn waits for open responses before the app's shutdown,
            # and would otherwise cancel them after its timeout, with a traceback each
            broadcaster.close()
            super().handle_exit(sig, frame)

    server = PreviewServer(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if not server.started:
            return
        actual = server.servers[0].sockets[0].getsockname()[1] if port == 0 and server.servers else port
        address = f"http://{display_host(host)}:{actual}/"
        watching = "polling" if poll else "watching"
        click.echo(f"ses2mt preview: {count} templates, {watching} {src} for changes")
        click.echo(f"Serving at {address}  (Ctrl+C to stop)")
        if open_browser:
            webbrowser.open(address)

    threading.Thread(target=announce, name="ses2mt-preview-announce", daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl+C it handled, once it has shut down
        server.run()
    click.echo("ses2mt preview: stopped")
