"""Writing results: atomically to a file (a failure leaves nothing behind), or to standard output."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .errors import DeriveError


def _mode(path: Path) -> int:
    """The permissions a new file would get (mkstemp's temporary file is private), or the old file's."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write(path: str | Path, data: str | bytes) -> str:
    """Write data to path ('-' is standard output); returns what was written to, for the user. A regular
    file is replaced atomically; a device or a pipe (-o /dev/null, a FIFO) is written into, not replaced."""
    if str(path) == "-":
        return _to_stdout(data)
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        return _into(path, data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as err:
        raise DeriveError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, _mode(path))
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise DeriveError(f"cannot write {path}: {err.strerror or err}") from None
        raise
    return str(path)


def _to_stdout(data: str | bytes) -> str:
    try:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        raise DeriveError("standard output was closed before everything was written (broken pipe)") from None
    except OSError as err:
        _quiet_stdout()
        raise DeriveError(f"cannot write to standard output: {err.strerror or err}") from None
    return "<stdout>"


def _quiet_stdout() -> None:
    """After a failed write, point standard output at /dev/null so that nothing fails again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _into(path: Path, data: str | bytes) -> str:
    try:
        with open(path, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as err:
        raise DeriveError(f"cannot write {path}: {err.strerror or err}") from None
    return str(path)
