"""Output a strict reader takes, and specs inside the documented limits that once crashed: every JSON derive
writes parses without NaN or Infinity (a number beyond a double is a string of its digits); an init part with a
400-digit negative_slope is answered; a user template's range too big, a string doubled with ~ or memory run out
is an error of that template, naming its file and line (exit 2)."""

from __future__ import annotations

import decimal
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import mpmath
import pytest
import torch
from jinja2.sandbox import SandboxedEnvironment

import derive
from derive.formats import Sandbox, dumps
from derive.kinds import KINDS

from conftest import slow_params

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("golden_make", ROOT / "tests" / "golden" / "make.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

NINES = "9" * 400                                  # the largest numerator a spec may give: 10^400 - 1
DIGITS = decimal.Context(prec=17)


def strict(text: str):
    """The JSON as a strict parser reads it: NaN, Infinity and -Infinity are refused."""
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def run(args, cwd, timeout=120):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def solved_json(text: str) -> dict:
    return strict(derive.render(derive.solve(derive.loads(text)), "json"))


def answers(text: str) -> dict:
    return {p["id"]: p["answer"]["value"] for p in solved_json(text)["parts"]}


def first_digits(value) -> decimal.Decimal:
    """A number (or the string JSON writes beyond a double) to 17 significant digits."""
    return DIGITS.create_decimal(str(value) if isinstance(value, str) else repr(value))


# --- every JSON parses strictly ------------------------------------------------------------------

@pytest.mark.parametrize("name", [k.name for k in KINDS.kinds()])
def test_every_kinds_example_writes_strict_json(name):
    assert solved_json(KINDS[name].example())["parts"]


@pytest.mark.parametrize("name", slow_params(list(golden.SPECS), ["course50"]))
def test_every_golden_spec_writes_strict_json(name):
    doc = derive.solve(derive.load(golden.SPECS[name]))
    assert strict(derive.render(doc, "json"))["parts"]


def test_the_writer_refuses_what_is_not_json():
    """The guard: a float that is not finite fails loudly wherever it is, never the bare token Infinity."""
    for bad in (float("inf"), -float("inf"), float("nan")):
        with pytest.raises(ValueError):
            dumps({"parts": [{"answer": {"value": [[1.0, bad]]}}]})
    assert strict(dumps({"x": 1e308, "y": -0.0, "n": 10 ** 400}))["n"] == 10 ** 400


# --- numbers beyond a double -----------------------------------------------------------------------

LSTM = f"""
title = "beyond a double"
[[problem]]
title = "gated cells"
kind = "rnn-activation"
x = 0
a0 = 0
  [[problem.part]]
  cell = "lstm"
  U_g = "{NINES}"
  c0 = 0
  ask = "derivative"
  [[problem.part]]
  cell = "gru"
  U_n = "{NINES}"
  ask = "derivative"
  [[problem.part]]
  cell = "lstm"
  U_g = [["{NINES}", 0], [0, 1]]
  a0 = [0, 0]
  c0 = [0, 0]
  ask = "derivative"
"""


def test_a_gated_cells_derivative_beyond_a_double():
    """h<1> = 0 with every gate at 1/2 and the candidate at 0, so the full derivative is 1/2 + U/4 (U the
    recurrent weight of the candidate): (10^400 + 1)/4, about 2.5e399. It was written as Infinity."""
    exact = decimal.Decimal(10 ** 400 + 1) / 4
    got = answers(LSTM)
    assert got["1a"]["cell_path"] == 0.5 and got["1b"]["update_path"] == 0.5
    for value in (got["1a"]["full"], got["1b"]["full"], got["1c"]["full"][0][0]):
        assert isinstance(value, str) and first_digits(value) == DIGITS.plus(exact), value
    assert got["1c"]["full"][1][1] == 0.5 + 0.25


GRAPH = """
title = "beyond a double"
[[problem]]
title = "a log of a tiny number"
kind = "graph"
given = { x = 920 }
forward = ["u = exp(-x)", "L = log(u)"]
  [[problem.part]]
  ask = ["forward", "gradient"]
  wrt = ["u", "x"]
"""


def test_a_graph_gradient_beyond_a_double():
    """∂L/∂u = 1/u = e^920 ≈ 3.5557e399: a string of its digits in the answer and in the figure's data, and the
    figure's label prints in LaTeX (it failed, and the JSON said Infinity)."""
    data = solved_json(GRAPH)
    part = data["parts"][1]
    with mpmath.workdps(40):
        exact = decimal.Decimal(mpmath.nstr(mpmath.exp(920), 30))
    assert first_digits(part["answer"]["value"]["u"]) == DIGITS.plus(exact)
    assert part["answer"]["value"]["x"] == -1.0 and data["parts"][0]["answer"]["value"] == {"u": 0.0, "L": -920}
    labels = [e["below"] for e in part["figures"][0]["body"]["edges"] if isinstance(e["below"], str)]
    assert "3.55569e+399" in labels, labels
    doc = derive.solve(derive.loads(GRAPH))
    assert r"3.556 \cdot 10^{399}" in derive.render(doc, "latex")
    assert 'aria-label="3.556 ⋅ 10³⁹⁹"' in derive.render(doc, "html")            # the SVG label: a power of ten


CONV = f"""
title = "beyond a double"
[[problem]]
title = "huge numbers through a convolution"
kind = "conv-matrix"
length = 3
width = 2
x = ["{NINES}/7", 1, 2]
f = ["{NINES}/3", "1/7"]
upstream = ["{NINES}/11", 1]
  [[problem.part]]
  activation = "identity"
  ask = ["forward", "filter-gradient-value"]
"""


def test_conv_numbers_beyond_a_double():
    """With B = 10^400 - 1: z1 = f1 x1 + f2 x2 = B²/21 + 1/7, z2 = f1 x2 + f2 x3 = B/3 + 2/7, and
    ∂L/∂f1 = u1 x1 + u2 x2 = B²/77 + 1 (they were Infinity)."""
    B = decimal.Decimal(10 ** 400 - 1)
    with decimal.localcontext() as ctx:
        ctx.prec = 900
        z = [B * B / 21 + decimal.Decimal(1) / 7, B / 3 + decimal.Decimal(2) / 7]
        grad = B * B / 77 + 1
    got = answers(CONV)
    assert [first_digits(v) for v in got["1a.i"]["z"]] == [DIGITS.plus(v) for v in z]
    assert got["1a.i"]["a"] == got["1a.i"]["z"]
    assert first_digits(got["1a.ii"][0]) == DIGITS.plus(grad)


@pytest.mark.slow
def test_the_command_writes_strict_json(tmp_path):
    """The issue's case end to end: exit 0 and a file every strict parser reads."""
    spec = tmp_path / "big.toml"
    spec.write_text(LSTM + GRAPH.replace('title = "beyond a double"\n', ""), encoding="utf-8")
    proc = run(["solutions", str(spec), "-f", "json", "-o", "-"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Infinity" not in proc.stdout and len(strict(proc.stdout)["parts"]) == 5


# --- init: a negative_slope of 400 digits ------------------------------------------------------------

def init_spec(scheme: str, slope: str) -> str:
    return f"""
title = "init"
[[problem]]
title = "a long slope"
kind = "init"
scheme = "{scheme}"
fan_in = 256
fan_out = 100
nonlinearity = "leaky_relu"
negative_slope = "{slope}"
  [[problem.part]]
  ask = ["variance", "std", "bound"]
"""


SLOPES = ["1/1" + "0" * 399, "1/" + "7" * 400, "1" + "3" * 399 + "/1" + "0" * 399, "-" + "9" * 399 + "/1" + "0" * 399]


@pytest.mark.parametrize("scheme", ["kaiming-uniform", "xavier-normal"])
@pytest.mark.parametrize("slope", SLOPES, ids=["1e-399", "1/777...", "1.333...", "-0.999..."])
def test_init_with_a_slope_of_400_digits(scheme, slope):
    """The gain √(2/(1 + a²)) of such a slope is the square root of a fraction of 800-digit integers; SymPy
    failed on it ('mpz' too large to convert to float). The answers agree with mpmath at 60 digits, and the
    key's 8 digits with mpmath's."""
    p, _, q = slope.partition("/")
    with mpmath.workdps(60):
        a = mpmath.mpf(int(p)) / int(q)
        fan = 256 if scheme.startswith("kaiming") else (256 + 100) / mpmath.mpf(2)
        variance = 2 / (1 + a ** 2) / fan
        expected = {"variance": variance, "std": mpmath.sqrt(variance), "bound": mpmath.sqrt(3 * variance)}
    data = solved_json(init_spec(scheme, slope))
    for part in data["parts"]:
        want = expected[part["ask"]]
        assert part["answer"]["value"] == pytest.approx(float(want), rel=1e-15, abs=0)
        if part["ask"] != "variance":
            assert part["answer"]["latex"].endswith(rf"\approx {mpmath.nstr(want, 8)}$")


@pytest.mark.parametrize("scheme", ["kaiming-uniform", "xavier-normal"])
@pytest.mark.parametrize("slope", SLOPES, ids=["1e-399", "1/777...", "1.333...", "-0.999..."])
def test_init_with_a_slope_of_400_digits_agrees_with_torch(scheme, slope):
    """torch.nn.init given the slope as a double (1e-399 is 0.0 there): the bound (uniform) or std (normal) it
    draws with, to the double's precision."""
    from test_init import drawn
    torch.manual_seed(0)
    p, _, q = slope.partition("/")
    argument, _ = drawn(scheme, (100, 256), "leaky_relu", int(p) / int(q), "fan_in")
    got = {p["ask"]: p["answer"]["value"] for p in solved_json(init_spec(scheme, slope))["parts"]}
    assert got["bound" if scheme.endswith("uniform") else "std"] == pytest.approx(argument, rel=1e-14)


@pytest.mark.slow
def test_init_command_answers_a_long_slope(tmp_path):
    spec = tmp_path / "init.toml"
    spec.write_text(init_spec("kaiming-uniform", SLOPES[0]), encoding="utf-8")
    proc = run(["solutions", str(spec), "-f", "json", "-o", "-"], tmp_path)
    assert proc.returncode == 0 and "internal error" not in proc.stderr, proc.stderr
    assert [p["answer"]["value"] for p in strict(proc.stdout)["parts"]] == pytest.approx(
        [2 / 256, math.sqrt(2 / 256), math.sqrt(6 / 256)], rel=1e-15)


# --- user templates --------------------------------------------------------------------------------

DOUBLING = {
    "latex/solutions.tex.j2": '((* set s = namespace(v="ab") *))\n'
                              '((* for i in range(100) *))((* set s.v = s.v ~ s.v *))((* endfor *))((( s.v|length )))\n',
    "html/solutions.html.j2": '{% set s = namespace(v="ab") %}\n'
                              '{% for i in range(100) %}{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v|length }}\n',
    "markdown/solutions.md.j2": '{% set s = namespace(v="ab") %}\n'
                                '{% for i in range(100) %}{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v|length }}\n',
}


def template_run(tmp_path, name: str, body: str):
    """`derive solutions` of the init example with one user template (the CLI: its 1 GiB memory cap holds)."""
    spec = tmp_path / "init.toml"
    spec.write_text(KINDS["init"].example(), encoding="utf-8")
    path = tmp_path / "brand" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return run(["solutions", str(spec), "-f", name.split("/")[0], "-o", "-", "--templates", "brand"],
               tmp_path), path


def names_the_template(proc, path: Path, line: int, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("derive: error: template ") and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}, line {line}:" in proc.stderr, proc.stderr
    for w in words:
        assert w in proc.stderr, (w, proc.stderr)


@pytest.mark.slow
def test_a_range_too_big_names_the_template(tmp_path):
    proc, path = template_run(tmp_path, "markdown/solutions.md.j2",
                              "# key\n{% for i in range(1000000000) %}x{% endfor %}\n")
    names_the_template(proc, path, 2, "Range too big")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DOUBLING))
def test_a_string_doubled_with_tilde_is_refused(tmp_path, name):
    """~ is guarded as * is, with HTML's escaping join and the plain one, and still when the compiled template
    comes from the bytecode cache (the second run)."""
    for _ in range(2):
        proc, path = template_run(tmp_path, name, DOUBLING[name])
        names_the_template(proc, path, 2, "joined with ~ past 1,000,000 characters")


def test_running_out_of_memory_names_the_template(tmp_path):
    proc, path = template_run(tmp_path, "markdown/solutions.md.j2", '# key\n\n{{ "x"|center(2000000000) }}\n')
    names_the_template(proc, path, 3, "out of memory")


def test_a_failing_operation_names_the_template(tmp_path):
    proc, path = template_run(tmp_path, "markdown/solutions.md.j2", "# key\n{{ 1 // 0 }}\n")
    names_the_template(proc, path, 2, "ZeroDivisionError")


@pytest.mark.parametrize("autoescape", [False, True])
def test_tilde_joins_as_jinja_joins(autoescape):
    """Below the limit ~ gives Jinja's own text: numbers and None made strings, HTML escaped where it is."""
    source = '{{ "<a>" ~ 3 ~ none ~ x ~ ("y" * 3) }}|{{ (s ~ "!")|length }}'
    values = {"x": jinja2.utils.markupsafe.Markup("<b>"), "s": "z" * 999_999}
    ours = Sandbox(autoescape=autoescape).from_string(source).render(**values)
    assert ours == SandboxedEnvironment(autoescape=autoescape).from_string(source).render(**values)
    with pytest.raises(jinja2.sandbox.SecurityError, match="joined with ~"):
        Sandbox(autoescape=autoescape).from_string('{{ s ~ s }}').render(s="z" * 600_000)
