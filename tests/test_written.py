"""Notation as structure (derive.written): every kind's symbols are structure, LaTeX in a string is refused, and
each printer (LaTeX, MathML, plain text, the SVG's laid-out text) prints the structure so that reading its
output back gives the structure again. The readers below are the tests' own, written from each output's
specification (LaTeX's grammar of the few commands printed, MathML's elements), never derive's code."""

from __future__ import annotations

import re
import shutil
import subprocess
from xml.dom.minidom import Document, Element

import pytest

import derive
from derive.formats import written_mathml, written_tex
from derive.formats.labels import Labels
from derive.formats.mathbox import Run
from derive.kinds import KINDS
from derive.notation import Notation, restyled
from derive.written import Fenced, Frac, Op, Partial, Root, Row, Sym, Upright, check

ACCENTS = {"hat": "^", "tilde": "\u02dc", "bar": "\u00af", "vec": "\u2192", "dot": "\u02d9", "ddot": "\u00a8",
           "check": "\u02c7"}
FENCE_CHARS = set("()[]|‖⟨⟩⌊⌋⌈⌉{}.")


def every_form() -> dict[str, object]:
    """Every written form of every kind's notation (symbols, functions and matrices), and each restyled."""
    forms = {}
    for kind in KINDS.kinds():
        n = kind.notation
        forms.update({f"{kind.name}:{k}": n[k] for k in n})
        forms.update({f"{kind.name}:matrix {name}": n.matrix_written(name) for name in n._matrices})
    for name, form in list(forms.items()):
        for style in ("plain", "layer"):
            forms[f"{name} ({style})"] = restyled(form, style)
    return forms


FORMS = every_form()


# --- the structure as the tests read it -------------------------------------------------------

def _tokens(s: str) -> list:
    return [("tok", t) for t in re.findall(r"\d+|\S", s)]


def canon(part) -> list:
    """A piece of notation as a row of canonical items: tokens, scripts, fractions, fences, accents, names."""
    if isinstance(part, str):
        return _tokens(part.replace("\u2009", " ").replace("′", "'"))
    if isinstance(part, Row):
        return [item for p in part.parts for item in canon(p)]
    if isinstance(part, Op):
        return [("name", part.name.replace(" ", ""))]
    if isinstance(part, Upright):
        return [("text" if part.words else "name", part.text)]
    if isinstance(part, Frac):
        return [("frac", tuple(canon(part.num)), tuple(canon(part.den)))]
    if isinstance(part, Partial) and part.inline:
        return canon(Row("∂", part.of)) + [("tok", "/")] + canon(Row("∂", part.wrt))
    if isinstance(part, Partial):
        return [("frac", tuple(canon(Row("∂", part.of))), tuple(canon(Row("∂", part.wrt))))]
    if isinstance(part, Fenced):
        if not part.sized:
            return _tokens(part.left) + canon(part.inner) + _tokens(part.right)
        return [("fence", part.left, tuple(canon(part.inner)), part.right)]
    if isinstance(part, Root):
        return [("tok", "√")]
    return [_canon_sym(part)]


def _canon_sym(s: Sym):
    base = tuple(canon(s.base))
    if s.bold:
        base = (("bold", base),)
    if s.accent:
        base = (("accent", s.accent, base),)
    for _ in range(s.primes):
        base = (("prime", base),)
    top = s.superscript()
    if s.sub is None and top is None:
        return base[0] if len(base) == 1 else ("group", base)
    return ("script", base, tuple(canon(s.sub)) if s.sub is not None else None,
            tuple(canon(top)) if top is not None else None)


# --- reading MathML back ----------------------------------------------------------------------------

def _kids(el: Element) -> list[Element]:
    return [k for k in el.childNodes if isinstance(k, Element)]


def _text(el: Element) -> str:
    return "".join(k.data for k in el.childNodes if k.nodeType == k.TEXT_NODE)


BOLD = {chr(0x1D400 + k): chr(ord("A") + k) for k in range(26)} | \
    {chr(0x1D41A + k): chr(ord("a") + k) for k in range(26)} | {chr(0x1D7CE + k): str(k) for k in range(10)}


