"""derive: step-by-step, CAS-checked answer keys for deep-learning homework.

    >>> import derive
    >>> doc = derive.solve(derive.load())          # the bundled HW5 problem set, derived and checked
    >>> key = derive.render(doc, "latex")          # or "markdown", "html", "beamer", "json"
    >>> sheet = derive.render(doc, "html", sheet="problems")     # the questions alone
    >>> pdf = derive.render(doc, "beamer-pdf")     # bytes: the slides, compiled ("pdf": the article)

In Jupyter, a document and its problems, parts, questions and answers display themselves
(``doc``, ``doc.problems[0].parts[0].questions[0].answer``).
"""

__version__ = "0.1.0"

import importlib

# The API is imported on first use, so that `import derive` (and the command line's start) stays light.
_API = {"load": "spec", "loads": "spec", "from_mapping": "spec", "solve": "document", "render": "formats"}

__all__ = ["load", "loads", "from_mapping", "solve", "render", "__version__"]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    if not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)        # derive.formats, derive.kinds, ...
        except ModuleNotFoundError:
            pass
    raise AttributeError(f"module 'derive' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
