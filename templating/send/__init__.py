"""Move the sending code: SES send calls -> Mailtrap send bodies.

addresses.py  `"Name" <email>` strings -> `{email, name}` (RFC 5322, encoded words decoded)
index.py      TemplateIndex: SES TemplateName -> Mailtrap template_uuid (lock file or MAILTRAP_TEMPLATE_* variables)
translate.py  `translate(request, index)`: the four SES send operations -> `/api/send` or `/api/batch` bodies
adapter.py    `send_templated(**ses_kwargs)` / `MailtrapSender`: application code keeps its SES-shaped calls
"""

from templating.send.addresses import AddressError, parse_address
from templating.send.index import LockReadError, TemplateIndex
from templating.send.translate import RequestError, Translation, detect_operation, translate

__all__ = [
    "AddressError",
    "LockReadError",
    "RequestError",
    "TemplateIndex",
    "Translation",
    "detect_operation",
    "parse_address",
    "translate",
]
