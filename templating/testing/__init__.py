"""A faithful local Mailtrap API for tests (`MailtrapServer`); pytest fixtures in `templating.testing.pytest_fixtures`.

from templating.testing import MailtrapServer

with MailtrapServer(rate_limit=150, rate_window=10.0) as server:
    ...  # point a client at server.api_base with server.token and server.account_id
"""

from templating.testing.outdir import template_payload, write_out_folder
from templating.testing.render import render_mailtrap
from templating.testing.server import DEFAULT_ACCOUNT_ID, DEFAULT_TOKEN, MailtrapServer, RequestRecord

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_TOKEN",
    "MailtrapServer",
    "RequestRecord",
    "render_mailtrap",
    "template_payload",
    "write_out_folder",
]
