"""The on-disk cache of derived questions (derive.cache): an edited problem is derived again and nothing
else is; what is read from the cache renders byte for byte as what is derived; concurrent runs, corrupt,
foreign and hostile entries, --no-cache and DERIVE_NO_CACHE=1."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy

import derive
from derive import cache, document, formats, spec as specs
from derive.kinds import KINDS

from conftest import spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """The cache on, in a fresh folder of its own; returns the folder of entries."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
    return tmp_path / "xdg" / "derive" / "derived"


@pytest.fixture
def solves(monkeypatch):
    """Counts calls of every kind's solve: {kind name: calls}."""
    calls = {}
    for kind in KINDS.kinds():
        def counted(config, ask, _original=kind.solve, _name=kind.name):
            calls[_name] = calls.get(_name, 0) + 1
            return _original(config, ask)
        monkeypatch.setattr(kind, "solve", counted)
    return calls


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def course(n: int, edited: int | None = None) -> dict:
    """n one-question problems of two kinds; problem ``edited`` (1-based) has other numbers."""
    problems = []
    for k in range(1, n + 1):
        size = 30 + k + (100 if k == edited else 0)
        if k % 2:
            problems.append({"kind": "network", "input": [size, size, 3],
                             "layers": [{"type": "conv", "filters": 4 + k, "kernel": 3, "padding": 1}],
                             "part": [{"ask": "params"}]})
        else:
            problems.append({"kind": "rnn-activation", "activation": "tanh", "W_a": size / 100,
                             "part": [{"ask": "derivative"}]})
    return {"title": "a course", "problem": problems}


def render_all(doc) -> dict[str, str]:
    out = {fmt: derive.render(doc, fmt) for fmt in ("latex", "beamer", "markdown", "html", "json")}
    out["problems"] = derive.render(doc, "latex", sheet="problems")
    return out


def test_an_edited_problem_is_derived_again_and_no_other(cached, solves):
    first = document.solve(derive.from_mapping(course(20)), cache=True)
    assert sum(solves.values()) == 20 and len(entries(cached)) == 20
    solves.clear()
    again = document.solve(derive.from_mapping(course(20)), cache=True)
    assert sum(solves.values()) == 0
    assert render_all(again) == render_all(first)
    edited = document.solve(derive.from_mapping(course(20, edited=7)), cache=True)
    assert solves == {"network": 1}
    fresh = document.solve(derive.from_mapping(course(20, edited=7)))
    assert render_all(edited) == render_all(fresh)


def test_the_library_does_not_cache_unless_asked(cached, solves):
    document.solve(derive.from_mapping(course(2)))
    derive.solve(derive.from_mapping(course(2)))
    assert sum(solves.values()) == 4 and entries(cached) == []


def test_only_reads_and_stores_the_questions_asked(cached, solves):
    document.solve(derive.from_mapping(course(4)), ["2a"], cache=True)
    assert len(entries(cached)) == 1
    solves.clear()
    document.solve(derive.from_mapping(course(4)), cache=True)
    assert sum(solves.values()) == 3


@pytest.mark.parametrize("a, b", [(1, 1.0), (1, "1"), (0.1, 0.1000000001), (True, 1), ([1, 2], [2, 1]),
                                  ({"x": 1, "y": 2}, {"x": 1, "z": 2})])
def test_keys_tell_values_and_types_apart(a, b):
    kind = KINDS["network"]
    assert cache.entry_key(kind, "network", {"v": a}, ("params",), "params", "course") != \
        cache.entry_key(kind, "network", {"v": b}, ("params",), "params", "course")


