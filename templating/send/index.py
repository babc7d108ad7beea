"""Where the translator finds the Mailtrap template of an SES template name: `TemplateIndex`.

Sources, in the order `TemplateIndex.discover` tries them: a lock file written by `ses2mt sync`
(`OUT/mailtrap.lock.json`), else environment variables `MAILTRAP_TEMPLATE_<NAME>=<uuid>` as `ses2mt mapping --format
env` prints them. Beside a lock file, `OUT/<name>/mailtrap.json` (written by `ses2mt convert`) tells the category the
Mailtrap template carries. A lock entry's `variables` (written by `sync --consolidate`, or by `sync MERGED` after
`ses2mt consolidate`) are what a consolidated template needs per SES name: `{"__text": {...}}`, added to the send's
template variables.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# templating.mailtrap re-exports the adapter, which imports this module: its modules are imported where used.
LOCK_FILE_NAME = "mailtrap.lock.json"
ENV_PREFIX = "MAILTRAP_TEMPLATE_"
LOCK_VARIABLE = "MAILTRAP_LOCK_FILE"
SES_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def lock_file_path(path: Path) -> Path:
    """`path` itself, or the lock file inside it when it is a folder (OUT)."""
    return path / LOCK_FILE_NAME if path.is_dir() else path


class LockReadError(Exception):
    """The lock file exists but cannot be read."""


@dataclass(slots=True)
class TemplateIndex:
    """SES TemplateName -> Mailtrap template uuid (and, when known, the template's category)."""

    uuids: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    description: str = "the template mapping"
    out: Path | None = None
    injected: dict[str, dict[str, Any]] = field(default_factory=dict)
    """SES name -> variables every send of it carries on top of its own (from the lock file's `variables`)."""

    def uuid(self, ses_name: str) -> str | None:
        return self.uuids.get(ses_name)

    def category(self, ses_name: str) -> str | None:
        """The Mailtrap template's category, read from OUT/<name>/mailtrap.json when the index came from a lock."""
        if ses_name in self.categories:
            return self.categories[ses_name]
        category = _category_in_out(self.out, ses_name) if self.out is not None else None
        if category is not None:
            self.categories[ses_name] = category
        return category

    def inject(self, ses_name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The variables with the `__text` values a consolidated template needs for this SES name (see
        templating.variants); unchanged for a template that was not merged."""
        extra = self.injected.get(ses_name)
        return variables if not extra else {**variables, **{key: dict(value) for key, value in extra.items()}}

    def slots_used(self) -> int:
        """Distinct Mailtrap templates this index points at (several SES names may share one)."""
        return len(set(self.uuids.values()))

    @classmethod
    def from_lock(cls, path: Path) -> TemplateIndex:
        """`path` is the lock file or the folder holding it. Raises LockReadError when it cannot be read."""
        from templating.mailtrap.lock import LockFile, LockFileError

        path = lock_file_path(path)
        if not path.exists():
            raise LockReadError(f"{path}: no lock file; `ses2mt sync OUT` writes it")
        try:
            entries = LockFile.read(path).entries
        except LockFileError as error:
            raise LockReadError(str(error)) from None
        uuids = {name: entry.uuid for name, entry in entries.items()}
        injected = {name: entry.variables for name, entry in entries.items() if entry.variables}
        return cls(uuids=uuids, description=str(path), out=path.parent, injected=injected)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], description: str = "the given mapping") -> TemplateIndex:
        return cls(uuids=dict(mapping), description=description)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TemplateIndex:
        """Variables MAILTRAP_TEMPLATE_<NAME>; SES names are looked up through `env_name` (see `uuid`)."""
        environ = os.environ if environ is None else environ
        variables = {key: value for key, value in environ.items() if key.startswith(ENV_PREFIX) and value}
        return _EnvironmentIndex(uuids={}, description=f"{ENV_PREFIX}* environment variables", variables=variables)

    @classmethod
    def discover(cls, lock: Path | None = None, environ: Mapping[str, str] | None = None) -> TemplateIndex:
        """`lock` if given, else $MAILTRAP_LOCK_FILE, else the MAILTRAP_TEMPLATE_* environment variables."""
        environ = os.environ if environ is None else environ
        if lock is None and environ.get(LOCK_VARIABLE):
            lock = Path(environ[LOCK_VARIABLE])
        return cls.from_lock(lock) if lock is not None else cls.from_environment(environ)


@dataclass(slots=True)
class _EnvironmentIndex(TemplateIndex):
    variables: dict[str, str] = field(default_factory=dict)

    def uuid(self, ses_name: str) -> str | None:
        from templating.mailtrap.mapping import env_name

        return self.variables.get(env_name(ses_name))

    def slots_used(self) -> int:
        return len(set(self.variables.values()))


def _category_in_out(out: Path | None, ses_name: str) -> str | None:
    if out is None or not SES_NAME.fullmatch(ses_name):
        return None
    try:
        payload = json.loads((out / ses_name / "mailtrap.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    category = payload.get("category") if isinstance(payload, dict) else None
    return category if isinstance(category, str) else None
