"""The backward pass written out, node by node in reverse order: upstream × local = downstream, with the
local rule stated, and a name used by several equations summing what flows into it."""

from __future__ import annotations

import sympy
from sympy import ImmutableMatrix, MatMul

from ...written import Partial, Sym
from ...steps import Answer, Solution, chain, let, say, step
from ...symbols import Times
from ...words import join_pieces
from . import names as nm
from .backward import Backward, Flow, gradient
from .config import Config, Equation
from .letters import in_words
from .narrate import display, entry_meanings, exact, meanings, mode_notes, shown, sym
from .parse import Call, Name, Op
from .values import UNARY, evaluate, make, scalar, softmax
from .vjp import _X as X, slope

OUTPUT_FORMS = {"sigmoid": lambda s: s * (1 - s), "tanh": lambda t: 1 - t ** 2, "exp": lambda e: e}
RULES = {"+": "addition passes the upstream gradient on unchanged",
         "-": "subtraction passes the upstream gradient on, negated for the right operand",
         "*": "multiplication swaps: the local gradient of each factor is the other factor",
         "/": "the quotient rule gives the local gradients",
         "^": "the power rule gives the local gradients",
         "@": "a matrix product sends the gradient back through the other factor, transposed (for W in W x: the upstream gradient times x transposed; for x: W transposed times the upstream gradient)",
         "relu": "ReLU masks: it passes the gradient where its input is positive and blocks it elsewhere",
         "abs": "the absolute value passes the gradient with the input's sign",
         "sigmoid": "the sigmoid's slope, in terms of its output, is σ(1 − σ)",
         "tanh": "tanh's slope, in terms of its output, is 1 − tanh²",
         "exp": "the exponential is its own derivative",
         "log": "the logarithm's slope is one over its input",
         "sqrt": "the square root's slope is one over twice the root",
         "sin": "the sine's slope is the cosine", "cos": "the cosine's slope is minus the sine",
         "sinh": "sinh's slope is cosh", "cosh": "cosh's slope is sinh",
         "softplus": "the softplus's slope is the sigmoid",
         "gelu": "GELU's slope is Φ(x) + x φ(x), the normal distribution's CDF and density",
         "gelu_tanh": "the tanh approximation of GELU is differentiated as written",
         "silu": "SiLU's slope is σ(x)(1 + x(1 − σ(x)))",
         "elu": "ELU passes the gradient where its input is positive and scales it by α eˣ elsewhere (α at 0, as"
                " PyTorch takes it)",
         "leaky_relu": "leaky ReLU passes the gradient where its input is positive and scales it by its negative"
                       " slope elsewhere (at 0 too, as PyTorch takes it)",
         "hardtanh": "hardtanh passes the gradient strictly between its bounds and blocks it at and beyond them",
         "log_sigmoid": "log σ's slope is 1 − σ",
         "max": "max passes the gradient to the larger argument (half to each at a tie, as torch.maximum); max of"
                " every entry passes it to the largest, shared evenly among ties",
         "min": "min passes the gradient to the smaller argument (half to each at a tie, as torch.minimum); min of"
                " every entry passes it to the smallest, shared evenly among ties",
         "sum": "a sum passes the upstream gradient to every entry",
         "mean": "a mean passes the upstream gradient, divided by the number of entries, to every entry",
         "transpose": "a transpose sends the gradient back transposed",
         "softmax": "the softmax's Jacobian is diag(p) minus p times p transposed",
         "log_softmax": "the log-softmax's Jacobian is the identity minus a column of ones times p transposed",
         "cross_entropy": "softmax with cross-entropy gives p − y: the probabilities minus the target",
         "mse": "the mean squared error's gradient is 2(ŷ − y)/n",
         "batchnorm": "batch normalisation: the gradient for beta sums the upstream gradient over the batch (each"
                      " column), the one for gamma sums it times the normalised input, and the one for the input"
                      " follows from differentiating the mean and the variance too",
         "layernorm": "layer normalisation: as batch normalisation, but each row is normalised over its features",
         "dropout": "dropout passes the gradient where the mask keeps a unit, scaled by 1/(1 − p), and blocks it"
                    " elsewhere",
         "conv1d": "a convolution sends the upstream gradient back through the filter (for the input) and through"
                   " the input (for the filter), each at the positions where they met"}


