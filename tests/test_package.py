"""A non-editable install carries the templates and the HW5 spec, and works from any directory."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (path,) = dist.glob("derive_keys-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("derive/data/hw5.toml", "derive/templates/latex/base.tex.j2",
                   "derive/templates/latex/solutions.tex.j2", "derive/templates/latex/question.tex.j2",
                   "derive/kinds/rnn/__init__.py", "derive/formats/latex.py"):
        assert needed in names
    assert any(n.endswith("entry_points.txt") for n in names)


@pytest.mark.slow
def test_installed_copy_runs_elsewhere(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import derive, sys; assert derive.__file__.startswith(sys.argv[1]), derive.__file__;"
            "from derive.cli import main; main(['solutions', '--format', 'latex'])")
    proc = subprocess.run([sys.executable, "-c", code, str(target)], cwd=work, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (work / "out" / "hw5-solutions.tex").read_text().startswith("\\documentclass")
