"""The receptive-field question: the size, jump and centre of one unit's field, layer by layer."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy

from ...steps import Answer, Solution, Step, chain, let, say, step, written_product, written_sum
from ...symbols import Quotient
from ...words import join, plural
from .layers import ROWS, WORDS, Config, Layer, _dims
from .notation import (CEN_IN, CEN_OUT, D, J_IN, J_OUT, K, K_EFF, P, R_IN, R_OUT, S, _label, field_centre,
                       field_jump, field_size)


@dataclass(frozen=True)
class Field:
    """Receptive field of one unit, along one dimension: size r, jump j (input pixels between
    neighbouring units) and centre c of the first unit's field (input pixels numbered from 0;
    negative or past the end means padding)."""

    r: int
    j: int
    c: sympy.Rational

    @property
    def start(self) -> sympy.Rational:
        return self.c - sympy.Rational(self.r - 1, 2)


def fields_through(c: Config, upto: int) -> list[list[Field]]:
    """Per dimension, the Field after the input and after each of the first ``upto`` spatial-or-not layers
    (pointwise layers and flatten leave it unchanged; dense layers are not handled here)."""
    out = []
    for dim in (0, 1):
        f = Field(1, 1, sympy.Integer(0))
        seq = [f]
        for layer in c.layers[:upto]:
            if layer.spatial:
                eff, s, pb = layer.eff(dim), layer.stride[dim], layer.padding[dim][0]
                f = Field(f.r + (eff - 1) * f.j, f.j * s, f.c + (sympy.Rational(eff - 1, 2) - pb) * f.j)
            seq.append(f)
        out.append(seq)
    return out


def used_extent(c: Config, upto: int, dim: int) -> tuple[int, int] | None:
    """First and last input pixel (along dim) that some unit of layer ``upto`` depends on, exactly:
    taps that fall in the padding, or on units a floor dropped, lead nowhere."""
    spatial = [(k, l) for k, l in enumerate(c.layers[:upto]) if l.spatial]
    if not spatial:
        return 0, c.input[dim] - 1
    used = range(c.shapes[spatial[-1][0] + 1][dim])          # every unit of the last spatial layer
    for k, layer in reversed(spatial):
        n_in, s, d, pb = c.shapes[k][dim], layer.stride[dim], layer.dilation[dim], layer.padding[dim][0]
        kk = layer.kernel[dim]
        if isinstance(used, range) and used and (kk == 1 and s == 1 or d == 1 and kk >= s or
                                                 s == 1 and d <= len(used)):
            # windows that overlap or touch: the taps of a run of units are a run of inputs
            lo, hi = max(used[0] * s - pb, 0), min(used[-1] * s - pb + (kk - 1) * d, n_in - 1)
            used = range(lo, hi + 1)
            continue
        below = set()
        for i in used:
            for t in range(kk):
                tap = i * s - pb + t * d
                if 0 <= tap < n_in:
                    below.add(tap)
        used = below
    return (min(used), max(used)) if used else None


def field_mask(c: Config, upto: int, dim: int) -> int:
    """The pixels one unit's field really touches, as bits of an int (bit i: the i-th pixel of its
    extent, padding included); the extent is the bit length. Dilation, or a jump larger than the
    field it spaces out, leaves holes that later layers may or may not fill."""
    mask, j = 1, 1
    for layer in c.layers[:upto]:
        if layer.spatial:
            mask = spread(mask, layer.kernel[dim], layer.dilation[dim] * j)
            j *= layer.stride[dim]
    return mask


def spread(mask: int, taps: int, step: int) -> int:
    """The union of ``taps`` copies of ``mask``, each ``step`` bits after the one before: in O(log taps)
    operations, by doubling (a block of n copies and its copy n·step further on make a block of 2n)."""
    out, offset, block, size = 0, 0, mask, 1
    while taps:
        if taps & 1:
            out |= block << offset
            offset += size * step
        taps >>= 1
        if taps:
            block |= block << (size * step)
            size *= 2
    return out




@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of one unit of layer ``target`` (1-based), per dimension. Up to layer
    ``upto`` (the first dense layer, or the target) the fields follow r, j and c; ``sizes`` is the
    answer; ``holes`` the (dimension, pixels seen) of a field with holes; ``extents`` the input pixels
    a dense layer's unit reaches (per dimension, None if none)."""

    target: int
    dense: int | None           # the first dense layer (0-based), if any up to the target
    upto: int
    square: bool                # height and width alike: one dimension is shown for both
    seqs: tuple[tuple[Field, ...], tuple[Field, ...]]
    passive: tuple[int, ...]    # layers (1-based) that leave the field as it is
    sizes: tuple[int, int]
    holes: tuple[tuple[int, int], ...] = ()
    extents: tuple = ()

    @property
    def dims(self) -> tuple[int, ...]:
        return (0,) if self.square else (0, 1)


