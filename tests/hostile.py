"""The hostile-input suite's figures: requests sent, server errors answered, tracebacks logged.

Both hostile modules (the schema-driven run and the corpus) wrap their app with `counted`, so
that every request they send is tallied here, whatever client sent it, and every 5xx noted.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# The floor for the whole suite: the schema-driven requests and the corpus together.
FLOOR = 10_000
# The modules whose requests make up the figure.
MODULES = frozenset(("schema", "corpus"))


@dataclass
class Tally:
    """What the hostile suite sent in this session, by module, and the server errors."""

    sent: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Return how many requests the suite sent in all."""
        return self.sent.total()


TALLY = Tally()


def counted(app: Any, module: str) -> Any:
    """Tally every request `app` answers from now on, noting each 5xx; return the app."""
    inner: Callable[..., Any] = app.wsgi_app

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        TALLY.sent[module] += 1

        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            if status.startswith("5"):
                request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
                TALLY.server_errors.append(f"{request}: {status}")
            return start_response(status, headers, exc_info)

        return inner(environ, start)

    app.wsgi_app = wsgi_app
    # As in production, an unhandled error becomes a logged 500 (counted, and its traceback
    # caught in the logs) instead of an exception raised into the test.
    app.config["TESTING"] = False
    TALLY.sent[module] += 0  # the module ran, even if it sends nothing
    return app


def tracebacks(records: Iterable[logging.LogRecord]) -> list[str]:
    """Return the logged records that carry a traceback, formatted."""
    formatter = logging.Formatter()
    return [formatter.format(record) for record in records
            if record.exc_info or "Traceback" in record.getMessage()]  # fmt: skip


def strict_json(body: bytes) -> Any:
    """Parse JSON as a strict reader would: NaN and Infinity are not JSON."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(body, parse_constant=refuse)


def answer_problems(status: int, content_type: str | None, body: bytes) -> list[str]:
    """Say what is wrong with an answer: a 5xx, JSON that is not JSON, or a 4xx that is not a
    JSON error with its code and a message."""
    if status >= 500:
        return [f"server error {status}: {body[:500]!r}"]
    is_json = (content_type or "").startswith("application/json")
    if status >= 400 and not is_json:
        return [f"{status} answered as {content_type!r}, not JSON: {body[:200]!r}"]
    if not is_json or not body:
        return []
    try:
        answer = strict_json(body)
    except ValueError as error:
        return [f"{status} with a body that is not JSON ({error}): {body[:200]!r}"]
    if status < 400:
        return []
    if not isinstance(answer, dict) or answer.get("code") != status or not answer.get("message"):
        return [f"{status} without its code and a message: {answer!r}"[:500]]
    return []
