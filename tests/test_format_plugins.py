"""Every output format is one class found through the entry-point group derive.formats, derive's own included:
the guide's formats (docs/formats.md) install as a package and write keys like the built-in ones; a broken or
clashing format package is reported without hiding the others; listing the formats loads no renderer; and no
format's name is compared anywhere outside its class."""

from __future__ import annotations

import ast
import csv
import importlib.metadata
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from derive import formats
from derive.formats import FORMATS, Format, builtin
from derive.formats.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "formats.md"
BUILTIN = ["latex", "pdf", "json", "markdown", "html", "beamer", "beamer-pdf", "moodle", "canvas", "qti"]
LMS = {"moodle": "derive.formats.lms.moodle:Moodle", "canvas": "derive.formats.lms.canvas:Canvas",
       "qti": "derive.formats.lms.qti:Qti"}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def install(site: Path, name: str, points: dict[str, str], module: str, source: str) -> None:
    """A package in a folder of sys.path, as pip leaves one: its module and a dist-info naming its entry points."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    lines = "".join(f"{k} = {v}\n" for k, v in points.items())
    (info / "entry_points.txt").write_text(f"[derive.formats]\n{lines}", encoding="utf-8")
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def derive(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def guide(tmp_path_factory) -> Path:
    """The guide's package, installed as written into a folder of its own: that folder."""
    site = tmp_path_factory.mktemp("site")
    project = tomllib.loads(next(b for b in blocks("toml") if "[project]" in b))["project"]
    source = next(b for b in blocks("python") if b.startswith('"""derive-csv'))
    points = project["entry-points"]["derive.formats"]
    install(site, project["name"], points, "derive_csv", source)
    assert project["dependencies"] == ["derive-keys"] and set(points) == {"csv", "csv-zip"}
    return site


# --- derive's own formats ---------------------------------------------------------------------------------

def test_the_builtin_formats_are_entry_points_of_our_distribution():
    points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="derive.formats")
              if ep.dist.name == "derive-keys"}
    assert list(FORMATS) == BUILTIN and set(points) == set(BUILTIN)
    for name, value in points.items():
        form = FORMATS[name]
        assert f"{type(form).__module__}:{type(form).__name__}" == value and form.name == name
    classes = {f"derive.formats.builtin:{n}" for n, c in vars(builtin).items()
               if isinstance(c, type) and issubclass(c, Format) and c.__module__ == builtin.__name__}
    assert classes | set(LMS.values()) == set(points.values())


def test_what_each_builtin_format_says_of_itself():
    said = {f.name: (f.suffix, f.sheets, f.binary, f.snippet_help is not None) for f in FORMATS.formats()}
    assert said == {
        "latex": (".tex", ("solutions", "problems"), False, True),
        "pdf": (".pdf", ("solutions", "problems"), True, False),
        "json": (".json", ("solutions",), False, False),
        "markdown": (".md", ("solutions", "problems"), False, True),
        "html": (".html", ("solutions", "problems"), False, False),
        "beamer": ("-slides.tex", ("solutions", "problems"), False, False),
        "beamer-pdf": ("-slides.pdf", ("solutions", "problems"), True, False),
        "moodle": ("-moodle.xml", ("solutions",), False, False),
        "canvas": ("-canvas.zip", ("solutions",), True, False),
        "qti": ("-qti.zip", ("solutions",), True, False)}
    assert [FORMATS[n].compiled_from for n in ("pdf", "beamer-pdf")] == ["latex", "beamer"]
    assert formats.for_sheet("problems") == tuple(n for n in BUILTIN if n != "json" and n not in LMS)
    assert [f.name for f in FORMATS.formats() if f.pooled] == list(LMS)


def test_no_format_name_is_compared_outside_its_class():
    """What a format does is asked of its class: no `fmt == "json"`, `name in ("latex", ...)` or `case "html"`
    anywhere in derive but the module of the classes themselves."""
    words = set(FORMATS) | {getattr(f, "ext", None) for f in FORMATS.formats()} - {None}
    found = []
    for path in sorted((ROOT / "derive").rglob("*.py")):
        if path == Path(builtin.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            tested = node.pattern if isinstance(node, ast.match_case) else node if isinstance(node, ast.Compare) else None
            if tested is not None and any(isinstance(c, ast.Constant) and c.value in words for c in ast.walk(tested)):
                found.append(f"{path.relative_to(ROOT)}:{getattr(tested, 'lineno', '?')}")
    assert found == []


def test_the_registry_orders_and_keeps_the_first_of_a_name(monkeypatch):
    """derive's formats first, each side by `listed` and name; a name taken twice keeps derive's (or the first
    package's by name) and reports the other, naming both packages."""
    def point(name, cls, package):
        return SimpleNamespace(name=name, value=f"{package}:{cls.__name__}", load=lambda: cls,
                               dist=SimpleNamespace(name=package))
    zeta = type("Zeta", (builtin.Json,), {"name": "zeta", "listed": 0})
    alpha = type("Alpha", (builtin.Json,), {"name": "alpha", "listed": 0})
    early = type("Early", (builtin.Json,), {"name": "early", "listed": -5})
    other_latex = type("Latex", (builtin.Json,), {"name": "latex"})
    ours = [point(f.name, type(f), "derive-keys") for f in FORMATS.formats()]
    theirs = [point("zeta", zeta, "pkg-z"), point("latex", other_latex, "pkg-a"), point("alpha", alpha, "pkg-b"),
              point("early", early, "pkg-c"), point("alpha", zeta, "pkg-d")]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: theirs + ours)
    registry = Registry()
    assert "alpha" in registry and type(registry["alpha"]) is alpha
    assert list(registry) == BUILTIN + ["early", "alpha", "zeta"]
    assert type(registry["latex"]) is builtin.Latex
    assert registry.problems == [
        "the package pkg-a names a format 'latex', as derive-keys does; the format of derive-keys is used",
        "the package pkg-d names a format 'alpha', as pkg-b does; the format of pkg-b is used"]
    assert "nope" not in registry and registry.failed("nope") is None and 3 not in registry


