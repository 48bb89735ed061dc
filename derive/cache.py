"""The on-disk cache of derived questions: a question whose problem is unchanged is not derived again.

An entry is one question's checked derivation (stored only after ``check_solution`` passed), keyed by a
SHA-256 of everything the derivation can depend on:

- the part's values as the spec gives them (after TOML is read; types kept apart: 1, 1.0 and "1" differ),
  the part's questions and the question asked, the kind (as the spec names it), the notation style;
- derive's version, Python's, SymPy's and mpmath's;
- the source of derive's own modules and of the package a kind from elsewhere comes from, so that a
  changed kind (or anything a kind builds on) never finds the entries of the old one.

Entries are pickles (a format of our own would have to rebuild every expression type). A SymPy expression
is read back by calling its class on its arguments with evaluation off, and must come back with those very
arguments (``_rebuilt``): an entry holding one that does not is derived again. A pickle runs code as it is
read, so every entry is signed: an HMAC-SHA256 over its key and its bytes, with a random secret kept in the
cache folder, readable by its owner alone (mode 0600; a secret another user could read or write disables the
cache). An entry that was truncated, corrupted, written by another program or moved to another key fails the
signature and is never unpickled: it is derived again. Writes go to a temporary file in the same folder and are renamed
into place, so concurrent runs see a whole entry or none.

Where: ``$XDG_CACHE_HOME/derive`` (``~/.cache/derive`` by default), in ``derived/``. ``--no-cache`` or
``DERIVE_NO_CACHE=1`` skips it; deleting the folder clears it.

The folder is trusted as ssh trusts a key (``folder``): derive's folder and the ones in it must be the user's
own and writable by no one else, and the folder holding derive's (``$XDG_CACHE_HOME``) the user's or root's
and writable by no one else unless sticky (as /tmp). A folder that fails this, or that cannot be made, and a
write into the cache that fails (a full disk, a read-only folder) turn the cache off for the rest of the
process with one warning on standard error: the run goes on without it. ``seal`` and ``unseal`` sign other
files of the cache (derive.texformat's) with the same kind of secret.
"""

from __future__ import annotations

import datetime
import errno
import functools
import hashlib
import hmac
import json
import os
import pickle
import stat
import sys
import tempfile
import threading
from pathlib import Path

from . import __version__

MAGIC = b"derive-derived-1\n"
SECRET_BYTES = 32
MAX_ENTRY = 256 << 20          # bytes: an entry larger than this is not read (a 2000-layer stack is a few MiB)
KEEP_DAYS = 30                 # an entry not read or written for this long is removed ...
MAX_BYTES = 512 << 20          # ... and the least recently used ones while the folder holds more than this
PRUNE_EVERY = 24 * 3600        # seconds between two prunings (the time is kept as a stamp file's mtime)
NO_CACHE_ENV = "DERIVE_NO_CACHE"


