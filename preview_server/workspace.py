"""The templates under SRC as the preview shows them, kept current file by file.

A *unit* is what one load covers: an SES JSON file (with its `<stem>.data.json` and `<stem>.data/` fixtures) or a
folder-form template (with its `data/` fixtures). Every unit's outcomes (check + convert + verify, from
`templating.convert`) are cached by the unit's path; a change on disk reloads only the units it touches. A change that
cannot be pinned to one unit (a folder created, deleted or moved) reloads that folder's subtree.

Each refresh bumps the workspace's generation; each template keeps the generation it last changed in, so a page knows
whether what it shows is current.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from preview_server.rendering import Prepared, Preparer, Side
from templating.catalogue import finding
from templating.convert import TemplateOutcome, convert_loaded
from templating.loaders import (
    FIXTURE_DIR_SUFFIX,
    FIXTURE_FILE_SUFFIX,
    FOLDER_FIXTURE_DIR,
    FOLDER_PART_FILES,
    MJML_HTML_FILE,
    TEMPLATE_FILE_SUFFIXES,
    load,
)
from templating.model import Finding, LoadResult, PartName, Severity, Template

PART_FILE_NAMES = frozenset([*FOLDER_PART_FILES.values(), MJML_HTML_FILE])
HTML_PART_FILES = (FOLDER_PART_FILES["html"], MJML_HTML_FILE)


@dataclass(slots=True)
class TemplateEntry:
    """One template (or one file that failed to load) as the pages show it."""

    id: str
    outcome: TemplateOutcome
    unit: Path
    generation: int
    fingerprint: str
    # the converted parts and the (SES, Mailtrap) renders per fixture, prepared with the outcome
    prepared: Prepared | None = None

    @property
    def renders(self) -> dict[str, tuple[Side, Side]]:
        return self.prepared.renders if self.prepared is not None else {}

    @property
    def converted(self) -> dict[PartName, str]:
        """The rewritten parts the Mailtrap side shows (also for a template that failed after rewriting)."""
        return self.prepared.converted if self.prepared is not None else dict(self.outcome.parts)

    @property
    def name(self) -> str:
        return self.outcome.name

    @property
    def template(self) -> Template | None:
        return self.outcome.template

    @property
    def fixture_names(self) -> list[str]:
        return sorted(self.template.fixtures) if self.template else []

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.outcome.findings if f.severity == severity)

    @property
    def files(self) -> list[Path]:
        """The files this template is made of: its parts' files and its fixtures' files."""
        t = self.template
        if t is None:
            return [self.outcome.source]
        paths = dict.fromkeys([*t.part_paths.values(), *(fixture.path for fixture in t.fixtures.values())])
        return list(paths)


@dataclass(slots=True)
class Unit:
    path: Path
    outcomes: list[TemplateOutcome]
    other_findings: list[Finding]
    fingerprints: dict[str, str]
    prepared: dict[str, Prepared] = field(default_factory=dict)


@dataclass(slots=True)
class Change:
    """What one refresh did, by template id."""

    generation: int
    reload_ms: float = 0.0
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.changed or self.added or self.removed)

    def to_json(self) -> dict[str, object]:
        return {
            "generation": self.generation,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "renamed": self.renamed,
            "reload_ms": round(self.reload_ms, 1),
        }


def template_fingerprint(t: Template, load_findings: Iterable[Finding]) -> str:
    """A digest of everything a template's conversion depends on: parts, fixture data, tags, load findings."""
    payload = {
        "name": t.name,
        "source": str(t.source),
        "form": t.form,
        "parts": t.parts,
        "paths": {part: str(path) for part, path in t.part_paths.items()},
        "fixtures": {name: [str(fx.path), fx.data] for name, fx in sorted(t.fixtures.items())},
        "tags": t.tags,
        "findings": [f.to_json() for f in load_findings],
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def outcome_fingerprint(outcome: TemplateOutcome) -> str:
    """For a file that did not load: a digest of its findings."""
    text = json.dumps([outcome.name, [f.to_json() for f in outcome.findings]], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


class Workspace:
    """The preview's model of SRC. Thread-safe: refreshes run in the watcher's thread, reads in request threads."""

    def __init__(self, src: Path, preparer: Preparer | None = None) -> None:
        self.src = src
        self.preparer = preparer or Preparer(workers=0)
        # what the watcher watches: SRC, or the folder of an SRC that is one template file
        self.base = src if src.is_dir() else src.parent
        self.generation = 0
        self._lock = threading.RLock()
        self._units: dict[Path, Unit] = {}
        self._entries: dict[str, TemplateEntry] = {}
        self._root_findings: list[Finding] = []
        self._file_owners: dict[Path, Path] = {}

    # ------------------------------------------------------------------------------------------------ reading

    def entries(self) -> list[TemplateEntry]:
        with self._lock:
            return list(self._entries.values())

    def entry(self, template_id: str) -> TemplateEntry | None:
        with self._lock:
            return self._entries.get(template_id)

    def other_findings(self) -> list[Finding]:
        """Findings that belong to no template: orphan fixtures, unreadable folders, warnings about stray files."""
        with self._lock:
            found = list(self._root_findings)
            for unit in self._units.values():
                found += unit.other_findings
            return found

    # ------------------------------------------------------------------------------------------------ loading

    def load_all(self) -> Change:
        """Load and convert everything under SRC (the first load, or a full rescan)."""
        return self.refresh([self.src], full=True)

    def refresh(self, paths: Iterable[Path], *, full: bool = False) -> Change:
        """Reload the units the changed `paths` belong to (paths as given by the watcher: absolute or under SRC)."""
        started = time.perf_counter()
        roots = [self.src] if full else self.reload_roots(paths)
        loaded: list[tuple[Path, dict[Path, Unit], list[Finding]]] = []
        for root in roots:
            units, stray = self._load_root(root)
            loaded.append((root, units, stray))
        with self._lock:
            before = {entry.id: entry for entry in self._entries.values()}
            for root, units, stray in loaded:
                for key in [key for key in self._units if key == root or _is_under(key, root)]:
                    del self._units[key]
                self._units.update(units)
                if root == self.src:
                    self._root_findings = stray
            if roots:
                self.generation += 1
            change = self._rebuild_entries(before)
        change.reload_ms = (time.perf_counter() - started) * 1000
        return change

    def reload_roots(self, paths: Iterable[Path]) -> list[Path]:
        """The smallest set of files and folders whose reload covers every changed path."""
        roots: set[Path] = set()
        for raw in paths:
            path = self._under_src(raw)
            if path is None:
                continue
            roots.update(self.unit_roots(path))
        if self.base != self.src:
            roots = {root for root in roots if root == self.src}
        return sorted(root for root in roots if not any(_is_under(root, other) for other in roots if other != root))

    def unit_roots(self, path: Path) -> list[Path]:
        """What to reload when `path` changed: the template file(s) or template folder it belongs to, or (for a
        folder that is neither) the folder itself. Empty for files no template is made of."""
        with self._lock:
            known = set(self._units)
            owner = self._file_owners.get(path)
        if owner is not None:
            return [owner]  # a file a loaded template reads (a part, a fixture, a Terraform file("...") target)
        for ancestor in (path.parent, path.parent.parent):
            if ancestor.name.endswith(FIXTURE_DIR_SUFFIX) and _is_under(ancestor, self.base):
                return self._template_files(ancestor.parent, ancestor.name[: -len(FIXTURE_DIR_SUFFIX)], known)
        if path.name.endswith(FIXTURE_FILE_SUFFIX):
            return self._template_files(path.parent, path.name[: -len(FIXTURE_FILE_SUFFIX)], known)
        if path.name.endswith(FIXTURE_DIR_SUFFIX) and not path.is_file():
            return self._template_files(path.parent, path.name[: -len(FIXTURE_DIR_SUFFIX)], known)
        if path.name in PART_FILE_NAMES:
            return [path.parent]
        if path.parent.name == FOLDER_FIXTURE_DIR and self._is_folder_template(path.parent.parent, known):
            return [path.parent.parent]
        if path.name == FOLDER_FIXTURE_DIR and self._is_folder_template(path.parent, known):
            return [path.parent]
        if path.name.endswith(TEMPLATE_FILE_SUFFIXES) and not path.is_dir():
            return [path]
        if path.is_dir() or path == self.src or any(_is_under(key, path) for key in known):
            return [path]
        return []

    def unit_root(self, path: Path) -> Path | None:
        roots = self.unit_roots(path)
        return roots[0] if roots else None

    def _template_files(self, folder: Path, stem: str, known: set[Path]) -> list[Path]:
        """The template files `<stem>.json`, `<stem>.yaml`, ... beside their fixtures (the JSON name if none is)."""
        candidates = [folder / (stem + suffix) for suffix in TEMPLATE_FILE_SUFFIXES]
        present = [path for path in candidates if path in known or path.is_file()]
        return present or [candidates[0]]

    def _is_folder_template(self, folder: Path, known: set[Path]) -> bool:
        return folder in known or any((folder / name).is_file() for name in HTML_PART_FILES)

    def _under_src(self, raw: Path) -> Path | None:
        """`raw` as `SRC / relative`, or None when it is outside SRC or hidden (.git, editor swap files)."""
        path = Path(raw)
        if not path.is_absolute():
            path = Path.cwd() / path
        base = self.base.resolve()
        try:
            relative = path.relative_to(base)
        except ValueError:
            try:
                relative = path.resolve().relative_to(base)
            except (ValueError, OSError):
                return None
        if is_hidden(relative):
            return None
        return self.base / relative if relative.parts else self.base

    def _load_root(self, root: Path) -> tuple[dict[Path, Unit], list[Finding]]:
        """Load everything under `root`, grouped by unit, converting only templates whose content changed; plus the
        findings that belong to no unit."""
        if not root.exists():
            return {}, []
        result = load(root)
        names = {t.name: t.source for t in result.templates}
        templates_by_unit: dict[Path, list[Template]] = {}
        for t in result.templates:
            templates_by_unit.setdefault(t.source, []).append(t)
        findings_by_unit: dict[Path, list[Finding]] = {}
        stray: list[Finding] = []
        for f in result.findings:
            unit = names.get(f.template or "") or self._finding_unit(f)
            if unit is None:
                stray.append(f)
            else:
                findings_by_unit.setdefault(unit, []).append(f)
        keys = list(dict.fromkeys([*templates_by_unit, *findings_by_unit]))
        prepared = self._prepare_changed(result.templates, result.findings)
        units = {
            key: self._assemble_unit(key, templates_by_unit.get(key, []), findings_by_unit.get(key, []), prepared)
            for key in keys
        }
        return units, stray

    def _prepare_changed(self, templates: list[Template], findings: list[Finding]) -> dict[str, Prepared]:
        """Every template's outcome and renders by fingerprint: reused when its content did not change, prepared
        (in the worker processes, all at once) when it did."""
        previous = self._prepared_by_fingerprint()
        prepared: dict[str, Prepared] = {}
        jobs: list[tuple[str, Template, list[Finding]]] = []
        for t in templates:
            own = load_findings_of(t, findings)
            fingerprint = template_fingerprint(t, own)
            if fingerprint in previous:
                prepared[fingerprint] = previous[fingerprint]
            else:
                jobs.append((fingerprint, t, own))
        results = self.preparer.run([(t, own) for _fingerprint, t, own in jobs])
        for (fingerprint, _t, _own), result in zip(jobs, results, strict=True):
            prepared[fingerprint] = result
        return prepared

    def _assemble_unit(
        self, key: Path, templates: list[Template], findings: list[Finding], prepared: dict[str, Prepared]
    ) -> Unit:
        loaded = {t.name for t in templates}
        outcomes: list[TemplateOutcome] = []
        fingerprints: dict[str, str] = {}
        prepared_by_name: dict[str, Prepared] = {}
        for t in templates:
            fingerprint = template_fingerprint(t, load_findings_of(t, findings))
            fingerprints[t.name] = fingerprint
            outcomes.append(prepared[fingerprint].outcome)
            prepared_by_name[t.name] = prepared[fingerprint]
        # files that did not load: the library turns their errors into failed outcomes
        run = convert_loaded(LoadResult([], [f for f in findings if f.template not in loaded]), key)
        for outcome in run.outcomes:
            fingerprints.setdefault(outcome.name, outcome_fingerprint(outcome))
            outcomes.append(outcome)
        attached = {id(f) for outcome in run.outcomes for f in outcome.findings}
        other = [f for f in findings if id(f) not in attached and f.template not in loaded]
        outcomes.sort(key=lambda outcome: (outcome.name, str(outcome.source)))
        return Unit(key, outcomes, other, fingerprints, prepared_by_name)

    def _prepared_by_fingerprint(self) -> dict[str, Prepared]:
        with self._lock:
            return {
                unit.fingerprints[name]: prepared
                for unit in self._units.values()
                for name, prepared in unit.prepared.items()
                if name in unit.fingerprints
            }

    def _finding_unit(self, f: Finding) -> Path | None:
        root = self.unit_root(f.path)
        return None if root is None or root == self.src else root

    def _rebuild_entries(self, before: dict[str, TemplateEntry]) -> Change:
        """Entries from the units (ids unique, sorted), compared with `before` to say what changed."""
        change = Change(self.generation)
        outcomes = sorted(
            ((unit, outcome) for unit in self._units.values() for outcome in unit.outcomes),
            key=lambda pair: (pair[1].name, str(pair[1].source)),
        )
        counts: dict[str, int] = {}
        for _unit, outcome in outcomes:
            counts[outcome.name] = counts.get(outcome.name, 0) + 1
        entries: dict[str, TemplateEntry] = {}
        for unit, outcome in outcomes:
            shown = outcome if counts[outcome.name] == 1 else _duplicate(outcome, outcomes)
            template_id = _unique_id(outcome.name, entries)
            fingerprint = unit.fingerprints.get(outcome.name, "") + str(counts[outcome.name])
            prepared = unit.prepared.get(outcome.name) if shown is outcome else None
            old = before.get(template_id)
            if old is not None and old.fingerprint == fingerprint and old.unit == unit.path:
                same = old.outcome is shown
                entries[template_id] = old if same else replace(old, outcome=shown, prepared=prepared)
                continue
            entries[template_id] = TemplateEntry(template_id, shown, unit.path, self.generation, fingerprint, prepared)
            (change.changed if old is not None else change.added).append(template_id)
        change.removed = [template_id for template_id in before if template_id not in entries]
        self._entries = entries
        self._file_owners = {
            path: entry.unit for entry in entries.values() for path in entry.files if path != entry.unit
        }
        _detect_renames(change, before, entries)
        return change


def load_findings_of(t: Template, findings: list[Finding]) -> list[Finding]:
    """The loader's findings that travel with template `t` into its outcome (as `convert_loaded` attaches them)."""
    return [f for f in findings if f.template == t.name and f.code != "L107"]


def _duplicate(outcome: TemplateOutcome, outcomes: list[tuple[Unit, TemplateOutcome]]) -> TemplateOutcome:
    """A template whose name another unit also uses: failed, with L107 as a full load would report it."""
    others = ", ".join(str(o.source) for _u, o in outcomes if o.name == outcome.name and o is not outcome)
    message = f"template name {outcome.name!r} is also used by {others}; none of them is loaded"
    extra = finding("L107", message, outcome.source, template=outcome.name)
    return replace(outcome, status="failed", findings=[*outcome.findings, extra], parts={})


def _unique_id(name: str, taken: dict[str, TemplateEntry]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name}~{number}" in taken:
        number += 1
    return f"{name}~{number}"


def _detect_renames(change: Change, before: dict[str, TemplateEntry], after: dict[str, TemplateEntry]) -> None:
    """A removed and an added template from the same unit, each the only one there: a rename."""
    for old_id in change.removed:
        unit = before[old_id].unit
        same_unit_before = [e for e in before.values() if e.unit == unit]
        candidates = [new_id for new_id in change.added if after[new_id].unit == unit]
        same_unit_after = [e for e in after.values() if e.unit == unit]
        if len(same_unit_before) == 1 and len(candidates) == 1 and len(same_unit_after) == 1:
            change.renamed[old_id] = candidates[0]


def _is_under(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.ERROR]