@functools.lru_cache(maxsize=8)
def receptive_field(c: Config) -> ReceptiveField:
    """The field followed through the layers (once per spec: the question's steps and its figure share it)."""
    target = c.layer or len(c.layers)
    layers = c.layers[:target]
    dense = next((k for k, l in enumerate(layers) if l.type == "dense"), None)
    upto = dense if dense is not None else target
    seqs = fields_through(c, upto)
    square = c.input[0] == c.input[1] and all(l.square() for l in layers[:upto] if l.spatial)
    passive = tuple(k + 1 for k, l in enumerate(layers[:upto]) if not l.spatial)
    common = dict(target=target, dense=dense, upto=upto, square=square, seqs=tuple(map(tuple, seqs)),
                  passive=passive)
    if dense is not None:
        extents = tuple(used_extent(c, dense, dim) for dim in (0, 1))
        sizes = tuple(0 if e is None else e[1] - e[0] + 1 for e in extents)
        return ReceptiveField(**common, sizes=sizes, extents=extents)
    sizes = (seqs[0][upto].r, seqs[1][upto].r)
    seen = [(dim, bin(field_mask(c, upto, dim)).count("1")) for dim in ((0,) if square else (0, 1))]
    return ReceptiveField(**common, sizes=sizes, holes=tuple((d, n) for d, n in seen if n < sizes[d]))


def _rule_step() -> Step:
    """Where the fields start, and the rule a layer applies to them."""
    return step(say(
        "Start from one pixel of the input: ", let(field_size(0), 1), " (the field's size), ",
        let(field_jump(0), 1), " (the jump, in input pixels between neighbouring units) and ",
        let(field_centre(0), 0), " (the centre of the first unit's field; input pixels are"
        " numbered from 0, and numbers below 0 or past the end are padding). A layer with kernel k, dilation d,"
        " stride s and padding p before its input, of effective kernel ",
        let(K_EFF, written_sum(written_product(D, written_sum(K, -1)), 1)), ", gives (Araujo, Norris & Sim, 2019) ",
        let(R_OUT, written_sum(R_IN, written_product(written_sum(K_EFF, -1), J_IN))), ", ",
        let(J_OUT, written_product(J_IN, S)), " and ",
        let(CEN_OUT, written_sum(CEN_IN, written_product(
            written_sum(Quotient(written_sum(K_EFF, -1), 2, evaluate=False), -P), J_IN))),
        "."))


def _layer_step(rf: ReceptiveField, k: int, layer: Layer, meanings: dict) -> Step:
    """One spatial layer's r, j and c, each dimension (or both at once); their values go to meanings."""
    chains, dims = [], []
    for dim in rf.dims:
        tag = "" if rf.square else "hw"[dim]
        before, after = rf.seqs[dim][k], rf.seqs[dim][k + 1]
        eff, s, pb = layer.eff(dim), layer.stride[dim], layer.padding[dim][0]
        r_k, j_k, c_k = field_size(k + 1, tag), field_jump(k + 1, tag), field_centre(k + 1, tag)
        meanings.update({r_k: after.r, j_k: after.j, c_k: after.c})
        shift = Quotient(eff - 1, 2, evaluate=False)
        if pb:
            shift = written_sum(shift, -pb)
        chains += [chain(r_k, written_sum(before.r, written_product(eff - 1, before.j)), after.r),
                   chain(j_k, written_product(before.j, s), after.j),
                   chain(c_k, written_sum(before.c, written_product(shift, before.j)), after.c)]
        bits = [f"kernel {layer.kernel[dim]}"]
        if layer.dilation[dim] > 1:
            bits.append(f"dilation {layer.dilation[dim]} (effective kernel {eff})")
        bits += [f"stride {s}", f"padding {pb} before"]
        dims.append(", ".join(bits) if rf.square else f"{WORDS[dim]}: " + ", ".join(bits))
    text = f"{_label(k, layer)}, " + (dims[0] + " (height and width alike)" if rf.square else "; ".join(dims)) + ":"
    return step(say(text), *chains)


def _passive_step(c: Config, passive: tuple[int, ...]) -> Step:
    lined = any(c.layers[k - 1].type == "flatten" for k in passive)
    who = ("Layer " if len(passive) == 1 else "Layers ") + join(passive)
    return step(say(who + (" acts" if len(passive) == 1 else " act") + " on each unit separately" +
                    (" (flatten only lines the units up)" if lined else "") + ": r, j and c do not change."))


