"""The params and total-params questions: each layer's parameters, then their sum."""

from __future__ import annotations

from dataclasses import dataclass

from ...steps import Answer, Solution, Step, chain, let, say, step, written_product, written_sum
from ...symbols import Quotient
from ...words import join
from .layers import ACTIVATIONS, GATES, POOLS, RECURRENT, Config, Layer
from .notation import (BETA, CHANNELS, EMB_DIM, EMBED, FF_WIDTH, GAMMA, GATES_N, HIDDEN, C_IN, F_OUT, G, K_H, K_W,
                       N_IN, UNITS, VOCAB, X_SIZE, _label)


@dataclass(frozen=True)
class LayerCount:
    """One layer's parameters: trainable ones, and non-trainable buffers (batch normalization's running
    statistics); for a conv layer, a filter's depth too (its input channels, per group)."""

    trainable: int
    buffers: int = 0
    depth: int = 0


def count_params(layer: Layer, shape) -> LayerCount:
    """The parameters of one layer, given the shape it receives."""
    if layer.type == "batchnorm":
        channels = 1 if layer.scalars else shape[-1]
        return LayerCount(2 * channels, 2 * channels)
    if layer.type == "dense":
        return LayerCount((shape[-1] + (1 if layer.bias else 0)) * layer.filters)
    if layer.type in NEW_COUNTS:
        return LayerCount(NEW_COUNTS[layer.type](layer, shape))
    if layer.type not in ("conv", "conv-transpose"):
        return LayerCount(0)
    kh, kw = layer.kernel
    depth = shape[-1] // layer.groups
    return LayerCount((kh * kw * depth + (1 if layer.bias else 0)) * layer.filters, depth=depth)


def recurrent_blocks(layer: Layer, features: int, vectors: int | None = None) -> list[tuple[int, int]]:
    """Per stacked layer of an rnn/lstm/gru: (its input size, its parameters over all directions). Each
    direction has G blocks (1, 3 or 4 gates) of an H × I input weight, an H × H recurrent weight and
    ``vectors`` bias vectors of H (the layer's: PyTorch's two, b_ih and b_hh; Keras's one; or none)."""
    g, h, out = GATES[layer.type], layer.filters, []
    b = layer.bias_vectors if vectors is None else vectors
    size = features
    for _ in range(layer.depth):
        out.append((size, layer.directions * g * h * (size + h + b)))
        size = h * layer.directions
    return out


def attention_count(e: int, bias: bool) -> int:
    """nn.MultiheadAttention: the 3E × E in-projection (Q, K, V), the E × E out-projection, their biases."""
    return 4 * e * e + (4 * e if bias else 0)


def encoder_count(layer: Layer, e: int) -> int:
    """nn.TransformerEncoderLayer: self-attention, the E → ff → E feed-forward, two layer norms."""
    b = 1 if layer.bias else 0
    return attention_count(e, layer.bias) + 2 * e * layer.ff + b * (layer.ff + e) + 2 * (e + b * e)


NEW_COUNTS = {
    "embedding": lambda l, s: l.vocab * l.filters,
    **{r: lambda l, s: sum(n for _, n in recurrent_blocks(l, s[-1])) for r in RECURRENT},
    "attention": lambda l, s: attention_count(s[-1], l.bias),
    "transformer-encoder": lambda l, s: encoder_count(l, s[-1]),
    "layernorm": lambda l, s: 2 * s[-1],
}

FIXED = {"flatten": "only reshapes its input into a vector; 0 parameters.",
         "dropout": "zeroes random units while training and learns nothing; 0 parameters.",
         **{p: "pooling takes a fixed max or mean over each window; it learns nothing, so it has 0 parameters."
            for p in POOLS},
         **{a: "a fixed function of each number; 0 parameters." for a in ACTIVATIONS},
         "pad": "adds zeros around its input and learns nothing; 0 parameters.",
         "global-avgpool": "takes the mean of each channel over all positions; it learns nothing, so 0 parameters."}


def _layer_params(k: int, layer: Layer, shape) -> tuple[list[Step], int, int]:
    """The steps counting one layer's parameters, its trainable and its non-trainable count."""
    count = count_params(layer, shape)
    label = _label(k, layer) + ": "
    if layer.type in FIXED:
        steps = [step(say(label + FIXED[layer.type]))]
    elif layer.type == "batchnorm":
        steps = _batchnorm_steps(label, (shape[0], 1) if layer.scalars else shape, count, layer.scalars)
    elif layer.type == "dense":
        steps = _dense_steps(label, layer, shape, count)
    elif layer.type in NEW_STEPS:
        steps = NEW_STEPS[layer.type](label, layer, shape, count)
    else:
        steps = _conv_steps(label, layer, shape, count)
    return steps, count.trainable, count.buffers