def user_folder() -> Path:
    """derive's folder in the user's cache: $XDG_CACHE_HOME/derive, or ~/.cache/derive."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):                   # the XDG rule: a relative path is ignored
        base = str(Path.home() / ".cache")
    return Path(base) / "derive"


def disabled_by_env() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0")


# --- the folder: the user's alone, or not used ------------------------------------------------

class Untrusted(Exception):
    """A cache folder (or secret) someone else owns or can write: the cache is not used."""


_LOCK = threading.RLock()
_OFF: dict[Path, str] = {}        # cache folders turned off in this process, with the warning given


def folder(name: str) -> Path | None:
    """The folder ``name`` in derive's cache folder, made if need be (mode 0700); None when the cache is off:
    DERIVE_NO_CACHE=1, or a folder that is not the user's alone or cannot be made (then one warning, and
    the cache stays off for the rest of the process), or a write that failed earlier in the process."""
    if disabled_by_env():
        return None
    root = user_folder()
    with _LOCK:
        if root in _OFF:
            return None
        try:
            _checked(root.parent, holder=True)
            _checked(root)
            return _checked(root / name)
        except Untrusted as err:
            turn_off(root, str(err))
        except OSError as err:
            turn_off(root, f"cannot use the cache folder {root}: {err.strerror or err}")
    return None


def _checked(path: Path, holder: bool = False) -> Path:
    """The folder, made if missing; Untrusted unless it is the user's (or, for the ``holder`` of derive's
    folder, root's) and no one else can write it (a sticky holder, as /tmp, is fine: no one else can move
    derive's folder out of it)."""
    path.mkdir(parents=holder, exist_ok=True, mode=0o700)
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    if st.st_uid != os.geteuid() and not (holder and st.st_uid == 0):
        raise Untrusted(f"the cache folder {path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022 and not (holder and st.st_mode & stat.S_ISVTX):
        raise Untrusted(f"the cache folder {path} can be written by others (mode {stat.S_IMODE(st.st_mode):o};"
                        f" chmod go-w {path})")
    return path


def turn_off(root: Path, why: str) -> None:
    """No cache in ``root`` for the rest of the process, said once on standard error."""
    with _LOCK:
        if root in _OFF:
            return
        _OFF[root] = why
    sys.stderr.write(f"derive: warning: {why}; going on without the cache\n")
    sys.stderr.flush()


def write_failed(err: OSError) -> None:
    """A write into the cache failed (a full disk, a read-only folder): the cache is off, said once. A file or
    folder removed meanwhile (a concurrent run pruning, the user clearing the cache) is no failure."""
    if isinstance(err, (FileNotFoundError, FileExistsError)):
        return
    root = user_folder()
    turn_off(root, f"cannot write to the cache folder {root}: {err.strerror or err}")


def is_off() -> bool:
    return user_folder() in _OFF


def write_file(path: Path, data: bytes) -> bool:
    """Write a file of the cache whole or not at all (a temporary file in the same folder, renamed into place);
    False when it was not written (the cache is off, or the write failed: see ``write_failed``)."""
    if is_off():
        return False
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError as err:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        write_failed(err)
        return False


# --- signed files ------------------------------------------------------------------------------

SIGNED = b"derive-signed-1\n"


def _mac(secret: bytes, label: str, payload: bytes) -> bytes:
    return hmac.new(secret, label.encode("utf-8", "surrogateescape") + b"\0" + payload, hashlib.sha256).digest()


def seal(secret: bytes, label: str, payload: bytes) -> bytes:
    """The payload signed for ``label`` (a file's name: a file moved to another name does not verify)."""
    return SIGNED + _mac(secret, label, payload) + payload


def unseal(secret: bytes, label: str, data: bytes) -> bytes | None:
    """The payload ``seal`` signed for ``label``, or None for anything else."""
    head, end = len(SIGNED), len(SIGNED) + 32
    if data[:head] != SIGNED or not hmac.compare_digest(data[head:end], _mac(secret, label, data[end:])):
        return None
    return data[end:]


# --- keys ------------------------------------------------------------------------------------

class Uncacheable(Exception):
    """A value whose content cannot be written down exactly (a library user's own object): no caching."""


def _canonical(value):
    """A spec value as JSON data that tells its types apart; Uncacheable for anything else."""
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, (list, tuple)):
        return ["l", [_canonical(v) for v in value]]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Uncacheable
        return ["d", [[k, _canonical(v)] for k, v in value.items()]]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return ["t", type(value).__name__, value.isoformat()]
    raise Uncacheable


def _package_files(module_name: str) -> list[Path]:
    """The source files of the top-level package a module belongs to (the module alone if it is not in one)."""
    top = sys.modules.get(module_name.partition(".")[0])
    path = getattr(top, "__file__", None)
    if not path:
        return []
    path = Path(path)
    if path.name != "__init__.py":
        return [path]
    return sorted(path.parent.rglob("*.py"))


