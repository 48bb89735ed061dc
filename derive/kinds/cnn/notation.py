"""The notation of cnn-dims: every symbol its formulas show, each made once, with how it is written.

The fixed symbols are module constants; the per-layer ones (r_k, j_k, c_k of the receptive field,
by dimension) come from small functions that register each as it is first made. A symbol given no
LaTeX (``_plain``) is written SymPy's own way in every format: its LaTeX is the same (C_in as
C_{in}), but SymPy's MathML keeps a multi-letter or numeric subscript as one identifier (<mi>in</mi>),
which the MathML read from a LaTeX form would split; so these stay SymPy's, as they always printed.
The centre c^{(h)}_k of a field along one dimension is written out, so that its MathML reads like
r^{(h)}_k and j^{(h)}_k beside it (and its name, not a plain letter with a subscript, never shows).
"""

from __future__ import annotations

from ...notation import Notation
from .layers import Layer

NOTATION = Notation()
_s = NOTATION.symbol


def _plain(name: str):
    """A symbol written SymPy's own way (see above)."""
    return NOTATION.symbol(name)


# parameters
K_H, K_W, C_IN, F_OUT = _s("k_h", "k_{h}"), _s("k_w", "k_{w}"), _plain("C_in"), _s("F", "F")
G, UNITS, CHANNELS = _s("g", "g"), _s("m", "m"), _s("C", "C")
GAMMA, BETA = _s("gamma", r"\gamma"), _s("beta", r"\beta")
# sizes and padding
N, N_IN, N_OUT = _s("n", "n"), _plain("n_in"), _plain("n_out")
K, S, P, D = _s("k", "k"), _s("s", "s"), _s("p", "p"), _s("d", "d")
P_B, P_A, K_EFF = _s("p_b", "p_{b}"), _s("p_a", "p_{a}"), _plain("k_eff")
# receptive fields: size r, jump j, centre c, before and after a layer
R_IN, R_OUT, J_IN, J_OUT = _plain("r_in"), _plain("r_out"), _plain("j_in"), _plain("j_out")
CEN_IN, CEN_OUT = _plain("c_in"), _plain("c_out")


def field_size(k: int, tag: str = ""):
    """r_k, the field's size after layer k (r^{(h)}_k, r^{(w)}_k along one dimension when tag is h or w)."""
    return _s(f"r{tag}_{k}", f"r^{{({tag})}}_{{{k}}}") if tag else _plain(f"r_{k}")


def field_jump(k: int, tag: str = ""):
    """j_k, the jump (input pixels between neighbouring units) after layer k."""
    return _s(f"j{tag}_{k}", f"j^{{({tag})}}_{{{k}}}") if tag else _plain(f"j_{k}")


def field_centre(k: int, tag: str = ""):
    """c_k, the centre of the first unit's field after layer k."""
    return _s(f"c^({tag})_{k}", f"c^{{({tag})}}_{{{k}}}") if tag else _plain(f"c_{k}")


def _label(k: int, layer: Layer) -> str:
    return f"Layer {k + 1} ({layer.name})"


# the layers of whole networks: embeddings, recurrent layers, attention, transformer encoders
VOCAB, EMB_DIM, HIDDEN, GATES_N = _s("V", "V"), _s("D_emb", "D"), _s("H", "H"), _s("G_gates", "G")
X_SIZE, EMBED, FF_WIDTH, HEADS = _s("I_x", "I"), _s("E", "E"), _s("d_ff", r"d_{\mathrm{ff}}"), _s("h_heads", "h")
SEQ_LEN, HEAD_DIM = _s("L", "L"), _s("d_k", "d_{k}")
