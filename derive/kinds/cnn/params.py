"""The params and total-params questions: each layer's parameters, then their sum."""

from __future__ import annotations

from dataclasses import dataclass

from ...steps import Answer, Solution, Step, chain, let, say, step, written_product, written_sum
from ...symbols import Quotient
from ...words import join
from .layers import ACTIVATIONS, POOLS, Config, Layer
from .notation import BETA, CHANNELS, GAMMA, C_IN, F_OUT, G, K_H, K_W, N_IN, UNITS, _label


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
        return LayerCount(2 * shape[-1], 2 * shape[-1])
    if layer.type == "dense":
        return LayerCount((shape[0] + (1 if layer.bias else 0)) * layer.filters)
    if layer.type != "conv":
        return LayerCount(0)
    kh, kw = layer.kernel
    depth = shape[2] // layer.groups
    return LayerCount((kh * kw * depth + (1 if layer.bias else 0)) * layer.filters, depth=depth)


FIXED = {"flatten": "only reshapes its input into a vector; 0 parameters.",
         "dropout": "zeroes random units while training and learns nothing; 0 parameters.",
         **{p: "pooling takes a fixed max or mean over each window; it learns nothing, so it has 0 parameters."
            for p in POOLS},
         **{a: "a fixed function of each number; 0 parameters." for a in ACTIVATIONS}}


def _layer_params(k: int, layer: Layer, shape) -> tuple[list[Step], int, int]:
    """The steps counting one layer's parameters, its trainable and its non-trainable count."""
    count = count_params(layer, shape)
    label = _label(k, layer) + ": "
    if layer.type in FIXED:
        steps = [step(say(label + FIXED[layer.type]))]
    elif layer.type == "batchnorm":
        steps = _batchnorm_steps(label, shape, count)
    elif layer.type == "dense":
        steps = _dense_steps(label, layer, shape, count)
    else:
        steps = _conv_steps(label, layer, shape, count)
    return steps, count.trainable, count.buffers


def _batchnorm_steps(label: str, shape, count: LayerCount) -> list[Step]:
    ch = shape[-1]
    what = "channels" if len(shape) == 3 else "features"
    return [step(say(label + "it normalizes each of its ", let(CHANNELS, ch), f" {what} and then scales and"
                     " shifts it by a learned ", GAMMA, " and ", BETA, ": 2 trainable parameters per channel,"),
                 chain(written_product(2, ch), count.trainable)),
            step(say("and it keeps a running mean and variance per channel for use at inference; they are"
                     " updated by averaging, not by gradient descent, so they are non-trainable (PyTorch's"
                     " buffers; Keras's summary adds them to the parameter count):"),
                 chain(written_product(2, ch), count.buffers))]


def _dense_steps(label: str, layer: Layer, shape, count: LayerCount) -> list[Step]:
    n_in, m = shape[0], layer.filters
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
    channels, g = shape[2], layer.groups
    steps = []
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
    return Solution(question=say("How many parameters are there in each layer?"), steps=tuple(steps), notes=notes,
                    answer=Answer(value=counts, text=say(listing.capitalize() + ".")))


def _sum_steps(counts: list[int], what: str) -> tuple[list[Step], int]:
    """Steps adding up per-layer counts (the nonzero ones), in groups of at most 8 terms."""
    total = sum(counts)
    terms = [(k + 1, n) for k, n in enumerate(counts) if n]
    if not terms:
        return [step(say(f"No layer has {what} parameters: 0 in all."))], 0
    if len(terms) == 1:
        return [step(say(f"Only layer {terms[0][0]} has {what} parameters: {total} in all."))], total
    if len(terms) <= 8:
        layers = join(k for k, _ in terms)
        return [step(say(f"Adding the {what} parameters of layers {layers}:"),
                     chain(written_sum(*(n for _, n in terms)), total))], total
    steps, running, size = [], 0, 6
    for start in range(0, len(terms), size):
        group = terms[start:start + size]
        new = running + sum(n for _, n in group)
        which = f"layer {group[0][0]}" if len(group) == 1 else f"layers {group[0][0]} to {group[-1][0]}"
        last = start + size >= len(terms)
        text = (f"The {what} parameters of {which}" if not running else
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
    value = {"total": trainable + non, "trainable": trainable, "non_trainable": non}
    text = f"{trainable + non} parameters in all" + (f": {trainable} trainable and {non} non-trainable." if non else
                                                     ", all trainable.")
    return Solution(question=say("How many parameters does the network have in total?"), steps=tuple(steps),
                    notes=tuple(notes), answer=Answer(value=value, text=say(text)))
