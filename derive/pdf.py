"""Compile LaTeX to PDF with the system's TeX Live: no shell escape, halt on the first error."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import texformat
from .cache import disabled_by_env
from .errors import TexError

INSTALL_HINT = ("install TeX Live, e.g. on Debian/Ubuntu: sudo apt-get install texlive-latex-base "
                "texlive-latex-recommended texlive-pictures texlive-fonts-recommended")
ENGINE_FLAGS = ["-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "-file-line-error"]
TIMEOUT = 180


MAX_PASSES = 4
WORKERS = 2                   # TeX runs at once (compile_all): the article and the slides
_RUNNING: set[subprocess.Popen] = set()       # TeX processes running now, ended together on an interrupt
_LOCK = threading.Lock()
_STOPPING = threading.Event()
# A rerun request about references (not hyperref's "Rerun to get outlines right" for an empty outline).
RERUN = re.compile(r"Label\(s\) may have changed|Rerun to get cross-references right|Please rerun LaTeX"
                   r"|Table widths have changed\. Rerun LaTeX")              # longtable's column widths


_SHARED: list[str] = []       # the folder of the run's own formats (shared_preambles), while one is open


@contextlib.contextmanager
def shared_preambles(folder: str | None = None):
    """While open, every document is compiled from its preamble dumped as a format once for the run, into a
    temporary folder of the run's own (whatever the cache: texformat.local), not the plain way: many documents
    of one preamble (a class's variants) each skip the packages' loading. The same bytes whichever process
    dumped the format, and whenever; forked workers share the folder. ``folder``: one that lives longer (a
    cluster worker's), else a temporary one removed at the end."""
    with (contextlib.nullcontext(folder) if folder else tempfile.TemporaryDirectory(prefix="derive-run-fmt-")) as at:
        _SHARED.append(at)
        try:
            yield at
        finally:
            _SHARED.remove(at)


class _Ended(TexError):
    """TeX timed out or was stopped: not a reason to try again."""


def command(main: str = "main.tex") -> list[str]:
    """The TeX command: pdflatex, no shell escape, stopping at the first error."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex:
        return [pdflatex, *ENGINE_FLAGS, main]
    raise TexError("no TeX engine found (pdflatex): " + INSTALL_HINT)


def compile_pdf(source: str, passes: int = 1, cache: bool = True, origin: str | None = None) -> bytes:
    """The PDF of a complete LaTeX document, by ``passes`` runs of pdflatex (the article has no
    cross-references: one pass gives its pages; beamer's navigation needs two), and more while the log asks
    for a rerun (a user's template with references); TexError with the log's relevant lines on failure.

    The preamble is read from a format dumped once and kept in the user's cache folder (``texformat``)
    unless ``cache`` is False or DERIVE_NO_CACHE is set; a format that fails is dropped and the document
    compiled the plain way, which also gives the error of a document that does not compile. A document of
    several passes starts from the auxiliary files the last one with its preamble and ``origin`` left (the
    templates in play, as derive.formats names them; None: this very document): one pass when they come back
    unchanged (slides whose frames and sections are those of the last run)."""
    cmd = command()
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        if _SHARED:
            return _from_shared(cmd, source, passes, tmp)
        use = cache and not disabled_by_env()
        fmt = texformat.prepared(source, cmd[0], _folder(tmp, "fmt"), origin) if use else None
        if fmt is not None:
            try:
                seed = texformat.aux_seed(fmt) if passes > 1 else None
                pdf = _passes(cmd[:1] + [f"-fmt={fmt.name}"] + cmd[1:], fmt.body, passes, fmt.folder, seed)
                if passes > 1:
                    texformat.keep_aux(fmt)
                return pdf
            except _Ended:
                raise
            except TexError:
                pass                                         # the plain run says whether the format was at fault
        pdf = _passes(cmd, source, passes, _folder(tmp, "plain"))
        if fmt is not None:
            texformat.discard(fmt)
        return pdf


def _from_shared(cmd: list[str], source: str, passes: int, tmp: str) -> bytes:
    """Compile from the run's format of the document's preamble (shared_preambles); the plain way when there
    is none or it fails (then the plain run gives the error)."""
    fmt = texformat.local(source, cmd[0], _folder(tmp, "fmt"), _SHARED[-1])
    if fmt is not None:
        try:
            return _passes(cmd[:1] + [f"-fmt={fmt.name}"] + cmd[1:], fmt.body, passes, fmt.folder)
        except _Ended:
            raise
        except TexError:
            pass
    return _passes(cmd, source, passes, _folder(tmp, "plain"))


def compile_all(jobs: list[tuple[str, int]], meanwhile, cache: bool = True,
                origin: str | None = None) -> tuple[list[bytes], object]:
    """Several documents ((source, passes) each, all of one ``origin``) compiled at once, two at a time (TeX
    runs in processes of its own), while ``meanwhile()`` runs here: their PDFs in order and what ``meanwhile``
    returned. An interrupt ends every TeX run at once; the first TexError is raised."""
    if not jobs:
        return [], meanwhile()
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="derive-tex")
    try:
        futures = [pool.submit(compile_pdf, source, passes, cache, origin) for source, passes in jobs]
        done = meanwhile()
        return [f.result() for f in futures], done
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        _end_all()
        raise
    finally:
        pool.shutdown(wait=True)
        _STOPPING.clear()


def _end_all() -> None:
    _STOPPING.set()                                          # no TeX run starts after this
    with _LOCK:
        running = list(_RUNNING)
    for proc in running:
        _end_group(proc)


def _folder(tmp: str, name: str) -> str:
    path = os.path.join(tmp, name)
    os.mkdir(path)
    return path


def _passes(cmd: list[str], source: str, passes: int, tmp: str, seed: dict[str, str] | None = None) -> bytes:
    """Run TeX until the document is done: ``passes`` runs and more while the log asks for a rerun; or, given
    the auxiliary files of an earlier compilation (``seed``), one run when it writes them back unchanged
    (the pages were made from what they will say: another run would make the same ones)."""
    folder = Path(tmp)
    (folder / "main.tex").write_text(source, encoding="utf-8")
    texformat.write_aux(folder, seed or {})
    for k in range(MAX_PASSES):
        proc = _run(cmd, tmp)
        log = folder / "main.log"
        text = log.read_text(errors="replace") if log.exists() else proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise TexError("TeX failed:\n" + relevant_lines(text))
        if k == 0 and seed and not RERUN.search(text) and texformat.read_aux(folder) == seed:
            break
        if k + 1 >= passes and not RERUN.search(text):
            break
    return (folder / "main.pdf").read_bytes()


def _run(cmd: list[str], folder: str) -> subprocess.CompletedProcess:
    """Run TeX in a process group of its own, so that on a timeout or an interrupt the whole group
    (pdflatex and anything it started) is ended, not just the first process."""
    with _LOCK:
        if _STOPPING.is_set():
            raise _Ended("TeX was stopped")
        proc = subprocess.Popen(cmd, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _end_group(proc)
        raise _Ended(f"TeX did not finish within {TIMEOUT} s") from None
    except BaseException:
        _end_group(proc)
        raise
    finally:
        with _LOCK:
            _RUNNING.discard(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _end_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def relevant_lines(log: str, limit: int = 12) -> str:
    """The error lines of a TeX log (those starting with '!' or 'file:line:') and the two after each."""
    lines = log.splitlines()
    picked = []
    for k, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^\s:]+:\d+: ", line):
            picked += lines[k:k + 3]
    return "\n".join(picked[:limit]) or "\n".join(lines[-limit:])
