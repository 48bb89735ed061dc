"""The LaTeX preamble as a dumped format: pdflatex reads it in a fraction of the time the packages take.

A document is split at its ``\\begin{document}`` line. The preamble is dumped once
(``pdflatex -ini "&pdflatex"``, the preamble, ``\\dump``) into the user's cache folder under ``texformats/``,
named by a SHA-256 of the preamble's text, the TeX engine's version banner, the name the job runs under and
the document's origin: the templates in play (derive's own, or a hash of the user's template folders), or
for a document of unknown origin its whole text. ``-recorder`` lists the files the preamble read (packages,
classes, the base format), and a format whose files changed since (a TeX Live update) is dumped again. The
body is then compiled with ``-fmt``, with as many empty lines in front as the preamble had, so that the
log's line numbers stay those of the whole document.

Beside a format are the auxiliary files (.aux, .nav, ...) of the last document compiled with it, to start
the next one from (derive.pdf). A format and its auxiliary files shape the next PDF, so neither is taken on
trust: the format's record (its inputs and its SHA-256) and the auxiliary files are signed with an HMAC
whose secret is kept in the folder, readable by the user alone (derive.cache); a format is used only when its
bytes match its signed record, and it is copied into the job's own folder (what TeX reads is what was
checked). A file that is forged, damaged, or left by a run under other templates is never read by TeX.

Anything that goes wrong (no ``\\begin{document}`` line, a preamble that cannot be dumped, a cache folder
that cannot be used or written) gives None: the document is compiled the plain way. Writes go to a
temporary file renamed into place, so concurrent runs see a whole file or none; at most ``KEEP`` formats
are kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import cache

FOLDER = "texformats"
KEEP = 8                      # formats kept (a few MiB each): the article's and the slides' of a few template sets
DUMP_TIMEOUT = 120
JOB = "main"                  # the dump runs under the job name the document will have (\jobname)
BEGIN = re.compile(r"^\\begin\{document\}", re.MULTILINE)
NAME = "derive-preamble"
LAYOUT = 2                    # of the files kept: 2 signed them
MAX_FORMAT = 256 << 20        # bytes: a larger format file is not read
MAX_RECORD = 64 << 20         # bytes: a larger record or file of auxiliary files is not read


@dataclass(frozen=True)
class Prepared:
    """A format ready in ``folder`` (copied there as ``name``.fmt), the body to compile with it, the format kept
    in the cache and the secret its files are signed with."""

    name: str
    folder: str
    body: str
    path: Path
    secret: bytes = field(default=b"", repr=False)


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


def key(preamble: str, engine: str, origin: str) -> str:
    text = json.dumps([preamble, banner(engine), JOB, origin, LAYOUT])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def document_origin(source: str) -> str:
    """The origin of a document no templates are named for: its own text (it shares nothing with another)."""
    return "document " + hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()


def _place(source: str, engine: str, origin: str):
    """(preamble, body, the cache's path for the preamble's format, the cache's secret), or None when the document
    has no preamble to split off or the cache cannot be used."""
    parts = split(source)
    where = cache.folder(FOLDER) if parts is not None else None
    secret = cache.secret(where) if where is not None else None
    if secret is None:
        return None
    preamble, body = parts
    return preamble, body, where / f"{key(preamble, engine, origin)}.fmt", secret


def prepared(source: str, engine: str, into: str, origin: str | None = None, dump: bool = True) -> Prepared | None:
    """The document's preamble as a format copied into the folder ``into`` (dumped now if the cache has no
    current one made from the same ``origin``, see the module, unless ``dump`` is False), and the body to compile
    with it; None when it cannot be had."""
    place = _place(source, engine, origin or document_origin(source))
    if place is None:
        return None
    preamble, body, path, secret = place
    try:
        data = _verified(path, secret)
        if data is None and not dump:
            return None
        if data is None:
            data = _dump(preamble, engine, path, secret)
        (Path(into) / f"{NAME}.fmt").write_bytes(data)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    _touch(path)                                             # the most recently used formats are kept
    return Prepared(NAME, into, "\n" * preamble.count("\n") + body, path, secret)


def holds(source: str, engine: str, origin: str) -> bool:
    """Whether the cache has a format of the document's preamble (not checked yet: ``prepared`` checks it)."""
    parts = split(source)
    where = cache.folder(FOLDER) if parts is not None else None
    return where is not None and (where / f"{key(parts[0], engine, origin)}.fmt").is_file()


def aside(source: str, engine: str, into: str, origin: str):
    """The document's preamble dumped now into the folder ``into`` without keeping it in the cache: (the format,
    the call that keeps it there), or None when it cannot be had. For a guessed preamble: kept once the document
    proves to have it, so a wrong guess leaves nothing in the cache."""
    place = _place(source, engine, origin)
    if place is None:
        return None
    preamble, body, path, secret = place
    try:
        data, inputs = _dumped_aside(preamble, engine)
        (Path(into) / f"{NAME}.fmt").write_bytes(data)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    fmt = Prepared(NAME, into, "\n" * preamble.count("\n") + body, path, secret)
    return fmt, lambda: _keep(path, secret, data, inputs)


