"""Problem kinds: one module (or small package) per problem family, each a ``Kind`` (see ``base``).

``KINDS`` maps every kind's name to it: the built-in ones below, registered by ``@register``, and those
of installed packages (entry-point group ``derive.kinds``).
"""

from . import cnn, conv1d, graph, init, optimizer, rnn  # noqa: F401 - registers the built-in kinds
from .base import KINDS, REQUIRED, Field, Kind, register

__all__ = ["KINDS", "Kind", "Field", "REQUIRED", "register"]
