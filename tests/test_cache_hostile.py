"""Caches nobody can poison: TeX state seeded from the cache (a dumped preamble, the slides' auxiliary files)
that derive did not make itself, under the same templates, is never read; no template code is kept on disk;
a cache folder others own or can write is not used; --no-cache reads and writes nothing under the cache
folder; a full or read-only cache disk costs one warning, not the run."""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

import derive
from derive import __version__, cache, formats, texformat
from derive.cli import main

from conftest import need_tex

SPEC = """title = "t"
[[problem]]
kind = "rnn-activation"
W_a = %s
[[problem.part]]
activation = "tanh"
ask = "derivative"
"""

# TeX that, read from main.aux, puts HACKED in every block (the answers) and writes itself into the next aux.
PAYLOAD = (r"\gdef\derivehack{\AddToHook{begindocument/end}{\immediate\write\@mainaux{\noexpand\gdef"
           r"\noexpand\derivehack{\unexpanded\expandafter{\derivehack}}\noexpand\derivehack}"
           r"\addtobeamertemplate{block begin}{}{HACKED }}}")
EVIL_INPUT = "\\makeatletter\n" + PAYLOAD + "\n" + (r"\immediate\write\@mainaux{\noexpand\gdef\noexpand\derivehack"
                                                   r"{\unexpanded\expandafter{\derivehack}}\noexpand\derivehack}"
                                                   ) + "\n\\makeatother\n"


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    """The cache on, under a fresh $XDG_CACHE_HOME; returns that folder (derive's is its 'derive')."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC % "0.5")
    (tmp_path / "other.toml").write_text(SPEC % "0.25")
    return tmp_path / "xdg"


def derive_cli(capfd, *args) -> tuple[int, list[str]]:
    """The command run in this process as in a new one (no Jinja environment made before): its exit status and
    the lines of its standard error."""
    formats._environment.cache_clear()
    capfd.readouterr()
    code = main(list(args))
    return code, capfd.readouterr().err.splitlines()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def slides(capfd, *args) -> str:
    code, err = derive_cli(capfd, "solutions", "s.toml", "-f", "beamer-pdf", "-o", "out/", *args)
    assert code == 0 and err == [], err
    return pdf_text(Path("out/s-solutions-slides.pdf"))


def files(folder: Path) -> dict[str, tuple[int, int]]:
    """What a folder holds, below it: each file's size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))} if folder.exists() else {}


# --- seeded TeX state -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_run_under_other_templates_never_seeds_a_plain_run(xdg, tmp_path, capfd):
    """One run with templates whose slides \\input a file that writes into the aux (and copies itself from
    one aux to the next) must not put HACKED in a later plain run: the aux kept is keyed by the templates."""
    need_tex()
    (tmp_path / "evil.tex").write_text(EVIL_INPUT)
    (tmp_path / "tpl" / "beamer").mkdir(parents=True)
    (tmp_path / "tpl" / "beamer" / "base.tex.j2").write_text(
        '((* extends "builtin/beamer/base.tex.j2" *))\n((* block title *))\\input{' + str(tmp_path / "evil.tex")
        + '}((( super() )))((* endblock title *))\n')
    clean = slides(capfd)
    assert "HACKED" in slides(capfd, "--templates", "tpl")          # the templates' own run: theirs to print
    for _ in range(2):
        assert slides(capfd) == clean and "HACKED" not in clean
    assert len(list((xdg / "derive" / texformat.FOLDER).glob("*.fmt"))) == 2        # one a set of templates


def test_the_templates_in_play_are_known_by_every_file_they_hold(tmp_path, monkeypatch):
    tpl = tmp_path / "tpl"
    (tpl / "beamer").mkdir(parents=True)
    (tpl / "beamer" / "base.tex.j2").write_text("one")
    assert formats.templates_origin(None) == "builtin"
    first = formats.templates_origin(tpl)
    assert first.startswith("templates ") and formats.templates_origin(tpl) == first
    (tpl / "beamer" / "base.tex.j2").write_text("two")                   # edited: other templates
    second = formats.templates_origin(tpl)
    (tpl / "evil.tex").write_text("\\relax")                             # a file beside them counts too
    third = formats.templates_origin(tpl)
    assert len({first, second, third}) == 3
    (tpl / "loop").symlink_to(tpl)                                        # a loop of links ends
    assert formats.templates_origin(tpl) is None
    (tpl / "loop").unlink()
    monkeypatch.setattr(formats.engine, "MAX_TEMPLATE_FILES", 1)          # too many to hash: no sharing at all
    assert formats.templates_origin(tpl) is None


