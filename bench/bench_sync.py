"""Benchmark the upload: sync 200 templates to the local Mailtrap API under Mailtrap's real rate limit (150 requests
per 10 s), and plan against an account that already holds 200 templates.

    python bench/bench_sync.py [--templates 200] [--jobs 4]

Targets (issue 6): sync <= 20 s with no 429 left unhandled; plan <= 1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from templating.mailtrap.client import MailtrapClient
from templating.mailtrap.local import load_local
from templating.mailtrap.lock import LockFile
from templating.mailtrap.plan import Kind, build_plan
from templating.mailtrap.sync import apply_plan
from templating.testing import MailtrapServer, template_payload, write_out_folder

BODY = "<table>" + "<tr><td>{{{name}}}</td><td>{{#if paid}}paid{{else}}due{{/if}}</td></tr>" * 200 + "</table>"


def make_out(folder: Path, count: int) -> Path:
    templates = {
        f"template-{index:03}": template_payload(f"template-{index:03}", body_html=f"<h1>{index}</h1>{BODY}")
        for index in range(count)
    }
    return write_out_folder(folder / "OUT", templates)


def bench_sync(out: Path, jobs: int) -> None:
    with MailtrapServer() as server:  # Mailtrap's limits: 150 requests / 10 s, 200 templates
        lock = LockFile.load(out)
        started = time.perf_counter()
        with MailtrapClient(server.token, server.account_id, server.api_base) as client:
            plan = build_plan(load_local(out).templates, client.list_templates(), lock)
            result = apply_plan(plan, client, lock, jobs=jobs)
            stats = client.stats
        elapsed = time.perf_counter() - started
        statuses = [record.status for record in server.requests]
        print(
            f"sync: {len(plan.of(Kind.CREATE))} templates created in {elapsed:.2f} s "
            f"({len(statuses)} requests, {statuses.count(429)} answered 429, {stats.retries} retries, "
            f"max {server.max_requests_in_window()} requests in any 10 s; ok={result.ok}; "
            f"templates in the account: {len(server.templates)}) [target <= 20 s]"
        )

        started = time.perf_counter()
        with MailtrapClient(server.token, server.account_id, server.api_base) as client:
            remote = client.list_templates()
            listed = time.perf_counter() - started
            plan = build_plan(load_local(out).templates, remote, LockFile.load(out))
        elapsed = time.perf_counter() - started
        print(
            f"plan: against an account of {len(remote)} templates in {elapsed * 1000:.0f} ms "
            f"(listing {listed * 1000:.0f} ms; {len(plan.of(Kind.UNCHANGED))} unchanged) [target <= 1 s]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = make_out(Path(folder), arguments.templates)
        size = sum(path.stat().st_size for path in out.rglob("mailtrap.json"))
        print(f"{arguments.templates} templates, {size / 1e6:.1f} MB of payloads, jobs={arguments.jobs}")
        bench_sync(out, arguments.jobs)


if __name__ == "__main__":
    main()