def _batchnorm_steps(label: str, shape, count: LayerCount, scalars: bool = False) -> list[Step]:
    ch = shape[-1]
    what = "channels" if len(shape) == 3 else "features" if ch > 1 else "feature"
    if scalars:
        label += (f"its input, a plain vector of {shape[0]} numbers, is a batch of {shape[0]} scalars ({shape[0]} ×"
                  " 1, as BatchNorm1d(1) reads it): ")
    return [step(say(label + "it normalizes each of its ", let(CHANNELS, ch), f" {what} and then scales and"
                     " shifts it by a learned ", GAMMA, " and ", BETA, ": 2 trainable parameters per channel,"),
                 chain(written_product(2, ch), count.trainable)),
            step(say("and it keeps a running mean and variance per channel for use at inference; they are"
                     " updated by averaging, not by gradient descent, so they are non-trainable (PyTorch's"
                     " buffers; Keras's summary adds them to the parameter count):"),
                 chain(written_product(2, ch), count.buffers))]


def _dense_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    n_in, m = shape[-1], layer.filters
    if len(shape) == 2:
        label += f"it acts on each of the {shape[0]} positions with the same weights (as nn.Linear does), so "
    if layer.bias:
        text = say(label + "each of its ", let(UNITS, m), " units has one weight per input"
                   " number (", let(N_IN, n_in), ") and one bias, in all ",
                   written_product(written_sum(N_IN, 1), UNITS), ":")
        shown = written_product(written_sum(n_in, 1), m)
    else:
        text = say(label + "each of its ", let(UNITS, m), " units has one weight per input"
                   " number (", let(N_IN, n_in), ") and no bias, in all ", written_product(N_IN, UNITS), ":")
        shown = written_product(n_in, m)
    return [step(text, chain(shown, count.trainable))]


def _conv_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    kh, kw = layer.kernel
    channels, g = shape[-1], layer.groups
    steps = []
    if layer.type == "conv-transpose":
        label += ("a transposed convolution has the weights of the convolution it transposes (PyTorch stores them"
                  " C_in × F/g × k_h × k_w); ")
    if g > 1:
        steps.append(step(say(label + f"with {g} groups each filter sees only its group's share of the {channels}"
                              " input channels, so its depth is ", Quotient(C_IN, G, evaluate=False), ":"),
                          chain(Quotient(channels, g, evaluate=False), count.depth)))
        label, cin, depth_words = "Then ", Quotient(C_IN, G, evaluate=False), ""
    else:
        cin, depth_words = C_IN, " (its depth equals the input's channels)"
    weights = written_product(kh, kw, count.depth)
    per_filter = written_product(K_H, K_W, cin)
    if layer.bias:
        formula = written_product(written_sum(per_filter, 1), F_OUT)
        shown = written_product(written_sum(weights, 1), layer.filters)
        text = say(label + "each of the ", F_OUT, " filters has ", per_filter,
                   f" weights{depth_words} and one bias, in all ", formula, ":")
    else:
        formula = written_product(K_H, K_W, cin, F_OUT)
        shown = written_product(weights, layer.filters)
        text = say(label + "each of the ", F_OUT, " filters has ", per_filter,
                   " weights and no bias, in all ", formula, ":")
    steps.append(step(text, chain(shown, count.trainable)))
    return steps


def _embedding_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    return [step(say(label + "a table of one learned vector of ", let(EMB_DIM, layer.filters), " numbers per token of"
                     " the vocabulary of ", let(VOCAB, layer.vocab), ", in all ", written_product(VOCAB, EMB_DIM), ":"),
                 chain(written_product(layer.vocab, layer.filters), count.trainable))]


def _recurrent_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    g, h, b = GATES[layer.type], layer.filters, layer.bias_vectors
    blocks = recurrent_blocks(layer, shape[-1])
    which = {"rnn": "one block (the tanh update)", "gru": "3 blocks (reset, update and new gates)",
             "lstm": "4 blocks (input, forget, cell and output gates)"}[layer.type]
    biases = ("and PyTorch's two bias vectors b_ih and b_hh of ", HIDDEN, " each") if b == 2 else \
        ("and one bias vector of ", HIDDEN, " (Keras's convention)") if b == 1 else ("and no bias",)
    per = written_product(GATES_N, HIDDEN, written_sum(X_SIZE, HIDDEN, *([b] if b else [])))
    dirs = ", for each of the 2 directions" if layer.directions == 2 else ""
    steps = [step(say(label + f"{which}, ", let(GATES_N, g), ", each with an ", HIDDEN, " × ", X_SIZE,
                      " input weight, an ", HIDDEN, " × ", HIDDEN, " recurrent weight ", *biases, "; ",
                      f"{per_words(layer)} that is ", per, " parameters, with ", let(HIDDEN, h), f"{dirs}:"))]
    for n, (size, value) in enumerate(blocks):
        feed = (f"its input is the {size} features of each position" if n == 0 else
                f"its input is the previous stacked layer's output, {size} numbers per position")
        said = f"Stacked layer {n + 1}: {feed}" if layer.depth > 1 else feed[0].upper() + feed[1:]
        shown = written_product(*([2] if layer.directions == 2 else []), g, h,
                                written_sum(size, h, *([b] if b else [])))
        steps.append(step(say(f"{said}, ", let(X_SIZE, size), ":"), chain(shown, value)))
    if layer.depth > 1:
        steps.append(step(say(f"The {layer.depth} stacked layers together:"),
                          chain(written_sum(*(v for _, v in blocks)), count.trainable)))
    return steps + ([other_convention(layer, shape[-1])] if layer.bias else [])


