"""The LaTeX preamble as a dumped format: pdflatex reads it in a fraction of the time the packages take.

A document is split at its ``\\begin{document}`` line. The preamble is dumped once
(``pdflatex -ini "&pdflatex"``, the preamble, ``\\dump``) into the user's cache folder under ``texformats/``,
named by a SHA-256 of the preamble's text, the TeX engine's version banner and the name the job runs
under; ``-recorder`` lists the files the preamble read (packages, classes, the base format), and a format
whose files changed since (a TeX Live update) is dumped again. The body is then compiled with
``-fmt``, with as many empty lines in front as the preamble had, so that the log's line numbers stay
those of the whole document.

Anything that goes wrong (no ``\\begin{document}`` line, a preamble that cannot be dumped, a cache folder
that cannot be written) gives None: the document is compiled the plain way. Writes go to a temporary file
renamed into place, so concurrent runs see a whole format or none; at most ``KEEP`` formats are kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .cache import user_folder

FOLDER = "texformats"
KEEP = 8                      # formats kept (a few MiB each): the article's and the slides' of a few template sets
DUMP_TIMEOUT = 120
JOB = "main"                  # the dump runs under the job name the document will have (\jobname)
BEGIN = re.compile(r"^\\begin\{document\}", re.MULTILINE)
NAME = "derive-preamble"


@dataclass(frozen=True)
class Prepared:
    """A format ready in ``folder`` (linked as ``name``.fmt) and the body to compile with it."""

    name: str
    folder: str
    body: str
    path: Path


def split(source: str) -> tuple[str, str] | None:
    """The preamble and the body (from the ``\\begin{document}`` line on), or None."""
    match = BEGIN.search(source)
    if match is None or not source[:match.start()].strip():
        return None
    return source[:match.start()], source[match.start():]


@functools.cache
def banner(engine: str) -> str:
    """The engine's version line ('pdfTeX 3.14...-2.6-1.40.24 (TeX Live 2022/Debian)')."""
    proc = subprocess.run([engine, "--version"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    return proc.stdout.splitlines()[0] if proc.returncode == 0 and proc.stdout else ""


def folder() -> Path:
    return user_folder() / FOLDER


def key(preamble: str, engine: str) -> str:
    text = json.dumps([preamble, banner(engine), JOB, 1])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def prepared(source: str, engine: str, into: str) -> Prepared | None:
    """The document's preamble as a format linked into the folder ``into`` (dumped now if the cache has no
    current one), and the body to compile with it; None when it cannot be had."""
    parts = split(source)
    if parts is None:
        return None
    preamble, body = parts
    try:
        path = folder() / f"{key(preamble, engine)}.fmt"
        if not _current(path):
            _dump(preamble, engine, path)
        os.symlink(path, os.path.join(into, f"{NAME}.fmt"))
        os.utime(path)                                       # the most recently used formats are kept
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return Prepared(NAME, into, "\n" * preamble.count("\n") + body, path)


def discard(fmt: Prepared) -> None:
    """A format that failed where the plain run succeeded: removed, to be dumped again next time."""
    _unlink(fmt.path)
    _unlink(_inputs_file(fmt.path))
    _unlink(_aux_file(fmt.path))


# --- auxiliary files: the last compilation's, to start the next one from -----------------------------

AUX_NAME = re.compile(r"main\.[a-z]{1,8}")
NOT_AUX = {"main.tex", "main.pdf", "main.log", "main.fls", f"{NAME}.fmt"}
MAX_AUX = 4 << 20             # bytes of auxiliary files kept at most


def read_aux(folder: Path) -> dict[str, str]:
    """The auxiliary files TeX wrote into ``folder`` (main.aux, main.nav, ...), by name."""
    files = {}
    for path in folder.iterdir():
        if path.name not in NOT_AUX and AUX_NAME.fullmatch(path.name) and path.is_file():
            files[path.name] = path.read_text(encoding="latin-1")
    return files


def write_aux(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="latin-1")


def _aux_file(path: Path) -> Path:
    return path.with_suffix(".aux.json")


def aux_seed(fmt: Prepared) -> dict[str, str] | None:
    """The auxiliary files the last document compiled with this format left, or None."""
    try:
        files = json.loads(_aux_file(fmt.path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(files, dict) and all(isinstance(n, str) and n not in NOT_AUX and AUX_NAME.fullmatch(n)
                                         and isinstance(t, str) for n, t in files.items())
    return files if ok and files else None


def keep_aux(fmt: Prepared) -> None:
    """Keep the auxiliary files of the document just compiled, for the next one with this format."""
    try:
        files = read_aux(Path(fmt.folder))
        if sum(len(t) for t in files.values()) <= MAX_AUX:
            _write_atomically(_aux_file(fmt.path), json.dumps(files))
    except (OSError, ValueError):
        pass


def _inputs_file(path: Path) -> Path:
    return path.with_suffix(".inputs")


def _current(path: Path) -> bool:
    """Whether the format exists and every file its preamble read is as it was when it was dumped."""
    try:
        recorded = json.loads(_inputs_file(path).read_text(encoding="utf-8"))
        if os.stat(path).st_size != recorded["size"]:
            return False
        return all(_stamp(name) == stamp for name, stamp in recorded["inputs"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _stamp(name: str) -> list:
    st = os.stat(name)
    return [st.st_size, st.st_mtime_ns]


def _dump(preamble: str, engine: str, path: Path) -> None:
    """Dump the preamble as a format at ``path`` (with its list of inputs); OSError if TeX fails."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="derive-fmt-") as tmp:
        (Path(tmp) / "preamble.tex").write_text(preamble + "\n\\dump\n", encoding="utf-8")
        cmd = [engine, "-ini", f"-jobname={JOB}", "-recorder", "-no-shell-escape", "-halt-on-error",
               "-interaction=batchmode", "&pdflatex", "preamble.tex"]
        proc = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=DUMP_TIMEOUT, start_new_session=True)
        made = Path(tmp) / f"{JOB}.fmt"
        if proc.returncode != 0 or not made.is_file():
            raise OSError("the preamble could not be dumped")
        inputs = _recorded_inputs(Path(tmp) / f"{JOB}.fls", tmp)
        _place(made, path)
        _write_atomically(_inputs_file(path), json.dumps({"size": path.stat().st_size, "inputs": inputs}))
    _prune(path.parent)


def _recorded_inputs(fls: Path, tmp: str) -> dict[str, list]:
    """Every file outside the dump's own folder that TeX read, with its size and modification time."""
    inputs = {}
    for line in fls.read_text(errors="replace").splitlines():
        if line.startswith("INPUT "):
            name = os.path.join(tmp, line[6:]) if not os.path.isabs(line[6:]) else line[6:]
            if not os.path.realpath(name).startswith(os.path.realpath(tmp) + os.sep):
                inputs[name] = _stamp(name)
    return inputs


def _place(made: Path, path: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".fmt-", dir=path.parent)
    os.close(fd)
    try:
        shutil.copyfile(made, tmp_name)                      # the cache may be on another file system
        os.replace(tmp_name, path)
    except BaseException:
        _unlink(Path(tmp_name))
        raise


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".inputs-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        _unlink(Path(tmp_name))
        raise


def _prune(where: Path) -> None:
    """Keep the ``KEEP`` most recently used formats."""
    used = []
    for fmt in where.glob("*.fmt"):
        try:
            used.append((fmt.stat().st_mtime, fmt))
        except OSError:                                      # removed by a concurrent run meanwhile
            pass
    for _, old in sorted(used, reverse=True)[KEEP:]:
        _unlink(old)
        _unlink(_inputs_file(old))
        _unlink(_aux_file(old))


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
