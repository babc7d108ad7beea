"""Write a conversion run to OUT: one folder per converted template, report.json and report.md.

    OUT/<TemplateName>/mailtrap.json          Mailtrap's `email_template` object (name, subject, category, bodies)
    OUT/<TemplateName>/fixtures/<name>.json   each fixture, as Mailtrap `template_variables`
    OUT/report.json, OUT/report.md            every template (converted or failed), its findings and rewrites

Every file is written atomically (temporary file + os.replace) and only when its bytes change, so re-running on
unchanged input rewrites nothing. Nothing is written outside OUT. JSON: UTF-8, `ensure_ascii=False`, indent 2,
trailing newline; no timestamps, so output is a pure function of the input.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templating.convert import ConvertRun, TemplateOutcome
from templating.fileio import json_text, write_atomic
from templating.model import Finding, Severity


class OutputPathError(Exception):
    """OUT is unusable (inside SRC, or a path would leave OUT)."""


class SourceOverlapError(OutputPathError):
    """A template's OUT/<name> folder would be SRC or lie inside it: the user's choice of OUT, not a write failure."""


@dataclass(slots=True)
class EmitResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)


def json_bytes(value: Any) -> bytes:
    return (json_text(value) + "\n").encode("utf-8")


def check_output_location(src: Path, out: Path) -> None:
    """OUT must not be SRC or inside it (a later run would read its own output as input)."""
    source = src.resolve()
    target = out.resolve()
    if source.is_dir() and (target == source or source in target.parents):
        raise OutputPathError(f"the output folder {out} is inside the source folder {src}: choose another -o")
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"the output path {out} exists and is not a folder")


def write_if_changed(path: Path, data: bytes, result: EmitResult) -> None:
    try:
        if path.read_bytes() == data:
            result.unchanged.append(path)
            return
    except OSError:
        pass
    write_atomic(path, data)
    result.written.append(path)


def inside(out: Path, *names: str) -> Path:
    path = out.joinpath(*names)
    if out.resolve() not in path.resolve().parents:
        raise OutputPathError(f"{'/'.join(names)} would be written outside {out}")
    return path


def source_label(path: Path, src: Path) -> str:
    """The source path as `<SRC folder name>/<relative path>`, the same however SRC was spelt."""
    base = src.resolve()
    try:
        relative = path.resolve().relative_to(base)
    except ValueError:
        return path.as_posix()
    if base.is_file():
        return base.name
    return (Path(base.name) / relative).as_posix()


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": str(f.severity),
        "message": f.message,
        "part": f.part,
        "line": f.line,
        "column": f.column,
        "fixture": f.fixture,
    }


def template_entry(outcome: TemplateOutcome, src: Path) -> dict[str, Any]:
    return {
        "name": outcome.name,
        "source": source_label(outcome.source, src),
        "status": outcome.status,
        "findings": [finding_json(f) for f in outcome.findings],
        "rewrites": [r.to_json() for r in outcome.rewrites],
    }


def summary(run: ConvertRun) -> dict[str, Any]:
    rewrites = Counter(r.code for o in run.outcomes for r in o.rewrites)
    findings = Counter(f.code for o in run.outcomes for f in o.findings)
    return {
        "templates": len(run.outcomes),
        "converted": sum(1 for o in run.outcomes if o.status == "converted"),
        "failed": len(run.failed),
        "escape": run.escape,
        "fixtures_verified": sum(len(o.verified_fixtures) for o in run.outcomes),
        "rewrites": dict(sorted(rewrites.items())),
        "findings": dict(sorted(findings.items())),
    }


def report_json(run: ConvertRun) -> dict[str, Any]:
    return {"templates": [template_entry(o, run.src) for o in run.outcomes], "summary": summary(run)}


def report_markdown(run: ConvertRun) -> str:
    info = summary(run)
    lines = [
        "# ses2mt conversion report",
        "",
        f"Source `{source_label(run.src, run.src)}`, escape policy `{run.escape}`: {info['templates']} templates, "
        f"{info['converted']} converted and verified, {info['failed']} failed; "
        f"{info['fixtures_verified']} fixtures proven byte for byte.",
        "",
        "| Template | Status | Fixtures proven | Rewrites | Errors | Warnings |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in run.outcomes:
        errors = sum(1 for f in o.findings if f.severity == Severity.ERROR)
        warnings = sum(1 for f in o.findings if f.severity == Severity.WARNING)
        lines.append(
            f"| {o.name} | {o.status} | {len(o.verified_fixtures)} | {len(o.rewrites)} | {errors} | {warnings} |"
        )
    failed = run.failed
    if failed:
        lines += ["", "## Failed templates", ""]
        for o in failed:
            lines.append(f"### {o.name} (`{source_label(o.source, run.src)}`)")
            lines.append("")
            for f in o.findings:
                if f.severity != Severity.ERROR:
                    continue
                where = ":".join(str(x) for x in (f.part or "", f.line, f.column) if x)
                fixture = f" [fixture {f.fixture}]" if f.fixture else ""
                message = f.message.replace("\n", "\n    ")
                lines.append(f"- `{f.code}` {where}{fixture}: {message}")
            lines.append("")
    if info["rewrites"]:
        lines += ["", "## Rewrites by code", ""]
        lines += [f"- `{code}`: {count}" for code, count in info["rewrites"].items()]
    return "\n".join(lines).rstrip("\n") + "\n"


def _check_template_folders(run: ConvertRun, out: Path) -> None:
    """No OUT/<name> folder may be SRC or lie inside it: with OUT above SRC, a template named like SRC's folder (a
    folder-form template converted with `-o ..`) would write into SRC, and a later run would read that as input."""
    source = run.src.resolve()
    if not source.is_dir():
        return
    for o in run.outcomes:
        if o.status != "converted":
            continue
        folder = (out / o.name).resolve()
        if folder == source or source in folder.parents:
            message = f"{out / o.name} (template {o.name}) would be written inside the source folder {run.src}"
            raise SourceOverlapError(message)


def emit(run: ConvertRun, out: Path) -> EmitResult:
    """Write every converted template, its fixtures and the reports under `out`."""
    result = EmitResult()
    _check_template_folders(run, out)
    out.mkdir(parents=True, exist_ok=True)
    for o in run.outcomes:
        if o.status != "converted" or o.template is None:
            continue
        write_if_changed(inside(out, o.name, "mailtrap.json"), json_bytes(o.mailtrap_json()), result)
        for name in sorted(o.template.fixtures):
            path = inside(out, o.name, "fixtures", f"{name}.json")
            write_if_changed(path, json_bytes(o.template.fixtures[name].data), result)
    write_if_changed(inside(out, "report.json"), json_bytes(report_json(run)), result)
    write_if_changed(inside(out, "report.md"), report_markdown(run).encode("utf-8", "backslashreplace"), result)
    return result