@functools.lru_cache(maxsize=None)
def _source_hash(module_name: str) -> str:
    """A hash of derive's source and of the package defining a kind (once per process and package)."""
    h = hashlib.sha256()
    files = _package_files(__name__) + (_package_files(module_name) if not module_name.startswith("derive.") else [])
    for file in files:
        h.update(str(file).encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(file.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> list:
    import mpmath
    import sympy
    return [__version__, list(sys.version_info[:3]), sympy.__version__, mpmath.__version__]


def entry_key(kind, kind_name: str, values, asks, ask: str, notation: str) -> str | None:
    """The entry's key, or None when the part's values cannot be written down exactly."""
    if values is None:
        return None
    try:
        content = {"values": _canonical(values), "asks": list(asks), "ask": ask, "kind": kind_name,
                   "class": f"{type(kind).__module__}.{type(kind).__qualname__}", "notation": notation,
                   "versions": _versions(), "source": _source_hash(type(kind).__module__)}
    except (Uncacheable, RecursionError):
        return None
    return hashlib.sha256(json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()).hexdigest()


# --- the store -------------------------------------------------------------------------------

class Store:
    """Signed entries in a folder: ``get`` returns None for anything missing, unreadable or not ours."""

    def __init__(self, folder: Path, secret: bytes):
        self.folder = folder
        self._secret = secret

    @staticmethod
    def key(kind, kind_name: str, values, asks, ask: str, notation: str) -> str | None:
        return entry_key(kind, kind_name, values, asks, ask, notation)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def _mac(self, key: str, payload: bytes) -> bytes:
        return _mac(self._secret, key, payload)

    def get(self, key: str | None, notation=None):
        """The value stored under ``key``, its symbols' written forms put back in ``notation``; None if none."""
        return self.get_all([(key, notation)])[0]

    def get_all(self, wanted: list[tuple[str | None, object]]) -> list:
        """``get`` for each (key, notation), read back in one pass (see ``loads``)."""
        payloads = [self._payload(key) for key, _ in wanted]
        found = [(data, notation) for data, (_, notation) in zip(payloads, wanted) if data is not None]
        values = iter(loads(found)) if found else iter(())
        return [None if data is None else next(values) for data in payloads]

    def _payload(self, key: str | None) -> bytes | None:
        """The signed bytes stored under ``key``, or None (missing, unreadable, too large or not ours)."""
        if key is None:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read(MAX_ENTRY + 1)
        except OSError:
            return None
        head, mac_end = len(MAGIC), len(MAGIC) + 32
        if len(data) > MAX_ENTRY or data[:head] != MAGIC:
            return None
        mac, payload = data[head:mac_end], data[mac_end:]
        if not hmac.compare_digest(mac, self._mac(key, payload)):
            return None
        try:
            os.utime(self._path(key))                  # used now: pruning removes the least recently used
        except OSError:
            pass
        return payload

    def put(self, key: str | None, value, notation=None) -> None:
        """Store a checked value with the written forms (in ``notation``) of the symbols it holds."""
        if key is None:
            return
        try:
            payload = _pickled(value, notation)
        except Exception:  # noqa: BLE001 - a value that cannot be pickled (a kind's own object) is not cached
            return
        write_file(self._path(key), MAGIC + self._mac(key, payload) + payload)


class _Pickler(pickle.Pickler):
    """Pickles a value; a symbol (or function) of the kind's notation goes with its name and written form, so
    that reading it back in another process finds the symbol that notation holds there under that name (the
    same one: a name is one symbol) or registers it, written the same way. Matrix symbols are noted by name."""

    def __init__(self, file, notation):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.notation = notation
        self.matrices: set[str] = set()
        self.ids: dict = {}

    def _symbol(self, obj):
        name = obj.name if hasattr(obj, "name") else obj.__name__
        if self.notation.get(obj) is not None or _named(self.notation, name) == obj:
            return ("symbol", name, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), self.notation.get(obj))
        return None

    def persistent_id(self, obj):
        if type(obj) in _PLAIN:                 # most of what a key holds: never a symbol
            return None
        if isinstance(obj, (_sympy().Symbol, _undefined())):
            key = (type(obj), obj)
            if key not in self.ids:             # one tuple a symbol: pickled once, then by reference
                self.ids[key] = self._symbol(obj)
            return self.ids[key]
        elif isinstance(obj, _sympy().MatrixSymbol):
            self.matrices.add(str(obj.name))
        return None

    def reducer_override(self, obj):
        """A SymPy expression pickled as its class and arguments, read back by ``_rebuilt``."""
        if type(obj) in _PLAIN or not isinstance(obj, _sympy().Basic) or not _by_arguments(type(obj)):
            return NotImplemented
        return _rebuilt, (type(obj), obj.args)


_PLAIN = frozenset({str, int, float, bool, type(None), tuple, list, dict, bytes})


@functools.lru_cache(maxsize=1024)
def _by_arguments(cls: type) -> bool:
    """SymPy rebuilds an expression of this class from its arguments (pickle's default for SymPy's compound
    expressions; not an atom's: a number, a symbol), or it has limits (a Sum, a Product, an Integral: an
    Integral is pickled with its limits as tuples)."""
    basic = _sympy().Basic
    plain = (not issubclass(cls, _sympy().Atom) and cls.__reduce_ex__ is basic.__reduce_ex__
             and cls.__getnewargs__ is basic.__getnewargs__ and cls.__getstate__ is basic.__getstate__
             and not hasattr(cls, "__getnewargs_ex__"))
    return plain or issubclass(cls, _with_limits())


def _rebuilt(cls: type, args: tuple):
    """``cls`` of ``args`` as it was pickled, read with SymPy's evaluation off (``loads``). Off, SymPy's
    constructors keep their arguments, except a Sum's and an Integral's: they multiply the body by the limits'
    orientation, so that Sum(f, (k, 1, t)) would come back as Sum(1*f, (k, 1, t)), written with a factor 1
    (whether a question's key showed it depended on whether a worker or the cache had handed it over). Such
    a new expression is given its body back. One that still differs from what was pickled fails to load (its
    question is derived again): what is read is what was derived."""
    obj = cls.__new__(cls, *args)
    if isinstance(obj, _with_limits()) and obj.args[1:] == args[1:] and obj.args[0].args == (1, args[0]):
        obj._args = args                       # made just now, by a constructor SymPy does not cache
    if type(obj) is not cls or obj.args != args:
        raise pickle.UnpicklingError(f"a {cls.__name__} that does not rebuild as it was")
    return obj


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, notation):
        super().__init__(file)
        self.notation = notation
        self.loaded: dict = {}

    def persistent_load(self, pid):
        if pid not in self.loaded:
            self.loaded[pid] = self._symbol(pid)
        return self.loaded[pid]

    def _symbol(self, pid):
        _, name, data, latex = pid
        obj = pickle.loads(data)                             # the entry's signature covers these bytes too
        known = _named(self.notation, name)
        if known is None:
            return self.notation.add(obj, latex)
        same = known == obj or (isinstance(known, _sympy().Dummy) and isinstance(obj, _sympy().Dummy)
                                and known.assumptions0 == obj.assumptions0)     # a Dummy is made anew each run
        if not same or self.notation.get(known) != latex:
            raise pickle.UnpicklingError(f"the symbol {name!r} is not the one cached")
        return known


