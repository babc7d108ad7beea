"""The `ses2mt` command line: a click group; each command lives in templating/commands/<name>.py."""

from __future__ import annotations

import importlib
from typing import Any

import click

from templating import __version__

# Commands: name -> (module under templating/commands/, attribute), registered here with one line each. A command's
# module is imported only when that command runs (or for --help): `check` does not pay for pybars3, httpx, bs4...
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check"),
    "convert": ("convert", "convert"),
    "render": ("convert", "render"),
    "verify": ("convert", "verify"),
    "plan": ("upload", "plan"),
    "sync": ("upload", "sync"),
    "mapping": ("upload", "mapping"),
    "preview": ("preview", "preview"),
    "snapshot": ("snapshot", "snapshot"),
    "export-ses": ("export_ses", "export_ses"),
    "translate-send": ("send", "translate_send"),
    "consolidate": ("send", "consolidate"),
}


class Ses2mtGroup(click.Group):
    """A group that turns any unexpected exception into one clear line and exit status 1: no traceback for users.
    Its commands (COMMANDS) are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"templating.commands.{module}"), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click reports these itself (a closed pipe, as in `| head`, exits 1 quietly)
        except Exception as exc:
            message = f"internal error (a bug in ses2mt; please report it): {type(exc).__name__}: {exc}"
            raise click.ClickException(message) from None


@click.group(cls=Ses2mtGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ses2mt")
def main() -> None:
    """ses2mt: move Amazon SES email templates to Mailtrap, exactly."""
