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
        input = [1, 2]
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


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5, 1.0])
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