def _named(notation, name: str):
    try:
        return notation.named(name)
    except KeyError:
        return None


@functools.lru_cache(maxsize=1)
def _sympy():
    import sympy
    return sympy


@functools.lru_cache(maxsize=1)
def _with_limits():
    from sympy.concrete.expr_with_limits import ExprWithLimits
    return ExprWithLimits


@functools.lru_cache(maxsize=1)
def _undefined():
    from sympy.core.function import UndefinedFunction
    return UndefinedFunction


def _pickled(value, notation) -> bytes:
    """The value and the written forms of its matrix symbols (a kind's notation grows as it derives: a
    question read from the cache brings the written forms of its symbols with it)."""
    import io
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, notation if notation is not None else _EMPTY)
    pickler.dump(value)
    notation = pickler.notation
    pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        [(m, notation.matrix_written(m)) for m in sorted(pickler.matrices)])
    return buffer.getvalue()


class _Empty:
    def get(self, key, default=None):
        return default

    def named(self, name):
        raise KeyError(name)

    def matrix_written(self, name):
        return None


_EMPTY = _Empty()


def _unpickled(payload: bytes, notation):
    """The entry's value, its SymPy expressions rebuilt as they were (the caller has turned SymPy's evaluation
    off: an unevaluated sum shown as written stays one), its symbols those of the notation; None if it does
    not load."""
    import io
    notation = notation if notation is not None else _EMPTY
    buffer = io.BytesIO(payload)
    try:
        value = _Unpickler(buffer, notation).load()
        matrices = pickle.load(buffer)
        for name, latex in matrices:
            if latex is not None:
                notation.matrix(name, 1, 1, latex)
    except Exception:  # noqa: BLE001 - a signed entry that no longer loads (or clashes) is derived again
        return None
    return value


