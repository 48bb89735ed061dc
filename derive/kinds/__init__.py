"""Problem kinds: one module (or small package) per problem family, each a ``Kind`` (see ``base``).

``KINDS`` maps every kind's name to it: the built-in ones below, registered by ``@register``, and those
of installed packages (entry-point group ``derive.kinds``).

A built-in kind's module is imported when a spec (or a command) first asks for one of its names: a new kind
adds its module and the names it registers (aliases too) to ``BUILTIN`` (tests/test_lazy_kinds.py checks it).
"""

import importlib

from .base import KINDS, REQUIRED, Field, Kind, builtin_modules, register

BUILTIN = {                   # module: the kind names and aliases it registers, in the order they are listed
    "cnn": ("network", "cnn-dims"),
    "conv1d": ("conv-matrix", "conv1d-matrix"),
    "graph": ("graph",),
    "init": ("init",),
    "optimizer": ("optimizer",),
    "rnn": ("rnn-activation",),
}
builtin_modules(__name__, BUILTIN)


def __getattr__(name: str):
    """``derive.kinds.rnn`` and the like, imported on first use."""
    if name in BUILTIN:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["KINDS", "Kind", "Field", "REQUIRED", "register"]
