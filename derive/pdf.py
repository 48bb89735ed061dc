"""Compile LaTeX to PDF with the system's TeX Live: no shell escape, halt on the first error."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import termios
import threading
import time
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
    early = _claimed(source, passes, cache, origin)
    if early is not None:
        try:
            return early.finish(source)
        except _Ended:
            raise
        except (TexError, OSError):
            pass                                             # the way below says what went wrong
        finally:
            early.discard()
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


# --- early starts: TeX loading the preamble while the questions are derived --------------------------

_EARLY: list["Early"] = []
FEED_WAIT = 0.005             # s between looks at a pipe TeX is reading


class Early:
    """A TeX run started before its document is rendered: ``lead``, the document's beginning through its
    ``\\begin{document}`` line as the templates will print it (derive.formats.latex_early; of several guesses, the
    one whose format the cache has), is fed at once, so that pdflatex loads the dumped format or the packages
    while the questions are derived; main.tex is a pipe. When the cache has no format of the guess it is dumped
    first, and kept in the cache only if the guess was right. ``compile_pdf`` hands it the rest of a document
    that begins with ``lead`` (of the same passes and origin); further passes read main.tex as a file. TeX reads
    the pipe once: not for a first line naming a format (-no-parse-first-line), which would take the text and
    close it. A document that begins otherwise is compiled the usual way and the early run ended. The PDF is the
    one the usual way makes."""

    def __init__(self, leads: list[str], passes: int, cache: bool, origin: str | None):
        self.leads, self.passes, self.cache, self.origin = leads, passes, cache, origin
        self.lead = leads[0]
        self.tmp = tempfile.mkdtemp(prefix="derive-tex-")
        self.proc: subprocess.Popen | None = None
        self.fd: int | None = None
        self.fmt = self.seed = self.cmd = self.folder = self.keep = None
        self.chosen, self.ended = threading.Event(), False
        self.thread = threading.Thread(target=self._start, name="derive-tex-early", daemon=True)
        self.thread.start()

    def _start(self) -> None:
        try:
            cmd = command()
            use = self.cache and not disabled_by_env()
            try:                                             # the guess whose format the cache has, else the first
                self.lead = next((lead for lead in self.leads if use and texformat.holds(lead, cmd[0], self.origin)),
                                 self.leads[0])
            finally:
                self.chosen.set()
            fmt = self._format(cmd[0], _folder(self.tmp, "fmt")) if use else None
            if fmt is not None:
                self.fmt, cmd = fmt, cmd[:1] + [f"-fmt={fmt.name}"] + cmd[1:]
                self.seed = texformat.aux_seed(fmt) if self.passes > 1 else None
            self.folder = fmt.folder if fmt is not None else _folder(self.tmp, "plain")
            texformat.write_aux(Path(self.folder), self.seed or {})
            os.mkfifo(os.path.join(self.folder, "main.tex"))
            self.fd = os.open(os.path.join(self.folder, "main.tex"), os.O_RDWR | os.O_NONBLOCK)   # TeX's open never
            # waits for a writer, and if this process dies TeX reads the end of its input and stops
            with _LOCK:
                if _STOPPING.is_set() or self.ended:
                    return
                self.cmd, self.proc = cmd, subprocess.Popen(
                    _bounded() + cmd[:1] + ["-no-parse-first-line"] + cmd[1:], cwd=self.folder,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True)
                _RUNNING.add(self.proc)
            self._feed(self._body(self.lead) if fmt is not None else self.lead)
        except (OSError, ValueError, subprocess.SubprocessError, TexError):
            self._close()
        finally:
            self.chosen.set()

    def _format(self, engine: str, into: str) -> texformat.Prepared | None:
        """The cache's format of the guessed preamble, or one dumped now and kept only if the guess proves right."""
        source = self.lead + "\\end{document}\n"
        fmt = texformat.prepared(source, engine, into, self.origin, dump=False)
        if fmt is None and texformat.split(source) is not None:
            made = texformat.aside(source, engine, into, self.origin)
            fmt, self.keep = made if made is not None else (None, None)
        return fmt

    def _body(self, source: str) -> str:
        """What TeX reads with the format: the body after as many empty lines as the preamble has."""
        preamble, body = texformat.split(source)
        return "\n" * preamble.count("\n") + body

    def _feed(self, text: str) -> None:
        """Write ``text`` into the pipe, as TeX reads it (stopping if TeX ends)."""
        data = memoryview(text.encode("utf-8"))
        while data:
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:                          # the pipe is full: TeX reads on
                if self.proc.poll() is not None or self.ended:
                    return
                select.select([], [self.fd], [], FEED_WAIT * 20)    # until TeX has read some

    def _drained(self) -> None:
        """Wait until TeX has read all that was written (or ended): the pipe then ends at its end of input, and
        not before TeX has opened it (closed before, the pipe would drop what it holds and TeX wait for a writer)."""
        while self.proc.poll() is None and not self.ended:
            if int.from_bytes(fcntl.ioctl(self.fd, termios.FIONREAD, bytes(4)), sys.byteorder) == 0:
                return
            time.sleep(FEED_WAIT)

    def _close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def fits(self, source: str, passes: int, cache: bool, origin: str | None) -> bool:
        if (passes, cache, origin) != (self.passes, self.cache, self.origin):
            return False
        self.chosen.wait()
        return source.startswith(self.lead)

    def finish(self, source: str) -> bytes:
        """The PDF of ``source`` (which begins with ``lead``): the rest fed, the run waited for, further passes
        run the usual way. TexError if the early run failed (the caller compiles the usual way)."""
        self.thread.join()
        if self.fd is None or self.proc is None:
            raise TexError("the early TeX run did not start")
        try:
            self._feed(source[len(self.lead):])
            self._drained()
        finally:
            self._close()
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise _Ended(f"TeX did not finish within {TIMEOUT} s") from None
        first = subprocess.CompletedProcess(self.cmd, self.proc.returncode, "", "")
        os.unlink(os.path.join(self.folder, "main.tex"))
        text = self._body(source) if self.fmt is not None else source
        pdf = _passes(self.cmd, text, self.passes, self.folder, self.seed, first=first)
        if self.keep is not None:
            self.keep()                                      # the guess was right: its format kept for next time
        if self.fmt is not None and self.passes > 1:
            texformat.keep_aux(self.fmt)
        return pdf

    def discard(self) -> None:
        """End the run (if it still runs: a format being dumped is waited for) and remove its folder."""
        with _LOCK:
            self.ended = True
        self.thread.join(timeout=TIMEOUT)
        self._close()
        if self.proc is not None:
            if self.proc.poll() is None:
                _end_group(self.proc)
            with _LOCK:
                _RUNNING.discard(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _bounded() -> list[str]:
    """The command that ends a TeX run after TIMEOUT whatever becomes of derive (coreutils' timeout, where there is
    one): killed before TeX opened its pipe, derive leaves it no writer to wait for."""
    bound = shutil.which("timeout")
    return [bound, "-s", "KILL", str(TIMEOUT + 10)] if bound else []


def start_early(leads: list[str], passes: int, cache: bool = True, origin: str | None = None) -> None:
    """Start TeX on a document's beginning (see Early), guessed as ``leads`` (the likeliest first: the one the
    cache has a format of is taken), while early_runs() is open."""
    with _LOCK:
        if _EARLY_OPEN and leads:
            _EARLY.append(Early(leads, passes, cache, origin))


def _claimed(source: str, passes: int, cache: bool, origin: str | None) -> Early | None:
    with _LOCK:
        for k, early in enumerate(_EARLY):
            if early.fits(source, passes, cache, origin):
                return _EARLY.pop(k)
    return None


_EARLY_OPEN: list[bool] = []


@contextlib.contextmanager
def early_runs():
    """While open, start_early() starts TeX runs; on leaving, those no document took are ended."""
    with _LOCK:
        _EARLY_OPEN.append(True)
    try:
        yield
    finally:
        with _LOCK:
            _EARLY_OPEN.pop()
            left = list(_EARLY) if not _EARLY_OPEN else []
            if not _EARLY_OPEN:
                _EARLY.clear()
        for early in left:
            early.discard()


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


def _passes(cmd: list[str], source: str, passes: int, tmp: str, seed: dict[str, str] | None = None,
            first=None) -> bytes:
    """Run TeX until the document is done: ``passes`` runs and more while the log asks for a rerun; or, given
    the auxiliary files of an earlier compilation (``seed``), one run when it writes them back unchanged
    (the pages were made from what they will say: another run would make the same ones). ``first``: the first
    run's result, when it was run already (an early start's, whose auxiliary files are in place)."""
    folder = Path(tmp)
    (folder / "main.tex").write_text(source, encoding="utf-8")
    if first is None:
        texformat.write_aux(folder, seed or {})
    for k in range(MAX_PASSES):
        proc = first if k == 0 and first is not None else _run(cmd, tmp)
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
