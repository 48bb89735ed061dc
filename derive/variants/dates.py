"""The PDFs' date: none of their own (the same bytes on every run) unless SOURCE_DATE_EPOCH is set. Used by the
variants' keys (``run``, ``cluster``), the instructor's book (``book``) and the stress report (``report``)."""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def dated():
    """PDFs without a date of their own (the same bytes on every run), unless SOURCE_DATE_EPOCH is set."""
    saved = {k: os.environ.get(k) for k in ("SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE")}
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    os.environ.setdefault("FORCE_SOURCE_DATE", "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
