"""Every exit path of `derive solutions`."""

import json
import os

import pytest
from click.testing import CliRunner

import derive
from derive import pdf
from derive.cli import cli
from derive.kinds import cnn
from derive.steps import chain, step, say

from conftest import need_tex


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args))
    return invoke


def test_default_latex(run, tmp_path):
    result = run("solutions")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == os.path.join("out", "hw5-solutions.tex")
    text = (tmp_path / "out" / "hw5-solutions.tex").read_text()
    assert text.startswith("\\documentclass") and "\\end{document}" in text
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]   # no temp files left


def test_json_to_stdout(run):
    result = run("solutions", "--format", "json", "-o", "-")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["generator"] == {"name": "derive", "version": derive.__version__}
    assert [p["id"] for p in data["parts"]] == "1a.i 1a.ii 1b.i 1b.ii 2a 2b 2c 2d 3a 3b".split()
    part = data["parts"][4]
    assert set(part) == {"id", "problem", "kind", "ask", "question", "steps", "notes", "answer", "figures"}
    assert part["answer"]["value"] == [280, 0] and part["problem"] == 2 and part["kind"] == "cnn-dims"
    assert all(set(s) == {"text", "latex"} for p in data["parts"] for s in p["steps"])


def test_output_path_and_only(run, tmp_path):
    result = run("solutions", "-f", "json", "-o", "keys/two.json", "--only", "2d,1a.ii")
    assert result.exit_code == 0
    assert result.output.strip() == os.path.join("keys", "two.json")
    data = json.loads((tmp_path / "keys" / "two.json").read_text())
    assert [p["id"] for p in data["parts"]] == ["1a.ii", "2d"]


def test_output_folder_for_one_format(run, tmp_path):
    """-o naming a folder (one that exists, or a path ending in '/') writes the usual file name into it, for
    one format as for several: not a file called like the folder, not an error."""
    (tmp_path / "keys").mkdir()
    result = run("solutions", "-f", "json", "-o", "keys", "--only", "2d")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == os.path.join("keys", "hw5-solutions.json")
    assert [p["id"] for p in json.loads((tmp_path / "keys" / "hw5-solutions.json").read_text())["parts"]] == ["2d"]
    result = run("problems", "-o", "sheets/", "--only", "2d")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sheets" / "hw5-problems.tex").read_text().startswith("\\documentclass")
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == ["hw5-problems.tex"]


def test_spec_argument(run, tmp_path):
    (tmp_path / "week3.toml").write_text("""
title = "Week 3"
[[problem]]
kind = "conv1d-matrix"
length = 4
width = 2
  [[problem.part]]
  ask = "matrix"
""")
    result = run("solutions", "week3.toml", "-f", "json")
    assert result.exit_code == 0
    data = json.loads((tmp_path / "out" / "week3-solutions.json").read_text())
    assert data["title"] == "Week 3" and data["parts"][0]["answer"]["value"][2] == ["0", "0", "f1", "f2"]


def test_unknown_question_id(run):
    result = run("solutions", "--only", "2e")
    assert result.exit_code == 2
    assert "no question 2e" in result.output and "2d" in result.output


def test_pdf_to_stdout_refused(run, tmp_path):
    result = run("solutions", "-f", "pdf", "-o", "-")
    assert result.exit_code == 2
    assert "standard output" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_format(run):
    result = run("solutions", "-f", "docx")
    assert result.exit_code == 2
    assert "latex" in result.output and "json" in result.output


def test_help(run):
    result = run("solutions", "--help")
    assert result.exit_code == 0
    for word in ("--format", "FORMAT[,FORMAT...]", "latex (LaTeX article)", "beamer-pdf (the slides compiled)", "--output", "--only",
                 "--templates", "standard output"):
        assert word in result.output


def test_failed_check_writes_nothing(run, tmp_path, monkeypatch):
    real = cnn._params

    def wrong(c):
        sol = real(c)
        bad = step(say("A wrong step."), chain(2 + 2, 5))
        return sol.__class__(sol.question, sol.steps + (bad,), sol.answer, sol.notes, sol.meanings)
    monkeypatch.setattr(cnn, "_params", wrong)
    result = run("solutions", "-o", "key.tex")
    assert result.exit_code == 1
    assert "question 2a, step 3: check failed" in result.output
    assert not (tmp_path / "key.tex").exists()