def other_convention(layer: Layer, features: int) -> Step:
    """The recurrent layer's count with the other bias convention: Keras's one vector per gate block, or
    PyTorch's two."""
    b = 3 - layer.bias_vectors
    blocks = recurrent_blocks(layer, features, b)
    keras = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU with reset_after set to False"}[layer.type]
    words = (f"PyTorch's nn.{layer.type.upper() if layer.type != 'lstm' else 'LSTM'} keeps two bias vectors per"
             " block (b_ih and b_hh), which makes" if b == 2 else
             f"Keras's {keras} keeps one bias vector per block, which makes")
    terms = [written_product(*([2] if layer.directions == 2 else []), GATES[layer.type], layer.filters,
                             written_sum(size, layer.filters, b)) for size, _ in blocks]
    total = sum(v for _, v in blocks)
    return step(say(f"The other convention: {words} "
                    + ("its count" if layer.depth == 1 else f"its {layer.depth} stacked layers' count") + ":"),
                chain(written_sum(*terms) if len(terms) > 1 else terms[0], total))


def per_words(layer: Layer) -> str:
    return "per direction" if layer.directions == 2 else "in all"


def _attention_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    e = shape[-1]
    bias = written_product(4, EMBED) if layer.bias else 0
    formula = written_sum(written_product(4, EMBED ** 2), *([bias] if layer.bias else []))
    shown = written_sum(written_product(4, e, e), *([written_product(4, e)] if layer.bias else []))
    text = say(label + "nn.MultiheadAttention projects each position's ", let(EMBED, e), " features to queries, keys"
               " and values with one 3E × E weight (its heads share it, each using E/h of the rows) and back with an",
               " E × E output weight" + (", each with its bias" if layer.bias else ", no biases") + ", in all ",
               formula, ":")
    return [step(text, chain(shown, count.trainable))]


def _encoder_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    e, ff = shape[-1], layer.ff
    b = layer.bias
    attn = attention_count(e, b)
    steps = _attention_steps(label + "its self-attention block: ", layer, shape,
                             LayerCount(attn))
    lin = written_sum(written_product(EMBED, FF_WIDTH), *([FF_WIDTH] if b else []),
                      written_product(FF_WIDTH, EMBED), *([EMBED] if b else []))
    steps.append(step(say("The feed-forward block: a linear layer from ", EMBED, " to ", let(FF_WIDTH, ff),
                          " and one back" + (", with their biases" if b else ", no biases") + ", in all ", lin, ":"),
                      chain(written_sum(written_product(e, ff), *([ff] if b else []), written_product(ff, e),
                                        *([e] if b else [])), 2 * e * ff + (ff + e if b else 0))))
    norms = 2 * (e + (e if b else 0))
    steps.append(step(say("Two layer normalizations, each with a scale " + ("and a shift " if b else "") + "per feature:"),
                      chain(written_product(2, *([2] if b else []), e), norms)))
    steps.append(step(say("The encoder layer in all:"), chain(written_sum(attn, 2 * e * ff + (ff + e if b else 0),
                                                                           norms), count.trainable)))
    return steps


def _layernorm_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    return [step(say(label + "it normalizes over the last dimension, its ", let(EMB_DIM, shape[-1]), " numbers, and"
                     " then scales and shifts each by a learned ", GAMMA, " and ", BETA, ", in all ",
                     written_product(2, EMB_DIM), ":"), chain(written_product(2, shape[-1]), count.trainable))]


NEW_STEPS = {"embedding": _embedding_steps, **{r: _recurrent_steps for r in RECURRENT},
             "attention": _attention_steps, "transformer-encoder": _encoder_steps, "layernorm": _layernorm_steps}


def _count_all(c: Config):
    steps, trainable, buffers = [], [], []
    for k, (layer, shape) in enumerate(zip(c.layers, c.shapes)):
        s, t, b = _layer_params(k, layer, shape)
        steps += s
        trainable.append(t)
        buffers.append(b)
    return steps, trainable, buffers


