"""Every kind, built-in ones included, is found through the entry-point group derive.kinds: a command imports
only the kinds its spec uses, every kind is listed and found by name and alias, and a broken or clashing
package is reported by `derive kinds` without hiding the others."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import derive.kinds
from derive.kinds import KINDS, Kind

KINDS_DIR = Path(derive.kinds.__file__).parent
BUILTIN = {"network", "cnn-dims", "conv-matrix", "conv1d-matrix", "graph", "init", "optimizer", "rnn-activation"}


def fresh(code: str, **env) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, **env})
    return proc.stdout


def ours() -> list:
    return [ep for ep in importlib.metadata.entry_points(group="derive.kinds") if ep.dist.name == "derive-keys"]


def test_the_builtin_kinds_are_entry_points_of_our_distribution():
    points = {ep.name: ep.value for ep in ours()}
    assert set(points) == BUILTIN
    for name, value in points.items():
        kind = KINDS[name]
        assert f"{type(kind).__module__}:{type(kind).__name__}" == value
        assert name in (kind.name, *kind.aliases)
        assert all(alias in points for alias in (kind.name, *kind.aliases))


def test_every_kind_class_in_derive_is_an_entry_point():
    list(KINDS)
    defined = {f"{cls.__module__}:{cls.__name__}" for cls in _subclasses(Kind) if cls.__module__.startswith("derive.")}
    assert defined == {ep.value for ep in ours()}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.mark.slow
def test_a_spec_imports_only_its_kinds():
    loaded = json.loads(fresh(
        "import sys, json\n"
        "from derive.kinds import KINDS\n"
        "assert 'conv1d-matrix' in KINDS and KINDS['conv1d-matrix'].name == 'conv-matrix'\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('derive.kinds.'))))\n"))
    tops = {m.split(".")[2] for m in loaded}
    assert "conv1d" in tops and not tops & {"cnn", "graph", "init", "optimizer", "rnn"}, tops


@pytest.mark.slow
def test_listing_finds_every_kind():
    names = json.loads(fresh("import json\nfrom derive.kinds import KINDS\n"
                             "print(json.dumps([list(KINDS), [k.name for k in KINDS.kinds()]]))"))
    assert set(names[0]) == BUILTIN
    assert names[1] == ["conv-matrix", "graph", "init", "network", "optimizer", "rnn-activation"]


@pytest.mark.slow
def test_submodules_are_reachable_as_attributes():
    out = fresh("import derive.kinds\nprint(derive.kinds.graph.__name__)")
    assert out.strip() == "derive.kinds.graph"


def test_an_unknown_name_is_not_a_kind():
    assert "no-such-kind" not in KINDS and 3 not in KINDS


def _package(site: Path, name: str, points: str, module: str, source: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[derive.kinds]\n{points}\n", encoding="utf-8")
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.mark.slow
def test_broken_and_clashing_packages_are_reported_and_the_others_listed(tmp_path):
    _package(tmp_path, "broken-kind", "mine = broken_kind:Mine", "broken_kind", "raise ImportError('no numpy here')\n")
    _package(tmp_path, "clashing-kind", "graph = clashing_kind:Graph", "clashing_kind", """
        from derive.kinds.graph import Graph as Ours

        class Graph(Ours):
            summary = "not derive's"
        """)
    _package(tmp_path, "not-a-kind", "thing = not_a_kind:Thing", "not_a_kind", "class Thing:\n    pass\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "derive", "kinds"], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line[:1].isalpha() and "  " in line]
    assert listed == ["conv-matrix", "graph", "init", "network", "optimizer", "rnn-activation"]
    report = proc.stdout.split("Not listed")[1]
    assert "broken-kind" in report and "ImportError: no numpy here" in report
    assert "clashing-kind" in report and "'graph'" in report and "derive-keys" in report
    assert "not-a-kind" in report and "is not a derive Kind class" in report
    assert "not derive's" not in proc.stdout
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "mine"\n[[problem.part]]\nask = "x"\n', encoding="utf-8")
    used = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert used.returncode == 1 and "broken-kind" in used.stderr and "Traceback" not in used.stderr
