"""Upload converted templates to Mailtrap: read OUT, plan against the account, apply, remember in a lock file.

local.py    read the `convert` output folder (mailtrap.json per template, report.json, priority.txt)
client.py   the HTTP client: timeouts, sliding-window pacing, retries with jitter, bounded total time
plan.py     what a sync would do: create / update / unchanged / delete / blocked, dedupe, the 200 cap
sync.py     apply a plan, writing the lock file after every successful call
lock.py     OUT/mailtrap.lock.json: SES TemplateName -> Mailtrap id, uuid, content hash, synced time
mapping.py  TemplateName -> template_uuid as json, csv or env
"""

from templating.send.adapter import MailtrapSender, SendError, send_templated  # noqa: F401  (runtime adapter)
