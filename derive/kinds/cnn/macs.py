"""The macs and total-macs questions: the multiply-accumulates of one example's forward pass, per layer.

Counted as torch.utils.flop_counter counts them (its FLOPs are 2 · MACs): only matrix products, i.e.
convolutions (the weights times each output position), linear layers (per position on a sequence), the
recurrent layers' input and state products, and attention's projections and its two L × L products.
Biases, activations, pooling, normalization, embeddings (a lookup) and padding count 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...steps import Answer, Solution, Step, chain, let, say, step, written_product, written_sum
from ...symbols import Quotient
from ...words import join
from .layers import GATES, RECURRENT, Config, Layer, _dims, _prod
from .notation import EMBED, FF_WIDTH, HEAD_DIM, HEADS, SEQ_LEN, _label
from .params import _sum_steps, recurrent_blocks


@dataclass(frozen=True)
class AttentionCost:
    """nn.MultiheadAttention's products for a sequence of L positions of E features in h heads of d_k."""

    length: int
    embed: int
    heads: int

    @property
    def head_dim(self) -> int:
        return self.embed // self.heads

    @property
    def projections(self) -> int:           # Q, K and V: L × E times E × E, three times
        return 3 * self.length * self.embed * self.embed

    @property
    def scores(self) -> int:                # per head Q_i K_iᵀ: L × d_k times d_k × L
        return self.heads * self.length * self.length * self.head_dim

    @property
    def mix(self) -> int:                   # per head softmax(scores) V_i: L × L times L × d_k
        return self.scores

    @property
    def output(self) -> int:                # the concatenated heads, L × E, times the E × E out-projection
        return self.length * self.embed * self.embed

    @property
    def total(self) -> int:
        return self.projections + self.scores + self.mix + self.output


