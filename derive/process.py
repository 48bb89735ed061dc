"""The process derive runs in: the console script's (derive.launch), which ends when its command does, or a
library caller's, which may live long and free what it loaded."""

from __future__ import annotations

import gc

ONE_SHOT = False        # the process is the console script's: it ends when the command does


def settle() -> None:
    """In the console script, once SymPy, the kinds and the spec are loaded: what exists now lives until the
    process ends, so the cyclic collector stops scanning it (gc.freeze); a collection then walks only what
    deriving makes. A library caller's process is left alone (it may live long, and free what it loaded)."""
    if ONE_SHOT:
        gc.freeze()
