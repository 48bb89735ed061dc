"""Problem kinds: one module (or small package) per problem family, each a ``Kind`` (see ``base``).

``KINDS`` maps every kind's name to it. Every kind is found through the entry-point group ``derive.kinds``:
the built-in ones are named in derive's own pyproject.toml (aliases too), exactly as a course's package
names its own, and a kind's module is imported the first time a spec or a command asks for one of its names.
"""

import importlib

from .base import KINDS, REQUIRED, Field, Kind, Rule

SUBPACKAGES = ("activations", "cnn", "conv1d", "graph", "init", "optimizer", "rnn")


def __getattr__(name: str):
    """``derive.kinds.rnn`` and the like, imported on first use."""
    if name in SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KINDS", "Kind", "Field", "REQUIRED", "Rule"]
