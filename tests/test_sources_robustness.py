"""Damaged CloudFormation and Terraform files: loading never raises and never hits an internal error (X101)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templating.loaders import load

INFRA = Path(__file__).resolve().parents[1] / "templates_in" / "infra"
SAMPLES = {
    "stack.yaml": (INFRA / "notifications.yaml").read_text(encoding="utf-8"),
    "main.tf": (INFRA / "transactional.tf").read_text(encoding="utf-8"),
}
NOISE = st.sampled_from([*"{}[]()\"'$%!:#|>-<\\\n \t=,.", "${", "%{", "$${", "!Sub ", "Fn::Join", "<<EOT\n"])


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    text = SAMPLES[name]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        start = draw(st.integers(min_value=0, max_value=len(text)))
        end = min(len(text), start + draw(st.integers(min_value=0, max_value=40)))
        text = text[:start] + "".join(draw(st.lists(NOISE, max_size=4))) + text[end:]
    return name, text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_infrastructure_files_become_findings_not_crashes(sample: tuple[str, str]) -> None:
    name, text = sample
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        result = load(Path(folder))
    internal = [item for item in result.findings if item.code.startswith("X")]
    assert not internal, internal
    for template in result.templates:
        for part, (line, column) in template.part_origins.items():
            assert line >= 1 and column != 0, (part, line, column)
