"""The `ses2mt` command line: a click group; each command lives in templating/commands/<name>.py."""

from __future__ import annotations

from typing import Any

import click

from templating import __version__
from templating.commands import check, convert, export_ses, preview, send, snapshot, upload


class Ses2mtGroup(click.Group):
    """A group that turns any unexpected exception into one clear line and exit status 1: no traceback for users."""

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


# Commands: one module each under templating/commands/, registered here with one line each.
main.add_command(check.check)
main.add_command(convert.convert)
main.add_command(convert.render)
main.add_command(convert.verify)
main.add_command(upload.plan)
main.add_command(upload.sync)
main.add_command(upload.mapping)
main.add_command(preview.preview)
main.add_command(snapshot.snapshot)
main.add_command(export_ses.export_ses)
main.add_command(send.translate_send)
main.add_command(send.consolidate)
