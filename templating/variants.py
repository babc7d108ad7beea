"""Variant consolidation: fit more than Mailtrap's 200 templates by merging families of converted templates that
differ only in literal text (locales, brands) into one Mailtrap template each.

A family is a set of converted templates (the `convert` output, OUT) with the same category and, part by part, the
same tags in the same order: only the literal text between tags (ContentStatements) differs. The merged template
keeps every tag and every text run the members share; a run that differs becomes `{{{__text.KEY}}}` (raw, so Mailtrap
does not escape it), keeping the members' common prefix and suffix around it. Each SES name then needs its values
for `__text`, recorded in `mailtrap.variants.json`; the translator and the runtime adapter inject them, so
application code sends the same data as before.

A family is merged only when it is exact:
- statically: parsing the merged part and putting each member's values in place of its `__text` mustaches gives the
  member's rendered text runs exactly (so whitespace control and standalone lines behave the same);
- no differing run sits inside a block that changes the context (`#each`, `#with`, ...), where `__text` would not
  resolve from the root; no member uses a `__text` variable of its own;
- by rendering: for every fixture of every member, Mailtrap's engine on the merged template with the fixture plus the
  injected values equals SES's render of the original template (or, without the originals, Mailtrap's render of the
  member's own converted template, which `convert` proved equal to SES's).

Two ways in, one computation (`consolidate`): `ses2mt plan|sync OUT --consolidate` consolidate OUT in memory
(`consolidate_local`) and hand the merged templates to the upload machinery, which uploads identical payloads once;
`consolidate_out(OUT, MERGED)` writes an OUT-shaped folder where every member's `mailtrap.json` holds its family's
merged payload and `MERGED/mailtrap.variants.json` the values, for `ses2mt sync MERGED`. Either way the lock file
maps every SES name to its Mailtrap uuid and the variables to inject (`"variables": {"__text": {...}}`), which is
where `translate-send --lock` and the runtime adapter read them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from templating.hbs import (
    BlockStatement,
    CommentStatement,
    ContentStatement,
    MustacheStatement,
    PathExpression,
    Program,
    TemplateSyntaxError,
    parse,
    to_source,
)
from templating.model import PartName, Template

if TYPE_CHECKING:
    from templating.mailtrap.local import LocalTemplate

TEXT_ROOT = "__text"
VARIANTS_FILE = "mailtrap.variants.json"
VARIANTS_VERSION = 1
PAYLOAD_PARTS: tuple[tuple[str, PartName, str], ...] = (
    ("subject", "subject", "s"),
    ("body_html", "html", "h"),
    ("body_text", "text", "t"),
)
CONTEXT_KEEPING_HELPERS = frozenset({"if", "unless"})
INVERSE_KEEPS_CONTEXT = frozenset({"each", "with"})
WORD_END = " \t\r\n>"
WORD_START = " \t\r\n<"


@dataclass(frozen=True, slots=True)
class Member:
    """One converted template: its Mailtrap payload (`subject`, `body_html`, `body_text`, `category`, `name`) and
    its fixtures (name -> data)."""

    ses_name: str
    payload: Mapping[str, str]
    fixtures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class Family:
    """Members merged into one Mailtrap template. `values[ses_name]` is what `__text` must hold for that name."""

    name: str
    members: list[str]
    payload: dict[str, str]
    values: dict[str, dict[str, str]]
    fixtures_proven: int = 0

    @property
    def slots_saved(self) -> int:
        return len(self.members) - 1


@dataclass(slots=True)
class Rejection:
    members: list[str]
    reason: str


@dataclass(slots=True)
class Consolidation:
    families: list[Family]
    rejected: list[Rejection]
    slots_before: int
    slots_after: int

    def values_for(self, ses_name: str) -> dict[str, str] | None:
        for family in self.families:
            if ses_name in family.values:
                return family.values[ses_name]
        return None

    def variants_json(self) -> dict[str, Any]:
        templates = {
            name: {"family": family.name, TEXT_ROOT: family.values[name]}
            for family in self.families
            for name in family.members
        }
        return {"version": VARIANTS_VERSION, "templates": dict(sorted(templates.items()))}


# -- splitting a part into text runs and tags ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Split:
    """`source == runs[0] + tags[0] + runs[1] + ... + tags[-1] + runs[-1]`; `mergeable[i]`: run i may become a
    `__text` variable (it is not inside a context-changing block)."""

    runs: tuple[str, ...]
    tags: tuple[str, ...]
    mergeable: tuple[bool, ...]


def split_part(source: str) -> Split:
    """Raises TemplateSyntaxError."""
    contents: list[tuple[int, int, bool]] = []
    _collect_contents(parse(source), True, contents)
    runs: list[str] = []
    tags: list[str] = []
    mergeable: list[bool] = []
    position = 0
    # An empty run before the first tag or after the last one is at the root, like any text there: a member whose
    # text sits on the other side of a tag (`Welcome {{name}}` / `{{name}}, willkommen`) still merges.
    for start, end, allowed in _merge_adjacent(contents):
        if start == 0:
            runs.append(source[start:end])
            mergeable.append(allowed)
        else:
            if not runs:
                runs.append("")
                mergeable.append(True)
            tags.append(source[position:start])
            runs.append(source[start:end])
            mergeable.append(allowed)
        position = end
    if not runs:
        runs.append("")
        mergeable.append(True)
    if position < len(source):
        tags.append(source[position:])
        runs.append("")
        mergeable.append(True)
    return Split(tuple(runs), tuple(tags), tuple(mergeable))


def _collect_contents(program: Program | None, allowed: bool, out: list[tuple[int, int, bool]]) -> None:
    if program is None:
        return
    for statement in program.body:
        if isinstance(statement, ContentStatement):
            if statement.span.end > statement.span.start:
                out.append((statement.span.start, statement.span.end, allowed))
        elif isinstance(statement, BlockStatement):
            program_keeps, inverse_keeps = _keeps_context(statement)
            _collect_contents(statement.program, allowed and program_keeps, out)
            _collect_contents(statement.inverse, allowed and inverse_keeps, out)
        elif hasattr(statement, "program"):
            _collect_contents(statement.program, False, out)  # partial blocks: not in converted output


def _keeps_context(block: BlockStatement) -> tuple[bool, bool]:
    """Whether the block's program and its inverse render in the enclosing context (where `__text` resolves):
    #if/#unless both; #each/#with only their {{else}} (called with `this`); an inverted section only its body."""
    helper = _helper_name(block)
    if block.decorator:
        return False, False
    if block.inverted:
        return False, True
    if helper in CONTEXT_KEEPING_HELPERS:
        return True, True
    return False, helper in INVERSE_KEEPS_CONTEXT