def rule(eq: Equation, c: Config | None = None) -> str:
    """The local rules of the operations in the right-hand side, outermost first."""
    keys = []

    def walk(node):
        key = node.op if isinstance(node, Op) else node.func if isinstance(node, Call) else None
        if key in RULES and key not in keys:
            keys.append(key)
        for child in (node.args if isinstance(node, Call) else ()):
            walk(child)
        for attr in ("left", "right", "arg"):
            if hasattr(node, attr):
                walk(getattr(node, attr))
    walk(eq.rhs)
    if not keys:
        return "the chain rule through the expression gives the local gradients"
    said = "; ".join(RULES[k] for k in keys)
    return said if c is None else in_words(said, c)


def uses(node, name: str) -> int:
    """How many times ``name`` occurs in an expression."""
    if isinstance(node, Name):
        return int(node.name == name)
    kids = node.args if isinstance(node, Call) else [getattr(node, a) for a in ("left", "right", "arg")
                                                       if hasattr(node, a)]
    return sum(uses(k, name) for k in kids)


def linear_path(node, name: str):
    """The matrix product that has ``name`` as an operand, reached from the root through sums only (None when
    ``name`` is used anywhere else in the expression too: its gradient is then more than that product's)."""
    return _product_path(node, name) if uses(node, name) == 1 else None


def _product_path(node, name: str):
    if isinstance(node, Op) and node.op == "@" and isinstance(node.left, Name) and isinstance(node.right, Name) \
            and name in (node.left.name, node.right.name) and node.left.name != node.right.name:
        return node
    if isinstance(node, Op) and node.op == "+":
        return _product_path(node.left, name) or _product_path(node.right, name)
    if isinstance(node, Op) and node.op == "-":
        return _product_path(node.left, name)
    return None


def contribution_symbol(c: Config, b: Backward, flow: Flow) -> sympy.Symbol:
    shape = c.shape(flow.wrt)
    if len(b.parts[flow.wrt]) == 1:
        return nm.partial(c.top, flow.wrt, shape)
    return nm.through(c.top, flow.eq.name, flow.wrt, shape)


def node_step(c: Config, b: Backward, eq: Equation):
    up = b.flows[eq.name][0].upstream if b.flows[eq.name] else None
    # what flows in: also for a node without inputs (v = 0.001), whose gradient a sum step may add up
    lines, meaning = [], {nm.partial(c.top, eq.name, c.shape(eq.name)): exact(b.grads[eq.name])}

    intro = say("Node ", let(sym(c, eq.name), _rhs(c, eq)), ": " + rule(eq, c) + ". ")
    if eq.name != c.of and up is not None:
        intro += say("The gradient flowing in is ", nm.partial(c.top, eq.name, c.shape(eq.name)), ".")
    for flow in b.flows[eq.name]:
        target = contribution_symbol(c, b, flow)
        meaning[target] = exact(flow.value)
        middle, extra = _middle(c, eq, flow, b.placeholders[eq.name], len(b.parts[flow.wrt]) == 1)
        meaning.update(extra)
        lines.extend(middle[1])
        lines.append(links(target, middle[0], flow.value))
    return step(intro, *lines), meaning


def _rhs(c: Config, eq: Equation):
    return display(eq.rhs, c)


def links(target, middle: list, value):
    """target = middle = value, with ≈ where a side is rounded."""
    items = []
    for m in middle:
        items += ["approx" if m.has(sympy.Float) else "=", m]
    tail = shown(value)
    if items and tail[-1] == items[-1]:
        tail = []
    if items and items[-2] == "approx" and tail and tail[0] == "=":
        tail = ["approx", tail[-1]]
    return chain(target, *items, *tail)