def test_keys_hold_the_notation_the_question_the_kind_and_its_source(monkeypatch, tmp_path):
    kind, values = KINDS["network"], {"input": [8, 8, 3]}
    base = cache.entry_key(kind, "network", values, ("params", "shapes"), "params", "course")
    assert base == cache.entry_key(kind, "network", dict(values), ("params", "shapes"), "params", "course")
    assert len({base, cache.entry_key(kind, "network", values, ("params", "shapes"), "params", "plain"),
                cache.entry_key(kind, "network", values, ("params", "shapes"), "shapes", "course"),
                cache.entry_key(kind, "network", values, ("params",), "params", "course"),
                cache.entry_key(kind, "cnn-dims", values, ("params", "shapes"), "params", "course"),
                cache.entry_key(KINDS["init"], "network", values, ("params", "shapes"), "params", "course")}) == 6
    source = tmp_path / "kind.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(cache, "_package_files", lambda name: [source])
    cache._source_hash.cache_clear()
    try:
        before = cache.entry_key(kind, "network", values, ("params",), "params", "course")
        source.write_text("x = 2\n")
        cache._source_hash.cache_clear()
        assert cache.entry_key(kind, "network", values, ("params",), "params", "course") != before
    finally:
        cache._source_hash.cache_clear()


def test_a_kind_outside_derive_is_keyed_by_its_package_files():
    files = cache._package_files("derive.kinds.rnn.units")
    assert ROOT / "derive" / "kinds" / "rnn" / "units.py" in files and ROOT / "derive" / "cache.py" in files
    assert cache._package_files("json") == sorted(Path(json.__file__).parent.rglob("*.py"))
    assert cache._package_files("no_such_module_here") == []


def test_values_that_cannot_be_written_down_are_not_cached(cached):
    from fractions import Fraction
    assert cache.entry_key(KINDS["network"], "network", {"v": Fraction(1, 3)}, ("params",), "params", "course") is None
    assert cache.entry_key(KINDS["network"], "network", None, ("params",), "params", "course") is None


