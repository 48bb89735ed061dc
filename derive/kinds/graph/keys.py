"""The graph kind's spec keys, declared once (light: a spec without a graph does not import the parser). What
depends on the equations (names defined before use, shapes that fit, 'of' and 'wrt' among the names) is checked
by ``config``."""

from __future__ import annotations

from dataclasses import replace

from ...declare import REQUIRED, Boolean, Field, Integer, ListOf, Map, Nested, Number, OneOf, Rule, Table, Text
from ..optimizer.config import FIELDS as OPTIMIZER_FIELDS, HYPER

MAX_EQUATIONS = 40
MAX_NAMES = 40
MAX_SIDE = 20             # each size of a symbolic given
NAME = r"[A-Za-z][A-Za-z0-9_]{0,19}"

NUMBER = Number(constants=True)
ARRAY = Nested(NUMBER, most=2, words="a list (a vector) or a list of lists (a matrix, row by row)")
MASK = Nested(OneOf((NUMBER, Boolean())), most=2, words="a list (a vector) or a list of lists (a matrix, row by row)"
              " of numbers, or of true and false (1 and 0: an attention mask)")
NUMBERS = OneOf((NUMBER, ARRAY))
SYMBOLIC = Table((Field("symbol", Boolean(), "a scalar symbol"),
                  Field("shape", ListOf(Integer(1, MAX_SIDE), 1, 2, words="[n] or [m, n]"),
                        "a vector or a matrix of symbols: z1, z2, ... or W11, W12, ...")), noun="symbolic value")
EQUATION = Text("name = expression", ("y = 2 * x",))
NAMES = Text("a name", ("x",))

FIELDS = (
    Field("given", Map(OneOf((NUMBER, MASK, SYMBOLIC)), NAME, max_len=MAX_NAMES,
                       words="a table of names"),
          "the inputs and parameters: a number (exact: 0.1 is 1/10, \"1/3\" and LaTeX constants such as '\\ln 2'"
          " too), a list (a vector, a column), a list of lists (a matrix, row by row), or a symbolic value:"
          " { symbol = true } (a scalar), { shape = [3] } (z₁, z₂, z₃: z1, z2, z3 in JSON strings),"
          " { shape = [2, 3] } (W11 … W23; W1_12 style once a size passes 9); at most 400 entries a value",
          REQUIRED),
    Field("forward", OneOf((EQUATION, ListOf(EQUATION, 1, MAX_EQUATIONS, noun="equations"))),
          "the equations, in order, each `name = expression` defining a new name", REQUIRED),
    Field("of", Text("a name defined by an equation", ("f",)), "the name differentiated",
          Rule("the last equation's name")),
    Field("wrt", OneOf((NAMES, ListOf(NAMES, 1, MAX_NAMES, noun="names"))),
          "the names to differentiate with respect to (given or defined)",
          Rule("every given name except class indices and other constants")),
    Field("upstream", NUMBERS, "the gradient flowing into `of`, of its shape: \"given ∂L/∂y = [1, 0, 0, 0], find"
          " ∂L/∂x\"; the gradients are then written ∂L/∂x", Rule("1 for a scalar `of`; required for a vector or"
                                                                 " matrix `of` whose gradient is asked")),
)


def _optimizer_field(f: Field) -> Field:
    """The optimizer kind's own declaration of a key, for the question `step` (one optimizer step)."""
    if f.name == "optimizer":
        return replace(f, doc="for `step`: the optimiser of torch.optim taking the step, with its keys below "
                              "(PyTorch's defaults)", default="sgd")
    return replace(f, doc=f"for `step`, {f.doc}")


STEP_FIELDS = tuple(_optimizer_field(f) for f in OPTIMIZER_FIELDS if f.name == "optimizer" or f.name in HYPER)
FIELDS = FIELDS + (
    Field("training", Boolean(), "false: the network is evaluated (PyTorch's model.eval()): dropout is the identity",
          True),
) + STEP_FIELDS
