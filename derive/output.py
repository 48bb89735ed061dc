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
    """Write data to path ('-' is standard output); returns what was written to, for the user."""
    if str(path) == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return "<stdout>"
    path = Path(path)
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
