"""Hostile and careless input: every bad spec, string or command line gets a clean refusal (exit 2,
naming the field), never a traceback, an internal error, a hang or live markup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import derive
from derive.errors import SpecError, did_you_mean, printable

from conftest import need_tex

GOOD_PART = '[[problem.part]]\nactivation = "tanh"\nask = "derivative"\n'


def run(args, cwd, timeout=60, **kw):
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def refused(proc, *words):
    """Exit 2, one clean message (no traceback), naming what it should."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("derive: error:") and "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr
    for w in words:
        assert w in proc.stderr, (w, proc.stderr)


# --- the file itself -------------------------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    ("[[problem]]\n" + "x = " + "[" * 1000 + "]" * 1000 + "\n", ["nested too deeply"]),
    ("title = 't'\nW = " + "{a = " * 200 + "1" + "}" * 200 + "\n", ["nested too deeply"]),
    ("title = 't'\n[[problem]]\nkind = 'rnn-activation'\nW_a = " + "9" * 5000 + "\n" + GOOD_PART, ["too many digits"]),
    ("title = 't'\n[[problem]]\nkind = 'rnn-activation'\nW_a = " + "9" * 4000 + "\n" + GOOD_PART,
     ["field 'W_a'", "at most 400"]),
    ("title = 't'\n[[problem]]\nkind = 'rnn-activation'\nW_a = '1/" + "7" * 500 + "'\n" + GOOD_PART, ["field 'W_a'"]),
    ("not toml at all = = =", ["not valid TOML"]),
    ("title = 't'\ndue = 12\n", ["field 'due'"]),
])
def test_bad_files(tmp_path, content, words):
    spec = tmp_path / "s.toml"
    spec.write_text(content)
    refused(run(["solutions", str(spec)], tmp_path), *words)