def from_mathml(el: Element) -> list:
    tag, kids = el.tagName, _kids(el)
    if tag in ("mi", "mn", "mo"):
        text = _text(el)
        if text in BOLD:
            return [("bold", (("tok", BOLD[text]),))]
        if tag == "mi" and len(text) > 1 or el.getAttribute("mathvariant") == "normal":
            return [("name", text)]
        return [("tok", {"\u2032": "'", "\u2212": "-"}.get(text, text))] if text else [("tok", ".")]
    if tag == "mtext":
        return [("text", _text(el))]
    if tag == "mspace":
        return []
    if tag in ("msub", "msup", "msubsup"):
        base = tuple(from_mathml(kids[0]))
        sub = tuple(from_mathml(kids[1])) if tag != "msup" else None
        sup = tuple(from_mathml(kids[-1])) if tag != "msub" else None
        return [("script", base, sub, sup)]
    if tag == "mfrac":
        return [("frac", tuple(from_mathml(kids[0])), tuple(from_mathml(kids[1])))]
    if tag == "mover":
        name = next(k for k, v in ACCENTS.items() if v == _text(kids[1]))
        return [("accent", name, tuple(from_mathml(kids[0])))]
    if tag == "mrow" and len(kids) == 2 and _text(kids[1]) == "\u2032" and kids[1].getAttribute("lspace") == "0":
        return [("prime", tuple(from_mathml(kids[0])))]
    if tag == "mrow" and len(kids) >= 2 and kids[0].tagName == kids[-1].tagName == "mo" \
            and not kids[0].hasAttribute("stretchy") and (_text(kids[0]) or ".") in FENCE_CHARS:
        inner = [i for k in kids[1:-1] for i in from_mathml(k)]
        return [("fence", _text(kids[0]) or ".", tuple(inner), _text(kids[-1]) or ".")]
    return [i for k in kids for i in from_mathml(k)]


# --- reading LaTeX back ----------------------------------------------------------------------------

LATEX_CHARS = {v.lstrip("\\"): k for k, v in written_tex.COMMANDS.items() if v.startswith("\\") and len(v) > 1}
LATEX_CHARS.update({",": " ", "|": "‖", "{": "{", "}": "}"})
TEX_ACCENTS = {v.lstrip("\\"): k for k, v in written_tex.ACCENT.items()}


class TexReader:
    """Reads the LaTeX derive's notation printer writes: groups, scripts, primes, \\frac, \\left ... \\right,
    \\operatorname, \\mathrm, \\text, \\mathbf, accents and the commands of single characters."""

    def __init__(self, source: str):
        self.tokens, self.pos = re.findall(r"\\[A-Za-z]+|\\.|\d+|\S", source), 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        self.pos += 1
        return self.tokens[self.pos - 1]

    def row(self, stop=("}",)) -> list:
        out = []
        while self.peek() is not None and self.peek() not in stop:
            if self.peek() in ("_", "^", "'"):
                out.append(self.scripts(out.pop()))
            else:
                out += self.atom()
        return [i for i in out if i != ("tok", " ")]

    def group(self) -> tuple:
        if self.peek() == "{":
            self.take()
            items = self.row()
            self.take()
            return tuple(items)
        return tuple(self.atom())

    def scripts(self, base) -> tuple:
        sub = sup = None
        while self.peek() in ("_", "^", "'"):
            mark = self.take()
            if mark == "'":
                base = ("prime", (base,))
            elif mark == "_":
                sub = self.group()
            else:
                sup = self.group()
        return base if sub is None and sup is None else ("script", _unwrap(base), sub, sup)

    def word(self) -> str:
        self.take()
        letters = []
        while self.peek() != "}":
            t = self.take()
            letters.append(t if not t.startswith("\\") else "")
        self.take()
        return "".join(letters)

    def command(self, name: str) -> list:
        if name == "frac":
            return [("frac", self.group(), self.group())]
        if name == "left":
            left = LATEX_CHARS.get(self.take().lstrip("\\"), None) if self.peek().startswith("\\") else self.take()
            inner = self.row(("\\right",))
            self.take()
            right = LATEX_CHARS.get(self.take().lstrip("\\")) if self.peek().startswith("\\") else self.take()
            return [("fence", left, tuple(inner), right)]
        if name in ("operatorname", "mathrm"):
            return [("name", self.word())]
        if name == "text":
            return [("text", self.word())]
        if name == "mathbf":
            return [("bold", self.group())]
        if name in TEX_ACCENTS:
            return [("accent", TEX_ACCENTS[name], self.group())]
        if name in LATEX_CHARS:
            return [("tok", LATEX_CHARS[name])]
        return [("name", name)]                              # \exp, \max: LaTeX's named operators

    def atom(self) -> list:
        t = self.take()
        if t == "{":
            self.pos -= 1
            inner = self.group()
            return [("group", inner)] if len(inner) > 1 else list(inner)
        if t.startswith("\\"):
            return self.command(t[1:])
        return [("tok", t)]


