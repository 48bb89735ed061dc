"""A long stack (more than LONG layers): each distinct layer configuration's steps once, and a summary table.

VGG-16 layer by layer is ten pages of one step per ReLU. For a stack of more than LONG layers the
params, shapes and macs keys show the steps of each distinct configuration once (the layers that share
it named together), and the first of the part's questions ends with a summary table, as Keras's
summary() and torchinfo print it: layer, output shape, parameters, multiply-accumulates, totals. Every
number in the table comes from the functions whose results the steps derive and check (count_params,
out_shape, layer_macs), and its totals are the sums the total-params and total-macs keys check.
"""

from __future__ import annotations

from ...steps import Answer, Solution, Step, Table, Text, say, step, table_step
from ...words import join
from .layers import ACTIVATIONS, Config
from .macs import _layer_steps as _macs_layer_steps
from .macs import _macs, _total_macs, all_macs, layer_macs_possible
from .notation import _label
from .params import _count_all, _layer_params, _params, _total_params, count_params
from .shapes import _shapes, _shape_tail, layer_shape_steps

LONG = 10                                # a stack of more layers is summarized (a page of steps fits ten)
KEEPERS = (*ACTIVATIONS, "dropout", "batchnorm", "layernorm")   # layers that keep their input's shape

TORCH_NAMES = {"conv": "Conv2d", "maxpool": "MaxPool2d", "avgpool": "AvgPool2d", "flatten": "Flatten",
               "dense": "Linear", "batchnorm": "BatchNorm2d", "relu": "ReLU", "leaky_relu": "LeakyReLU",
               "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax", "dropout": "Dropout",
               "embedding": "Embedding", "rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "attention": "MultiheadAttention",
               "transformer-encoder": "TransformerEncoderLayer", "layernorm": "LayerNorm",
               "conv-transpose": "ConvTranspose2d", "pad": "ZeroPad2d", "global-avgpool": "AdaptiveAvgPool2d"}


def torch_name(layer, shape) -> str:
    """The layer's PyTorch class, as torchinfo names it (1d over a sequence)."""
    name = TORCH_NAMES[layer.type]
    if len(shape) == 2 and name.endswith("2d"):
        return name[:-2] + "1d"
    return name


# --- condensing ------------------------------------------------------------------------------

def _relabel_text(t: Text, old: str, new: str) -> Text:
    return Text(tuple(p.replace(old, new) if isinstance(p, str) else p for p in t.pieces))


def relabel(steps, old: str, new: str) -> list[Step]:
    """The steps with a layer's label (e.g. 'Layer 3 (ReLU layer)') replaced in their prose."""
    return [Step(_relabel_text(s.text, old, new), s.chains, s.table) for s in steps]


def numbers(ks) -> str:
    """1-based layer numbers written with runs: '2, 4, 7 to 9 and 12'; a run of
    two is two numbers ('34, 35, 37 and 38')."""
    runs, ks = [], sorted(k + 1 for k in ks)
    for n in ks:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return join([item for a, b in runs for item in ([f"{a} to {b}"] if b > a + 1 else map(str, range(a, b + 1)))])


def layers_label(c: Config, ks) -> str:
    """'Layer 3 (conv…)' for one layer, 'Layers 3, 7 and 9 (conv…)' for several alike."""
    if len(ks) == 1:
        return _label(ks[0], c.layers[ks[0]])
    return f"Layers {numbers(ks)} ({c.layers[ks[0]].name})"


def condense(c: Config, per_layer) -> list[Step]:
    """Per-layer steps [(k, steps)], each distinct set once (identical but for the layer's label), labelled
    with every layer that shares it, in the order of their first layers."""
    groups: dict = {}
    for k, steps in per_layer:
        if not steps:
            continue
        label = _label(k, c.layers[k])
        key = (c.layers[k].name, tuple(relabel(steps, label, "\0")))
        groups.setdefault(key, (k, steps, []))[2].append(k)
    out = []
    for first, steps, ks in groups.values():
        out += relabel(steps, _label(first, c.layers[first]), layers_label(c, ks))
    return out


# --- the table -------------------------------------------------------------------------------

def summary_table(c: Config) -> Table:
    """Layer, output shape, trainable parameters and MACs of every layer, and their totals."""
    counts = [count_params(layer, shape).trainable for layer, shape in zip(c.layers, c.shapes)]
    macs = all_macs(c)
    rows = tuple((f"{k + 1} {torch_name(layer, shape)}", c.show(out), n, m) for k, (layer, shape, out, n, m)
                 in enumerate(zip(c.layers, c.shapes, c.shapes[1:], counts, macs)))
    return Table(("Layer", "Output shape", "Parameters", "MACs"), rows, ("Total", "", sum(counts), sum(macs)))