def _middle(c: Config, eq: Equation, flow: Flow, ph: dict, single: bool):
    """([expressions between the symbol and its value], [chains shown before]), meanings added."""
    if flow.local is not None:
        return _scalar(c, eq, flow, ph, single)
    rhs = eq.rhs
    product = linear_path(rhs, flow.wrt)
    if product is not None and not (len(c.shape(product.left.name)) == 1 and len(c.shape(product.right.name)) == 1):
        return _matmul(c, product, flow), {}
    if _calls(rhs, "cross_entropy") and rhs.args[0] == Name(flow.wrt) and uses(rhs, flow.wrt) == 1:
        target = evaluate(rhs.args[1], c.values)
        if target.shape == () and not all(e.is_number for e in c.values[flow.wrt].entries):
            return _ce_derived(c, eq, flow, int(target.scalar))
        return _cross_entropy(c, rhs, flow)
    if isinstance(rhs, Op) and rhs.op == "*" and _plain(rhs.left, rhs.right):
        return _product(c, rhs, flow), {}
    if _calls(rhs, "batchnorm") and _plain(*rhs.args[:3]) and flow.wrt in (rhs.args[1].name, rhs.args[2].name):
        return _batchnorm(c, rhs, flow), {}
    if _calls(rhs, *UNARY) and isinstance(rhs.args[0], Name) and uses(rhs, flow.wrt) == 1:
        return _elementwise(c, eq, flow), {}
    return ([], []), {}


def _calls(node, *funcs: str) -> bool:
    return isinstance(node, Call) and node.func in funcs


def _plain(*nodes) -> bool:
    """Distinct plain names."""
    return all(isinstance(n, Name) for n in nodes) and len({n.name for n in nodes}) == len(nodes)


def _scalar(c: Config, eq: Equation, flow: Flow, ph: dict, single: bool):
    """At the output: the local derivative is the gradient. Further back: the local derivative as a formula,
    then upstream times it."""
    local = nm.local(eq.name, flow.wrt)
    holders = {}
    for n in eq.inputs:
        if n not in c.labels:
            entries = [sym(c, n)] if c.shape(n) == () else list(entry_meanings(c, n))
            holders.update(dict(zip(ph[n].entries, entries)))
    forms = [flow.formula.xreplace(holders)]
    if isinstance(eq.rhs, Call) and eq.rhs.func in OUTPUT_FORMS and eq.rhs.args == (Name(flow.wrt),):
        forms.append(OUTPUT_FORMS[eq.rhs.func](sym(c, eq.name)))
    up = flow.upstream.scalar
    if eq.name == c.of and up == 1:
        return (forms, []), {}
    local_chain = links(local, forms, _val(flow.local))
    # the product in numbers, rounded as shown (≈); of a formula upstream, the value itself is that product
    product = [Times(_short(up), _short(flow.local), evaluate=False)] if up.is_number else []
    if single:
        product.insert(0, Times(nm.partial(c.top, eq.name, ()), local, evaluate=False))
    return (product, [local_chain]), {local: flow.local}


def _val(e):
    return scalar(e)


def _short(e):
    return e.evalf(6) if e.is_number and not e.is_Rational else e


def _matmul(c: Config, rhs: Op, flow: Flow):
    a, bname = rhs.left.name, rhs.right.name
    up = flow.upstream.m
    A, B = c.values[a].m, c.values[bname].m
    if flow.wrt == a:
        left, right = (up, B.T) if len(c.shape(a)) == 2 else (B, up)
    else:
        left, right = (A.T, up) if len(c.shape(a)) == 2 else (A, up.T)
    return [MatMul(_rounded(left), _rounded(right), evaluate=False)], []


def _rounded(m):
    if all(e.is_Rational for e in m) or not all(e.is_number for e in m):
        return m
    return m.applyfunc(lambda e: e.evalf(6))


def _elementwise(c: Config, eq: Equation, flow: Flow):
    arg = c.values[flow.wrt]
    up = flow.upstream
    d = slope(eq.rhs.func, tuple(evaluate(a, c.values).scalar for a in eq.rhs.args[1:]))
    local = [d.xreplace({X: e}) for e in arg.entries]
    entries = [Times(_short(g), _short(l), evaluate=False) for g, l in zip(up.entries, local)]
    shape = arg.m.shape
    return [ImmutableMatrix(shape[0], shape[1], entries)], []


def sum_step(c: Config, b: Backward, name: str):
    flows = b.parts[name]
    symbols = [contribution_symbol(c, b, f) for f in flows]
    total = b.grads[name]
    target = nm.partial(c.top, name, c.shape(name))
    users = [sym(c, f.eq.name) for f in flows]
    text = say(sym(c, name), f" is used by {len(flows)} equations (those defining ", *join_pieces(users),
               "), so the gradients flowing back into it add up:")
    if c.shape(name) == ():
        written = sympy.Add(*[_short(f.value.scalar) for f in flows], evaluate=False)
        return step(text, links(target, [sympy.Add(*symbols, evaluate=False), written], total))
    return step(text, links(target, [sympy.Add(*symbols, evaluate=False)], total))


