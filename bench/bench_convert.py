"""Benchmark rendering and conversion (issue 3, "Performance").

    python bench/bench_convert.py [--count 100] [--jobs 2] [--runs 30]

- the 24 KB reference email (40 table rows each with an #if/else and 3 variables, an #each of 20 items, ~18 KB of
  static text): compile + render with our engine (templating.render, SES mode), side by side with pybars3's compile +
  render and handlebars.js 4.7.8 in Node (tests/oracle/node_modules/handlebars, measured inside node after warm-up)
  when Node and the package are there. Target: ours <= 30 ms.
- the compile cache: `compile_template` is keyed by the template's content, so rendering an unchanged template
  again costs no parse and no compile (both timings printed, and an equal-content copy of the source hits the cache).
- `convert` throughput: `templating.convert.convert_loaded` (check + rewrite + verify with the 3 fixtures of each
  template, SES render of the original vs pybars3 render of the converted part) over `--count` generated ~25 KB
  templates on `--jobs` processes; templates/s by wall clock and by CPU (this process + workers).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import iter_templates, reference_email

from templating.convert import convert_loaded
from templating.hbs import parse
from templating.model import LoadResult
from templating.render import Compiled, compile_template

REPO = Path(__file__).resolve().parents[1]
NODE_HANDLEBARS = REPO / "tests" / "oracle" / "node_modules" / "handlebars"
NODE_SCRIPT = """
const Handlebars = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const run = () => Handlebars.compile(input.template, {noEscape: true})(input.data);
for (let i = 0; i < input.warmup; i++) run();
const times = [];
for (let i = 0; i < input.runs; i++) {
  const start = process.hrtime.bigint();
  run();
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({median: times[times.length >> 1], min: times[0], output: run()}));
"""


def timed(action: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median and minimum wall time of `action` in ms."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def ours_cold(source: str, data: dict[str, Any]) -> str:
    """Parse + compile + render, no cache involved."""
    return Compiled(source, parse(source)).render(data, escape=False, strict=True)


def bench_reference(runs: int) -> None:
    source, fixtures = reference_email()
    data = fixtures[0]
    static = sum(len(node.value) for node in parse(source).body if hasattr(node, "value"))
    print(
        f"reference email: {len(source.encode()) / 1000:.1f} KB, {source.count('{{')} tags, "
        f"{static / 1000:.1f} KB of text outside tags (12 static paragraphs of ~1.5 KB, row and list markup)"
    )
    expected = ours_cold(source, data)
    median, best = timed(lambda: ours_cold(source, data), runs)
    print(f"  ours (parse + compile + render):  median {median:6.1f} ms, min {best:6.1f} ms  [target <= 30 ms]")
    try:
        import pybars
    except ImportError:
        print("  pybars3: not installed")
    else:

        def pybars_once() -> str:
            return str(pybars.Compiler().compile(source)(data))

        same = pybars_once() == expected
        median, best = timed(pybars_once, max(3, runs // 10))
        print(f"  pybars3 (compile + render):       median {median:6.1f} ms, min {best:6.1f} ms  (same output: {same})")
    bench_node(source, data, expected, runs)


def bench_node(source: str, data: dict[str, Any], expected: str, runs: int) -> None:
    node = shutil.which("node")
    if node is None or not NODE_HANDLEBARS.is_dir():
        print("  handlebars.js: not available (needs node and tests/oracle/node_modules/handlebars)")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as script:
        script.write(NODE_SCRIPT)
    try:
        payload = json.dumps({"template": source, "data": data, "warmup": 50, "runs": max(runs, 50)})
        done = subprocess.run(
            [node, script.name, str(NODE_HANDLEBARS)], input=payload, capture_output=True, text=True, timeout=120
        )
    finally:
        os.unlink(script.name)
    if done.returncode != 0:
        print(f"  handlebars.js: failed: {done.stderr.strip()[:200]}")
        return
    result = json.loads(done.stdout)
    print(
        f"  handlebars.js 4.7.8 (Node, warm): median {result['median']:6.1f} ms, min {result['min']:6.1f} ms  "
        f"(same output: {result['output'] == expected})"
    )


def bench_cache(runs: int) -> None:
    source, fixtures = reference_email()
    data = fixtures[1]
    compile_template.cache_clear()
    started = time.perf_counter()
    compiled = compile_template(source)
    compiled.render(data)
    first = (time.perf_counter() - started) * 1000
    copy = "".join(list(source))  # another string object with the same content
    median, best = timed(lambda: compile_template(copy).render(data), runs)
    print(
        f"compile cache (by content): first render {first:.1f} ms (parse + compile + render); re-render of the "
        f"unchanged template median {median:.1f} ms, min {best:.1f} ms (no compile; cache hit for an equal copy: "
        f"{compile_template(copy) is compiled})"
    )


def cpu_seconds(before: os.times_result, after: os.times_result) -> float:
    fields = ("user", "system", "children_user", "children_system")
    return sum(getattr(after, name) - getattr(before, name) for name in fields)


def bench_convert(count: int, jobs: int) -> None:
    templates = list(iter_templates(count, seed=3))
    result = LoadResult(templates, [])
    compile_template.cache_clear()
    cpu_before = os.times()
    started = time.perf_counter()
    run = convert_loaded(result, Path("corpus"), jobs=jobs)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(cpu_before, os.times())
    statuses = Counter(outcome.status for outcome in run.outcomes)
    verified = sum(len(outcome.verified_fixtures) for outcome in run.outcomes)
    print(
        f"convert: {count} templates of ~25 KB (check + rewrite + verify, 3 fixtures each), jobs={jobs}: "
        f"{elapsed:.1f} s = {count / elapsed:.0f} templates/s; {dict(statuses)}, {verified} fixtures verified"
    )
    print(
        f"convert: CPU {cpu:.1f} s (this process + workers) = {cpu / count * 1000:.1f} ms per template; on {jobs} "
        f"otherwise idle cores {count / (cpu / jobs):.0f} templates/s (load average now {os.getloadavg()[0]:.1f})"
    )


def convert_breakdown(count: int) -> None:
    """Where one process spends convert's time: pybars3's compile (timed by wrapping it) against the rest."""
    import templating.mailtrap_render as mailtrap_render
    from templating.convert import convert_one

    original = mailtrap_render.compile_pybars
    spent = [0.0]

    def timed_compile(source: str) -> Any:
        started = time.process_time()
        try:
            return original(source)
        finally:
            spent[0] += time.process_time() - started

    mailtrap_render.compile_pybars = timed_compile  # type: ignore[assignment]
    try:
        started = time.process_time()
        for t in iter_templates(count, seed=21):
            convert_one(t)
        total = time.process_time() - started
    finally:
        mailtrap_render.compile_pybars = original
    print(
        f"convert, one process, {count} templates: {total / count * 1000:.0f} ms CPU per template, of which pybars3 "
        f"compile {spent[0] / count * 1000:.0f} ms ({spent[0] / total:.0%}); the rest (check, rewrite, SES "
        f"renders, pybars3 renders) {(total - spent[0]) / count * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="templates to convert (default 100, 0: skip)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for convert (default 2)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per engine (default 30)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    bench_reference(args.runs)
    bench_cache(args.runs)
    if args.count:
        bench_convert(args.count, args.jobs)
        convert_breakdown(min(args.count, 10))


if __name__ == "__main__":
    main()