def _corrupt(cached: Path) -> dict[str, int]:
    """Spoil every entry one way or another; returns how many of each."""
    files = entries(cached)
    marker = cached.parent / "pwned"
    hostile = pickle.dumps(type("Evil", (), {"__reduce__": lambda self: (os.system, (f"touch {marker}",))})())
    ways = {
        "truncated": lambda data: data[: len(data) // 2],
        "flipped": lambda data: data[:-10] + bytes([data[-10] ^ 1]) + data[-9:],
        "empty": lambda data: b"",
        "garbage": lambda data: os.urandom(200),
        "hostile, unsigned": lambda data: cache.MAGIC + b"\0" * 32 + hostile,
        "hostile, old signature": lambda data: data[: len(cache.MAGIC) + 32] + hostile,
    }
    for k, path in enumerate(files):
        way = list(ways)[k % len(ways)]
        path.write_bytes(ways[way](path.read_bytes()))
    return marker


def test_corrupt_and_hostile_entries_are_ignored_and_derived_again(cached, solves):
    expected = render_all(document.solve(derive.from_mapping(course(12)), cache=True))
    marker = _corrupt(cached)
    solves.clear()
    again = document.solve(derive.from_mapping(course(12)), cache=True)
    assert sum(solves.values()) == 12 and not marker.exists()
    assert render_all(again) == expected
    solves.clear()
    document.solve(derive.from_mapping(course(12)), cache=True)           # re-derived entries were stored again
    assert sum(solves.values()) == 0


def test_an_entry_moved_to_another_key_is_refused(cached, solves):
    document.solve(derive.from_mapping(course(2)), cache=True)
    a, b = entries(cached)
    a.write_bytes(b.read_bytes())
    solves.clear()
    document.solve(derive.from_mapping(course(2)), cache=True)
    assert sum(solves.values()) == 1


def test_a_secret_others_can_read_turns_the_cache_off(cached, solves):
    document.solve(derive.from_mapping(course(2)), cache=True)
    (cached / "secret").chmod(0o644)
    solves.clear()
    document.solve(derive.from_mapping(course(2)), cache=True)
    assert sum(solves.values()) == 2
    (cached / "secret").chmod(0o600)
    (cached / "secret").write_bytes(b"short")
    assert cache.open_store() is None


def test_a_cache_folder_that_cannot_be_made_is_no_cache(tmp_path, monkeypatch, solves):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
    assert cache.open_store() is None
    document.solve(derive.from_mapping(course(2)), cache=True)
    assert sum(solves.values()) == 2


def test_the_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.user_folder() == tmp_path / "derive"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert cache.user_folder() == Path.home() / ".cache" / "derive"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.user_folder() == Path.home() / ".cache" / "derive"


def test_the_suite_does_not_write_to_the_users_cache():
    assert os.environ["DERIVE_NO_CACHE"] == "1"
    assert not str(cache.user_folder()).startswith(str(Path.home()))


def _cli(tmp_path, *args, env=None):
    return subprocess.Popen([sys.executable, "-m", "derive", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_no_cache_and_the_environment_variable(tmp_path, cached):
    spec_file = tmp_path / "course.toml"
    spec_file.write_text(_toml(course(3)))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("DERIVE_NO_CACHE", None)
    for args, extra, stored in [(["--no-cache"], {}, 0), ([], {"DERIVE_NO_CACHE": "1"}, 0), ([], {}, 3)]:
        proc = _cli(tmp_path, "solutions", "course.toml", "-f", "json", "-o", "-", *args, env={**env, **extra})
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(entries(cached)) == stored
    for command in ("problems", "snippets"):
        proc = _cli(tmp_path, command, "course.toml", "--no-cache", "-o", str(tmp_path / command), env=env)
        assert proc.communicate(timeout=120) and proc.returncode == 0


def _toml(data: dict) -> str:
    """A spec as TOML (the few shapes used here)."""
    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)
    lines = [f"title = {json.dumps(data['title'])}"]
    for p in data["problem"]:
        lines.append("[[problem]]")
        lines += [f"{k} = {value(v)}" for k, v in p.items() if k != "part"]
        for part in p["part"]:
            lines.append("[[problem.part]]")
            lines += [f"{k} = {value(v)}" for k, v in part.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_concurrent_runs_both_succeed(tmp_path, cached):
    (tmp_path / "course.toml").write_text(_toml(course(16)))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("DERIVE_NO_CACHE", None)
    runs = [_cli(tmp_path, "solutions", "course.toml", "-f", "json", "-o", f"out{k}.json", env=env) for k in (1, 2)]
    for proc in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and err == "", err
    fresh = derive.render(derive.solve(derive.load(tmp_path / "course.toml")), "json")
    assert (tmp_path / "out1.json").read_text() == (tmp_path / "out2.json").read_text() == fresh
    assert len(entries(cached)) == 16 and len(list(cached.glob(".tmp-*"))) == 0


SCRIPT = textwrap.dedent("""
    import hashlib, json, sys
    import derive
    from derive import document
    from derive.kinds import KINDS
    calls = []
    for kind in KINDS.kinds():
        kind.solve = lambda c, a, _o=kind.solve: calls.append(1) or _o(c, a)
    out = {}
    for path in sys.argv[1:]:
        text = derive.commands.example(path[len("example:"):]) if path.startswith("example:") else None
        problem_set = derive.loads(text) if text else derive.load(None if path == "hw5" else path)
        doc = document.solve(problem_set, cache=True)
        for fmt in ("latex", "beamer", "markdown", "html", "json"):
            out[f"{path} {fmt}"] = hashlib.sha256(derive.render(doc, fmt).encode()).hexdigest()
        out[f"{path} problems"] = hashlib.sha256(derive.render(doc, "latex", sheet="problems").encode()).hexdigest()
    print(json.dumps({"calls": len(calls), "out": out}))
""")


@pytest.mark.slow
def test_read_from_the_cache_in_a_new_process_renders_byte_for_byte(tmp_path):
    """Written by one process, read by another (the kind's notation then starts empty): every kind's example,
    the golden specs and HW5, in every text format, as derived without the cache."""
    specs = ["hw5", *map(str, sorted((GOLDEN / "specs").glob("*.toml"))),
             *(f"example:{k.name}" for k in KINDS.kinds())]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("DERIVE_NO_CACHE", None)
    runs = []
    for extra in ({"DERIVE_NO_CACHE": "1"}, {}, {}):
        proc = subprocess.run([sys.executable, "-c", SCRIPT, *specs], env={**env, **extra}, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(json.loads(proc.stdout))
    fresh, stored, read = runs
    assert 0 < stored["calls"] <= fresh["calls"] and read["calls"] == 0     # a question asked twice is derived once
    assert read["out"] == stored["out"] == fresh["out"]


@pytest.mark.parametrize("name", sorted(k.name for k in KINDS.kinds()))
def test_every_kinds_example_read_from_the_cache_renders_as_derived(name, cached, solves):
    """Read back (SymPy's evaluation off, as a worker's result is too), every question renders as derived: the
    optimizer's velocity note once came back as a sum of 1·g·η·μ, written with a stray 1."""
    problem_set = specs.loads(KINDS[name].example(), path=f"{name}.toml")
    derived = document.solve(problem_set, cache=True)
    calls = dict(solves)
    read = document.solve(problem_set, cache=True)
    assert solves == calls                                       # every question read from the cache
    for fmt in ("json", "latex"):
        assert formats.render(read, fmt) == formats.render(derived, fmt), fmt


K, T = sympy.symbols("k t", integer=True, positive=True)
G = sympy.Function("g")


@pytest.mark.parametrize("expr", [sympy.Sum(2 ** K * G(K), (K, 1, T)), sympy.Product(K * G(K), (K, 1, T)),
                                  sympy.Integral(K * G(K), (K, 0, T)), -sympy.Sum(K ** 2, (K, 1, T)),
                                  sympy.Add(sympy.Sum(K, (K, 1, T)), 1, evaluate=False)])
def test_an_expression_with_limits_reads_back_as_it_was(expr):
    """SymPy's pickle calls Sum(body, limits), and with evaluation off Sum makes its body 1*body."""
    back, = cache.loads([(cache.dumps(expr, None), None)])
    assert sympy.srepr(back) == sympy.srepr(expr)
    assert sympy.latex(back) == sympy.latex(expr)


class Swapped(sympy.Basic):
    """An expression whose constructor does not keep its arguments: SymPy's pickle cannot rebuild it."""

    def __new__(cls, a, b):
        return sympy.Basic.__new__(cls, b, a)


def test_an_expression_that_does_not_rebuild_as_it_was_is_not_read():
    expr = Swapped(sympy.Integer(1), sympy.Integer(2))
    items = [(cache.dumps((expr,), None), None), (cache.dumps(sympy.Integer(3), None), None)]
    assert cache.loads(items) == [None, 3]


def test_pruning_removes_the_unused_and_the_least_recently_used(cached, solves, monkeypatch):
    document.solve(derive.from_mapping(course(6)), cache=True)
    found = entries(cached)
    assert len(found) == 6
    now = found[0].stat().st_mtime + 40 * 24 * 3600                       # 40 days later
    used = found[:2]
    for path in used:
        os.utime(path, (now - 3600, now - 3600))                           # read an hour before
    left = cached / ".tmp-left"
    left.write_bytes(b"x")
    os.utime(left, (now - 2 * 24 * 3600,) * 2)
    removed = cache.prune(cached, now=now)
    assert set(removed) == (set(found) - set(used)) | {left}
    assert entries(cached) == sorted(used)
    assert cache.prune(cached, now=now + 60) == []                         # not again within a day
    os.utime(used[1], (now - 60, now - 60))                                # the most recently used
    monkeypatch.setattr(cache, "MAX_BYTES", used[1].stat().st_size)        # room for it alone
    assert cache.prune(cached, now=now, force=True) == [used[0]]
    assert entries(cached) == [used[1]]


def test_reading_an_entry_marks_it_used(cached, solves):
    problem_set = derive.from_mapping(course(2))
    document.solve(problem_set, cache=True)
    for path in entries(cached):
        os.utime(path, (1_000_000, 1_000_000))
    document.solve(problem_set, cache=True)
    assert all(path.stat().st_mtime > 1_000_000 for path in entries(cached))
    assert sum(solves.values()) == 2                                       # read back, not derived again
