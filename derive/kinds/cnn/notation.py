"""The notation of cnn-dims: every symbol its formulas show, each made once, with how it is written.

The fixed symbols are module constants; the per-layer ones (r_k, j_k, c_k of the receptive field,
by dimension) come from small functions that register each as it is first made. A subscript that is a
word, not an index (the 'eff' of k_eff, the 'in' and 'out' of n_in and r_out), is set upright
(``_named``): \\mathrm{eff} in LaTeX, one upright identifier in MathML, never the product e·f·f. A symbol
given no written form (``_plain``) is written SymPy's own way in every format (r_1 as r_{1}).
The centre c^{(h)}_k of a field along one dimension is written out, so that its MathML reads like
r^{(h)}_k and j^{(h)}_k beside it (and its name, not a plain letter with a subscript, never shows).
"""

from __future__ import annotations

from ...notation import Notation
from ...written import Sym, Upright
from .layers import Layer

NOTATION = Notation()
_s = NOTATION.symbol
# What each letter stands for wherever it is written, with its scripts (k, k_h, k_w, k_eff: a kernel size):
# one meaning a letter within a problem (tests/test_symbol_meanings.py).
for _letter, _meaning in (("k", "a kernel size"), ("s", "the stride"), ("p", "the padding"), ("d", "the dilation"),
                          ("n", "a size along one dimension"), ("C", "a number of channels"),
                          ("F", "the number of filters"), ("g", "the number of groups"), ("m", "the number of units"),
                          ("γ", "the normalisation's scale"), ("β", "the normalisation's shift"),
                          ("r", "the receptive field's size"), ("j", "the jump"), ("c", "the receptive field's centre"),
                          ("V", "the vocabulary's size"), ("D", "the embedding's size"), ("H", "the hidden size"),
                          ("G", "the number of gates"), ("I", "the input's size"), ("E", "the embedding dimension"),
                          ("h", "the number of heads"), ("L", "the sequence length")):
    NOTATION.letter(_letter, _meaning)
WIDTH = "a transformer's width (d_k a head's, d_ff the feed-forward layer's)"


def _plain(name: str):
    """A symbol written SymPy's own way (see above)."""
    return NOTATION.symbol(name)


def _named(name: str):
    """x_word: a letter with a word for its subscript, set upright (k_eff, n_in, r_out)."""
    base, word = name.split("_")
    return NOTATION.symbol(name, Sym(base, sub=Upright(word)))


# parameters
K_H, K_W, C_IN, F_OUT = _s("k_h", Sym("k", sub="h")), _s("k_w", Sym("k", sub="w")), _named("C_in"), _s("F", "F")
G, UNITS, CHANNELS = _s("g", "g"), _s("m", "m"), _s("C", "C")
GAMMA, BETA = _s("gamma", "γ"), _s("beta", "β")
# sizes and padding
N, N_IN, N_OUT = _s("n", "n"), _named("n_in"), _named("n_out")
K, S, P, D = _s("k", "k"), _s("s", "s"), _s("p", "p"), _s("d", "d")
P_B, P_A, K_EFF = _s("p_b", Sym("p", sub="b")), _s("p_a", Sym("p", sub="a")), _named("k_eff")
# receptive fields: size r, jump j, centre c, before and after a layer
R_IN, R_OUT, J_IN, J_OUT = _named("r_in"), _named("r_out"), _named("j_in"), _named("j_out")
CEN_IN, CEN_OUT = _named("c_in"), _named("c_out")


def field_size(k: int, tag: str = ""):
    """r_k, the field's size after layer k (r^{(h)}_k, r^{(w)}_k along one dimension when tag is h or w)."""
    return _s(f"r{tag}_{k}", _along("r", k, tag)) if tag else _plain(f"r_{k}")


def field_jump(k: int, tag: str = ""):
    """j_k, the jump (input pixels between neighbouring units) after layer k."""
    return _s(f"j{tag}_{k}", _along("j", k, tag)) if tag else _plain(f"j_{k}")


def field_centre(k: int, tag: str = ""):
    """c_k, the centre of the first unit's field after layer k."""
    return _s(f"c^({tag})_{k}", _along("c", k, tag)) if tag else _plain(f"c_{k}")


def _along(base: str, k: int, tag: str) -> Sym:
    """r^{(h)}_k: a field's quantity after layer k along one dimension (h or w)."""
    return Sym(base, sub=str(k), sup=f"({tag})", sup_first=True)


def _label(k: int, layer: Layer) -> str:
    return f"Layer {k + 1} ({layer.name})"


# the layers of whole networks: embeddings, recurrent layers, attention, transformer encoders
VOCAB, EMB_DIM, HIDDEN, GATES_N = _s("V", "V"), _s("D_emb", "D"), _s("H", "H"), _s("G_gates", "G")
X_SIZE, EMBED, HEADS = _s("I_x", "I"), _s("E", "E"), _s("h_heads", "h")
FF_WIDTH = _s("d_ff", Sym("d", sub=Upright("ff")), means=WIDTH)
SEQ_LEN, HEAD_DIM = _s("L", "L"), _s("d_k", Sym("d", sub="k"), means=WIDTH)
