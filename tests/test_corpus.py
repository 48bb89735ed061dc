"""A corpus of bad specs, hostile strings and command-line misuses, drawn from every kind's own fields:
each is refused cleanly (a SpecError naming its field, or exit status 2 with one line), within the time
budget, and no hostile string becomes live markup in any format."""

from __future__ import annotations

import copy
import functools
import os
import subprocess
import sys
import tomllib
from html.parser import HTMLParser

import markdown
import pytest

import derive
from derive.errors import SpecError
from derive.kinds import KINDS
from derive.limits import time_limit

BAD_VALUES = [None, "x", True, [], {}, -1, 0, 10**6, 2.5, float("nan"), [[1, 2], [3]], {"a": 1}, "1/0",
              "\x1b[2J", "<script>"]


def example(name: str) -> dict:
    return tomllib.loads(KINDS[name].example())


def mutations():
    """(id, spec data, field): one field of one kind's example set to one bad value, on the problem."""
    for kind in KINDS.kinds():
        base = example(kind.name)
        for field in kind.fields:
            for k, bad in enumerate(BAD_VALUES):
                data = copy.deepcopy(base)
                problem = data["problem"][0]
                for part in problem["part"]:
                    part.pop(field.name, None)
                if bad is None:
                    problem.pop(field.name, None)
                else:
                    problem[field.name] = bad
                yield pytest.param(data, field.name, id=f"{kind.name}-{field.name}-{k}")


MUTATIONS = list(mutations())


def test_the_corpus_is_large():
    assert len(MUTATIONS) + len(HOSTILE) * len(TEXT_FIELDS) + len(MISUSES) >= 200


@pytest.mark.parametrize("data, field", MUTATIONS)
def test_bad_field_values(data, field):
    """A bad value is refused naming its field (or, where the value is in fact valid or the field
    optional, the key is derived); nothing else ever escapes, and nothing takes long."""
    try:
        with time_limit(15, "the case"):
            derive.solve(derive.from_mapping(data))
    except SpecError as err:
        named = {e.field for e in getattr(err, "errors", [err])}
        assert any(f and (f.removeprefix("vary.") == field or f.removeprefix("vary.").startswith((field + "[", field + "."))
                          or f == "ask"
                          or f in ("wrt", "signs", "activation", "layers", "layer", "input", "W_a", "W_x",
                                   "x", "b", "a0") or (field == "given" and f.startswith("forward[")))
                   for f in named), (field, str(err))
        assert "Traceback" not in str(err)


def test_every_bad_layer_names_its_layer():
    base = example("cnn-dims")
    for bad in BAD_VALUES[1:]:
        for key in ("type", "filters", "kernel", "stride", "padding", "dilation", "groups", "units", "rate"):
            data = copy.deepcopy(base)
            layers = data["problem"][0]["layers"]
            layers[0] = {**layers[0], key: bad}
            try:
                derive.solve(derive.from_mapping(data))
            except SpecError as err:
                assert "layers[1]" in str(err), (key, bad, str(err))


HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
           "[x](javascript:alert(1))", "<javascript:alert(1)>", "&lt;b&gt; &amp;", "<!-- hidden -->",
           "`code` *bold* _it_ $x$ \\(y\\)", "# heading\n- item", "\x1b]0;title\x07\x1b[2J", "\u202eevil\u200b",
           r"\input{/etc/passwd}\def\x{1}\catcode`\^=13", "${{7*7}}((( 7*7 )))", "😀 中文 Ωmega ∂θ", "x" * 300]
TEXT_FIELDS = ["title", "due", "problem.title", "called"]


def hostile_doc(text: str, field: str):
    data = {"title": "t", "problem": [{"kind": "rnn-activation", "W_a": 1,
                                        "part": [{"activation": "tanh", "ask": "derivative"}]}]}
    if field.startswith("problem."):
        data["problem"][0][field.split(".")[1]] = text
    elif field == "called":
        data["problem"][0]["called"] = text
    else:
        data[field] = text
    return derive.solve(derive.from_mapping(data))


class Elements(HTMLParser):
    """The elements and attributes of a page."""

    def __init__(self):
        super().__init__()
        self.found = set()

    def handle_starttag(self, tag, attrs):
        self.found.add((tag, tuple(sorted(name for name, _ in attrs))))


def elements(page: str) -> set:
    parser = Elements()
    parser.feed(page)
    return parser.found


@functools.lru_cache(maxsize=None)
def baseline(field: str):
    """The elements of the HTML and of the rendered Markdown with plain text in the field."""
    doc = hostile_doc("plain words", field)
    md = markdown.markdown(derive.render(doc, "markdown"), extensions=["pymdownx.arithmatex"],
                           extension_configs={"pymdownx.arithmatex": {"generic": True}})
    return elements(derive.render(doc, "html")), elements(md)


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_stay_text(text, field):
    """In HTML (parsed) and in Markdown (rendered as MkDocs does) no element or attribute appears that the
    templates did not write; in LaTeX no command of the string survives unescaped."""
    doc = hostile_doc(text, field)
    html_base, md_base = baseline(field)
    assert elements(derive.render(doc, "html")) <= html_base
    md = markdown.markdown(derive.render(doc, "markdown"), extensions=["pymdownx.arithmatex"],
                           extension_configs={"pymdownx.arithmatex": {"generic": True}})
    assert elements(md) <= md_base, elements(md) - md_base
    tex = derive.render(doc, "latex")
    assert r"\input{/etc" not in tex and r"\def\x" not in tex and "\x1b" not in tex and "\u202e" not in tex


MISUSES = [
    ["solutions", "-f", "nope"], ["solutions", "-f", "pdf", "-o", "-"], ["solutions", "-o", ""],
    ["solutions", "--only", ""], ["solutions", "--only", "9z"], ["problems", "-f", "json"],
    ["snippets", "-o", "-"], ["snippets", "-f", "html"], ["solutions", "no-such.toml"], ["solutions", "/"],
    ["solutions", "--templates", "/no/such/dir"], ["example", "nope"], ["nope"], ["solutions", "a", "b"],
    ["solutions", "--bogus"], ["kinds", "extra"], ["example"], ["solutions", "-f"],
]


@pytest.mark.parametrize("args", MISUSES, ids=[" ".join(a) or "none" for a in MISUSES])
def test_command_line_misuse(tmp_path, args):
    proc = subprocess.run([sys.executable, "-m", "derive", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
    assert proc.stderr.startswith("derive: error:") and proc.stderr.count("\n") <= 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("derive-tex-")]