def dumps(value, notation) -> bytes:
    """A checked value as bytes another derive process reads back with ``loads`` (the symbols of ``notation``
    go with their written forms). Not signed: for a pipe between processes, not for the disk."""
    return _pickled(value, notation)


def loads(items: list[tuple[bytes, object]]) -> list:
    """The values ``dumps`` wrote, one per (bytes, notation), their symbols those of the notation (None for
    one that does not load). One pass with SymPy's evaluation off for all (each switch clears SymPy's cache)."""
    from sympy.core.parameters import evaluate
    with evaluate(False):
        return [_unpickled(data, notation) for data, notation in items]


def _private(path: Path) -> bool:
    """The file is ours and no one else can read or write it."""
    st = path.stat()
    return st.st_uid == os.geteuid() and not st.st_mode & 0o077


def secret(where: Path) -> bytes | None:
    """The signing secret of a folder of the cache (its file 'secret'): read, or made once (concurrent first
    runs agree on one through a hard link). None when the cache is off, and when the secret is not the user's
    alone, is not one derive made or cannot be made: the cache is then turned off, said once."""
    path = where / "secret"
    if is_off():
        return None
    try:
        if not path.exists():
            _make_secret(where, path)
        if not _private(path):
            raise Untrusted(f"the cache's secret {path} is not yours alone (mode 0600 and yours)")
        value = path.read_bytes()
        if len(value) != SECRET_BYTES:
            raise Untrusted(f"the cache's secret {path} is not one derive made (delete it to start afresh)")
        return value
    except Untrusted as err:
        turn_off(user_folder(), str(err))
    except OSError as err:
        write_failed(err)
    return None


def _make_secret(where: Path, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")               # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(SECRET_BYTES))
        try:
            os.link(tmp, path)                                           # fails if another run made it first
        except FileExistsError:
            pass
        except OSError:                                                  # no hard links here: last writer wins
            os.replace(tmp, path)
            tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def open_store(enabled: bool = True) -> Store | None:
    """The user's store of derived questions; None when disabled (``--no-cache``, DERIVE_NO_CACHE=1) or
    when the cache folder cannot be used (see ``folder`` and ``secret``)."""
    if not enabled:
        return None
    where = folder("derived")
    key = secret(where) if where is not None else None
    if key is None:
        return None
    prune(where)
    return Store(where, key)


def prune(folder: Path, now: float | None = None, force: bool = False) -> list[Path]:
    """At most once every PRUNE_EVERY seconds (or when ``force``d): remove the entries not used for KEEP_DAYS
    days, then the least recently used while the entries take more than MAX_BYTES, and temporary files a
    day old (left by a run that was killed). Returns the files removed. Concurrent runs are harmless: a file
    already gone is skipped, and an entry removed under a run's feet is just derived again."""
    import time
    now = time.time() if now is None else now
    stamp = folder / ".pruned"
    try:
        if not force and now - stamp.stat().st_mtime < PRUNE_EVERY:
            return []
    except OSError:
        pass
    try:
        stamp.touch()
        os.utime(stamp, (now, now))
        files = [(p, p.stat()) for p in folder.iterdir() if p.suffix == ".pickle" or p.name.startswith(".tmp-")]
    except OSError:
        return []
    return _remove(_stale(files, now))


def _stale(files: list, now: float) -> list[Path]:
    """The files pruning removes: old temporary files and entries, then the oldest beyond MAX_BYTES."""
    gone = [p for p, st in files if p.name.startswith(".tmp-") and now - st.st_mtime > 24 * 3600]
    entries = sorted(((st.st_mtime, st.st_size, p) for p, st in files if p.suffix == ".pickle"), reverse=True)
    kept, full = 0, False
    for mtime, size, path in entries:                 # the most recently used first; once full, every older one
        full = full or kept + size > MAX_BYTES
        if full or now - mtime > KEEP_DAYS * 24 * 3600:
            gone.append(path)
        else:
            kept += size
    return gone


def _remove(paths: list[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed
