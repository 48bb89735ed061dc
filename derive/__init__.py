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

from .document import solve  # noqa: E402
from .formats import render  # noqa: E402
from .spec import from_mapping, load, loads  # noqa: E402

__all__ = ["load", "loads", "from_mapping", "solve", "render", "__version__"]
