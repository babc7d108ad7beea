"""Render a stored template the way Mailtrap does: `templating.mailtrap_render` (pybars3, standard escaping, missing
variables print nothing), the same Mailtrap dialect that verification uses."""

from __future__ import annotations

from typing import Any

from templating.mailtrap_render import MailtrapRenderError
from templating.mailtrap_render import render_mailtrap as _render


class TemplateRenderError(Exception):
    pass


def render_mailtrap(source: str, variables: dict[str, Any]) -> str:
    """Raises TemplateRenderError for a template pybars3 cannot handle."""
    if not source:
        return ""
    try:
        return _render(source, variables)
    except MailtrapRenderError as error:
        raise TemplateRenderError(str(error)) from None