def test_no_tex_engine(run, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    result = run("solutions", "-f", "pdf")
    assert result.exit_code == 1
    assert "no TeX engine found" in result.output and "apt-get install texlive-latex-base" in result.output
    assert not (tmp_path / "out" / "hw5-solutions.pdf").exists()


def test_tex_failure_shows_log(tmp_path, monkeypatch):
    need_tex()
    from derive.errors import TexError
    with pytest.raises(TexError) as err:
        pdf.compile_pdf("\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}")
    assert "Undefined control sequence" in str(err.value)


def test_pdf(run, tmp_path):
    need_tex()
    result = run("solutions", "-f", "pdf")
    assert result.exit_code == 0, result.output
    data = (tmp_path / "out" / "hw5-solutions.pdf").read_bytes()
    assert data.startswith(b"%PDF")


def test_unwritable_output(run, tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = run("solutions", "-o", "blocker/key.tex")
    assert result.exit_code == 1
    assert "cannot write" in result.output


def test_internal_error_is_one_line(tmp_path, monkeypatch, capsys):
    from derive import document
    from derive.cli import main
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(document, "solve", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    assert main(["solutions"]) == 1
    assert capsys.readouterr().err.strip() == "derive: internal error: RuntimeError: boom"
    assert not (tmp_path / "out").exists()


def test_main_exit_codes(tmp_path, monkeypatch, capsys):
    from derive.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["solutions", "-f", "json", "-o", "k.json"]) == 0
    assert main(["solutions", "missing.toml"]) == 2
    assert main(["--version"]) == 0
    assert "missing.toml: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("args, status", [(["solutions", "-o", "-", "-f", "json"], 0), (["solutions", "nope.toml"], 2),
                                          (["solutions", "-f", "pdf", "-o", "-"], 2)], ids=["ok", "bad-spec", "bad-args"])
def test_console_script_process(tmp_path, args, status):
    """The real process: python -m derive, with its exit status and complete output."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "derive", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == status, proc.stderr
    if status == 0:
        assert json.loads(proc.stdout)["parts"][-1]["id"] == "3b"
    else:
        assert proc.stderr.startswith("derive: error:")


def test_formats_from_one_table():
    """The CLI's choices and help come from the Format objects, as the renderer's do."""
    from derive import formats
    runner = CliRunner()
    for command, sheet in (("solutions", "solutions"), ("problems", "problems")):
        help_text = " ".join(runner.invoke(cli, [command, "--help"]).output.split())
        for name, form in formats.FORMATS.items():
            assert (f" {name} ({form.help.split()[0]}" in help_text) == (sheet in form.sheets), (command, name)
    assert formats.for_sheet("problems") == tuple(n for n, f in formats.FORMATS.items() if n != "json" and not f.pooled)
    assert formats.snippet_formats() == ("latex", "markdown")


@pytest.mark.parametrize("args, status", [
    (["problems", "-f", "markdown", "-o", "-"], 0),
    (["problems", "-f", "json"], 2),
    (["problems", "nope.toml"], 2),
    (["problems", "--only", "7q"], 2),
    (["problems", "-f", "pdf", "-o", "-"], 2),
    (["snippets", "-o", "-"], 2),
    (["snippets", "-f", "beamer"], 2),
    (["solutions", "-f", "html", "-o", "-"], 0),
    (["solutions", "-f", "beamer-pdf", "-o", "-"], 2),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_exit_statuses_of_every_command(run, tmp_path, args, status):
    result = run(*args)
    assert result.exit_code == status, result.output
    if status == 2 and args[0] != "snippets" and "-f" in args and args[args.index("-f") + 1] == "json":
        assert "no format 'json' for the problems" in result.output
    if status:
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["solutions", "problems", "snippets"])
def test_help_of_every_command(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    for word in ("--format", "--output", "--only", "--templates"):
        assert word in result.output


def test_commands_are_library_functions(tmp_path, monkeypatch):
    """Each command is one call of derive.commands; the paths written come back."""
    from derive import commands
    monkeypatch.chdir(tmp_path)
    assert commands.problems(fmt="html", only="2a") == [os.path.join("out", "hw5-problems.html")]
    written = commands.snippets(fmt="markdown", out="s", only=["3b"])
    assert written == [os.path.join("s", "hw5-3.md"), os.path.join("s", "hw5-3b.md"),
                       os.path.join("s", "hw5-3b-fig1.svg")]                  # the figure beside it


def test_files_get_the_usual_permissions(run, tmp_path):
    """Atomic writes go through a private temporary file; the result is as readable as any new file."""
    umask = os.umask(0o022)
    try:
        assert run("solutions", "-f", "json").exit_code == 0
        assert (tmp_path / "out" / "hw5-solutions.json").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_several_formats_in_one_run(tmp_path, monkeypatch):
    """-f pdf,json,html: derived and checked once, each file as its single-format run writes it."""
    from derive import document
    calls = []
    solve = document.solve
    monkeypatch.setattr(document, "solve", lambda *a, **k: calls.append(1) or solve(*a, **k))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["solutions", "-f", "json,markdown,html", "-o", "keys"])
    assert result.exit_code == 0, result.output
    assert calls == [1]
    for fmt, suffix in (("json", ".json"), ("markdown", ".md"), ("html", ".html")):
        single = derive.render(derive.solve(derive.load()), fmt)
        assert (tmp_path / "keys" / f"hw5-solutions{suffix}").read_text() == single
    for args, message in ((["-f", "json,html", "-o", "-"], "standard output"), (["-f", "json,nope"], "'nope'"),
                          (["-f", "json,json"], "twice"), (["-f", ","], "no format")):
        result = CliRunner().invoke(cli, ["solutions", *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)
