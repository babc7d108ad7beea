"""Shared test fixtures: `write_tree` lays out small template folders in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

TreeWriter = Callable[[Mapping[str, Any]], Path]


def write_tree_at(root: Path, files: Mapping[str, Any]) -> Path:
    """Write files under root: bytes as is, str as UTF-8 (no newline translation), anything else as JSON."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_text(json.dumps(content), encoding="utf-8")
    return root


@pytest.fixture
def write_tree(tmp_path: Path) -> TreeWriter:
    """`write_tree({"a.json": {...}, "f/html.hbs": "<p>hi</p>"})` -> the folder holding them (tmp_path/"src")."""
    return lambda files: write_tree_at(tmp_path / "src", files)
