"""Exceptions raised by briefing.

Every error the library raises on purpose derives from `BriefingError`; anything else is a bug and
propagates with its traceback. The CLI turns a `BriefingError` into one line on stderr and an exit code.

    BriefingError
     +-- ConfigError        feeds.yaml or the environment is invalid (every problem, with key paths)
     +-- RunLockedError     another briefing process holds the run lock
     +-- StorageError       the SQLite store cannot be opened, migrated or written
     +-- FetchError         one HTTP request failed (timeout, too large, blocked, HTTP status, ...)
     +-- FeedError          a body could not be read as a feed (not a feed, empty)
     +-- ExtractError       article extraction failed in its worker (timeout, crash, memory)
     +-- RenderError        a brief could not be rendered (PDF layout failed, timed out, ran out of memory)
     +-- DeliveryError      a brief could not be delivered (e-mail)
          +-- TemporaryDeliveryError   4xx, timeout, connection refused: the next run tries again
          +-- PermanentDeliveryError   5xx, login refused, no STARTTLS, bad certificate: not retried

Per-item failures (one feed, one article) are caught by the pipeline, recorded and reported; they never
stop the other items. `Terminated` is not an error: it is how a run stopped by SIGTERM ends, like
KeyboardInterrupt for SIGINT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefing.models.vocabulary import WorkerFailure

from collections.abc import Sequence
from datetime import datetime


class BriefingError(Exception):
    """Root of every error briefing raises on purpose."""


class ConfigError(BriefingError):
    """The configuration is invalid; `problems` holds one line per problem, each with its key path."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


class QueryError(ConfigError):
    """A search query that cannot be run (unbalanced quotes, nothing to look for): a usage error."""


class MarkError(ConfigError):
    """A mark that cannot be recorded (unknown id, a conflict with an active mark): a usage error."""


class RunLockedError(BriefingError):
    """Another briefing process holds the run lock for this data folder."""


class StorageError(BriefingError):
    """The store could not be opened, migrated or written."""


class FetchError(BriefingError):
    """One HTTP request failed.

    `kind` is a short machine-readable cause: timeout, too_large, blocked, redirects, http, gone,
    rate_limited, tls, connection, decode, encoding.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        self.url = url
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"{message} ({url})")


class FeedError(BriefingError):
    """A response body is not a usable feed."""


class ExtractError(BriefingError):
    """Extraction of one article failed; `status` is timeout, crashed, memory or failed."""

    def __init__(self, status: WorkerFailure, message: str) -> None:
        self.status: WorkerFailure = status
        super().__init__(message)

    def __reduce__(self) -> tuple[type[ExtractError], tuple[WorkerFailure, str]]:
        # Crosses the worker-process boundary, so it must pickle with both arguments.
        return (type(self), (self.status, str(self)))


class RenderError(BriefingError):
    """A brief could not be rendered; nothing was written in place of the previous file."""


class DeliveryError(BriefingError):
    """A brief could not be delivered."""


class Terminated(KeyboardInterrupt):
    """The run was stopped by SIGTERM; work already committed is kept."""


class TemporaryDeliveryError(DeliveryError):
    """Delivery failed for now (4xx reply, timeout, connection refused or reset, DNS); retry next run."""


class PermanentDeliveryError(DeliveryError):
    """Delivery will keep failing until someone fixes something (5xx reply, login refused, no STARTTLS,
    untrusted certificate, missing credentials, too large a brief); do not retry in a loop.

    `too_large` is set when the server refused the message for its size (552)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large