def _unwrap(base):
    return base[1] if isinstance(base, tuple) and base and base[0] == "group" else (base,)


def from_latex(source: str) -> list:
    return TexReader(source).row(())


def normal(items) -> list:
    """Canonical items with the differences of spelling taken out: a group of one is the item itself, a script's
    base a tuple."""
    out = []
    for it in items:
        if it[0] == "group":
            out += normal(it[1])
        elif it[0] == "script":
            out.append(("script", tuple(normal(it[1])), None if it[2] is None else tuple(normal(it[2])),
                        None if it[3] is None else tuple(normal(it[3]))))
        elif it[0] in ("frac",):
            out.append((it[0], tuple(normal(it[1])), tuple(normal(it[2]))))
        elif it[0] == "fence":
            out.append(("fence", it[1], tuple(normal(it[2])), it[3]))
        elif it[0] in ("accent",):
            out.append(("accent", it[1], tuple(normal(it[2]))))
        elif it[0] in ("bold", "prime"):
            out.append((it[0], tuple(normal(it[1]))))
        elif it == ("tok", " "):
            continue
        else:
            out.append(it)
    return out


# --- the tests --------------------------------------------------------------------------------------

def test_every_kind_writes_structure():
    assert len(FORMS) > 300
    for name, form in FORMS.items():
        check(form)


@pytest.mark.parametrize("latex", [r"\alpha", "a^{*}", "x_1", r"\frac{a}{b}", "{p}"])
def test_latex_in_a_string_is_refused(latex):
    n = Notation()
    with pytest.raises(ValueError, match="structure, not LaTeX.*Sym"):
        n.symbol("s", latex)
    with pytest.raises(ValueError, match="structure, not LaTeX"):
        Sym("a", sub=latex)


def test_mathml_reads_back_as_the_structure():
    bad = {}
    for name, form in FORMS.items():
        back = from_mathml(written_mathml.element(Document(), form))
        if normal(back) != normal(canon(form)):
            bad[name] = (normal(back), normal(canon(form)))
    assert bad == {}


def test_latex_reads_back_as_the_structure():
    bad = {}
    for name, form in FORMS.items():
        source = written_tex.tex(form)
        back = from_latex(source)
        if isinstance(form, Root):
            continue
        if normal(back) != normal(canon(form)):
            bad[name] = (source, normal(back), normal(canon(form)))
    assert bad == {}


def test_plain_text_is_unicode_never_tex():
    for name, form in FORMS.items():
        if isinstance(form, Root):
            continue
        text = _plain(form)
        assert text and not re.search(r"\\|[{}]|\^\{|_\{", text), (name, text)
    assert _plain(Sym("x", sub="3", example="i")) == "x₃⁽ⁱ⁾"
    assert _plain(Partial("L", Sym("w", sub="1"))) == "∂L/∂w₁"


def _symbol(form):
    n = Notation()
    return n.symbol("s", form), n


def _plain(form) -> str:
    sym, n = _symbol(form)
    return Labels("svg", n).plain(sym)


def _runs(form) -> list[Run]:
    sym, n = _symbol(form)
    return [it for it in Labels("svg", n).box(sym, "small").items if isinstance(it, Run)]


