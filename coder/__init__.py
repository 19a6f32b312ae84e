"""Dyad's coding engine: plain English news text in, CAMEO event records out.

Pure Python: nothing here imports a web framework, a task queue or a database driver, and the
dictionaries and the spaCy model are loaded lazily, once per process.
"""

from coder.pipeline import code_article
from coder.record import CODER_VERSION, RECORD_FIELDS, Event

__all__ = ["CODER_VERSION", "RECORD_FIELDS", "Event", "code_article"]