def solve_gradient(c: Config, b: Backward) -> Solution:
    """The backward pass written out, from its analysis ``b`` (derive.kinds.graph.backward)."""
    steps, meaning = [], meanings(c)
    for k, eq in enumerate(b.order):
        s, extra = node_step(c, b, eq)
        if k == 0:
            s = step(say("Start at the output: ", let(nm.partial(c.top, c.of, c.shape(c.of)), exact(c.upstream)),
                         ". ") + s.text, *s.chains)
        steps.append(s)
        meaning.update(extra)
    for name in b.parts:
        if len(b.parts[name]) > 1:
            steps.append(sum_step(c, b, name))
            meaning[nm.partial(c.top, name, c.shape(name))] = exact(b.grads[name])   # a given not in wrt too
    notes, pieces, value = [], [], {}
    inputs = set().union(*(exact(v).free_symbols for v in c.given.values()))
    for k, w in enumerate(c.wrt):
        g = gradient(c, b, w)
        meaning[nm.partial(c.top, w, c.shape(w))] = exact(g)
        value[w] = g.json()
        pieces += ([", "] if k else []) + [_answer_chain(steps, nm.partial(c.top, w, c.shape(w)), g, inputs)]
        if w not in b.grads:
            notes.append(say(f"{c.of} does not depend on {w}, so its gradient is zero: ",
                             chain(nm.partial(c.top, w, c.shape(w)), exact(g)), "."))
    wrt = [sym(c, w) for w in c.wrt]
    if c.top == c.of:
        question = say("Carry out the backward pass: find the gradient of ", sym(c, c.of), " with respect to ",
                       *join_pieces(wrt), ".")
    else:
        question = say("Carry out the backward pass: find the gradient of the loss ", nm.value_symbol(c.top),
                       " with respect to ",
                       *join_pieces(wrt), ", given the gradient flowing into ", sym(c, c.of), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(notes) + mode_notes(c), meanings=meaning,
                    answer=Answer(value=value, text=say(*pieces, ".")))


def _answer_chain(steps: list, target, g, inputs: set):
    """A gradient as the answer gives it: in the shortest form the last step deriving it arrives at in terms of
    quantities the steps name (p − y, not the exponentials it stands for; f(1 − f)), then its value (of symbols:
    unless that is much longer); else its value."""
    value = shown(g)
    derived = [ch for s in steps for ch in s.chains if ch.exprs[0] == target]
    if not derived:
        return chain(target, *value)
    derived_here = {ch.exprs[0] for s in steps for ch in s.chains}        # ∂L/∂d, ∂d/∂x: not a form of the answer
    forms = [e for e in derived[-1].exprs[1:] if not e.has(Times, sympy.Float) and not e.free_symbols & derived_here
             and e.free_symbols - inputs]
    if not forms:
        return chain(target, *value)
    form = min(forms, key=_size)
    if form == value[-1]:
        return chain(target, *value)
    numbers = all(e.is_number for e in g.entries)             # p − y, then what it comes to
    return chain(target, form) if not numbers and _size(value[-1]) > 2 * _size(form) + 4 else \
        chain(target, form, *value)


def _size(e) -> int:
    return sum(sympy.count_ops(x) for x in e) if isinstance(e, sympy.MatrixBase) else sympy.count_ops(e)


def _cross_entropy(c: Config, rhs: Call, flow: Flow):
    """p − y, the probabilities minus the target (one-hot for a class index), times the upstream gradient: in
    the symbols p_j (of logits with numbers: what the answer boxes before its value), then in numbers."""
    z = c.values[flow.wrt]
    p = softmax(z).entries
    target = evaluate(rhs.args[1], c.values)
    t = ([sympy.Integer(int(i == target.scalar)) for i in range(len(p))] if target.shape == ()
         else target.entries)
    if sympy.Add(*t) != 1:
        return ([], []), {}
    g = flow.upstream.scalar
    entries = [sympy.Add(_short(pi), -ti, evaluate=False) if ti != 0 else _short(pi) for pi, ti in zip(p, t)]
    if g != 1:
        entries = [Times(_short(g), e, evaluate=False) for e in entries]
    if not all(e.is_number for e in z.entries):
        return ([ImmutableMatrix(entries)], []), {}
    ps = [nm.NOTATION.symbol(f"softmax({flow.wrt})[{j}]", _at("p", j), positive=True) for j in range(len(p))]
    form = ImmutableMatrix([g * (pj - tj) for pj, tj in zip(ps, t)])
    return ([form, ImmutableMatrix(entries)], []), dict(zip(ps, p))


