"""One module per `ses2mt` command. Each defines a click command named after the module (`check.py` -> `check`), and
templating/cli.py registers it with one line. Commands only wire the library together: load, run library
functions, then print with templating.diagnostics and exit 0 (no errors), 1 (errors) or 2 (usage)."""