def _spatial_answer(c: Config, rf: ReceptiveField) -> tuple[str, list]:
    """The answer's text and the notes, for a field followed through spatial layers only."""
    final = [rf.seqs[dim][rf.upto] for dim in (0, 1)]
    sizes = rf.sizes
    spans = [f"{ROWS[dim]} {_num(final[dim].start)} to {_num(final[dim].start + final[dim].r - 1)}"
             for dim in (0, 1)]
    jumps = (plural(final[0].j, "input pixel") if final[0].j == final[1].j else
             f"{final[0].j} (height), {final[1].j} (width) input pixels")
    text = (f"{sizes[0]} × {sizes[1]} input pixels (height × width). The first unit's field covers "
            f"{spans[0]} and {spans[1]}; neighbouring units are {jumps} apart.")
    notes = [say(f"The field's {WORDS[dim]} ({sizes[dim]}) is larger than the input's ({c.input[dim]}): part of"
                 " every unit's field is padding.") for dim in (0, 1) if sizes[dim] > c.input[dim]]
    for dim, seen in rf.holes:
        notes.append(say(f"The field has holes in the {WORDS[dim] if not rf.square else 'height and width'}:"
                         f" dilation, or units spaced further apart than their fields are wide, leave"
                         f" {sizes[dim] - seen} of its {sizes[dim]} {ROWS[dim] if not rf.square else 'rows'}"
                         f" unseen; {sizes[dim]} is its extent, first to last pixel."))
    return text, notes


def _receptive_field(c: Config) -> Solution:
    rf = receptive_field(c)
    layers = c.layers[:rf.target]
    steps, meanings = [_rule_step()], {}
    steps += [_layer_step(rf, k, layer, meanings) for k, layer in enumerate(layers[:rf.upto]) if layer.spatial]
    if rf.passive:
        steps.append(_passive_step(c, rf.passive))
    if rf.dense is None:
        text, notes = _spatial_answer(c, rf)
    else:
        steps += _dense_steps(c, rf)
        whole = rf.sizes == tuple(c.input[:2])
        notes = [] if whole else [say(f"Not every input pixel reaches layer {rf.dense + 1}: rows or columns that the"
                                      " floor drops or that strides skip are seen by no unit, so the field is"
                                      " smaller than the image.")]
        text = f"{rf.sizes[0]} × {rf.sizes[1]} input pixels (height × width)" + (": the whole input." if whole else ".")
    question = say(f"What are the height and width of the effective receptive field of one unit in the output of the"
                   f" {layers[-1].name} (layer {rf.target})?")
    return Solution(question=question, steps=tuple(steps), meanings=meanings, notes=tuple(notes),
                    answer=Answer(value=list(rf.sizes), text=say(text)))


def _dense_steps(c: Config, rf: ReceptiveField) -> list[Step]:
    """A dense layer's unit sees every unit of the layer before it: the union of their fields."""
    dense = rf.dense
    last = max((k for k, l in enumerate(c.layers[:dense]) if l.spatial), default=None)
    if last is None:
        return [step(say(f"Layer {dense + 1} (dense layer): each unit is connected to every"
                         " number of its input, so its field is the whole image."))]
    grid = c.shapes[last + 1]
    steps = [step(say(f"Layer {dense + 1} (dense layer): each unit is connected to every number of its input, so its"
                      f" field is the union of the fields of all {_dims(grid[:2])} units of layer {last + 1}, the"
                      " last spatial one: from the first unit's first pixel to the last unit's last pixel, within"
                      " the image."))]
    for dim in (0, 1):
        steps.append(_extent_step(c, rf, dim, last, grid[dim]))
    return steps


def _extent_step(c: Config, rf: ReceptiveField, dim: int, last: int, n_units: int) -> Step:
    """The input rows (or columns) some unit of the last spatial layer reaches."""
    f, n, extent = rf.seqs[dim][rf.upto], c.input[dim], rf.extents[dim]
    if extent is None:
        return step(say(f"No unit of layer {last + 1} depends on any input {ROWS[dim][:-1]}: every window"
                        " falls in the padding or between the inputs."))
    lo, hi = extent
    first, end = f.start, f.start + (n_units - 1) * f.j + f.r - 1
    width = chain(written_sum(hi, -lo, 1) if lo else written_sum(hi, 1), hi - lo + 1)
    if (lo, hi) == (max(first, 0), min(end, n - 1)):
        return step(say(f"{ROWS[dim].capitalize()}: the first unit's field starts at c − (r − 1)/2; the"
                        f" last unit's, {plural(n_units - 1, 'jump')} further on, ends at that start"
                        f" + {n_units - 1}·j + r − 1. Within the image (0 to {n - 1}) that leaves"
                        f" {ROWS[dim]} {lo} to {hi}:"),
                    chain(written_sum(f.c, -Quotient(f.r - 1, 2, evaluate=False)), first),
                    chain(written_sum(first, written_product(n_units - 1, f.j), f.r, -1), end), width)
    return step(say(f"{ROWS[dim].capitalize()}: following the windows back, only input {ROWS[dim]}"
                    f" {lo} to {hi} reach a unit (the others fall where a floor dropped units or a"
                    " stride skipped them):"), width)


def _num(v) -> str:
    v = sympy.nsimplify(v)
    return str(v).replace("-", "−")