def test_svg_text_reads_back_in_reading_order_with_scripts_raised_and_lowered():
    """The SVG's runs, read left to right, spell the structure's characters; a subscript's runs are smaller and
    below the base's baseline, a superscript's smaller and above."""
    for name, form in FORMS.items():
        if isinstance(form, Root):
            continue
        chars = "".join(_flat(normal(canon(form))))
        drawn = "".join(r.text for r in sorted(_runs(form), key=lambda r: (r.x, -r.y)))
        fences = "".join(sorted(set(_fences(normal(canon(form))))))            # glyphs when short, else strokes
        assert sorted(ch for ch in drawn if ch != " " and ch not in fences) == \
            sorted(ch for ch in chars if ch != " " and ch not in fences), (name, drawn, chars)
    base, sub, sup = sorted(_runs(Sym("x", sub="1", sup="2")), key=lambda r: r.x + abs(r.y) / 100)
    assert (base.text, sub.text, sup.text) == ("x", "1", "2")
    assert sub.size < base.size and sub.y < base.y and sup.size < base.size and sup.y > base.y


def _fences(items) -> list[str]:
    out = []
    for it in items:
        if it[0] == "fence":
            out += [it[1], it[3]] + _fences(it[2])
        elif it[0] in ("script", "frac"):
            out += [f for part in it[1:] if part for f in _fences(part)]
        elif it[0] in ("accent",):
            out += _fences(it[2])
        elif it[0] in ("bold", "prime"):
            out += _fences(it[1])
    return out


def _flat(items) -> list[str]:
    out = []
    for it in items:
        if it[0] == "tok":
            out.append({"-": "−"}.get(it[1], it[1]) if it[1] != "." else "")
        elif it[0] in ("name", "text"):
            out.append(it[1])
        elif it[0] == "script":
            out += _flat(it[1]) + _flat(it[2] or ()) + _flat(it[3] or ())
        elif it[0] == "frac":
            out += _flat(it[1]) + _flat(it[2])
        elif it[0] == "fence":
            out += _flat(it[2])                              # sized fences are drawn, not written
        elif it[0] == "accent":
            out += _flat(it[2]) + [ACCENTS[it[1]]]
        elif it[0] == "prime":
            out += _flat(it[1]) + ["′"]
        elif it[0] == "bold":
            out += _flat(it[1])
    return out


def test_styles_move_the_course_indices():
    """The plain style writes h_t for the rnn kind's a^{(i)⟨t⟩} in every printer; the layer style W^{[1]}."""
    from derive.kinds.rnn import notation as rn
    plain = derive.notation.styled(rn.N, "plain")
    assert written_tex.tex(plain[rn.A_PREV]) == "h_{t-1}"
    assert written_tex.tex(plain[rn.W_A]) == "W" and written_tex.tex(plain[rn.W_X]) == "U"
    assert normal(from_mathml(written_mathml.element(Document(), plain[rn.A_PREV]))) == \
        [("script", (("tok", "h"),), (("tok", "t"), ("tok", "-"), ("tok", "1")), None)]
    assert written_tex.tex(restyled(Sym("W", sub="1"), "layer")) == "W^{[1]}"


def test_the_layer_style_leaves_greek_letters_and_entries():
    """Adam's β₁ and the graph kind's entry {z}_{1} are no layer's: the layer style leaves them as they are."""
    assert written_tex.tex(restyled(Sym("β", sub="1"), "layer")) == r"\beta_{1}"
    assert written_tex.tex(restyled(Sym("z", sub="1", grouped=True), "layer")) == "{z}_{1}"
    assert written_tex.tex(restyled(Row(Sym("β", sub="2"), Sym("b", sub="2")), "layer")) == r"\beta_{2}b^{[2]}"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_every_latex_form_compiles(tmp_path):
    """Every written form's LaTeX, typeset by pdflatex (-halt-on-error) in one document."""
    body = "\n".join(f"${written_tex.tex(f)}{'{x}' if isinstance(f, Root) else ''}$\\par"
                     for f in dict.fromkeys(FORMS.values()))
    (tmp_path / "f.tex").write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                                    + body + "\n\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "f.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