def layer_macs(layer: Layer, shape, out) -> int:
    """One layer's multiply-accumulates for one example, as FlopCounterMode counts them (halved)."""
    t = layer.type
    if t == "conv":
        return _prod(out[:-1]) * layer.filters * layer.kernel[0] * layer.kernel[1] * (shape[-1] // layer.groups)
    if t == "conv-transpose":
        return _prod(shape[:-1]) * shape[-1] * (layer.filters // layer.groups) * layer.kernel[0] * layer.kernel[1]
    if t == "dense":
        return _prod(shape[:-1]) * shape[-1] * layer.filters
    if t in RECURRENT:
        h, g = layer.filters, GATES[t]
        return sum(shape[0] * layer.directions * g * h * (size + h) for size, _ in recurrent_blocks(layer, shape[-1]))
    if t in ("attention", "transformer-encoder"):
        cost = AttentionCost(shape[0], shape[-1], layer.heads).total
        return cost + (2 * shape[0] * shape[-1] * layer.ff if t == "transformer-encoder" else 0)
    return 0


def all_macs(c: Config) -> list[int]:
    return [layer_macs(layer, shape, out) for layer, shape, out in zip(c.layers, c.shapes, c.shapes[1:])]


def _conv_steps(label: str, layer: Layer, shape, out, value: int) -> list[Step]:
    k = layer.kernel[0] * layer.kernel[1]
    depth = shape[-1] // layer.groups
    kernel = str(layer.kernel[0]) if layer.seq else _dims(layer.kernel)
    per = f"{kernel} × {depth}" + (f" (its group's {depth} of the {shape[-1]} channels)" if layer.groups > 1 else "")
    if layer.type == "conv":
        positions = _prod(out[:-1])
        return [step(say(f"{label}: each of its {_dims(out[:-1])} output positions and {layer.filters} filters takes"
                         f" one multiply-accumulate per weight of a {per} filter:"),
                     chain(written_product(*out[:-1], layer.filters, *layer.kernel[:1 if layer.seq else 2], depth),
                           value))] if positions else []
    per_in = layer.filters // layer.groups
    return [step(say(f"{label}: each of its {_dims(shape)} input numbers is multiplied by the {kernel} weights of"
                     f" each of the {per_in} filters it feeds (PyTorch counts the products of the input, not of the"
                     " larger output):"),
                 chain(written_product(*shape, per_in, *layer.kernel[:1 if layer.seq else 2]), value))]


def _dense_steps(label: str, layer: Layer, shape, value: int) -> list[Step]:
    per = f"{shape[-1]} × {layer.filters} weight matrix"
    if len(shape) == 2:
        return [step(say(f"{label}: each of the {shape[0]} positions is multiplied by the {per}:"),
                     chain(written_product(shape[0], shape[-1], layer.filters), value))]
    return [step(say(f"{label}: the input vector times the {per}, one multiply-accumulate per weight:"),
                 chain(written_product(shape[-1], layer.filters), value))]


def _recurrent_steps(label: str, layer: Layer, shape, value: int) -> list[Step]:
    h, g, length = layer.filters, GATES[layer.type], shape[0]
    dirs = "each direction " if layer.directions == 2 else ""
    steps = [step(say(f"{label}: at each of the {length} steps {dirs}multiplies its input (I numbers) by the"
                      f" {g}·H × I input weights and its previous state (H numbers) by the {g}·H × H recurrent"
                      " weights; the biases and gate nonlinearities are not products of matrices."))]
    blocks = recurrent_blocks(layer, shape[-1])
    parts = []
    for n, (size, _) in enumerate(blocks):
        part = length * layer.directions * g * h * (size + h)
        parts.append(part)
        where = f"Stacked layer {n + 1}" if layer.depth > 1 else "So"
        steps.append(step(say(f"{where}, with I {size} and H {h}:"),
                          chain(written_product(length, *([2] if layer.directions == 2 else []), g, h,
                                                written_sum(size, h)), part)))
    if len(parts) > 1:
        steps.append(step(say("In all:"), chain(written_sum(*parts), value)))
    return steps


def attention_steps(lead: str, cost: AttentionCost) -> list[Step]:
    """The per-head shapes of self-attention and the products they take."""
    ell, e, h, dk = cost.length, cost.embed, cost.heads, cost.head_dim
    return [
        step(say(lead + "the ", let(SEQ_LEN, ell), " positions of ", let(EMBED, e), " features are projected to"
                 " queries, keys and values, Q, K and V, each L × E: three products of an L × E by an E × E matrix:"),
             chain(written_product(3, ell, e, e), cost.projections)),
        step(say("Each is split into ", let(HEADS, h), " heads of ", let(HEAD_DIM, Quotient(EMBED, HEADS, evaluate=False)),
                 " columns: per head Qᵢ, Kᵢ and Vᵢ are ", f"{ell} × {dk} ", "(L × ", HEAD_DIM, "), with"),
             chain(Quotient(e, h, evaluate=False), dk)),
        step(say(f"Scores: per head Qᵢ Kᵢᵀ is the {ell} × {ell} matrix (L × L) of every position's query against"
                 " every key, each entry a dot product of ", HEAD_DIM, " numbers; this L × L cost grows with the"
                 " square of the length:"),
             chain(written_product(h, ell, ell, dk), cost.scores)),
        step(say(f"Output: per head softmax of the scores times Vᵢ, ({ell} × {ell})({ell} × {dk}), gives {ell} × {dk};"
                 f" the heads side by side are {ell} × {e} again:"),
             chain(written_product(h, ell, ell, dk), cost.mix)),
        step(say(f"The output projection: the {ell} × {e} heads times the E × E output weight:"),
             chain(written_product(ell, e, e), cost.output)),
        step(say("Self-attention in all:"),
             chain(written_sum(cost.projections, cost.scores, cost.mix, cost.output), cost.total)),
    ]


def _encoder_steps(label: str, layer: Layer, shape, value: int) -> list[Step]:
    cost = AttentionCost(shape[0], shape[-1], layer.heads)
    ff = 2 * shape[0] * shape[-1] * layer.ff
    steps = attention_steps(f"{label}: its self-attention block first: ", cost)
    steps.append(step(say("The feed-forward block: each position's E features times the E × ", let(FF_WIDTH, layer.ff),
                          " weight, then back through the ", FF_WIDTH, " × E one:"),
                      chain(written_product(2, shape[0], shape[-1], layer.ff), ff)))
    steps.append(step(say("The encoder layer in all (its layer norms, dropouts and residual sums count 0):"),
                      chain(written_sum(cost.total, ff), value)))
    return steps


def _layer_steps(k: int, layer: Layer, shape, out, value: int) -> list[Step]:
    label = _label(k, layer)
    if layer.type in ("conv", "conv-transpose"):
        return _conv_steps(label, layer, shape, out, value)
    if layer.type == "dense":
        return _dense_steps(label, layer, shape, value)
    if layer.type in RECURRENT:
        return _recurrent_steps(label, layer, shape, value)
    if layer.type == "attention":
        return attention_steps(f"{label}: ", AttentionCost(shape[0], shape[-1], layer.heads))
    return _encoder_steps(label, layer, shape, value)


def _macs_steps(c: Config, values: list[int]) -> list[Step]:
    steps, idle = [], []
    for k, (layer, shape, out, value) in enumerate(zip(c.layers, c.shapes, c.shapes[1:], values)):
        if value or layer_macs_possible(layer):
            steps += _layer_steps(k, layer, shape, out, value)
        else:
            idle.append(k + 1)
    if idle:
        who = ("Layer " if len(idle) == 1 else "Layers ") + join(idle)
        steps.append(step(say(who + " multiply no matrices (activations, pooling, normalization, lookups, reshaping"
                                    " and padding): 0 multiply-accumulates as the flop counter counts them.")))
    return steps


def layer_macs_possible(layer: Layer) -> bool:
    return layer.type in ("conv", "conv-transpose", "dense", "attention", "transformer-encoder") + RECURRENT


NOTE = ("Counted as torch.utils.flop_counter counts them: one multiply-accumulate per product in a matrix product"
        " or convolution; FLOPs are twice as many. Bias additions, activations, pooling and normalization add 0.")


def _macs(c: Config) -> Solution:
    values = all_macs(c)
    listing = ", ".join(f"layer {k + 1}: {v}" for k, v in enumerate(values))
    return Solution(question=say("How many multiply-accumulates (MACs) does each layer take for one example?"),
                    steps=tuple(_macs_steps(c, values)), notes=_notes(c),
                    answer=Answer(value=values, text=say(listing.capitalize() + ".")))


def _notes(c: Config) -> tuple:
    notes = [say(NOTE)]
    if any(layer.type == "lstm" for layer in c.layers):
        notes.append(say("PyTorch's FlopCounterMode counts an nn.LSTM on the CPU only with oneDNN off"
                         " (the flags of torch.backends.mkldnn with enabled set to False); its fused oneDNN kernel shows 0."))
    return tuple(notes)


def _total_macs(c: Config) -> Solution:
    values = all_macs(c)
    steps, total = _sum_steps(values, "", "multiply-accumulates")
    return Solution(question=say("How many multiply-accumulates does one example's forward pass take in all?"),
                    steps=tuple(steps), notes=_notes(c),
                    answer=Answer(value=total, text=say(f"{total} multiply-accumulates ({2 * total} FLOPs).")))
