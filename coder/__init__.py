"""Dyad's coding engine: plain English news text in, CAMEO event records out.

Pure Python: nothing here imports a web framework, a task queue or a database driver, and the
dictionaries and the spaCy model are loaded lazily, once per process. The names below are
imported on first use, so that the service can read `coder.record` or `coder.dictionaries`
without loading the pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coder.pipeline import code_article
    from coder.record import CODER_VERSION, RECORD_FIELDS, Event

__all__ = ["CODER_VERSION", "RECORD_FIELDS", "Event", "code_article"]

_HOMES = {
    "code_article": "coder.pipeline",
    "CODER_VERSION": "coder.record",
    "RECORD_FIELDS": "coder.record",
    "Event": "coder.record",
}


def __getattr__(name: str) -> Any:
    """Import an exported name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'coder' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