def _params(c: Config) -> Solution:
    steps, counts, buffers = _count_all(c)
    listing = ", ".join(f"layer {k + 1}: {n}" + (f" (and {b} non-trainable)" if b else "")
                        for k, (n, b) in enumerate(zip(counts, buffers)))
    notes = ()
    if any(buffers):
        notes = (say("The list counts trainable parameters, as PyTorch's parameters() does; batch normalization's"
                     " running statistics are given in brackets."),)
    if not c.training and any(layer.type == "dropout" for layer in c.layers):
        from .shapes import dropout_note
        notes += (dropout_note(),)
    return Solution(question=say("How many parameters are there in each layer?"), steps=tuple(steps), notes=notes,
                    answer=Answer(value=counts, text=say(listing.capitalize() + ".")))


SUM_WIDTH = 52                   # characters of a sum's row, to fit a slide's display


def _width(numbers) -> int:
    return sum(len(str(n)) + 3 for n in numbers)


def _groups(terms, total: int, size: int = 6) -> list[list[tuple[int, int]]]:
    """The terms in groups of at most ``size`` whose row (the running total, the terms, the new total) fits."""
    groups: list[list[tuple[int, int]]] = []
    for term in terms:
        if groups and len(groups[-1]) < size and _width([total, *(n for _, n in groups[-1]), term[1], total]) <= SUM_WIDTH:
            groups[-1].append(term)
        else:
            groups.append([term])
    return groups


def _sum_steps(counts: list[int], what: str, noun: str = "parameters") -> tuple[list[Step], int]:
    """Steps adding up per-layer counts (the nonzero ones), in groups of at most 8 terms."""
    words = f"{what} {noun}".strip()
    total = sum(counts)
    terms = [(k + 1, n) for k, n in enumerate(counts) if n]
    if not terms:
        return [step(say(f"No layer has {words}: 0 in all."))], 0
    if len(terms) == 1:
        return [step(say(f"Only layer {terms[0][0]} has {words}: {total} in all."))], total
    if len(terms) <= 8 and _width([n for _, n in terms] + [total]) <= SUM_WIDTH:
        layers = join(k for k, _ in terms)
        return [step(say(f"Adding the {words} of layers {layers}:"),
                     chain(written_sum(*(n for _, n in terms)), total))], total
    steps, running = [], 0
    for group in _groups(terms, total):
        new = running + sum(n for _, n in group)
        which = f"layer {group[0][0]}" if len(group) == 1 else f"layers {group[0][0]} to {group[-1][0]}"
        last = group[-1] is terms[-1]
        text = (f"The {words} of {which}" if not running else
                f"Adding those of {which} to the running total") + (", the last ones:" if last else ":")
        steps.append(step(say(text), chain(written_sum(*([running] if running else []), *(n for _, n in group)), new)))
        running = new
    return steps, total


def _total_params(c: Config) -> Solution:
    steps, counts, buffers = _count_all(c)
    notes = []
    more, trainable = _sum_steps(counts, "trainable")
    steps += more
    non = 0
    if any(buffers):
        more, non = _sum_steps(buffers, "non-trainable")
        steps += more
        steps.append(step(say("All parameters, trainable and non-trainable (the total Keras's summary reports):"),
                          chain(written_sum(trainable, non), trainable + non)))
        notes.append(say("PyTorch's sum(p.numel() for p in model.parameters()) gives the trainable count only;"
                         " the running statistics of batch normalization are buffers."))
    notes += _other_totals(c, trainable)
    value = {"total": trainable + non, "trainable": trainable, "non_trainable": non}
    text = f"{trainable + non} parameters in all" + (f": {trainable} trainable and {non} non-trainable." if non else
                                                     ", all trainable.")
    return Solution(question=say("How many parameters does the network have in total?"), steps=tuple(steps),
                    notes=tuple(notes), answer=Answer(value=value, text=say(text)))


def _other_totals(c: Config, trainable: int) -> list:
    """The trainable total with the other bias convention of the recurrent layers (Keras's one vector per gate
    block, or PyTorch's two), when there are any."""
    layers = [(layer, shape) for layer, shape in zip(c.layers, c.shapes) if layer.type in RECURRENT and layer.bias]
    if not layers:
        return []
    diff = sum(sum(n for _, n in recurrent_blocks(l, s[-1], 3 - l.bias_vectors)) - count_params(l, s).trainable
               for l, s in layers)
    single = layers[0][0].single_bias
    words = ("PyTorch's two bias vectors per gate block (b_ih and b_hh)" if single else
             "Keras's one bias vector per gate block (SimpleRNN, LSTM, GRU with reset_after set to False)")
    return [say(f"With {words} the recurrent layers would make the trainable total {trainable + diff:,}.")]