@pytest.mark.slow
def test_forged_auxiliary_files_are_ignored(xdg, capfd):
    need_tex()
    clean = slides(capfd)
    folder = xdg / "derive" / texformat.FOLDER
    (aux,) = folder.glob("*.aux.json")
    forged = json.dumps({"main.aux": "\\relax\n" + PAYLOAD + "\\derivehack\n"}).encode()
    aux.write_bytes(forged)                                  # not signed
    text = slides(capfd)
    assert "HACKED" not in text and text == clean
    aux.write_bytes(cache.seal(os.urandom(cache.SECRET_BYTES), aux.name, forged))      # signed by another secret
    text = slides(capfd)
    assert "HACKED" not in text and text == clean


def _forged_format(source: str, tmp_path: Path) -> bytes:
    """The slides' preamble and a line that puts HACKED in every block, dumped as a format."""
    work = tmp_path / "forge"
    work.mkdir(exist_ok=True)
    preamble, _ = texformat.split(source)
    (work / "p.tex").write_text(preamble + "\\AtBeginDocument{\\addtobeamertemplate{block begin}{}{HACKED }}\n"
                                "\\dump\n")
    subprocess.run(["pdflatex", "-ini", "-jobname=main", "-interaction=batchmode", "&pdflatex", "p.tex"], cwd=work,
                   capture_output=True, check=True, timeout=120)
    return (work / "main.fmt").read_bytes()


@pytest.mark.slow
def test_forged_format_files_are_ignored(xdg, tmp_path, capfd):
    need_tex()
    clean = slides(capfd)
    folder = xdg / "derive" / texformat.FOLDER
    (fmt,) = folder.glob("*.fmt")
    record = fmt.with_suffix(".inputs")
    signed = record.read_bytes()
    forged = _forged_format(derive.render(derive.solve(derive.load("s.toml")), "beamer"), tmp_path)
    plain_record = json.dumps({"size": len(forged), "inputs": {}}).encode()
    for planted_record in (plain_record, signed):           # a record of the forger's; derive's own (another format)
        fmt.write_bytes(forged)
        record.write_bytes(planted_record)
        (folder / fmt.with_suffix(".aux.json").name).unlink(missing_ok=True)
        text = slides(capfd)
        assert "HACKED" not in text and text == clean
        assert fmt.read_bytes() != forged                    # dumped again in its place


@pytest.mark.slow
def test_no_template_code_is_kept_on_disk(xdg, tmp_path):
    """Jinja's bytecode cache unpickled whatever lay in its folder: a planted file ran code on the next run.
    Templates are compiled in memory now; a file planted where the bytecode was is never read."""
    marker = tmp_path / "pwned"
    bcc = jinja2.FileSystemBytecodeCache(str(xdg / "derive" / f"templates-{__version__}"))
    os.makedirs(bcc.directory)
    evil = jinja2.bccache.bc_magic + pickle.dumps(_Mkdir(str(marker)))
    for tex in (True, False):
        env = formats.environment(tex_delimiters=tex)
        for name in env.list_templates():
            _, filename, _ = env.loader.get_source(env, name)
            (Path(bcc.directory) / (bcc.pattern % bcc.get_cache_key(name, filename))).write_bytes(evil)
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg)}
    for fmt in ("html", "markdown", "latex"):
        proc = subprocess.run([sys.executable, "-m", "derive", "solutions", "s.toml", "-f", fmt, "-o", "out/"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert not marker.exists()
    assert {p.name for p in (xdg / "derive").iterdir()} == {"derived", f"templates-{__version__}"}


class _Mkdir:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


# --- folders others own or can write --------------------------------------------------------------------

def _others_own(path: Path, monkeypatch) -> None:
    """``path`` belongs to another user (as root, for real; else derive is made to see itself as another)."""
    if os.geteuid() == 0:
        os.chown(path, 4242, 4242)
    else:
        real = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: real + 4242)


@pytest.mark.parametrize("where, how", [
    ("derive", 0o775), ("derive", 0o757), ("derive", "owner"), ("derived", 0o770), ("texformats", 0o707),
    ("xdg", 0o777), ("xdg", 0o770), ("xdg", "owner"),
])
def test_a_cache_folder_others_can_write_is_not_used(xdg, capfd, monkeypatch, where, how):
    need_tex()
    root = xdg / "derive"
    folder = {"xdg": xdg, "derive": root, "derived": root / "derived", "texformats": root / texformat.FOLDER}[where]
    folder.mkdir(parents=True, mode=0o700)
    if how == "owner":
        _others_own(folder, monkeypatch)
    else:
        folder.chmod(how)
    before = files(folder)
    code, err = derive_cli(capfd, "solutions", "s.toml", "-f", "json,pdf", "-o", "out/")
    assert code == 0 and Path("out/s-solutions.json").is_file() and Path("out/s-solutions.pdf").is_file()
    assert len(err) == 1 and err[0].startswith("derive: warning: the cache folder ") and \
        err[0].endswith("; going on without the cache"), err
    assert ("belongs to another user" if how == "owner" else f"can be written by others (mode {how:o}") in err[0]
    assert files(folder) == before and not list((root / texformat.FOLDER).glob("*.fmt"))   # nothing written there


def test_a_sticky_cache_home_like_tmp_is_fine(xdg, capfd):
    xdg.mkdir()
    xdg.chmod(0o1777)
    code, err = derive_cli(capfd, "solutions", "s.toml", "-f", "json", "-o", "out/")
    assert code == 0 and err == [] and list((xdg / "derive" / "derived").glob("*.pickle"))
    assert (xdg / "derive").stat().st_mode & 0o777 == 0o700


def test_a_secret_others_can_read_is_not_used(xdg, capfd):
    assert derive_cli(capfd, "solutions", "s.toml", "-f", "json", "-o", "out/") == (0, [])
    (xdg / "derive" / "derived" / "secret").chmod(0o640)
    code, err = derive_cli(capfd, "solutions", "other.toml", "-f", "json", "-o", "out/")
    assert code == 0 and len(err) == 1 and "secret" in err[0] and "not yours alone" in err[0]
    assert len(list((xdg / "derive" / "derived").glob("*.pickle"))) == 1


# --- --no-cache -----------------------------------------------------------------------------------------

_SEEN: list | None = None
_EVENTS = {"open", "os.listdir", "os.scandir", "os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.utime",
           "os.symlink", "os.link", "os.chmod", "os.chown", "os.truncate", "shutil.copyfile"}


def _audit(event, args):
    if _SEEN is not None and event in _EVENTS and args:
        path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)):
            _SEEN.append((event, os.fsdecode(os.fspath(path))))


