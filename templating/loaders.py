"""Load SES templates and their fixtures from a file or a folder (the input contract, see README.md).

`load(src)` never raises for bad input: every problem becomes a Finding with a location, a bad file never stops the
batch, and the templates that loaded come back in a deterministic order (sorted walk of SRC). Paths in templates and
findings are `src / relative`, so they print the way the user typed SRC.

Forms:
- `<stem>.json`: an SES v1 object `{"Template": {...}}`, a v2 object `{"TemplateName", "TemplateContent"}`, or a
  JSON list of these. Fixtures: `<stem>.data.json` (named `default`), `<stem>.data/<name>.json` (for every template
  in the file) and `<stem>.data/<TemplateName>/<name>.json` (for that template only; it wins over a shared fixture
  of the same name).
- a folder holding `html.hbs` (required), `subject.hbs`, `text.hbs`; fixtures in `data/<name>.json`; the template's
  name is the folder's name. `html.mjml` may stand for `html.hbs`: it is compiled to HTML (templating.sources.mjml,
  J1xx findings) and the html part is that HTML.
- infrastructure files (templating/sources/, docs/sources.md): CloudFormation `*.yaml`, `*.yml`, `*.template` and
  `*.json` (told from SES JSON by its `Resources`/`AWSTemplateFormatVersion` shape) with `AWS::SES::Template`
  resources, and Terraform `*.tf` with `aws_ses_template` resources; fixtures as for `<stem>.json`. Files that define
  no SES template are skipped silently.
Text is read as bytes and decoded as strict UTF-8 (a leading BOM is dropped), line endings untouched.
"""

from __future__ import annotations

import json
import os
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal

from templating.catalogue import finding
from templating.model import PART_NAMES, Finding, Fixture, LoadResult, PartName, Template

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
BOM = b"\xef\xbb\xbf"
FIXTURE_FILE_SUFFIX = ".data.json"
FIXTURE_DIR_SUFFIX = ".data"
FOLDER_FIXTURE_DIR = "data"
FOLDER_PART_FILES: dict[PartName, str] = {"subject": "subject.hbs", "html": "html.hbs", "text": "text.hbs"}
INFRA_SUFFIXES = (".yaml", ".yml", ".template", ".tf")  # CloudFormation YAML and Terraform (templating/sources/)
TEMPLATE_FILE_SUFFIXES = (".json", *INFRA_SUFFIXES)
MJML_HTML_FILE = "html.mjml"  # a folder form's html part as MJML, compiled by templating.sources.mjml
V1_PART_KEYS: dict[PartName, str] = {"subject": "SubjectPart", "html": "HtmlPart", "text": "TextPart"}
V2_PART_KEYS: dict[PartName, str] = {"subject": "Subject", "html": "Html", "text": "Text"}
V1_TOP_KEYS = ("Template",)
V1_TEMPLATE_KEYS = ("TemplateName", *V1_PART_KEYS.values())
V2_TOP_KEYS = ("TemplateName", "TemplateContent", "Tags")
V2_CONTENT_KEYS = tuple(V2_PART_KEYS.values())

Pointer = tuple[str | int, ...]


