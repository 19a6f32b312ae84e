"""The engine stays pure: no web, queue or database packages, nothing heavy at import time."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("flask", "celery", "sqlalchemy", "marshmallow", "service", "workers", "schemas")


def imported_after(statement: str) -> set[str]:
    """Return the top-level modules loaded by a fresh interpreter after `statement`."""
    program = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(result.stdout)}


def test_coder_imports_no_service_packages():
    modules = imported_after(
        "import coder, coder.cli, coder.pipeline, coder.evaluate, coder.petrarch, coder.text"
    )
    assert not modules & set(FORBIDDEN)


def test_import_loads_neither_model_nor_dictionaries():
    modules = imported_after("import coder")
    assert "spacy" not in modules
    assert "trafilatura" not in modules
