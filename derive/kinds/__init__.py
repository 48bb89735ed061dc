"""Problem kinds: one module per problem family, each a pure function of its spec values.

Each module provides ``ASKS`` (question names), ``FIELDS`` (spec keys),
``configure(values, asks) -> Config``, ``setting(config) -> Text`` and
``solve(config, ask) -> Solution``.
"""

from . import cnn, conv1d, rnn

KINDS = {
    "rnn-activation": rnn,
    "cnn-dims": cnn,
    "conv1d-matrix": conv1d,
}
