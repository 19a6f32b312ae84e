"""The fault harness at CI size: 300 articles per Redis mode, faults injected as they drain.

bench/chaos.py starts its own Redis, a scratch PostgreSQL database, `dyad web` and a worker,
kills workers and Redis while the articles drain, and exits 1 when anything was lost,
duplicated or changed, the API answered 5xx, or a status went backwards.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HOST, POSTGRES_PORT, reachable

REPO = Path(__file__).resolve().parents[2]
CI_ARTICLES = 300
# Two runs of 300 articles with seven faults each take about 2 minutes apiece here.
RUN_TIMEOUT = 1200

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["aof", "none"])
def test_no_job_is_lost_duplicated_or_changed_under_faults(mode):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    if not reachable(HOST, POSTGRES_PORT):
        pytest.skip(f"PostgreSQL is not reachable on {HOST}:{POSTGRES_PORT}")
    command = [sys.executable, "bench/chaos.py", f"--articles={CI_ARTICLES}",
               f"--redis-mode={mode}"]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        table, errors = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.terminate()  # the harness stops what it started on SIGTERM
        table, errors = process.communicate(timeout=120)
        pytest.fail(f"the fault run took over {RUN_TIMEOUT} s:\n{table}{errors[-5000:]}")
    print(table)
    assert process.returncode == 0, table + errors[-5000:]
    for must_be_zero in ("**lost**", "**duplicate event rows**", "**mismatched articles**",
                         "**API 5xx answers**"):  # fmt: skip
        row = next(line for line in table.splitlines() if line.startswith(f"| {must_be_zero}"))
        assert row.split("|")[2].strip() == "0", row
