"""Benchmark the checker (issue 2, "Performance"): parse speed, check throughput, peak memory, pybars3 for reference.

    python bench/bench_check.py [--count 20000] [--jobs 2] [--mix 300] [--pybars 3]
                                [--on-disk [--form folder|json] [--corpus DIR] [--whole-set]]

- parse: MB/s of `templating.hbs.parse` on one core, over a mix of 2-200 KB templates (10-500 expressions) and over
  the ~25 KB templates of the check run.
- check: `templating.rules.check_many(templates, jobs)` over `--count` templates of ~25 KB (20-30 KB, 80-200
  expressions, 3 fixtures each, so every part is rendered 3 times). By default the templates are generated in memory,
  one at a time, by this process while the workers check them (generation time is inside the measured time). With
  `--on-disk` they are first written to a temporary folder (not timed; `--form folder`: html.hbs, subject.hbs,
  text.hbs, data/*.json; `--form json`: one SES v2 JSON file each with <name>.data/*.json; `--corpus DIR` writes
  there once and reuses it) and the measured run is the command line, `python -m templating check DIR --jobs N` in a
  subprocess, its report written to a file; `--whole-set` measures `templating.loaders.load` + `rules.check` in this
  process instead (what the command did before it streamed: every template and finding held at once).
- CPU: user + system time of this process and its workers (or of the command and its workers); CPU / jobs is the
  wall time on otherwise idle cores (the wall time printed depends on what else runs on the machine).
- memory: peak of the whole process tree (this process + worker processes; for the command line this process, the
  command and its workers, all counted) from /proc: PSS (shared pages split between the processes sharing them) and
  RSS, and (in-process runs) the bound ru_maxrss(self) + jobs x ru_maxrss(largest child).
- pybars3: compile time of the converted html parts of such templates (pybars3 has no inline partials); pybars3 is
  the independent engine that stands for Mailtrap.

Targets on the 2-core machine: parse >= 10 MB/s; 20,000 templates checked in <= 60 s with 2 jobs; memory <= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_template, iter_templates, mixed_sizes, write_folder_form

from templating.hbs import parse
from templating.loaders import load
from templating.model import Template
from templating.rewrite import convert_template
from templating.rules import check, check_many

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class TreeMemory:
    """Samples the memory of this process and all its descendants. `peak_rss` is the largest sum of resident sizes
    seen (pages a forked worker shares with its parent count twice), from /proc/PID/statm every 20 ms; `peak_pss`
    the largest sum of proportional sizes (shared pages split between the processes sharing them: the tree's real
    footprint), from /proc/PID/smaps_rollup every 250 ms (reading it costs the kernel ~4 ms for a 300 MB process)."""

    def __init__(self, interval: float = 0.02, pss_every: int = 12) -> None:
        self.interval = interval
        self.pss_every = pss_every
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        samples = 0
        while not self._stop.is_set():
            pids = tree_pids(os.getpid())
            self.peak_rss = max(self.peak_rss, sum(map(rss_bytes, pids)))
            if samples % self.pss_every == 0:
                self.peak_pss = max(self.peak_pss, sum(map(pss_bytes, pids)))
            samples += 1
            self._stop.wait(self.interval)


def tree_pids(root: int) -> list[int]:
    """`root` and its descendants, from /proc."""
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return pids


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError):
        return 0


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def cpu_seconds(before: os.times_result, after: os.times_result) -> float:
    """User + system CPU of this process and its waited-for children between two os.times()."""
    fields = ("user", "system", "children_user", "children_system")
    return sum(getattr(after, name) - getattr(before, name) for name in fields)


def mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def bench_parse(mix: int) -> None:
    templates = [
        generate_template(index, size, expressions, seed=7)
        for index, (size, expressions) in enumerate(mixed_sizes(mix, seed=7))
    ]
    parse_speed("mixed 2-200 KB", templates)
    parse_speed("~25 KB", list(iter_templates(max(50, mix // 2), seed=11)))


def parse_speed(label: str, templates: list) -> None:
    sources = [text for t in templates for text in t.parts.values()]
    size = sum(len(text.encode()) for text in sources)
    best = best_wall = float("inf")
    for _ in range(3):
        started, started_wall = time.process_time(), time.perf_counter()
        for text in sources:
            parse(text)
        best = min(best, time.process_time() - started)
        best_wall = min(best_wall, time.perf_counter() - started_wall)
    print(
        f"parse ({label}): {len(templates)} templates, {mb(size)} in {best:.3f} s CPU = {size / best / 1e6:.1f} MB/s "
        f"on one core [target >= 10 MB/s] (wall clock: {size / best_wall / 1e6:.1f} MB/s)"
    )


def bench_check(count: int, jobs: int, on_disk: bool, form: str, corpus: Path | None, whole_set: bool) -> None:
    if not on_disk:
        measure_check(count, jobs, None)
        return
    with tempfile.TemporaryDirectory(prefix="ses2mt-bench-") as temporary:
        folder = corpus or Path(temporary)
        if not (folder / "done").exists():
            write_corpus(folder, count, form)
        if whole_set:
            measure_check(count, jobs, folder)
        else:
            measure_cli(count, jobs, folder)


def write_corpus(folder: Path, count: int, form: str) -> None:
    written = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for t in iter_templates(count):
        (write_folder_form if form == "folder" else write_json_form)(folder, t)
    print(f"check: wrote {count} templates ({form} form) to {folder} in {time.perf_counter() - written:.1f} s")
    (folder / "done").write_text("", encoding="utf-8")


def write_json_form(folder: Path, t: Template) -> None:
    """`<name>.json` (SES v2 GetEmailTemplate shape) and its fixtures in `<name>.data/<fixture>.json`."""
    content = {"Subject": t.parts["subject"], "Html": t.parts["html"], "Text": t.parts["text"]}
    text = json.dumps({"TemplateName": t.name, "TemplateContent": content}, indent=2, ensure_ascii=False)
    (folder / f"{t.name}.json").write_text(text, encoding="utf-8")
    (folder / f"{t.name}.data").mkdir(exist_ok=True)
    for fixture in t.fixtures.values():
        (folder / f"{t.name}.data" / f"{fixture.name}.json").write_text(json.dumps(fixture.data), encoding="utf-8")


def measure_cli(count: int, jobs: int, folder: Path) -> None:
    """`python -m templating check FOLDER --jobs N` in a subprocess: wall time, CPU and memory of the whole tree."""
    command = [sys.executable, "-m", "templating", "check", str(folder), "--jobs", str(jobs)]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with tempfile.TemporaryFile() as report:
        cpu_before = os.times()
        with TreeMemory() as memory:
            started = time.perf_counter()
            status = subprocess.run(command, stdout=report, stderr=subprocess.PIPE, env=environment, check=False)
            elapsed = time.perf_counter() - started
        cpu = cpu_seconds(cpu_before, os.times())
        report.seek(0)
        lines = report.read().decode("utf-8").splitlines()
    codes = Counter(line.split(": ", 2)[1].split()[0] for line in lines[:-1])
    print(
        f"check (command line): {count} templates of ~25 KB (3 fixtures each) on disk, `ses2mt check DIR --jobs {jobs}`"
        f" (exit {status.returncode}): {elapsed:.1f} s = {count / elapsed:.0f} templates/s [target: 20,000 in <= 60 s]"
    )
    print(
        f"check: CPU {cpu:.1f} s (command + workers + this process) = {cpu / count * 1000:.2f} ms per template; on "
        f"{jobs} otherwise idle cores that is {cpu / jobs:.1f} s wall (load average now {os.getloadavg()[0]:.1f})"
    )
    print(f"check: {len(lines) - 1} findings: {dict(codes.most_common())}; {lines[-1] if lines else 'no output'}")
    if status.stderr:
        print(f"check: stderr: {status.stderr.decode(errors='replace')[:500]}")
    print(
        f"memory: process tree peak {mb(memory.peak_pss)} PSS, {mb(memory.peak_rss)} RSS (sampled) [target <= 500 MB]"
    )


def measure_check(count: int, jobs: int, folder: Path | None) -> None:
    """Check `count` templates, from `folder` (load + check) or generated one at a time (check_many)."""
    codes: Counter[str] = Counter()
    cpu_before = os.times()
    with TreeMemory() as memory:
        started = time.perf_counter()
        if folder is not None:
            result = load(folder)
            loaded = time.perf_counter() - started
            findings = check(result, jobs=jobs)
            source = f"load from disk ({loaded:.1f} s) + check"
        else:
            findings = check_many(iter_templates(count), jobs=jobs)
            source = "generated in memory, one at a time, + check_many"
        elapsed = time.perf_counter() - started
        codes.update(f.code for f in findings)
    cpu_after = os.times()
    cpu = cpu_seconds(cpu_before, cpu_after)
    parent_cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(
        f"check: {count} templates of ~25 KB (3 fixtures each), {source}, jobs={jobs}: {elapsed:.1f} s = "
        f"{count / elapsed:.0f} templates/s [target: 20,000 in <= 60 s = 333/s]"
    )
    print(
        f"check: CPU {cpu:.1f} s (this process {parent_cpu:.1f} s + workers) = {cpu / count * 1000:.2f} ms per "
        "template; "
        f"on {jobs} otherwise idle cores that is {cpu / jobs:.1f} s wall = {count / (cpu / jobs):.0f} templates/s "
        f"(load average now {os.getloadavg()[0]:.1f}: other processes share these cores)"
    )
    print(f"check: {len(findings)} findings: {dict(codes.most_common())}")
    print(
        f"memory: process tree peak {mb(memory.peak_pss)} PSS, {mb(memory.peak_rss)} RSS (sampled); "
        f"bound self {mb(self_peak)} + {jobs} x largest worker "
        f"{mb(child_peak)} = {mb(self_peak + jobs * child_peak)} [target <= 500 MB]"
    )


def bench_pybars(count: int) -> None:
    import pybars

    # pybars3 has no inline partials: it compiles the converted html (partials expanded, what Mailtrap receives)
    sources = [convert_template(t).parts["html"] for t in iter_templates(count, seed=13)]
    size = sum(len(text.encode()) for text in sources)
    started = time.perf_counter()
    for text in sources:
        pybars.Compiler().compile(text)
    elapsed = time.perf_counter() - started
    ours = time.perf_counter()
    for text in sources:
        parse(text)
    ours = time.perf_counter() - ours
    print(
        f"pybars3 compile (reference): {count} converted html parts of ~{size / count / 1000:.0f} KB in "
        f"{elapsed:.2f} s = "
        f"{elapsed / count * 1000:.0f} ms each, {size / elapsed / 1e6:.2f} MB/s (our parse of the same: "
        f"{ours / count * 1000:.1f} ms each, {size / ours / 1e6:.1f} MB/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="templates to check (default 20000)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the check (default 2)")
    parser.add_argument("--mix", type=int, default=300, help="templates for the parse measurement (default 300)")
    parser.add_argument("--pybars", type=int, default=3, help="templates pybars3 compiles (0: skip)")
    parser.add_argument("--on-disk", action="store_true", help="write the corpus to a folder, time `ses2mt check`")
    parser.add_argument("--form", choices=["folder", "json"], default="folder", help="--on-disk corpus form")
    parser.add_argument("--corpus", type=Path, help="--on-disk: write the corpus here once, reuse it after")
    parser.add_argument("--whole-set", action="store_true", help="--on-disk: time load + rules.check in-process")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    bench_parse(args.mix)
    if args.pybars:
        bench_pybars(args.pybars)
    if args.count:
        bench_check(args.count, args.jobs, args.on_disk, args.form, args.corpus, args.whole_set)


if __name__ == "__main__":
    main()
