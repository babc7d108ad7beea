"""TemplateName -> template_uuid, the table application code needs when it moves from SES's `Template` name to
Mailtrap's `template_uuid`, as json, csv or env lines."""

from __future__ import annotations

import csv
import io
import json
import re

from templating.mailtrap.lock import LockFile

FORMATS = ("json", "csv", "env")
ENV_PREFIX = "MAILTRAP_TEMPLATE_"


class MappingError(Exception):
    pass


def mapping_from_lock(lock: LockFile) -> dict[str, str]:
    return {name: lock.entries[name].uuid for name in sorted(lock.entries)}


def env_name(template_name: str) -> str:
    """welcome-email -> MAILTRAP_TEMPLATE_WELCOME_EMAIL (SES names are [A-Za-z0-9_-])."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9_]", "_", template_name.upper())


def format_mapping(mapping: dict[str, str], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(mapping, indent=2, ensure_ascii=False) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["template_name", "template_uuid"])
        writer.writerows(mapping.items())
        return buffer.getvalue()
    if output_format == "env":
        return _format_env(mapping)
    raise MappingError(f"unknown format {output_format!r}; use one of {', '.join(FORMATS)}")


def _format_env(mapping: dict[str, str]) -> str:
    by_variable: dict[str, list[str]] = {}
    for name in mapping:
        by_variable.setdefault(env_name(name), []).append(name)
    clashes = {variable: names for variable, names in by_variable.items() if len(names) > 1}
    if clashes:
        detail = "; ".join(f"{', '.join(names)} -> {variable}" for variable, names in clashes.items())
        raise MappingError(f"template names collide as environment variables: {detail}")
    return "".join(f"{env_name(name)}={uuid}\n" for name, uuid in mapping.items())
