"""graph: backpropagation step by step through a computation the instructor writes as equations.

The spec gives values (numbers, vectors, matrices, or symbols) and forward equations; derive does the
forward pass (every name's value) and the backward pass in reverse order, upstream × local = downstream
at each node, every relation checked."""

from __future__ import annotations

from ...fields import FieldError
from ...steps import Text
from ..base import Kind
from .keys import FIELDS
from .names import NOTATION

# The parser, the analysis and the narration are imported when a graph is derived, so that a spec without
# one does not pay for them at start-up.


class Graph(Kind):
    """A computation graph: forward values and gradients, numbers or symbols."""

    name = "graph"
    notation = NOTATION
    summary = "backpropagation through forward equations: every value, then every gradient, node by node"
    asks = {"forward": "the value of every name defined by the equations, in order",
            "gradient": "the gradient of 'of' with respect to each name in 'wrt', each of its variable's shape",
            "step": "each given name in 'wrt' after one step of a torch.optim optimiser (optimizer, lr and its keys) on"
                    " its gradient: {name: value}"}
    fields = FIELDS

    def configure(self, values: dict, asks: tuple[str, ...]):
        from .config import configure
        return configure(values, asks)

    def shown(self, notation, config, configs):
        """The sigmoid written as the word where the spec names a value σ (sigma): the spec's name is the user's
        and keeps its letter; the sigmoid is torch.sigmoid's word (derive.kinds.graph.letters.sigmoid_shown)."""
        from .letters import sigmoid_shown
        return sigmoid_shown(notation, [c for c in configs if c is not None])

    def setting_among(self, config, configs):
        from .letters import sigmoid_note
        return self.setting(config) + sigmoid_note(config, configs)

    def decimals(self, values) -> bool:
        """Numbers read as written when the spec writes one as a decimal: a given 3.2 (a TOML float that is not
        a whole number) or 0.5 in an equation."""
        from .config import written_in_decimals
        return written_in_decimals(values)

    def setting(self, config) -> Text:
        from .narrate import setting
        return setting(config)

    def solve(self, config, ask: str):
        from .values import ShapeProblem, TooExtreme, Undefined
        try:
            return _solved(config, ask)
        except FieldError:
            raise
        except Undefined as err:
            raise FieldError("forward", str(err), None, "an equation whose gradient is defined at the given values") \
                from None
        except ShapeProblem as err:
            raise FieldError("forward", str(err), None, "equations whose gradients have shapes that fit") from None
        except TooExtreme as err:
            raise FieldError("given", str(err), None, "values whose gradients a few thousand digits can tell "
                             "apart from 0") from None
        except (ArithmeticError, TypeError, ValueError) as err:     # SymPy failing on the numbers themselves
            raise FieldError("forward", f"a gradient cannot be evaluated at the given values ({type(err).__name__}:"
                             f" {str(err)[:80]})", None, "equations differentiable at the given values") from None


def _solved(config, ask: str):
    """One question: the analysis (the forward values are the config's; the backward pass), its narration, then
    its figures, drawn from the same analysis."""
    from dataclasses import replace
    from ...figures import Later
    from .backsteps import solve_gradient
    from .backward import backward
    from .figures import forward_figures, gradient_figures
    from .attend import forward_pass
    from .step import solve_step
    if ask == "step":
        return solve_step(config)
    if ask == "forward":
        return replace(forward_pass(config), figures=Later(forward_figures, config))
    b = backward(config)
    return replace(solve_gradient(config, b), figures=Later(gradient_figures, config, b))