# --- the guide's formats, installed ------------------------------------------------------------------------

def test_the_guide_formats_write_a_key(guide, tmp_path):
    run = derive(guide, "solutions", "-f", "csv,csv-zip,json", "--only", "1a.i,1a.ii,3b", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [f"out/hw5-solutions{end}" for end in (".csv", "-answers.zip", ".json")]
    text = (tmp_path / "out" / "hw5-solutions.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    parts = json.loads((tmp_path / "out" / "hw5-solutions.json").read_text(encoding="utf-8"))["parts"]
    assert [r["id"] for r in rows] == [p["id"] for p in parts] == ["1a.i", "1a.ii", "3b"]
    for row, part in zip(rows, parts):
        assert (row["kind"], row["ask"], row["answer"]) == (part["kind"], part["ask"], part["answer"]["latex"])
        assert json.loads(row["value"]) == part["answer"]["value"]
    archive = zipfile.ZipFile(tmp_path / "out" / "hw5-solutions-answers.zip")
    assert archive.namelist() == ["hw5-answers.csv"] and archive.read("hw5-answers.csv").decode() == text


@pytest.mark.slow
def test_the_guide_formats_are_offered_and_refused_by_name(guide, tmp_path):
    helped = " ".join(derive(guide, "solutions", "--help", cwd=tmp_path).stdout.split())
    assert "test picking one a question); csv (answers, one row a question); csv-zip (the answers' CSV, zipped)." \
        in helped and "Not available" not in helped
    assert "csv" not in derive(guide, "problems", "--help", cwd=tmp_path).stdout
    for args, message in ((["problems", "-f", "csv"], "no format 'csv' for the problems; the formats are latex, pdf,"),
                          (["solutions", "-f", "cvs"], "no format 'cvs' for the solutions (did you mean 'csv'?)"),
                          (["solutions", "-f", "csv-zip", "-o", "-"], "csv-zip is binary: it cannot be written to"),
                          (["snippets", "-f", "csv"], "no snippet format 'csv'; the formats are latex, markdown")):
        run = derive(guide, *args, cwd=tmp_path)
        assert run.returncode == 2 and message in run.stderr, (args, run.stderr)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_broken_and_clashing_format_packages_are_reported_and_the_others_work(tmp_path):
    site = tmp_path / "site"
    install(site, "broken-format", {"mine": "broken_format:Mine"}, "broken_format", "raise ImportError('no lxml')\n")
    install(site, "clashing-format", {"latex": "clashing_format:Latex"}, "clashing_format", """
        from derive.formats.builtin import Latex as Ours

        class Latex(Ours):
            help = "not derive's"
        """)
    install(site, "not-a-format", {"thing": "not_a_format:Thing"}, "not_a_format", "class Thing:\n    name = 'thing'\n")
    install(site, "misnamed-format", {"tsv": "misnamed_format:Tsv"}, "misnamed_format", """
        from derive.formats.builtin import Json

        class Tsv(Json):
            name = "csv"
        """)
    helped = derive(site, "solutions", "--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    text = " ".join(helped.stdout.split()).replace("- ", "-")          # as written, before --help wrapped it
    assert "a test picking one a question). Several" in text and "not derive's" not in text
    report = text.split("Not available:", 1)[1]
    assert "broken-format" in report and "ImportError: no lxml" in report
    assert "clashing-format names a format 'latex', as derive-keys does" in report
    assert "not-a-format" in report and "is not a derive Format class" in report
    assert "misnamed-format" in report and "names itself 'csv', not 'tsv'" in report
    for name, why in (("mine", "ImportError: no lxml"), ("tsv", "names itself 'csv'")):
        run = derive(site, "solutions", "-f", name, cwd=tmp_path)
        assert run.returncode == 1 and why in run.stderr and "Traceback" not in run.stderr, run.stderr
    ours = derive(site, "solutions", "-f", "latex", "--only", "1a.i", "-o", "k.tex", cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    assert (tmp_path / "k.tex").read_text(encoding="utf-8").startswith("\\documentclass")


# --- listing is light ---------------------------------------------------------------------------------

def test_listing_the_formats_loads_no_renderer():
    """`derive --help` does not look the formats up; a command's --help reads them from their classes alone, with
    neither SymPy nor Jinja imported."""
    code = textwrap.dedent("""
        import contextlib, io, json, sys
        from derive.cli import main
        def run(*args):
            with contextlib.redirect_stdout(io.StringIO()):
                assert main(list(args)) == 0
            return sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "jinja2", "derive", "importlib"))
        print(json.dumps([run("--help"), run("solutions", "--help"), run("snippets", "--help")]))
        """)
    top, sheet, snippets = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                     check=True, timeout=120).stdout)
    assert not any(m.startswith(("derive.formats", "importlib.metadata", "sympy", "jinja2")) for m in top), top
    assert "derive.formats.builtin" in sheet and "derive.formats.builtin" in snippets
    assert not any(m.startswith(("sympy", "jinja2", "derive.formats.engine")) for m in sheet + snippets)