class LoadProblem(Exception):
    """A problem with one file, raised inside the loader and turned into a Finding by the caller."""

    def __init__(self, code: str, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


# ------------------------------------------------------------------------------------------------ reading files


def read_text(path: Path) -> str:
    """The file's text: bytes decoded as strict UTF-8, a leading BOM dropped, nothing else changed."""
    try:
        data = _file_bytes(path)
    except OSError as exc:
        raise LoadProblem("L101", f"cannot read file: {exc.strerror or exc}") from None
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        raise LoadProblem("L102", f"not UTF-8: byte 0x{bad} at byte offset {exc.start}", line, column) from None


def _file_bytes(path: Path) -> bytes:
    """The whole file, read without a buffered file object (a check reads six small files per template)."""
    with open(path, "rb", buffering=0) as file:
        return file.readall()


def _undecoded_text(path: Path) -> str:
    """A file that is not UTF-8, decoded loosely: enough to tell whether it defines SES templates (not to read them)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset; the bytes before it are valid UTF-8."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str) -> Any:
    """Strict JSON (no NaN/Infinity); problems carry json's line and column."""
    if not text.strip():
        raise LoadProblem("L105", "file is empty")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise LoadProblem("L103", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise LoadProblem("L103", "invalid JSON: nested too deeply") from None
    except ValueError as exc:
        raise LoadProblem("L103", f"invalid JSON: {exc}") from None


def read_json(path: Path) -> tuple[str, Any]:
    text = read_text(path)
    return text, parse_json(text)


# ------------------------------------------------------------------------------ positions of values in JSON text

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_SCALAR = re.compile(r"[^,\]}\s]*")
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")


def json_position(text: str, pointer: Pointer) -> tuple[int, int]:
    """1-based line and column of the value at `pointer` (keys and list indexes) in valid JSON text; (0, 0) if absent.

    With duplicate keys the last one counts, as in json.loads."""
    return JsonLocator(text).position(pointer)


class JsonLocator:
    """Positions of values in one valid JSON text. Line starts and top-level list items are indexed once, so that
    locating every template of a big list file stays linear in the file's size."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: list[int] | None = None
        self._items: list[int] | None = None

    def position(self, pointer: Pointer) -> tuple[int, int]:
        try:
            offset = self.offset(pointer)
        except (IndexError, ValueError):
            return 0, 0
        return (0, 0) if offset is None else self.line_column(offset)

    def offset(self, pointer: Pointer) -> int | None:
        start = _skip_whitespace(self.text, 0)
        if pointer and isinstance(pointer[0], int) and self.text[start] == "[":
            items = self._list_items(start)
            if pointer[0] >= len(items):
                return None
            start, pointer = items[pointer[0]], pointer[1:]
        return _locate(self.text, pointer, start)

    def line_column(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0, *(match.end() for match in re.finditer("\n", self.text))]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _list_items(self, start: int) -> list[int]:
        if self._items is None:
            items: list[int] = []
            index = _skip_whitespace(self.text, start + 1)
            while self.text[index] != "]":
                items.append(index)
                index = _skip_whitespace(self.text, _skip_value(self.text, index))
                if self.text[index] == ",":
                    index = _skip_whitespace(self.text, index + 1)
            self._items = items
        return self._items


def _skip_whitespace(text: str, index: int) -> int:
    match = _JSON_WHITESPACE.match(text, index)
    return match.end() if match else index


def _skip_value(text: str, index: int) -> int:
    """Index just after the JSON value starting at `index` (iterative: deep nesting cannot overflow the stack)."""
    if text[index] == '"':
        return _string_end(text, index)
    if text[index] not in "[{":
        return _JSON_SCALAR.match(text, index).end()  # type: ignore[union-attr]
    depth = 0
    while True:
        char = text[index]
        if char == '"':
            index = _string_end(text, index)
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1


def _string_end(text: str, index: int) -> int:
    match = _JSON_STRING.match(text, index)
    if match is None:
        raise ValueError("unterminated string")
    return match.end()


def _locate(text: str, pointer: Pointer, start: int) -> int | None:
    index = start
    for step in pointer:
        found = _locate_in_list(text, index, step) if isinstance(step, int) else _locate_in_object(text, index, step)
        if found is None:
            return None
        index = found
    return index


def _locate_in_list(text: str, index: int, wanted: int) -> int | None:
    if text[index] != "[":
        return None
    index = _skip_whitespace(text, index + 1)
    for _ in range(wanted):
        if text[index] == "]":
            return None
        index = _skip_whitespace(text, _skip_value(text, index))
        if text[index] != ",":
            return None
        index = _skip_whitespace(text, index + 1)
    return None if text[index] == "]" else index


def _locate_in_object(text: str, index: int, wanted: str) -> int | None:
    if text[index] != "{":
        return None
    found = None
    index = _skip_whitespace(text, index + 1)
    while text[index] == '"':
        key_end = _string_end(text, index)
        key = json.loads(text[index:key_end])
        value_start = _skip_whitespace(text, _skip_whitespace(text, key_end) + 1)  # past the ':'
        if key == wanted:
            found = value_start
        index = _skip_whitespace(text, _skip_value(text, value_start))
        if text[index] != ",":
            break
        index = _skip_whitespace(text, index + 1)
    return found


# ------------------------------------------------------------------------------------------------- template shapes


def describe_json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def name_problem(name: str) -> str | None:
    """Why `name` breaks SES's rule ^[A-Za-z0-9_-]{1,64}$, or None when it is valid."""
    if NAME_PATTERN.fullmatch(name):
        return None
    if not name:
        return "template name is empty"
    if len(name) > 64:
        return f"template name is {len(name)} characters long (SES allows at most 64)"
    if "/" in name or "\\" in name:
        return f"template name {name!r} contains a path separator"
    if ".." in name:
        return f"template name {name!r} contains '..'"
    bad = sorted({char for char in name if not NAME_PATTERN.fullmatch(char)})
    return f"template name {name!r} contains {', '.join(repr(char) for char in bad)} (SES allows A-Z a-z 0-9 _ -)"


class NamePositions:
    """id(template) -> (line, column) of its TemplateName value, located in the JSON text only when asked: only
    duplicate names (L107) need it, and locating scans the text."""

    def __init__(self, locator: JsonLocator) -> None:
        self.locator = locator
        self.pointers: dict[int, Pointer] = {}

    def get(self, key: int, default: tuple[int, int]) -> tuple[int, int]:
        pointer = self.pointers.get(key)
        return default if pointer is None else self.locator.position(pointer)


@dataclass(slots=True)
class FileTemplates:
    """What one JSON template file yielded: templates, findings, every name it declared (valid or not), positions."""

    templates: list[Template] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    declared_names: set[str] = field(default_factory=set)
    name_positions: NamePositions = field(default_factory=lambda: NamePositions(JsonLocator("")))


class TemplateFileReader:
    """Turns the parsed JSON of one template file into Templates; every problem is a finding, never an exception."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.locator = JsonLocator(text)
        self.out = FileTemplates(name_positions=NamePositions(self.locator))

    def read(self, value: Any) -> FileTemplates:
        if isinstance(value, list):
            if not value:
                self._problem("L105", "the list holds no templates", ())
            for index, item in enumerate(value):
                self._read_object(item, (index,))
        else:
            self._read_object(value, ())
        return self.out

    def _problem(self, code: str, message: str, pointer: Pointer, name: str | None = None) -> None:
        line, column = self.locator.position(pointer) if pointer else (1, 1)
        self.out.findings.append(finding(code, message, self.path, line, column, template=name))

    def _read_object(self, value: Any, pointer: Pointer) -> None:
        if not isinstance(value, dict):
            where = "a list item" if pointer else "the file"
            self._problem("L104", f"{where} is {describe_json_type(value)}, not an SES template object", pointer)
        elif "Template" in value:
            self._read_v1(value, pointer)
        elif "TemplateName" in value or "TemplateContent" in value:
            self._read_v2(value, pointer)
        else:
            self._problem("L104", _not_a_template_message(value), pointer)

    def _read_v1(self, value: dict[str, Any], pointer: Pointer) -> None:
        inner = value["Template"]
        self._warn_unknown_keys(value, V1_TOP_KEYS, pointer)
        if not isinstance(inner, dict):
            message = f'"Template" is {describe_json_type(inner)}, expected an object (SES v1)'
            self._problem("L104", message, (*pointer, "Template"))
            return
        inner_pointer = (*pointer, "Template")
        self._warn_unknown_keys(inner, V1_TEMPLATE_KEYS, inner_pointer)
        self._build(inner, inner_pointer, "v1", inner, V1_PART_KEYS, inner_pointer, tags={})

    def _read_v2(self, value: dict[str, Any], pointer: Pointer) -> None:
        self._warn_unknown_keys(value, V2_TOP_KEYS, pointer)
        content = value.get("TemplateContent", {})
        content_pointer = (*pointer, "TemplateContent")
        if content is None:
            content = {}
        if not isinstance(content, dict):
            message = f'"TemplateContent" is {describe_json_type(content)}, expected an object (SES v2)'
            self._problem("L104", message, content_pointer, _string_or_none(value.get("TemplateName")))
            return
        self._warn_unknown_keys(content, V2_CONTENT_KEYS, content_pointer)
        tags = self._read_tags(value, pointer)
        self._build(value, pointer, "v2", content, V2_PART_KEYS, content_pointer, tags=tags)

    def _build(
        self,
        named: dict[str, Any],
        named_pointer: Pointer,
        form: str,
        content: dict[str, Any],
        part_keys: dict[PartName, str],
        content_pointer: Pointer,
        *,
        tags: dict[str, str],
    ) -> None:
        name = self._read_name(named, named_pointer)
        if name is None:
            return
        parts: dict[PartName, str] = {}
        for part, key in part_keys.items():
            text = content.get(key)
            if text is None:
                continue
            if not isinstance(text, str):
                message = f'"{key}" is {describe_json_type(text)}, expected a string'
                self._problem("L104", message, (*content_pointer, key), name)
                return
            if _has_lone_surrogate(text):
                message = f'"{key}" holds a lone surrogate escape (\\ud800-\\udfff), which is not valid text'
                self._problem("L102", message, (*content_pointer, key), name)
                return
            parts[part] = text
        if not any(parts.values()):
            message = "template has no parts (subject, html and text are all absent or empty)"
            self._problem("L105", message, named_pointer, name)
            return
        template = Template(name, self.path, form, parts, dict.fromkeys(parts, self.path), tags=tags)
        self.out.templates.append(template)
        self.out.name_positions.pointers[id(template)] = (*named_pointer, "TemplateName")

    def _read_name(self, named: dict[str, Any], pointer: Pointer) -> str | None:
        name_pointer = (*pointer, "TemplateName")
        if "TemplateName" not in named or named["TemplateName"] is None:
            self._problem("L106", "template has no TemplateName", pointer)
            return None
        name = named["TemplateName"]
        if not isinstance(name, str):
            self._problem("L104", f'"TemplateName" is {describe_json_type(name)}, expected a string', name_pointer)
            return None
        self.out.declared_names.add(name)
        problem = name_problem(name)
        if problem is not None:
            self._problem("L106", problem, name_pointer)
            return None
        return name

    def _read_tags(self, value: dict[str, Any], pointer: Pointer) -> dict[str, str]:
        tags = value.get("Tags")
        if tags is None:
            return {}
        name = _string_or_none(value.get("TemplateName"))
        well_formed = isinstance(tags, list) and all(
            isinstance(tag, dict) and isinstance(tag.get("Key"), str) and isinstance(tag.get("Value", ""), str)
            for tag in tags
        )
        if not well_formed:
            message = '"Tags" must be a list of {"Key": string, "Value": string} objects; tags ignored'
            self._problem("L104", message, (*pointer, "Tags"), name)
            return {}
        return {tag["Key"]: tag.get("Value", "") for tag in tags}

    def _warn_unknown_keys(self, value: dict[str, Any], known: tuple[str, ...], pointer: Pointer) -> None:
        for key in value:
            if key in known:
                continue
            lowered = {candidate.lower(): candidate for candidate in known}
            guess = lowered.get(key.lower()) or next(iter(get_close_matches(key, known, n=1)), None)
            hint = f"; did you mean {guess!r}?" if guess else f" (expected: {', '.join(known)})"
            name = _string_or_none(value.get("TemplateName"))
            self._problem("L112", f"unknown key {key!r} is ignored{hint}", (*pointer, key), name)


def _not_a_template_message(value: dict[str, Any]) -> str:
    if "TemplatesMetadata" in value:
        return "this is a ListTemplates answer (names only); save each template with get-template instead"
    keys = ", ".join(repr(key) for key in list(value)[:5]) or "no keys"
    return f'object has neither "Template" (SES v1) nor "TemplateName"/"TemplateContent" (SES v2); it has {keys}'


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and NAME_PATTERN.fullmatch(value) else None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# -------------------------------------------------------------------------------------------------------- fixtures


def read_fixture(path: Path, name: str) -> Fixture:
    """A fixture file: a JSON object, or a JSON string holding one (SES TemplateData). Problems raise L108."""
    try:
        _, value = read_json(path)
    except LoadProblem as problem:
        raise LoadProblem("L108", f"fixture {name!r}: {problem.message}", problem.line, problem.column) from None
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "nested too deeply"
            message = f"fixture {name!r}: the TemplateData string is not JSON: {detail}"
            raise LoadProblem("L108", message, 1, 1) from None
        if not isinstance(value, dict):
            message = f"fixture {name!r}: the TemplateData string holds {describe_json_type(value)}, not an object"
            raise LoadProblem("L108", message, 1, 1)
    if not isinstance(value, dict):
        message = f"fixture {name!r} is {describe_json_type(value)}; expected an object or a TemplateData string"
        raise LoadProblem("L108", message, 1, 1)
    return Fixture(name, value, path)


def is_fixture_path(path: Path) -> bool:
    """Whether a file is a fixture by its place: `*.data.json`, in a `*.data/` folder (or a subfolder of one), or in
    the `data/` folder of a folder-form template."""
    if path.name.endswith(FIXTURE_FILE_SUFFIX):
        return True
    parents = [path.parent, path.parent.parent]
    if any(parent.name.endswith(FIXTURE_DIR_SUFFIX) for parent in parents):
        return True
    html_files = (FOLDER_PART_FILES["html"], MJML_HTML_FILE)
    return path.parent.name == FOLDER_FIXTURE_DIR and any((path.parent.parent / name).is_file() for name in html_files)


def fixture_name(path: Path) -> str:
    return path.name[: -len(".json")]


def _template_file_stem(name: str) -> str:
    """`welcome.json` -> `welcome`, `ses.yaml` -> `ses`: the stem its `<stem>.data.json` / `<stem>.data/` belong to."""
    return name.rsplit(".", 1)[0]


# ------------------------------------------------------------------------------------------------------- the walk


@dataclass(slots=True)
class Folder:
    """The sorted entries of one folder."""

    path: Path
    files: dict[str, Path]
    dirs: dict[str, Path]

    @property
    def names(self) -> list[str]:
        return sorted([*self.files, *self.dirs])


class Loader:
    def __init__(self) -> None:
        self.templates: list[Template] = []
        self.findings: list[Finding] = []
        # id(template) -> the file holding its name, and where in that file (NamePositions or a dict)
        self.name_positions: dict[int, tuple[Path, Any]] = {}
        self.visited_dirs: set[tuple[int, int]] = set()
        self.root: Path = Path()  # the folder tree file("...") references in Terraform may read
        self.units: list[LoadUnit] | None = None  # discover(): template files and folders are recorded, not loaded
        self.read_fixtures = True

    # -- entry points

    def load_path(self, src: Path) -> None:
        self.root = src if src.is_dir() else src.parent
        if src.is_dir():
            self.walk(src)
        elif src.exists():
            self.load_single_file(src)
        else:
            self.findings.append(finding("L101", "no such file or folder", src))

    def load_single_file(self, path: Path) -> None:
        folder = self.list_folder(path.parent)
        if folder is None:
            return
        if path.name in (*FOLDER_PART_FILES.values(), MJML_HTML_FILE):
            self.load_or_defer("folder", path.parent, folder)
        elif is_fixture_path(path):
            message = "this is a fixture file, not a template: pass the template file or its folder"
            self.findings.append(finding("L104", message, path))
        elif path.name.endswith(".json"):
            self.load_or_defer("json", path, folder)
        elif path.name.endswith(INFRA_SUFFIXES):
            self.load_or_defer("infra", path, folder, named=True)
        else:
            message = "not a template file: pass an SES template .json file, or a folder"
            self.findings.append(finding("L104", message, path))

    def walk(self, path: Path) -> None:
        folder = self.list_folder(path)
        if folder is None:
            return
        is_folder_form = "html.hbs" in folder.files or MJML_HTML_FILE in folder.files
        if is_folder_form:
            self.load_or_defer("folder", path, folder)
        elif any(name in folder.files for name in ("subject.hbs", "text.hbs")):
            message = "folder has subject.hbs or text.hbs but no html.hbs: not loaded as a template"
            self.findings.append(finding("L111", message, path))
        for name in folder.names:
            if name in folder.dirs:
                if name.endswith(FIXTURE_DIR_SUFFIX) or (is_folder_form and name == FOLDER_FIXTURE_DIR):
                    continue
                self.walk(folder.dirs[name])
            elif name.endswith(FIXTURE_FILE_SUFFIX):
                continue
            elif name.endswith(".json"):
                self.load_or_defer("json", folder.files[name], folder)
            elif name.endswith(INFRA_SUFFIXES):
                self.load_or_defer("infra", folder.files[name], folder)
        self.report_orphan_fixtures(folder)

    def load_or_defer(self, kind: UnitKind, path: Path, folder: Folder, named: bool = False) -> None:
        """Load one template file or folder now, or (when discovering) record it as a LoadUnit for later."""
        if self.units is None:
            self.load_unit(kind, path, folder, named)
            return
        unit_folder = _unit_entries(kind, path, folder)
        self.units.append(LoadUnit(kind, path, unit_folder, self.root, named, len(self.units)))

    def load_unit(self, kind: UnitKind, path: Path, folder: Folder, named: bool = False) -> None:
        if kind == "folder":
            self.guarded(path, lambda: self.load_folder_form(folder))
        elif kind == "json":
            self.guarded(path, lambda: self.load_json_file(path, folder))
        else:
            self.guarded(path, lambda: self.load_infra_file(path, folder, named=named))

    def guarded(self, path: Path, action: Any) -> None:
        """Run one file's loading; a bug becomes an X101 finding for that file and the batch goes on."""
        try:
            action()
        except Exception as exc:  # the batch must survive any bug in one file
            message = f"internal error while loading: {type(exc).__name__}: {exc}"
            self.findings.append(finding("X101", message, path))

    def list_folder(self, path: Path) -> Folder | None:
        try:
            stat = path.stat()
            key = (stat.st_dev, stat.st_ino)
            if key in self.visited_dirs:
                return None  # a symlink loop, or the same folder reached twice
            self.visited_dirs.add(key)
            files: dict[str, Path] = {}
            dirs: dict[str, Path] = {}
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue  # hidden: .git, .DS_Store, editor swap files
                    try:
                        if entry.is_dir():
                            dirs[entry.name] = path / entry.name
                        elif entry.is_file():
                            files[entry.name] = path / entry.name
                    except OSError:
                        continue
        except OSError as exc:
            self.findings.append(finding("L101", f"cannot read folder: {exc.strerror or exc}", path))
            return None
        return Folder(path, dict(sorted(files.items())), dict(sorted(dirs.items())))

    # -- JSON template files

    def load_json_file(self, path: Path, folder: Folder) -> None:
        try:
            text, value = read_json(path)
        except LoadProblem as problem:
            self.findings.append(finding(problem.code, problem.message, path, problem.line, problem.column))
            return
        from templating.sources import cloudformation

        if cloudformation.is_cloudformation_json(value):
            self.add_file_templates(path, folder, cloudformation.read_cloudformation(path, text, value))
            return
        self.add_file_templates(path, folder, TemplateFileReader(path, text).read(value))

    def load_infra_file(self, path: Path, folder: Folder, named: bool = False) -> None:
        """A CloudFormation YAML or Terraform file; skipped silently unless it mentions SES templates (or is SRC)."""
        from templating.sources import cloudformation, terraform

        is_terraform = path.name.endswith(terraform.SUFFIX)
        source = terraform if is_terraform else cloudformation
        try:
            text = read_text(path)
        except LoadProblem as problem:
            if named or (problem.code == "L102" and source.mentions_ses_templates(_undecoded_text(path))):
                self.findings.append(finding(problem.code, problem.message, path, problem.line, problem.column))
            return
        if not source.mentions_ses_templates(text):
            if named:
                kind = "aws_ses_template" if is_terraform else "AWS::SES::Template"
                self.findings.append(finding("L104", f"no {kind} resource in this file", path))
            return
        if is_terraform:
            result = terraform.read_terraform(path, text, self.root)
        else:
            result = cloudformation.read_cloudformation(path, text)
        self.add_file_templates(path, folder, result)

    def add_file_templates(self, path: Path, folder: Folder, result: Any) -> None:
        """Merge what one template file yielded (FileTemplates or sources.infra.SourceResult), with its fixtures."""
        self.findings.extend(result.findings)
        for template in result.templates:
            self.name_positions[id(template)] = (path, result.name_positions)
        if not self.read_fixtures:
            self.templates.extend(result.templates)
            return
        stem = _template_file_stem(path.name)
        only_name = result.templates[0].name if len(result.templates) == 1 else None
        shared, specific = self.json_file_fixtures(folder, stem, result.declared_names, only_name)
        for template in result.templates:
            template.fixtures = dict(shared)
            template.fixtures.update(specific.get(template.name, {}))
        self.templates.extend(result.templates)

    def json_file_fixtures(
        self, folder: Folder, stem: str, declared_names: set[str], only_name: str | None
    ) -> tuple[dict[str, Fixture], dict[str, dict[str, Fixture]]]:
        """Fixtures shared by every template of `<stem>.json`, and those per template name."""
        shared: dict[str, Fixture] = {}
        specific: dict[str, dict[str, Fixture]] = defaultdict(dict)
        default_file = folder.files.get(stem + FIXTURE_FILE_SUFFIX)
        if default_file is not None:
            self.add_fixture(shared, default_file, "default", only_name)
        fixture_dir = folder.dirs.get(stem + FIXTURE_DIR_SUFFIX)
        if fixture_dir is None:
            return shared, specific
        inner = self.list_folder(fixture_dir)
        if inner is None:
            return shared, specific
        for name, file_path in inner.files.items():
            if name.endswith(".json"):
                self.add_fixture(shared, file_path, fixture_name(file_path), only_name)
        for name, dir_path in inner.dirs.items():
            if name not in declared_names:
                message = f"fixture folder {name!r} names no template in {stem}'s template file"
                self.findings.append(finding("L109", message, dir_path))
                continue
            per_template = self.list_folder(dir_path)
            if per_template is None:
                continue
            for file_name, file_path in per_template.files.items():
                if file_name.endswith(".json"):
                    self.add_fixture(specific[name], file_path, fixture_name(file_path), name)
            self.report_nested_fixture_dirs(per_template)
        return shared, specific

    def add_fixture(self, fixtures: dict[str, Fixture], path: Path, name: str, template: str | None) -> None:
        if name in fixtures:
            message = f"fixture {name!r} is defined twice; {fixtures[name].path} is used"
            self.findings.append(finding("L108", message, path, template=template, fixture=name))
            return
        try:
            fixtures[name] = read_fixture(path, name)
        except LoadProblem as exc:
            line, column = exc.line, exc.column
            self.findings.append(finding("L108", exc.message, path, line, column, template=template, fixture=name))

    def report_nested_fixture_dirs(self, folder: Folder) -> None:
        for dir_path in folder.dirs.values():
            self.findings.append(finding("L109", "fixture folders nest no deeper than this; not used", dir_path))

    def report_orphan_fixtures(self, folder: Folder) -> None:
        stems = {_template_file_stem(name) for name in folder.files if name.endswith(TEMPLATE_FILE_SUFFIXES)}
        for name, file_path in folder.files.items():
            if name.endswith(FIXTURE_FILE_SUFFIX) and name[: -len(FIXTURE_FILE_SUFFIX)] not in stems:
                message = f"fixture has no template: {name[: -len(FIXTURE_FILE_SUFFIX)]}.json is not beside it"
                self.findings.append(finding("L109", message, file_path, fixture="default"))
        for name, dir_path in folder.dirs.items():
            if name.endswith(FIXTURE_DIR_SUFFIX) and name[: -len(FIXTURE_DIR_SUFFIX)] not in stems:
                message = f"fixture folder has no template: {name[: -len(FIXTURE_DIR_SUFFIX)]}.json is not beside it"
                self.findings.append(finding("L109", message, dir_path))

    # -- folder-form templates

    def load_folder_form(self, folder: Folder) -> None:
        name = folder.path.name if folder.path.name not in ("", ".", "..") else folder.path.resolve().name
        problem = name_problem(name)
        if problem is not None:
            self.findings.append(finding("L106", f"{problem} (the folder's name is the template's name)", folder.path))
            return
        parts: dict[PartName, str] = {}
        part_paths: dict[PartName, Path] = {}
        failed = False
        for part in PART_NAMES:
            part_path = folder.files.get(FOLDER_PART_FILES[part])
            if part_path is None and part == "html":
                part_path = folder.files.get(MJML_HTML_FILE)
            if part_path is None:
                continue
            try:
                parts[part] = read_text(part_path)
                if part_path.name == MJML_HTML_FILE:
                    failed = not self.compile_mjml(parts, part_path, name) or failed
            except LoadProblem as exc:
                failed = True
                line, column = exc.line, exc.column
                self.findings.append(finding(exc.code, exc.message, part_path, line, column, template=name, part=part))
            part_paths[part] = part_path
        if failed:
            return
        if not any(parts.values()):
            message = "template has no parts (html.hbs is empty and there is no subject.hbs or text.hbs with text)"
            self.findings.append(finding("L105", message, part_paths["html"], template=name))
            return
        template = Template(name, folder.path, "folder", parts, part_paths)
        template.fixtures = self.folder_form_fixtures(folder, name) if self.read_fixtures else {}
        self.name_positions[id(template)] = (folder.path, {})
        self.templates.append(template)

    def compile_mjml(self, parts: dict[PartName, str], path: Path, template: str) -> bool:
        """Replace the html part's MJML text by its compiled HTML; False (with findings) when it cannot compile."""
        from templating.sources.mjml import compile_mjml_file

        html, findings = compile_mjml_file(parts["html"], path, template)
        self.findings.extend(findings)
        if html is not None:
            parts["html"] = html
        return html is not None

    def folder_form_fixtures(self, folder: Folder, template: str) -> dict[str, Fixture]:
        fixtures: dict[str, Fixture] = {}
        data_dir = folder.dirs.get(FOLDER_FIXTURE_DIR)
        if data_dir is None:
            return fixtures
        data = self.list_folder(data_dir)
        if data is None:
            return fixtures
        for name, file_path in data.files.items():
            if name.endswith(".json"):
                self.add_fixture(fixtures, file_path, fixture_name(file_path), template)
        self.report_nested_fixture_dirs(data)
        return fixtures

    # -- the whole set

    def result(self) -> LoadResult:
        templates = self.drop_duplicate_names()
        self.findings += [no_fixture_finding(template) for template in templates if not template.fixtures]
        return LoadResult(templates, self.findings)

    def drop_duplicate_names(self) -> list[Template]:
        by_name: dict[str, list[Template]] = defaultdict(list)
        for template in self.templates:
            by_name[template.name].append(template)
        for name, group in by_name.items():
            if len(group) < 2:
                continue
            for template in group:
                position = self.name_position(template)
                others = [str(other.source) for other in group if other is not template]
                self.findings.append(duplicate_name_finding(name, position, others))
        return [template for template in self.templates if len(by_name[template.name]) == 1]

    def name_position(self, template: Template) -> tuple[Path, int, int]:
        """Where the template's name is written: its TemplateName value, or its folder."""
        entry = self.name_positions.get(id(template))
        if entry is None:
            return template.source, 0, 0
        path, positions = entry
        line, column = positions.get(id(template), (0, 0))
        return path, line, column


def no_fixture_finding(template: Template) -> Finding:
    message = "template has no fixture: checks that need data, and the render proof, cannot run"
    return finding("L110", message, template.source, template=template.name)


def duplicate_name_finding(name: str, position: tuple[Path, int, int], others: list[str]) -> Finding:
    """L107 for one of the templates named `name`; `others` are the sources of the rest."""
    path, line, column = position
    message = f"template name {name!r} is also used by {', '.join(others)}; none of them is loaded"
    return finding("L107", message, path, line, column, template=name)


def load(src: Path) -> LoadResult:
    """Every template under `src` (a file or a folder, searched recursively), with its fixtures, and the findings for
    everything that could not be loaded. Never raises for bad input."""
    loader = Loader()
    loader.guarded(src, lambda: loader.load_path(src))
    return loader.result()


# ----------------------------------------------------------------------------------- loading one unit at a time
#
# For sets too big to hold in memory (`ses2mt check` of 20,000 templates): discover(src) walks SRC exactly as load()
# does but only records each template file or folder as a LoadUnit (the walk's own findings come with it: folders
# without html.hbs, orphan fixtures, unreadable folders); load_unit(unit) then loads one unit with its fixtures,
# anywhere (units are small and picklable). What load() does for the whole set at the end (duplicate names L107,
# no-fixture L110) is the caller's job: it needs every unit's names.

UnitKind = Literal["folder", "json", "infra"]


@dataclass(frozen=True, slots=True)
class LoadUnit:
    """One template file (`json`: SES JSON or CloudFormation JSON; `infra`: YAML or Terraform) or template folder
    (`folder`), with the folder entries its loading reads (parts and data/, or <stem>.data.json and <stem>.data/).
    `index` is its place in the walk: the order in which load() would have loaded it."""

    kind: UnitKind
    path: Path
    folder: Folder
    root: Path
    named: bool
    index: int

    @property
    def lowest_path(self) -> str:
        """A string no path of this unit's findings sorts before: the unit's path without its suffix (a template file
        `dir/a.json` has fixtures `dir/a.data.json` and `dir/a.data/`). "" for units that may report findings in
        other files: Terraform reads file("...") references, MJML mj-include."""
        if self.path.name.endswith(".tf") or MJML_HTML_FILE in self.folder.files:
            return ""
        if self.kind == "folder":
            return str(self.path)
        return str(self.path.parent / _template_file_stem(self.path.name))


@dataclass(slots=True)
class Discovery:
    units: list[LoadUnit]
    findings: list[Finding]


@dataclass(slots=True)
class UnitLoad:
    """What one unit loaded: templates in order, the loading findings, and where each template's name is (L107)."""

    templates: list[Template]
    findings: list[Finding]
    name_position: Callable[[Template], tuple[Path, int, int]]


def discover(src: Path) -> Discovery:
    """The template files and folders under `src`, in load()'s order, and the findings of the walk itself."""
    loader = Loader()
    loader.units = []
    loader.guarded(src, lambda: loader.load_path(src))
    return Discovery(loader.units, loader.findings)


def load_unit(unit: LoadUnit, fixtures: bool = True) -> UnitLoad:
    """One unit's templates (with their fixtures unless `fixtures` is False) and findings, as load() makes them."""
    loader = Loader()
    loader.root = unit.root
    loader.read_fixtures = fixtures
    loader.load_unit(unit.kind, unit.path, unit.folder, unit.named)
    return UnitLoad(loader.templates, loader.findings, loader.name_position)


def _unit_entries(kind: UnitKind, path: Path, folder: Folder) -> Folder:
    """The entries of `folder` that loading the unit at `path` reads (not the whole folder: it may hold thousands)."""
    if kind == "folder":
        names = (*FOLDER_PART_FILES.values(), MJML_HTML_FILE)
        dirs = (FOLDER_FIXTURE_DIR,)
    else:
        stem = _template_file_stem(path.name)
        names = (stem + FIXTURE_FILE_SUFFIX,)
        dirs = (stem + FIXTURE_DIR_SUFFIX,)
    files = {name: folder.files[name] for name in names if name in folder.files}
    return Folder(folder.path, files, {name: folder.dirs[name] for name in dirs if name in folder.dirs})
