"""Benchmark the preview's live reload (issue 4, "Performance"): latency from saving a file to the updated page.

    python bench/bench_preview.py [--saves 20] [--poll]

For a typical ~5 KB template and for the 24 KB reference email (bench/corpus.py), the benchmark runs
`ses2mt preview` on a temporary folder in its own process (the real command: uvicorn, the watchdog watcher, the
worker processes), opens the template's page in headless Chromium, and saves the html part `--saves` times, each save
adding a new revision comment. In the page, a listener notes when each email frame has finished loading the new
revision; the latency of one save is the time from just before the file is written until both frames (SES and
Mailtrap) show it. Browser and benchmark share the clock (`Date.now()` vs `time.time()`, milliseconds).

Also printed: the server-side part (`reload_ms` of each change event: load + check + convert + verify + renders of
the changed template, the watcher's debounce excluded); the floor under it, pybars3 compiling the converted html once
(measured in this process); how `/api/templates` answered while the saves were being processed (the server stays
responsive); and the machine's load average, since every number scales with the CPU left over.

Targets: median and p95 <= 300 ms for the 5 KB template, <= 600 ms for the 24 KB email.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from corpus import generate_template, reference_email, write_folder_form

REPO = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGETS_MS = {"typical": 300, "reference": 600}
PAUSE_BETWEEN_SAVES = 0.3

LISTENER = """
() => {
  window.benchSeen = {};
  window.benchReloads = [];
  const events = new EventSource("/api/events");
  events.addEventListener("change", (event) => window.benchReloads.push(JSON.parse(event.data).reload_ms));
  for (const side of ["ses", "mailtrap"]) {
    const frame = document.getElementById("frame-" + side);
    frame.addEventListener("load", () => {
      const match = frame.srcdoc.match(/<!-- rev (\\d+) -->/);
      if (!match) return;
      const seen = (window.benchSeen[match[1]] = window.benchSeen[match[1]] || {});
      if (!(side in seen)) seen[side] = Date.now();
    });
  }
}
"""


def write_corpus(root: Path) -> dict[str, Path]:
    """The two templates in folder form; returns each one's html.hbs."""
    typical = generate_template(0, 5_000, 40, seed=4)
    typical_folder = write_folder_form(root, typical)
    html, fixtures = reference_email()
    reference_folder = root / "reference-email"
    (reference_folder / "data").mkdir(parents=True)
    (reference_folder / "html.hbs").write_text(html, encoding="utf-8")
    (reference_folder / "subject.hbs").write_text("Your statement, {{row0.label}}", encoding="utf-8")
    for index, data in enumerate(fixtures):
        (reference_folder / "data" / f"variant-{index}.json").write_text(json.dumps(data), encoding="utf-8")
    return {typical.name: typical_folder / "html.hbs", "reference-email": reference_folder / "html.hbs"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(src: Path, poll: bool) -> tuple[subprocess.Popen[bytes], str]:
    """`ses2mt preview SRC` in its own process; returns it and its URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "templating", "preview", str(src), "--port", str(port)]
    if poll:
        command.append("--poll")
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/templates").status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the preview server did not start")


class Prober(threading.Thread):
    """Requests /api/templates over and over, recording each answer's latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get(self.url + "/api/templates")
                self.latencies.append(time.perf_counter() - started)
                self.stop.wait(0.02)


def pybars_compile_ms(html_path: Path, rounds: int = 3) -> float:
    """Median time for pybars3 (the Mailtrap stand-in) to compile this template's converted html part, uncached."""
    from templating.loaders import load
    from templating.mailtrap_render import compile_pybars
    from templating.rewrite import convert_template

    t = load(html_path.parent).templates[0]
    times = []
    for round_ in range(rounds):
        t.parts["html"] += f"<!-- floor {round_} -->"
        converted = convert_template(t).parts["html"]
        started = time.perf_counter()
        compile_pybars(converted)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(page: Any, base_url: str, name: str, html_path: Path, saves: int) -> tuple[list[float], list[float]]:
    page.goto(f"{base_url}/t/{name}")
    page.wait_for_selector("#live[data-state=live]")
    page.evaluate(LISTENER)
    original = html_path.read_text(encoding="utf-8")
    latencies: list[float] = []
    for revision in range(1, saves + 1):
        time.sleep(PAUSE_BETWEEN_SAVES)
        written_ms = time.time() * 1000
        html_path.write_text(original + f"<!-- rev {revision} -->\n", encoding="utf-8")
        page.wait_for_function(
            f"(() => {{ const s = window.benchSeen['{revision}']; return s && s.ses && s.mailtrap; }})()",
            timeout=10_000,
        )
        seen = page.evaluate(f"window.benchSeen['{revision}']")
        latencies.append(max(seen["ses"], seen["mailtrap"]) - written_ms)
    reloads = page.evaluate("window.benchReloads")
    return latencies, reloads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--poll", action="store_true", help="use the polling observer")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "templates"
        html_files = write_corpus(src)
        process, base_url = start_server(src, args.poll)
        prober = Prober(base_url)
        results: dict[str, list[float]] = {}
        server_side: dict[str, list[float]] = {}
        sizes: dict[str, int] = {}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True).new_page()
                prober.start()
                for label, (name, html_path) in zip(("typical", "reference"), html_files.items(), strict=True):
                    sizes[label] = sum(p.stat().st_size for p in html_path.parent.glob("*.hbs"))
                    results[label], server_side[label] = measure(page, base_url, name, html_path, args.saves)
                prober.stop.set()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)

        paths = dict(zip(("typical", "reference"), html_files.values(), strict=True))
        floors = {label: pybars_compile_ms(path) for label, path in paths.items()}

    watcher = "polling" if args.poll else "native"
    print(f"save-to-updated-page latency, {args.saves} saves each, {watcher} watcher, measured in Chromium:")
    ok = True
    for label in ("typical", "reference"):
        values = results[label]
        median, p95 = statistics.median(values), percentile(values, 0.95)
        target = TARGETS_MS[label]
        verdict = "ok" if p95 <= target else "OVER TARGET"
        ok &= p95 <= target
        reload_ms = server_side[label] or [0.0]
        print(
            f"  {label:9} ({sizes[label] / 1024:.1f} KB): median {median:.0f} ms, p95 {p95:.0f} ms, "
            f"max {max(values):.0f} ms (target <= {target} ms: {verdict}); {len(reload_ms)} reloads, median "
            f"{statistics.median(reload_ms):.0f} ms, of which pybars3 compiling the html ~{floors[label]:.0f} ms"
        )
    probe = [latency * 1000 for latency in prober.latencies]
    print(
        f"  /api/templates during the saves: {len(probe)} requests, median {statistics.median(probe):.1f} ms, "
        f"p95 {percentile(probe, 0.95):.1f} ms, max {max(probe):.1f} ms"
    )
    print(f"  load average (1, 5, 15 min) at the end: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