def _helper_name(block: BlockStatement) -> str:
    return block.path.original if isinstance(block.path, PathExpression) else ""


def _merge_adjacent(contents: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    merged: list[tuple[int, int, bool]] = []
    for start, end, allowed in sorted(contents):
        if merged and merged[-1][1] == start:
            previous = merged[-1]
            merged[-1] = (previous[0], end, previous[2] and allowed)
        else:
            merged.append((start, end, allowed))
    return merged


# -- the effective text of a part (after whitespace control), for the static check ------------------------------


def effective(source: str, values: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The part as rendered text runs and tags, after the parser's whitespace control. With `values`, a
    `{{{__text.KEY}}}` mustache counts as the text `values[KEY]`."""
    items: list[tuple[str, str]] = []
    _effective(parse(source), values, items)
    merged: list[tuple[str, str]] = []
    for kind, text in items:
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return [(kind, text) for kind, text in merged if kind != "text" or text]


def _effective(program: Program | None, values: Mapping[str, str] | None, out: list[tuple[str, str]]) -> None:
    if program is None:
        return
    for statement in program.body:
        if isinstance(statement, ContentStatement):
            out.append(("text", statement.value))
        elif isinstance(statement, MustacheStatement) and values is not None and _slot_key(statement) is not None:
            out.append(("text", values[_slot_key(statement) or ""]))
        elif isinstance(statement, BlockStatement):
            out.append(("open", statement.open_raw or to_source(statement.path)))
            first, second = (
                (statement.inverse, statement.program) if statement.inverted else (statement.program, statement.inverse)
            )
            _effective(first, values, out)
            out.append(("else", statement.else_raw or ""))
            _effective(second, values, out)
            out.append(("close", statement.close_raw or ""))
        elif isinstance(statement, CommentStatement):
            out.append(("comment", statement.raw or statement.value))
        else:
            out.append(("tag", to_source(statement)))


def _slot_key(statement: MustacheStatement) -> str | None:
    path = statement.path
    if (
        not statement.escaped
        and isinstance(path, PathExpression)
        and not path.data
        and path.depth == 0
        and len(path.parts) == 2
        and path.parts[0] == TEXT_ROOT
        and not statement.params
        and statement.hash is None
    ):
        return path.parts[1]
    return None


# -- families ---------------------------------------------------------------------------------------------------


def family_key(member: Member) -> tuple[Any, ...] | None:
    """Members with equal keys differ only in text runs. None when a part does not parse."""
    key: list[Any] = [member.payload.get("category", "")]
    for payload_key, _, _ in PAYLOAD_PARTS:
        try:
            key.append(split_part(member.payload.get(payload_key) or "").tags)
        except TemplateSyntaxError:
            return None
    return tuple(key)


def find_families(members: Iterable[Member]) -> list[list[Member]]:
    """Groups of two or more members with the same family key, in a stable order."""
    groups: dict[tuple[Any, ...], list[Member]] = {}
    for member in members:
        key = family_key(member)
        if key is not None:
            groups.setdefault(key, []).append(member)
    families = [sorted(group, key=lambda m: m.ses_name) for group in groups.values() if len(group) > 1]
    return sorted(families, key=lambda group: group[0].ses_name)


def merge_family(members: Sequence[Member]) -> Family | Rejection:
    """The merged payload and per-member values, or why the family cannot be merged exactly."""
    names = [m.ses_name for m in members]
    for member in members:
        if any(TEXT_ROOT in (member.payload.get(key) or "") for key, _, _ in PAYLOAD_PARTS):
            return Rejection(names, f"{member.ses_name} already uses {TEXT_ROOT}")
    payload = {"name": family_name(names), "category": members[0].payload.get("category", "")}
    values: dict[str, dict[str, str]] = {name: {} for name in names}
    for payload_key, part, letter in PAYLOAD_PARTS:
        sources = [m.payload.get(payload_key) or "" for m in members]
        try:
            merged = _merge_part([split_part(s) for s in sources], letter, names, values)
        except _Unmergeable as reason:
            return Rejection(names, f"{part}: {reason}")
        for name, source in zip(names, sources, strict=True):
            try:
                exact = effective(merged, values[name]) == effective(source)
            except TemplateSyntaxError as error:  # kept text joined to a slot's braces: `{` + `{{{__text.h0}}}`
                return Rejection(names, f"{part}: the merged template does not parse ({error})")
            if not exact:
                return Rejection(names, f"{part}: the merged text does not render {name}'s exactly (whitespace)")
        payload[payload_key] = merged
    return Family(payload["name"], names, payload, values)


class _Unmergeable(Exception):
    pass


def _merge_part(splits: list[Split], letter: str, names: list[str], values: dict[str, dict[str, str]]) -> str:
    first = splits[0]
    pieces: list[str] = []
    for index, run in enumerate(first.runs):
        texts = [split.runs[index] for split in splits]
        if all(text == run for text in texts):
            pieces.append(run)
        elif not all(split.mergeable[index] for split in splits):
            raise _Unmergeable(f"text run {index} differs inside a block that changes the context (#each, #with)")
        else:
            pieces.append(_slots(texts, f"{letter}{index}", names, values))
        if index < len(first.tags):
            pieces.append(first.tags[index])
    return "".join(pieces)


def _slots(texts: list[str], key: str, names: list[str], values: dict[str, dict[str, str]]) -> str:
    """A differing text run as literal text and `{{{__text.KEY}}}` variables: line by line when every member has
    the same number of lines (only the lines that differ get a variable), else one variable for the run."""
    lines = [text.splitlines(keepends=True) for text in texts]
    if len({len(member_lines) for member_lines in lines}) == 1 and len(lines[0]) > 1:
        pieces = []
        for number, line_texts in enumerate(zip(*lines, strict=True)):
            if all(line == line_texts[0] for line in line_texts):
                pieces.append(line_texts[0])
            else:
                pieces.append(_slot(list(line_texts), f"{key}_{number}", names, values))
        return "".join(pieces)
    return _slot(texts, key, names, values)


def _slot(texts: list[str], key: str, names: list[str], values: dict[str, dict[str, str]]) -> str:
    prefix, suffix = _common_ends(texts)
    for name, text in zip(names, texts, strict=True):
        values[name][key] = text[len(prefix) : len(text) - len(suffix)]
    return f"{prefix}{{{{{{{TEXT_ROOT}.{key}}}}}}}{suffix}"


def _common_ends(texts: list[str]) -> tuple[str, str]:
    """The members' common prefix and suffix, cut back to word boundaries so the variables hold whole words."""
    shortest = min(len(t) for t in texts)
    prefix_length = 0
    while prefix_length < shortest and all(t[prefix_length] == texts[0][prefix_length] for t in texts):
        prefix_length += 1
    prefix = texts[0][:prefix_length]
    prefix = prefix[: max(prefix.rfind(c) for c in WORD_END) + 1] if prefix_length < shortest else prefix
    room = shortest - len(prefix)
    suffix_length = 0
    while suffix_length < room and all(t[-1 - suffix_length] == texts[0][-1 - suffix_length] for t in texts):
        suffix_length += 1
    suffix = texts[0][len(texts[0]) - suffix_length :] if suffix_length else ""
    if suffix_length < room:
        starts = [suffix.find(c) for c in WORD_START if c in suffix]
        suffix = suffix[min(starts) :] if starts else ""
    return prefix, suffix


def family_name(names: Sequence[str]) -> str:
    """`welcome-de, welcome-en, welcome-fr` -> `welcome (3 variants)`; Mailtrap names are free text."""
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    common = common.rstrip("-_.") or names[0]
    return f"{common} ({len(names)} variants)"


# -- proof ------------------------------------------------------------------------------------------------------

Renderer = Callable[[str, Mapping[str, Any]], str]


def prove_family(
    family: Family,
    members: Sequence[Member],
    originals: Mapping[str, Template] | None = None,
) -> list[str]:
    """Mismatches (empty when proven): for every fixture of every member, Mailtrap's engine on the merged template
    with the fixture plus the member's `__text` values against SES's render of the original (when `originals` has
    it) or Mailtrap's render of the member's own converted template."""
    from templating.render import RenderError, render_part

    problems: list[str] = []
    proven = 0
    for member in members:
        original = (originals or {}).get(member.ses_name)
        for fixture_name, data in sorted(member.fixtures.items()):
            injected = {**data, TEXT_ROOT: family.values[member.ses_name]}
            for payload_key, part, _ in PAYLOAD_PARTS:
                try:
                    if original is not None:
                        expected = render_part(original.parts[part], data, "ses") if part in original.parts else ""
                    else:
                        expected = _mailtrap(member.payload.get(payload_key) or "", data)
                except RenderError:
                    break  # SES cannot render this fixture: nothing to compare (convert reported it)
                try:
                    actual = _mailtrap(family.payload[payload_key], injected)
                except RenderError as error:
                    problems.append(f"{member.ses_name} / {fixture_name} / {part}: merged render fails ({error})")
                    break
                if actual != expected:
                    problems.append(f"{member.ses_name} / {fixture_name} / {part}: merged render differs")
            else:
                proven += 1
    family.fixtures_proven = proven
    return problems


def _mailtrap(source: str, data: Mapping[str, Any]) -> str:
    from templating.render import render_part

    return render_part(source, data, "mailtrap") if source else ""


# -- the whole set ---------------------------------------------------------------------------------------------


def consolidate(
    members: Sequence[Member],
    originals: Mapping[str, Template] | None = None,
) -> Consolidation:
    """Find, merge and prove every family. Exact duplicates already count as one slot before and after."""
    families: list[Family] = []
    rejected: list[Rejection] = []
    by_name = {m.ses_name: m for m in members}
    used_names: set[str] = set()
    for group in find_families(members):
        distinct = {_content(m.payload) for m in group}
        if len(distinct) < 2:
            continue  # exact duplicates: `sync` collapses them already
        merged = merge_family(group)
        if isinstance(merged, Rejection):
            rejected.append(merged)
            continue
        problems = prove_family(merged, [by_name[n] for n in merged.members], originals)
        if problems:
            rejected.append(Rejection(merged.members, "; ".join(problems[:3])))
            continue
        _make_name_unique(merged, used_names)
        families.append(merged)
    slots_before = len({_content(m.payload) for m in members})
    merged_names = {name for family in families for name in family.members}
    slots_after = len({_content(m.payload) for m in members if m.ses_name not in merged_names}) + len(families)
    return Consolidation(families, rejected, slots_before, slots_after)


def _make_name_unique(family: Family, used: set[str]) -> None:
    """`sync` matches account templates by name: two families never share one."""
    name, number = family.name, 2
    while name in used:
        name, number = f"{family.name} #{number}", number + 1
    used.add(name)
    family.name = family.payload["name"] = name


def _content(payload: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(payload.get(key) or "" for key, _, _ in PAYLOAD_PARTS)


# -- OUT folders -----------------------------------------------------------------------------------------------


def read_members(out: Path, templates: Sequence[LocalTemplate] | None = None) -> list[Member]:
    """The converted templates of OUT (or `templates`, already read from OUT) with their fixtures
    (`OUT/<name>/fixtures/*.json`)."""
    from templating.mailtrap.local import load_local

    members = []
    for local in load_local(out).templates if templates is None else templates:
        fixtures = {}
        for path in sorted((out / local.ses_name / "fixtures").glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                fixtures[path.stem] = data
        members.append(Member(local.ses_name, dict(local.payload), fixtures))
    return members


def consolidate_out(
    out: Path, merged_out: Path, originals: Mapping[str, Template] | None = None
) -> tuple[Consolidation, list[str]]:
    """Write MERGED from OUT: every template folder (a family member's with its family's payload), report.json and
    mailtrap.variants.json. Returns the consolidation and OUT's reading problems."""
    from templating.fileio import write_atomic
    from templating.mailtrap.local import load_local

    local = load_local(out)
    members = read_members(out)
    consolidation = consolidate(members, originals)
    payloads = {m.ses_name: dict(m.payload) for m in members}
    for family in consolidation.families:
        for name in family.members:
            payloads[name] = dict(family.payload)
    merged_out.mkdir(parents=True, exist_ok=True)
    for name, payload in payloads.items():
        write_atomic(merged_out / name / "mailtrap.json", json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        fixtures = out / name / "fixtures"
        if fixtures.is_dir():
            shutil.copytree(fixtures, merged_out / name / "fixtures", dirs_exist_ok=True)
    entries = [{"name": name, "status": "converted"} for name in sorted(payloads)]
    report = {"templates": entries, "summary": {"converted": len(entries), "failed": 0}}
    write_atomic(merged_out / "report.json", json.dumps(report, indent=2) + "\n")
    variants = json.dumps(consolidation.variants_json(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(merged_out / VARIANTS_FILE, variants)
    return consolidation, local.problems


def consolidate_local(
    out: Path, templates: Sequence[LocalTemplate], originals: Mapping[str, Template] | None = None
) -> tuple[Consolidation, list[LocalTemplate]]:
    """Consolidate OUT's templates in memory: each family member's payload becomes its family's merged payload, with
    `variables={"__text": values}`; the upload plan then uploads each family once. Same order as `templates`."""
    from dataclasses import replace

    consolidation = consolidate(read_members(out, templates), originals)
    by_name = {name: family for family in consolidation.families for name in family.members}
    merged = [
        replace(
            t, payload=dict(by_name[t.ses_name].payload), variables={TEXT_ROOT: by_name[t.ses_name].values[t.ses_name]}
        )
        if t.ses_name in by_name
        else t
        for t in templates
    ]
    return consolidation, merged


def load_originals(src: Path) -> dict[str, Template]:
    """The SES templates OUT was converted from, by name, for the proof against SES's render."""
    from templating.loaders import load

    return {t.name: t for t in load(src).templates}


def describe(consolidation: Consolidation, cap: int) -> list[str]:
    """Lines for the terminal: each merged family (members, text variables, fixtures proven, slots saved), each family
    kept apart and why, then the slot count before and after and whether it fits under `cap`."""
    lines = []
    for family in consolidation.families:
        saved = family.slots_saved
        lines.append(
            f"merged  {family.name}: {', '.join(family.members)} ({len(next(iter(family.values.values())))} text "
            f"variables, {family.fixtures_proven} fixtures proven, {saved} slot{'s' if saved != 1 else ''} saved)"
        )
    for rejection in consolidation.rejected:
        lines.append(f"kept    {', '.join(rejection.members)}: not merged ({rejection.reason})")
    before, after = consolidation.slots_before, consolidation.slots_after
    fits = "fits" if after <= cap else "does NOT fit"
    lines.append(f"Mailtrap templates: {before} before, {after} after ({before - after} saved); {fits} in {cap}.")
    return lines


def read_variants(folder: Path) -> dict[str, dict[str, str]]:
    """SES name -> `__text` values from `folder/mailtrap.variants.json` ({} when absent). Raises ValueError."""
    path = folder / VARIANTS_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    templates = data.get("templates", {}) if isinstance(data, dict) else None
    if not isinstance(templates, dict):
        raise ValueError(f"{path}: not a variants file")
    return {str(name): {str(k): str(v) for k, v in entry[TEXT_ROOT].items()} for name, entry in templates.items()}
