"""Every real-world template in ../shared/corpus/real converts and is proven (with a fixture generated from the paths
it uses, plus the real sample data where the corpus has some), and templates_out/ is exactly a fresh conversion of
templates_in/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from templating.cli import main
from templating.convert import convert_one
from templating.fixtures_gen import fixture_from_parts
from templating.model import Fixture, Template

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "corpus" / "real"
TEMPLATE_SUFFIXES = (".html", ".hb2", ".txt", ".md")
# the corpus keeps data next to some templates, and partials the Short.io editor includes by name
SAMPLE_DATA = {
    "awsdocs__aws-doc-sdk-examples__coupon-newsletter.txt": "awsdocs__aws-doc-sdk-examples__sample_coupons.json"
}
PARTIALS = {"footer": "Short-io__amazon-ses-template-editor__footer.hb2"}


def real_files() -> list[Path]:
    if not REAL.is_dir():
        return []
    return sorted(p for p in REAL.iterdir() if p.suffix in TEMPLATE_SUFFIXES)


def wrap(path: Path) -> Template:
    """A bare file as an SES template: HTML files as the html part, text and Markdown as the text part."""
    source = path.read_text(encoding="utf-8")
    for name, file in PARTIALS.items():
        if f"{{{{>{name}}}}}" in source.replace(" ", ""):
            body = (REAL / file).read_text(encoding="utf-8")
            source = f'{{{{#*inline "{name}"}}}}\n{body}{{{{/inline}}}}\n{source}'
    part = "text" if path.suffix in (".txt", ".md") else "html"
    fixtures = {"generated": Fixture("generated", fixture_from_parts({part: source}), path)}
    if path.name in SAMPLE_DATA:
        data = json.loads((REAL / SAMPLE_DATA[path.name]).read_text(encoding="utf-8"))
        if "amazonSESUnsubscribeUrl" in source:  # SES fills it when sending with list management
            data["amazonSESUnsubscribeUrl"] = "https://unsubscribe.example/u/1"
        fixtures["sample"] = Fixture("sample", data, path)
    name = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:64]
    return Template(name, path, "bare", {part: source}, {part: path}, fixtures)  # type: ignore[dict-item]


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/real is not present")
@pytest.mark.parametrize("path", real_files(), ids=lambda p: p.name)
def test_real_template_converts_and_is_proven(path: Path) -> None:
    template = wrap(path)
    outcome = convert_one(template)
    errors = [f"{f.code} {f.message}" for f in outcome.findings if f.severity == "error"]
    assert outcome.status == "converted", errors
    assert outcome.verified_fixtures == sorted(template.fixtures)


def test_templates_out_is_a_fresh_conversion_of_templates_in(tmp_path: Path) -> None:
    committed = REPO / "templates_out"
    if not committed.is_dir():
        pytest.skip("templates_out/ has not been generated yet (ses2mt convert templates_in -o templates_out)")
    fresh = tmp_path / "templates_out"
    result = CliRunner().invoke(main, ["convert", str(REPO / "templates_in"), "-o", str(fresh)])
    assert result.exit_code in (0, 1), result.output

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    expected, actual = files(fresh), files(committed)
    assert sorted(actual) == sorted(expected), (
        "files differ: regenerate with ses2mt convert templates_in -o templates_out"
    )
    drifted = [name for name in expected if expected[name] != actual[name]]
    assert not drifted, f"templates_out drifted from templates_in: {drifted}"