def test_a_file_too_large_or_endless(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("title = 't'\n" + "# padding\n" * 200_000)
    refused(run(["solutions", str(big)], tmp_path), "larger than")
    refused(run(["solutions", "/dev/zero"], tmp_path, timeout=20), "larger than")
    refused(run(["solutions", str(tmp_path)], tmp_path), "directory")


def test_byte_order_mark_and_dates(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_bytes(b"\xef\xbb\xbf" + textwrap.dedent("""\
        title = "t"
        due = 2020-04-28T17:00:00
        [[problem]]
        kind = "rnn-activation"
        W_a = 1
        """).encode() + GOOD_PART.encode())
    proc = run(["solutions", str(spec), "-f", "markdown", "-o", "-"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Due 2020-04-28 17:00:00" in proc.stdout and "datetime" not in proc.stdout


# --- several mistakes, all reported ----------------------------------------------------------------

def test_every_mistake_at_once():
    text = textwrap.dedent("""\
        title = "t"
        [[problem]]
        kind = "rnn-activatio"
        [[problem.part]]
        ask = "x"
        [[problem]]
        kind = "cnn-dims"
        input = [1, 2, 3, 4]
        layers = []
        [[problem.part]]
        ask = "params"
        [[problem]]
        kind = "rnn-activation"
        W_a = 1
        [[problem.part]]
        activation = "tanh"
        ask = "stabilty"
        [[problem.part]]
        activation = "tanh"
        ask = "derivative"
        """)
    with pytest.raises(SpecError) as err:
        derive.loads(text)
    message = str(err.value)
    assert message.startswith("3 mistakes")
    assert "problem 1, field 'kind'" in message and "did you mean 'rnn-activation'" in message
    assert "problem 2, part (a), field 'input'" in message
    assert "problem 3, part (a), field 'ask'" in message and "did you mean 'stability'" in message
    assert "part (b)" not in message


@pytest.mark.parametrize("word, options, near, hint", [
    ("attention", ["flatten", "conv", "dense"], None, None),
    ("layer", ["layers", "input"], None, "layers"),
    ("kernal", ["kernel", "stride"], None, "kernel"),
    ("W_A", ["W_a", "W_x"], None, "W_a"),
    ("rnn", ["rnn-activation", "cnn-dims"], None, "rnn-activation"),
    ("kind", ["type", "filters"], {"kind": "type"}, "type"),
    ("x", ["y", "z"], None, None),
])
def test_did_you_mean_only_when_close(word, options, near, hint):
    assert did_you_mean(word, options, near) == (f" (did you mean '{hint}'?)" if hint else "")


# --- what reaches the terminal ---------------------------------------------------------------------

def test_control_characters_are_shown_escaped(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "rnn-activation"\n"W\\u001b]0;owned\\u0007\\u001b[2J" = 1\n'
                    + GOOD_PART)
    proc = run(["solutions", str(spec)], tmp_path)
    refused(proc, "\\x1b]0;owned\\x07")
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert printable("a\u202eb\u200bc") == "a\\u202eb\\u200bc"


@pytest.mark.parametrize("delay", [0.3, 0.6, 1.0])
def test_interrupted_at_any_moment(tmp_path, delay):
    """Ctrl-C during start-up, derivation or writing: one line, status 130 (or done), no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "derive", "solutions", "-f", "json", "-o", "-"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130), (proc.returncode, err)
    if proc.returncode == 130:
        assert err.strip() == "derive: interrupted"


@pytest.mark.slow
def test_a_stopped_pdf_leaves_nothing_behind(tmp_path):
    """SIGTERM while TeX runs: the temporary folder is removed and no TeX process is left running."""
    need_tex()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-m", "derive", "solutions", "-f", "beamer-pdf"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not list(temp.glob("derive-tex-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)                                  # TeX is running now
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert list(temp.iterdir()) == []
    assert not list((tmp_path / "out").glob("*.pdf")) or proc.returncode == 0
    leftover = subprocess.run(["pgrep", "-f", str(temp)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


TITLES = ["Two\nlines", "Greek: α, β, Σ and ∂L/∂θ", "Accents: Łódź, naïve, Ærøskøbing, ß", "Emoji 😀 and 中文",
          "Bidi \u202eevil\u202c and zero\u200bwidth\u200d", "Bell \x07 and escape \x1b[2J",
          r"TeX \input{/etc/passwd} \def\x{1} $x$ & % # _ ^ ~ { }", "x" * 300]


def hostile_doc():
    problems = [{"title": t, "kind": "rnn-activation", "W_a": 1, "called": t,
                 "part": [{"activation": "tanh", "ask": "derivative"}]} for t in TITLES]
    return derive.solve(derive.from_mapping({"title": TITLES[1], "due": TITLES[3], "problem": problems}))


@pytest.mark.parametrize("fmt", ["pdf", "beamer-pdf"])
def test_any_title_typesets(fmt):
    """Greek, accents and symbols typeset; what pdflatex cannot set shows as its code point; controls and
    invisible characters are dropped; TeX commands in a title are text, never run."""
    need_tex()
    assert derive.render(hostile_doc(), fmt).startswith(b"%PDF")
    tex = derive.render(hostile_doc(), "latex")
    assert r"\texttt{[U+1F600]}" in tex and r"$\alpha$" in tex and "Łódź" in tex
    assert "\x1b" not in tex and "\u202e" not in tex and r"\input{" not in tex.replace(r"$\backslash$input\{", "")


def test_titles_past_the_limit_are_refused():
    with pytest.raises(SpecError, match="field 'title': longer than 300"):
        derive.from_mapping({"title": "x" * 100_000, "problem": []})
    with pytest.raises(SpecError, match="field 'called': longer than 1000"):
        derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation", "W_a": 1, "called": "c" * 2000,
                                                          "part": [{"activation": "tanh", "ask": "derivative"}]}]})


@pytest.mark.parametrize("template, words", [
    ('((* extends "latex/solutions.tex.j2" *))', ["latex/solutions.tex.j2", "itself"]),
    ("((* macro m() *))((( m() )))((* endmacro *))((( m() )))", ["itself"]),
    ("((* for i in range(100000) *))((* for j in range(100000) *))((( i )))((* endfor *))((* endfor *))",
     ["longer than"]),
    ("((( 'x' * 100000000 )))", ["multiplied"]),
    ("((( 10 ** 100000000 )))", ["exponent"]),
    ("((( ''.__class__.__mro__[1].__subclasses__() )))", ["unsafe", "__class__"]),
    ('((* include "../../../../../../etc/passwd" *))', ["passwd"]),
])
def test_user_templates_are_boxed(tmp_path, template, words, monkeypatch):
    """A user template that loops, recurses, allocates or reaches for Python internals is stopped with
    a message naming the template (exit 2), within the template time limit."""
    import derive.formats as formats
    monkeypatch.setattr(formats.engine, "TEMPLATE_TIME_LIMIT", 2)
    (tmp_path / "t" / "latex").mkdir(parents=True)
    (tmp_path / "t" / "latex" / "solutions.tex.j2").write_text(template)
    started = time.monotonic()
    with pytest.raises(formats.TemplateError) as err:
        derive.render(derive.solve(derive.load(), only=["2a"]), "latex", templates=tmp_path / "t")
    assert time.monotonic() - started < 15
    assert err.value.exit_code == 2
    assert any(w in str(err.value) for w in words), str(err.value)


def test_the_whole_command_has_a_time_limit(tmp_path):
    env = {**os.environ, "DERIVE_TIME_LIMIT": "0.5"}
    proc = subprocess.run([sys.executable, "-m", "derive", "solutions", "-f", "json", "-o", "-"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    if proc.returncode == 1:
        assert "longer than 0.5 s" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("activation, where", [
    (r"\ln(z)", "the activation is infinite"), (r"\frac{1}{z}", "the activation is undefined"),
    (r"\sqrt{z}", "its slope"), ("z^{1/3}", "its slope is infinite"),
])
def test_states_outside_the_domain(activation, where):
    """An activation undefined, infinite or complex at a state the recurrence visits: exit 2 naming the
    field and the state, found by the analysis (no exception from deep inside)."""
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation", "W_a": 0.5,
                     "activation": activation, "part": [{"ask": "stability"}]}]}))
    assert "field 'activation'" in str(err.value) and "reaches z = 0" in str(err.value) and where in str(err.value)


@pytest.mark.parametrize("activation, W_a, a0", [("tanh", 10, 0), ("identity", 10, 0), ("tanh", 5, 0),
                                                  (r"\exp(10^6 z)", 1, 0), (r"\exp(\exp(z))", 0.5, 0),
                                                  ("exp", 1, 1e308), ("tanh", 1e308, 0), ("identity", 1e308, 1e-300)])
def test_big_numbers_check(activation, W_a, a0):
    """Values such as 10^100 are compared relative to their size: valid keys are written."""
    doc = derive.solve(derive.from_mapping({"title": "t", "problem": [{"kind": "rnn-activation", "W_a": W_a,
                       "a0": a0, "activation": activation, "part": [{"ask": "stability"}]}]}))
    assert next(doc.questions()).answer.value["verdict"] == "exploding"


@pytest.mark.slow
def test_closed_or_full_output(tmp_path):
    """A reader that stops early (| head) or a full disk: one line and status 1, no traceback; a device or
    a pipe given to -o is written into, not replaced."""
    proc = subprocess.run(f"{sys.executable} -m derive solutions -f html -o - | true;"
                          " echo \"status ${PIPESTATUS[0]}\" >&2", shell=True, executable="/bin/bash", cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert "status 1" in proc.stderr and "broken pipe" in proc.stderr and "Traceback" not in proc.stderr
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "derive", "solutions", "-f", "json", "-o", "-"], cwd=tmp_path,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1 and "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    proc = run(["solutions", "-f", "json", "-o", str(fifo)], tmp_path)
    assert proc.returncode == 0 and '"title"' in reader.communicate(timeout=30)[0]
    assert fifo.is_fifo()
