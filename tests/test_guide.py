"""The authoring guide's worked example (docs/kinds.md), run as written: its kind is packaged as a
third-party package with an entry point, installed with pip into a folder of its own, found by
`derive kinds`, and its key is derived in every format and checked against PyTorch."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from conftest import need_tex

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "kinds.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def _environment(root: Path) -> Path:
    """A fresh virtual environment that sees this one's packages (derive-keys among them, installed): its python."""
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, capture_output=True, timeout=300)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    ours = sysconfig.get_path("purelib")
    Path(purelib, "zz-test-parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n", encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """The guide's package, pip-installed exactly as the guide prints it (its dependencies resolved) into a
    virtual environment of its own; returns (that environment's python, spec path)."""
    root = tmp_path_factory.mktemp("plugin")
    package = root / "package"
    package.mkdir()
    module = next(b for b in blocks("python") if b.startswith('"""softmax'))
    pyproject = next(b for b in blocks("toml") if "[project]" in b)
    (package / "derive_softmax.py").write_text(module, encoding="utf-8")
    (package / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    python = _environment(root)
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", str(package)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    spec = root / "softmax.toml"
    spec.write_text(next(b for b in blocks("toml") if 'kind = "softmax"' in b), encoding="utf-8")
    return python, spec


def test_the_guide_depends_on_our_distribution():
    pyproject = tomllib.loads(next(b for b in blocks("toml") if "[project]" in b))
    ours = tomllib.loads((GUIDE.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert ours == "derive-keys" and pyproject["project"]["dependencies"] == [ours]
    assert "derive = derive.launch:run" in importlib.metadata.distribution(ours).read_text("entry_points.txt")


def derive(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "derive", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_installed_kind_is_listed(plugin, tmp_path):
    python, _ = plugin
    listing = derive(python, "kinds", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"^softmax\s+the softmax of a vector of logits", listing.stdout, flags=re.M)
    assert "rnn-activation" in listing.stdout
    example = derive(python, "example", "softmax", cwd=tmp_path)
    assert example.returncode == 0 and tomllib.loads(example.stdout)["problem"][0]["kind"] == "softmax"


@pytest.mark.slow
def test_its_key_in_every_format(plugin, tmp_path):
    python, spec = plugin
    formats = ["latex", "json", "markdown", "html", "beamer"]
    if os.environ.get("DERIVE_REQUIRE_TEX") == "1" or __import__("shutil").which("pdflatex"):
        need_tex()
        formats += ["pdf", "beamer-pdf"]
    for fmt in formats:
        proc = derive(python, "solutions", str(spec), "-f", fmt, cwd=tmp_path)
        assert proc.returncode == 0, (fmt, proc.stderr)
    out = tmp_path / "out"
    assert (out / "softmax-solutions.pdf").exists() == ("pdf" in formats)
    tex = (out / "softmax-solutions.tex").read_text()
    assert r"\frac{\partial p_{1}}{\partial z_{2}}" in tex and "dp1/dz2" not in tex
    html = (out / "softmax-solutions.html").read_text()
    assert "<math" in html and "dp1" not in html
    assert derive(python, "problems", str(spec), "-f", "markdown", cwd=tmp_path).returncode == 0
    assert derive(python, "snippets", str(spec), cwd=tmp_path).returncode == 0
    assert (out / "snippets" / "softmax-1a.ii.tex").exists()


@pytest.mark.slow
def test_its_answers_agree_with_torch(plugin, tmp_path):
    torch = pytest.importorskip("torch")
    python, spec = plugin
    proc = derive(python, "solutions", str(spec), "-f", "json", "-o", "-", cwd=tmp_path)
    parts = {p["ask"]: p["answer"]["value"] for p in json.loads(proc.stdout)["parts"]}
    z = torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64)
    assert torch.allclose(torch.tensor(parts["probabilities"], dtype=torch.float64), torch.softmax(z, 0),
                          atol=1e-6)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), z)
    assert torch.allclose(torch.tensor(parts["jacobian"], dtype=torch.float64), jac, atol=1e-6)


def test_a_bad_spec_names_the_field(plugin, tmp_path):
    python, spec = plugin
    bad = tmp_path / "bad.toml"
    bad.write_text(spec.read_text().replace("logits = [2, 1, 0.1]", "logits = [2]"))
    proc = derive(python, "solutions", str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "field 'logits'" in proc.stderr and "Traceback" not in proc.stderr
