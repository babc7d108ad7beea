"""The project's own email regression tests: every template x fixture of templates_in/ against tests/snapshots/,
through the ses2mt pytest plugin (regenerate with `pytest tests/test_snapshots.py --force-regen` or
`ses2mt snapshot templates_in --dir tests/snapshots`)."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from templating.pytest_plugin import email_regression_test


def _plugin_not_installed() -> bool:
    return not any(entry.name == "ses2mt" for entry in entry_points(group="pytest11"))


# the plugin is active through its entry point once ses2mt is installed; from a source checkout, load it here
pytest_plugins = ["templating.pytest_plugin"] if _plugin_not_installed() else []

ROOT = Path(__file__).resolve().parents[1]

test_templates_in_mailtrap = email_regression_test(ROOT / "templates_in")
test_templates_in_ses = email_regression_test(ROOT / "templates_in", dialect="ses")