def table_or_reference(c: Config, ask: str) -> Step:
    """The summary table on the part's first question that asks for one; a pointer to it on the others."""
    if ask != c.summary_ask:
        return step(say("The summary table above lists every layer's output shape, parameters and"
                        " multiply-accumulates."))
    buffers = sum(count_params(layer, shape).buffers for layer, shape in zip(c.layers, c.shapes))
    extra = (f" Batch normalization's {buffers} running statistics are buffers, not parameters, and not in the"
             " table." if buffers else "")
    return table_step(say(f"The network in a table, as torchinfo's summary prints it (input {c.show(c.input)}):"
                          " each layer's output shape, trainable parameters and multiply-accumulates for one"
                          " example, and their totals." + extra), summary_table(c))


def _column(name: str, c: Config, tail: str = "") -> Text:
    return say(f"Layer by layer, the {name} column of the summary table, layers 1 to {len(c.layers)}{tail}.")


# --- the questions ---------------------------------------------------------------------------

def params(c: Config) -> Solution:
    sol = _params(c)
    steps = condense(c, [(k, _layer_params(k, layer, shape)[0])
                         for k, (layer, shape) in enumerate(zip(c.layers, c.shapes))])
    steps.append(table_or_reference(c, "params"))
    return Solution(sol.question, tuple(steps), Answer(sol.answer.value, text=_column("Parameters", c)),
                    sol.notes, sol.meanings)


def total_params(c: Config) -> Solution:
    sol = _total_params(c)
    shown = len(_count_all(c)[0])
    if c.summary_ask == "params":            # derived layer by layer just above, beside the table
        steps = [step(say("Each layer's count is derived above and listed in the summary table."))]
    else:
        steps = condense(c, [(k, _layer_params(k, layer, shape)[0])
                             for k, (layer, shape) in enumerate(zip(c.layers, c.shapes))])
        steps.append(table_or_reference(c, "total-params"))
    return Solution(sol.question, tuple(steps) + sol.steps[shown:], sol.answer, sol.notes, sol.meanings)


def shapes(c: Config) -> Solution:
    sol = _shapes(c)
    keep = [k for k, layer in enumerate(c.layers) if layer.type in KEEPERS]
    steps = condense(c, [(k, layer_shape_steps(c, k)[0]) for k in range(len(c.layers)) if k not in keep])
    if keep:
        kinds = join(sorted({c.layers[k].name.removesuffix(" layer") for k in keep}))
        who = layers_label(c, keep) if len(keep) == 1 else f"Layers {numbers(keep)} ({kinds})"
        steps.append(step(say(f"{who}: each acts on each number, normalizes or drops numbers, so its output has"
                              " the shape of its input.")))
    steps.append(table_or_reference(c, "shapes"))
    return Solution(sol.question, tuple(steps), Answer(sol.answer.value, text=_column("Output shape", c,
                                                                                      _shape_tail(c))),
                    sol.notes, sol.meanings)


def _macs_per_layer(c: Config) -> tuple[list[Step], list[int]]:
    values, per, idle = all_macs(c), [], []
    for k, (layer, shape, out, value) in enumerate(zip(c.layers, c.shapes, c.shapes[1:], values)):
        if value or layer_macs_possible(layer):
            per.append((k, _macs_layer_steps(k, layer, shape, out, value)))
        else:
            idle.append(k)
    steps = condense(c, per)
    if idle:
        steps.append(step(say(("Layer " if len(idle) == 1 else "Layers ") + numbers(idle)
                              + " multiply no matrices (activations, pooling, normalization, lookups, reshaping and"
                                " padding): 0 multiply-accumulates as the flop counter counts them.")))
    return steps, values


def macs(c: Config) -> Solution:
    sol = _macs(c)
    steps, _ = _macs_per_layer(c)
    steps.append(table_or_reference(c, "macs"))
    return Solution(sol.question, tuple(steps), Answer(sol.answer.value, text=_column("MACs", c)),
                    sol.notes, sol.meanings)


def total_macs(c: Config) -> Solution:
    sol = _total_macs(c)
    return Solution(sol.question, (table_or_reference(c, "total-macs"),) + sol.steps, sol.answer, sol.notes,
                    sol.meanings)


ASKS = {"params": params, "total-params": total_params, "shapes": shapes, "macs": macs, "total-macs": total_macs}