def local(source: str, engine: str, into: str, folder: str) -> Prepared | None:
    """The document's preamble as a format dumped once into ``folder`` (a run's own temporary folder, private to
    the user: nothing in it is kept or signed) and linked into ``into``, with the body to compile with it; None
    when it cannot be had. Documents of one preamble compiled this way are the same bytes whichever process
    dumped it, or when (the dump leaves no date in a PDF)."""
    parts = split(source)
    if parts is None:
        return None
    preamble, body = parts
    path = Path(folder) / f"{key(preamble, engine, 'run')}.fmt"
    try:
        if not path.is_file():
            with tempfile.TemporaryDirectory(prefix="dump-", dir=folder) as tmp:
                os.replace(_dumped(preamble, engine, tmp), path)          # into place whole, if another process
                                                                          # dumps it too
        target = Path(into) / f"{NAME}.fmt"
        try:
            os.link(path, target)
        except OSError:
            target.write_bytes(path.read_bytes())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return Prepared(NAME, into, "\n" * preamble.count("\n") + body, path)


def discard(fmt: Prepared) -> None:
    """A format that failed where the plain run succeeded: removed, to be dumped again next time."""
    _unlink(fmt.path)
    _unlink(_record_file(fmt.path))
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
    """The auxiliary files the last document compiled with this format left, or None (none, or not signed)."""
    files = _unsealed(_aux_file(fmt.path), fmt.secret)
    ok = isinstance(files, dict) and all(isinstance(n, str) and n not in NOT_AUX and AUX_NAME.fullmatch(n)
                                         and isinstance(t, str) for n, t in files.items())
    return files if ok and files else None


def keep_aux(fmt: Prepared) -> None:
    """Keep the auxiliary files of the document just compiled, signed, for the next one with this format."""
    try:
        files = read_aux(Path(fmt.folder))
    except (OSError, ValueError):
        return
    if sum(len(t) for t in files.values()) <= MAX_AUX:
        _seal(_aux_file(fmt.path), fmt.secret, files)


def _record_file(path: Path) -> Path:
    return path.with_suffix(".inputs")


def _seal(path: Path, secret: bytes, value) -> bool:
    """Write a JSON value signed for the file's name (derive.cache.seal)."""
    return cache.write_file(path, cache.seal(secret, path.name, json.dumps(value).encode("utf-8")))


def _unsealed(path: Path, secret: bytes):
    """The JSON value ``_seal`` wrote, or None (missing, too large, not signed with this secret, damaged)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_RECORD + 1)
        payload = cache.unseal(secret, path.name, data) if len(data) <= MAX_RECORD else None
        return json.loads(payload) if payload is not None else None
    except (OSError, ValueError):
        return None


def _verified(path: Path, secret: bytes) -> bytes | None:
    """The format's bytes when its signed record vouches for them and every file its preamble read is as it
    was when it was dumped; else None."""
    record = _unsealed(_record_file(path), secret)
    try:
        if any(_stamp(name) != stamp for name, stamp in record["inputs"].items()):
            return None
        if not 0 < record["size"] <= MAX_FORMAT or os.stat(path).st_size != record["size"]:
            return None
        data = path.read_bytes()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return data if hashlib.sha256(data).hexdigest() == record["sha256"] else None


def _stamp(name: str) -> list:
    st = os.stat(name)
    return [st.st_size, st.st_mtime_ns]


def _dumped(preamble: str, engine: str, tmp: str) -> Path:
    """Dump the preamble as a format in the folder ``tmp``: the format file's path. OSError if TeX fails."""
    (Path(tmp) / "preamble.tex").write_text(preamble + "\n\\dump\n", encoding="utf-8")
    cmd = [engine, "-ini", f"-jobname={JOB}", "-recorder", "-no-shell-escape", "-halt-on-error",
           "-interaction=batchmode", "&pdflatex", "preamble.tex"]
    proc = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=DUMP_TIMEOUT, start_new_session=True)
    made = Path(tmp) / f"{JOB}.fmt"
    if proc.returncode != 0 or not made.is_file():
        raise OSError("the preamble could not be dumped")
    return made


def _dump(preamble: str, engine: str, path: Path, secret: bytes) -> bytes:
    """Dump the preamble as a format, kept at ``path`` with its signed record when the cache can be written;
    the format's bytes. OSError if TeX fails."""
    data, inputs = _dumped_aside(preamble, engine)
    _keep(path, secret, data, inputs)
    return data


def _dumped_aside(preamble: str, engine: str) -> tuple[bytes, dict[str, list]]:
    """The preamble dumped as a format: its bytes and the files it read. OSError if TeX fails."""
    with tempfile.TemporaryDirectory(prefix="derive-fmt-") as tmp:
        made = _dumped(preamble, engine, tmp)
        inputs = _recorded_inputs(Path(tmp) / f"{JOB}.fls", tmp)
        return made.read_bytes(), inputs


def _keep(path: Path, secret: bytes, data: bytes, inputs: dict[str, list]) -> None:
    """Keep a format at ``path`` with its signed record (when the cache can be written)."""
    record = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "inputs": inputs}
    if cache.write_file(path, data) and _seal(_record_file(path), secret, record):
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
        _unlink(_record_file(old))
        _unlink(_aux_file(old))


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:                                          # not kept (a full disk), or pruned meanwhile
        pass


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
