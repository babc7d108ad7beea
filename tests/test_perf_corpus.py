"""The benchmark corpus (bench/corpus.py) and the streaming check it relies on."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from corpus import (
    expression_count,
    generate_template,
    iter_templates,
    mixed_sizes,
    reference_email,
    template_size,
    write_folder_form,
)

from templating.loaders import load
from templating.model import Severity
from templating.render import compile_template
from templating.rules import check_many, check_template


def test_generation_is_deterministic_and_templates_differ() -> None:
    first = generate_template(3, 20_000, 120, seed=1)
    again = generate_template(3, 20_000, 120, seed=1)
    other = generate_template(4, 20_000, 120, seed=1)
    assert first.parts == again.parts
    assert [f.data for f in first.fixtures.values()] == [f.data for f in again.fixtures.values()]
    assert first.parts["html"] != other.parts["html"]


@pytest.mark.parametrize(("size", "expressions"), [(2_000, 10), (25_000, 150), (200_000, 500)])
def test_size_and_expression_count_follow_the_request(size: int, expressions: int) -> None:
    t = generate_template(0, size, expressions)
    assert abs(template_size(t) - size) <= max(1_500, size * 0.1)
    assert expressions <= expression_count(t) <= expressions + 20


def test_mixed_sizes_span_2_to_200_kb() -> None:
    pairs = mixed_sizes(400, seed=2)
    sizes = [size for size, _ in pairs]
    assert 2_000 <= min(sizes) < 4_000 and 150_000 < max(sizes) <= 200_000
    assert all(10 <= expressions <= 500 for _, expressions in pairs)


def test_generated_templates_have_no_errors_and_fixtures_cover_every_printed_path() -> None:
    for t in iter_templates(5, seed=9):
        assert len(t.fixtures) == 3
        findings = check_template(t)
        assert [f for f in findings if f.severity == Severity.ERROR] == []
        assert not any(f.code.startswith("D") for f in findings)


def test_written_folder_form_loads_back(tmp_path: Path) -> None:
    t = generate_template(1, 5_000, 30)
    write_folder_form(tmp_path, t)
    result = load(tmp_path)
    assert result.findings == []
    (loaded,) = result.templates
    assert loaded.parts == t.parts
    assert {name: f.data for name, f in loaded.fixtures.items()} == {name: f.data for name, f in t.fixtures.items()}


def test_reference_email_matches_issue_3() -> None:
    source, fixtures = reference_email()
    assert 23_000 <= len(source) <= 26_000
    assert source.count("{{#if row") == 40 and source.count("{{#each items}}") == 1
    assert all(len(data["items"]) == 20 for data in fixtures)
    output = compile_template(source).render(fixtures[0])
    assert "Item 19" in output and "{{" not in output


def test_check_many_streams_a_lazy_iterable_on_two_jobs_with_the_same_findings() -> None:
    count = 40  # above the parallel threshold
    pulled: list[str] = []
    progressed: list[str] = []

    def templates():
        for t in iter_templates(count, size_range=(2_000, 4_000), expression_range=(10, 30), seed=4):
            pulled.append(t.name)
            yield t

    before = gc.get_threshold()
    parallel = check_many(templates(), jobs=2, progress=lambda t: progressed.append(t.name))
    assert gc.get_threshold() == before
    sequential = check_many(list(iter_templates(count, (2_000, 4_000), (10, 30), seed=4)), jobs=1)
    assert [f.to_json() for f in parallel] == [f.to_json() for f in sequential]
    assert progressed == pulled[:count] and len(pulled) == count


class _BreaksAfter:
    """A stand-in for ProcessPoolExecutor that runs `good` submissions in-process, then reports a broken pool."""

    def __init__(self, good: int) -> None:
        self.good = good

    def __call__(self, max_workers: int) -> _BreaksAfter:
        return self

    def __enter__(self) -> _BreaksAfter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, function, *args):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if self.good == 0:
            raise BrokenProcessPool("a worker died")
        self.good -= 1
        future: Future = Future()
        future.set_result(function(*args))
        return future


@pytest.mark.parametrize("good", [0, 1, 7])
def test_check_many_finishes_in_process_when_the_pool_breaks(monkeypatch: pytest.MonkeyPatch, good: int) -> None:
    import templating.rules as rules

    templates = list(iter_templates(40, (2_000, 4_000), (10, 30), seed=6))
    expected = [f.to_json() for f in check_many(templates, jobs=1)]
    monkeypatch.setattr(rules, "ProcessPoolExecutor", _BreaksAfter(good))
    monkeypatch.setattr(rules, "STREAM_CHUNK", 4)
    progressed: list[str] = []
    findings = check_many(iter(templates), jobs=2, progress=lambda t: progressed.append(t.name))
    assert [f.to_json() for f in findings] == expected
    assert progressed == [t.name for t in templates]
