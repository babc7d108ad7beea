"""handlebars.js 4.7.8 as a test oracle.

Prefers Node (`tests/oracle/render.js` with `tests/oracle/node_modules`, installed by `npm ci` in tests/oracle);
else the PyPI `handlebars` package (handlebars.js run by js2py: slow, so only spec-sized cases; js2py also orders
integer-like object keys by insertion, not first as JavaScript does, so random data avoids such keys);
else tests that need the oracle skip.

A case is `{"template", "data", "compileOptions"?, "partials"?, "runtimeData"?}`; a result is
`{"ok": True, "output": str}` or `{"ok": False, "error": str}`.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

ORACLE_DIR = Path(__file__).resolve().parent / "oracle"
RENDER_SCRIPT = ORACLE_DIR / "render.js"


@lru_cache(maxsize=1)
def backend() -> str | None:
    """ "node", "js2py" or None."""
    if shutil.which("node") and (ORACLE_DIR / "node_modules" / "handlebars").is_dir():
        return "node"
    try:
        import handlebars  # noqa: F401
    except Exception:
        return None
    return "js2py"


class _NodeSession:
    """One long-lived `node render.js --lines` process: a case per line in, a result per line out."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", str(RENDER_SCRIPT), "--lines"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def render(self, case: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(case) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the node oracle stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


_session: _NodeSession | None = None


def render_one(case: dict[str, Any]) -> dict[str, Any]:
    """Render one case with handlebars.js (a persistent Node process when Node is available)."""
    global _session
    kind = backend()
    if kind == "node":
        if _session is None or _session.process.poll() is not None:
            _session = _NodeSession()
            atexit.register(_session.close)
        return _session.render(case)
    if kind == "js2py":
        return _render_js2py(case)
    raise RuntimeError("no handlebars.js oracle (node + tests/oracle/node_modules, or the PyPI handlebars package)")


def render_cases(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Render every case with handlebars.js; raises RuntimeError when no oracle is available."""
    kind = backend()
    if kind == "node":
        return _render_node(cases)
    if kind == "js2py":
        return [_render_js2py(case) for case in cases]
    raise RuntimeError("no handlebars.js oracle (node + tests/oracle/node_modules, or the PyPI handlebars package)")


def _render_node(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(
        ["node", str(RENDER_SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"oracle failed: {completed.stderr.strip()}")
    return json.loads(completed.stdout)


@lru_cache(maxsize=1)
def _js2py_handlebars() -> Any:
    import handlebars

    return handlebars.Handlebars


def _render_js2py(case: dict[str, Any]) -> dict[str, Any]:
    handlebars = _js2py_handlebars()
    try:
        env = handlebars.create()
        env.log = lambda *args: None
        template = env.compile(case["template"], case.get("compileOptions") or {})
        runtime: dict[str, Any] = {"partials": case.get("partials") or {}}
        if case.get("runtimeData") is not None:
            runtime["data"] = case["runtimeData"]
        return {"ok": True, "output": str(template(case.get("data"), runtime))}
    except Exception as error:  # js2py raises its own exception types for JavaScript errors
        return {"ok": False, "error": str(error)}
