"""derive: step-by-step, CAS-checked answer keys for deep-learning homework.

    >>> import derive
    >>> doc = derive.solve(derive.load())          # the bundled HW5 problem set
    >>> text = derive.render(doc, "latex")         # or "json"
"""

__version__ = "0.1.0"

from .document import solve  # noqa: E402
from .formats import render  # noqa: E402
from .spec import load, loads  # noqa: E402

__all__ = ["load", "loads", "solve", "render", "__version__"]