def _at(base, j: int) -> Sym:
    """Entry j (0-based) of a vector, written 1-based as the graph's entries are: {p}_{2}."""
    return Sym(base, sub=str(j + 1), grouped=True)


def _ce_derived(c: Config, eq: Equation, flow: Flow, y: int):
    """∂L/∂z = p − onehot(y) derived: L = −log p_y, then the softmax Jacobian by the quotient rule."""
    zname, n = flow.wrt, c.shape(flow.wrt)[0]
    z = c.values[zname].entries
    total = sympy.Add(*[sympy.exp(e) for e in z])
    p = [nm.NOTATION.symbol(f"softmax({zname})[{j}]", _at("p", j), means=nm.SOFTMAX_OUTPUT, positive=True)
         for j in range(n)]
    meaning = {p[j]: sympy.exp(z[j]) / total for j in range(n)}
    g = flow.upstream.scalar
    chains = [chain(sym(c, eq.name), -g * sympy.log(p[y]))]
    out = []
    for j in range(n):
        dp = nm.NOTATION.symbol(f"dsoftmax({zname})[{y}]/d{zname}[{j}]",
                                Partial(_at("p", y), _at(nm.written(zname), j)))
        delta = int(j == y)
        meaning[dp] = sympy.diff(meaning[p[y]], z[j])
        chains.append(chain(dp, meaning[dp], p[y] * (delta - p[j])))
        dz = nm.NOTATION.symbol(f"d{c.top}/d{zname}[{j}]",
                                Partial(nm.written(c.top), _at(nm.written(zname), j)))
        meaning[dz] = flow.value.entries[j]
        chains.append(chain(dz, Times(-g / p[y], dp, evaluate=False), Times(-g / p[y], p[y] * (delta - p[j]),
                                                                           evaluate=False), g * (p[j] - delta)))
        out.append(g * (p[j] - delta))
    return ([ImmutableMatrix(out)], chains), meaning


def _product(c: Config, rhs: Op, flow: Flow):
    """x * y elementwise: upstream times the other factor, entry by entry (summed into a broadcast scalar)."""
    other = c.values[rhs.right.name if flow.wrt == rhs.left.name else rhs.left.name]
    g = flow.upstream
    pairs = [(gi, other.scalar if other.shape == () else oi) for gi, oi in
             zip(g.entries, other.entries if other.shape != () else g.entries)]
    terms = [Times(_short(a), _short(b), evaluate=False) for a, b in pairs]
    if c.shape(flow.wrt) == ():
        return [sympy.Add(*terms, evaluate=False)] if len(terms) > 1 else [terms[0]], []
    shape = c.values[flow.wrt].m.shape
    return [ImmutableMatrix(shape[0], shape[1], terms)], []


def _batchnorm(c: Config, rhs: Call, flow: Flow):
    """∂L/∂β_j = Σ_i δ_ij and ∂L/∂γ_j = Σ_i δ_ij x̂_ij, the normalised input x̂ rounded as shown."""
    g = flow.upstream.m
    rows, cols = g.shape
    if flow.wrt == rhs.args[2].name:
        sums = [sympy.Add(*[g[i, j] for i in range(rows)], evaluate=False) for j in range(cols)]
        return [ImmutableMatrix(sums)], []
    unit = evaluate(Call("batchnorm", (rhs.args[0], Name("_one"), Name("_zero"), *rhs.args[3:])),
                    {**c.values, "_one": make_ones(cols, 1), "_zero": make_ones(cols, 0)}).m
    sums = [sympy.Add(*[Times(_short(g[i, j]), _short(unit[i, j]), evaluate=False) for i in range(rows)],
                      evaluate=False) for j in range(cols)]
    return [ImmutableMatrix(sums)], []


def make_ones(n: int, value: int):
    return make((n,), [sympy.Integer(value)] * n)
