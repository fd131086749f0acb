"""The `briefing` command line: build objects, call one library function, print the result.

Exit codes: 0 done (a run that completed, even with some feeds failing), 1 failed (or --strict and a
feed failed), 2 usage or configuration error, 75 another run holds the lock, 130/143 interrupted by
SIGINT/SIGTERM. Errors are one line on stderr; `--debug` adds the traceback.
"""

from briefing.cli import analysis, brief, feedback, ingest, search, settings, unattended  # noqa: F401
from briefing.cli.app import cli, main

__all__ = ["cli", "main"]
