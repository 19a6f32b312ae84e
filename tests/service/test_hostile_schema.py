"""Schemathesis against the service's own OpenAPI document, NUL characters allowed.

Every operation gets the document's examples, schemathesis's coverage cases (boundaries, wrong
types, missing and extra fields, undeclared methods) and generated requests, valid and not,
sent in-process to the Flask app on SQLite and on PostgreSQL. Each answer must be no 5xx, a
4xx must be JSON with a message, nothing may log a traceback, and the answer must match the
document. The run is derandomized, so CI sends the same requests every time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from tests.hostile import FLOOR, MODULES, TALLY, answer_problems, counted, tracebacks
from tests.support import code_with, drain_tasks, record

# Generated requests per operation and mode (valid and invalid), on each database; the
# examples and coverage cases come on top. The suite's total is checked against FLOOR.
EXAMPLES = 60
CONFIG = {
    "seed": 20240601,
    "generation": {
        "mode": "all", "deterministic": True, "allow-x00": True, "max-examples": EXAMPLES,
        "database": "none",
    },
}  # fmt: skip
# The service checks what JSON Schema cannot say, so a request the document allows may still be
# refused, rightly: a real calendar date, date_from not after date_to, bounding-box corners in
# order, a cursor the service made, an Idempotency-Key that is not blank, a batch with at least
# one acceptable article (an upload of files the service can read).
EXCLUDED = [positive_data_acceptance]
# Event text that a spreadsheet would run, so that the exports the run asks for have cells to
# neutralise (the corpus checks the cells themselves).
FORMULAS = ("=HYPERLINK(\"http://x\")", "@SUM(1)", "\t=1+1", "+1", "-1+1", "\rcmd")


def seed_events(app) -> None:
    """Store coded events across three articles, so that queries and exports find rows."""
    client = app.test_client()
    articles = [
        {"text": f"Article {n}.", "published_at": f"2022-02-2{n}", "source": FORMULAS[n],
         "url": f"=HYPERLINK(\"http://example.com/{n}\")"}
        for n in range(3)
    ]  # fmt: skip
    ids = client.post("/api/v1/jobs", json={"articles": articles}).get_json()["article_ids"]
    drain_tasks(app)
    for n, article_id in enumerate(ids):
        code_with(app, article_id, [
            record(10 * n + k, source_text=FORMULAS[k], target_name=FORMULAS[-k],
                   date=f"2022-02-2{k}", source_code=("RUSGOV", "UKRMIL", "---GOV")[k % 3])
            for k in range(4)
        ])  # fmt: skip


@pytest.fixture
def api_schema(app_on_each_database):
    """Load the OpenAPI document from the app itself, with coded events already stored."""
    app = counted(app_on_each_database, "schema")
    seed_events(app)
    config = SchemathesisConfig.from_dict(CONFIG)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request):
    """Give the test item the private `_nodeid` that schemathesis 4 renames per operation."""
    # pytest 9.2 keeps the node id elsewhere; without this, schemathesis fails before a request.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    derandomize=True, database=None, deadline=None, max_examples=EXAMPLES,
    # The app and the log capture are shared by every example on purpose; slow or filtered
    # generation is expected with hostile strings.
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
def test_generated_requests_get_no_server_error_and_match_the_document(case, caplog):
    caplog.clear()
    response = case.call()
    [content_type] = response.headers.get("content-type", [None])
    problems = answer_problems(response.status_code, content_type, response.content)
    problems += tracebacks(caplog.records)
    assert not problems, f"{case.as_curl_command()}\n" + "\n".join(problems)
    case.validate_response(response, excluded_checks=EXCLUDED)


def test_the_hostile_suite_sends_ten_thousand_requests_without_a_server_error():
    # pytest runs the corpus module, then the run above, then this: the tally is complete.
    if missing := MODULES - TALLY.sent.keys():
        pytest.skip(f"the figure counts the whole hostile suite; {sorted(missing)} did not run")
    assert TALLY.server_errors == []
    assert TALLY.requests >= FLOOR