sys.addaudithook(_audit)


@pytest.mark.slow
@pytest.mark.parametrize("switch", ["--no-cache", "DERIVE_NO_CACHE=1"])
@pytest.mark.parametrize("filled", [False, True])
def test_no_cache_reads_and_writes_nothing_under_the_cache_folder(xdg, capfd, monkeypatch, switch, filled):
    global _SEEN
    need_tex()
    everything = "latex,pdf,beamer,beamer-pdf,markdown,html,json"
    if filled:                                               # a cache with all there is in it, to be left alone
        assert derive_cli(capfd, "solutions", "s.toml", "-f", everything, "-o", "first/")[0] == 0
    before = files(xdg)
    args = ["--no-cache"] if switch == "--no-cache" else []
    if switch != "--no-cache":
        monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    _SEEN = []
    try:
        code, err = derive_cli(capfd, "solutions", "s.toml", "-f", everything, "-o", "out/", *args)
        seen = [(event, path) for event, path in _SEEN if path == str(xdg) or path.startswith(str(xdg) + os.sep)]
    finally:
        _SEEN = None
    assert code == 0 and err == [] and Path("out/s-solutions-slides.pdf").is_file()
    assert seen == [] and files(xdg) == before and xdg.exists() == filled


# --- a full or read-only cache disk ---------------------------------------------------------------------

def _disk_full(monkeypatch, where: Path, code: int) -> None:
    """Every file or folder made or written under ``where`` fails with ``code`` (ENOSPC: a full disk)."""
    def under(path) -> bool:
        path = os.path.abspath(os.fsdecode(os.fspath(path)))
        return path == str(where) or path.startswith(str(where) + os.sep)

    def fail(path):
        raise OSError(code, os.strerror(code), os.fsdecode(os.fspath(path)))

    real_open, real_mkdir, real_io_open = os.open, os.mkdir, io.open

    def os_open(path, flags, *args, **kw):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and under(path):
            fail(path)
        return real_open(path, flags, *args, **kw)

    def mkdir(path, *args, **kw):
        if under(path):
            fail(path)
        return real_mkdir(path, *args, **kw)

    def io_open(file, mode="r", *args, **kw):
        if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+") and under(file):
            fail(file)
        return real_io_open(file, mode, *args, **kw)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr("builtins.open", io_open)


@pytest.mark.slow
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("filled", [False, True])
def test_a_full_cache_disk_costs_one_warning_not_the_run(xdg, capfd, monkeypatch, code, filled):
    need_tex()
    if filled:                                               # folders, secrets and a format there already
        assert derive_cli(capfd, "solutions", "s.toml", "-f", "json,pdf", "-o", "first/") == (0, [])
    before = files(xdg)
    _disk_full(monkeypatch, xdg, code)
    status, err = derive_cli(capfd, "solutions", "other.toml", "-f", "json,html,markdown,latex,pdf,beamer-pdf",
                             "-o", "out/")
    assert status == 0, err
    assert err == [f"derive: warning: cannot {'write to' if filled else 'use'} the cache folder {xdg / 'derive'}:"
                   f" {os.strerror(code)}; going on without the cache"]
    for suffix in (".json", ".html", ".md", ".tex", ".pdf", "-slides.pdf"):
        assert Path(f"out/other-solutions{suffix}").stat().st_size > 0
    assert "tanh" in pdf_text(Path("out/other-solutions-slides.pdf"))
    assert set(files(xdg)) <= set(before)                    # nothing new, whole or in part
