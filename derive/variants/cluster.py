"""``derive variants --scheduler tcp://HOST:PORT``: the variants derived and rendered on a Dask distributed cluster.

The draws are made here, as ever (they are cheap, and a distinct pool's depend on each other); then each variant is
one task sent to the cluster: the spec's text, the student, their draws, the formats (and the files of the user's
template folders, which the workers do not have). A worker loads the spec once, derives the variant's problems
(each once for every variant it is given that drew the same values), renders its files exactly as ``run.derive_one``
does here, and hands back the same result; the manifest, the answers table, the pooled formats and the book are
then made here from the results. So the files are the same, byte for byte, as on one machine.

The workers need derive and SymPy of the same versions as this machine (a worker that has others is refused, naming
them). A worker runs its tasks one at a time (a worker's threads take turns: SymPy holds Python's lock anyway), and
there the question's own time budget, which needs a process's main thread, does not apply; the command's budget
does, here. ``DERIVE_SCHEDULER_TIMEOUT`` (seconds, 10 by default) bounds the wait for the scheduler to answer."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..errors import DeriveError, UsageError
from . import run
from .dates import dated
from .draw import Draw, Drawer
from .roster import Student

TIMEOUT = 10.0              # seconds to reach the scheduler (DERIVE_SCHEDULER_TIMEOUT)
ADDRESS = re.compile(r"(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")
INSTALL = "pip install 'derive-keys[dask]'"
DATED = ("SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE")


class ClusterError(DeriveError):
    """The cluster cannot be reached, or a worker failed or differs from this machine (exit status 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Task:
    """One variant, as a worker is sent it: everything it needs, nothing of this process."""
    spec: str                           # the spec's text
    path: str                           # its file's path here (its name names the files; messages show it)
    count: int | None
    student: Student
    draws: tuple[Draw, ...]
    opts: run.Options                   # without the template folders: their files are in ``templates``
    templates: tuple = (0, ())          # (how many folders, ((folder number, path under it, bytes), ...))
    environ: tuple = ()                 # ((name, value or None), ...): the PDFs' date


def address(given: str) -> str:
    """The scheduler's address as given, when it reads as [tcp:// or tls://]HOST:PORT."""
    m = ADDRESS.fullmatch(given.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise UsageError(f"--scheduler {given}: not a scheduler's address (expected tcp://HOST:PORT, as "
                         f"dask scheduler prints it)")
    return given.strip()


def timeout() -> float:
    try:
        seconds = float(os.environ.get("DERIVE_SCHEDULER_TIMEOUT", TIMEOUT))
    except ValueError:
        return TIMEOUT
    return seconds if 0 < seconds < 86400 else TIMEOUT


def connect(given: str):
    """A client of the scheduler at ``given``; ClusterError when Dask is not installed or no scheduler answers."""
    where = address(given)
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask's distributed scheduler, which is not installed: {INSTALL}") \
            from None
    seconds = timeout()
    try:
        return Client(where, timeout=seconds, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(f"--scheduler {where}: no Dask scheduler answered within {seconds:g} s ({err}); start "
                           f"one with `dask scheduler` and workers with `dask worker {where}`, or set "
                           f"DERIVE_SCHEDULER_TIMEOUT") from None


def reachable(given: str) -> None:
    """Before anything is drawn: the address reads, Dask is installed and the scheduler answers."""
    connect(given).close()


def template_files(templates) -> tuple:
    """How many template folders the user gave, and every file of them, to be laid out again on a worker."""
    from ..formats import template_folders
    from ..formats.engine import MAX_TEMPLATE_BYTES, MAX_TEMPLATE_FILES
    out, size, folders = [], 0, template_folders(templates)
    for k, folder in enumerate(folders):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                out.append((k, path.relative_to(folder).as_posix(), data))
                size += len(data)
                if len(out) > MAX_TEMPLATE_FILES or size > MAX_TEMPLATE_BYTES:
                    raise UsageError(f"--templates {folder}: more than {MAX_TEMPLATE_FILES} files or "
                                     f"{MAX_TEMPLATE_BYTES >> 20} MiB, too many to send to the cluster's workers")
    return len(folders), tuple(out)


def tasks(plan: run.Plan, opts: run.Options) -> list[Task]:
    """The run's variants as tasks (the PDFs' date as this process has it now, inside ``dated``)."""
    text = plan.text.decode("utf-8", "replace")
    bare = replace(opts, templates=None, scheduler=None)
    files = template_files(opts.templates)
    environ = tuple((k, os.environ.get(k)) for k in DATED)
    return [Task(text, plan.ps.path, plan.count, s, plan.draws[s.id], bare, files, environ) for s in plan.mine]


def derive_all(plan: run.Plan, opts: run.Options, progress=None) -> list[dict]:
    """Every variant of the run's slice, derived and rendered on the cluster; the results in the slice's order."""
    client = connect(opts.scheduler)
    futures = []
    try:
        with dated():
            work = tasks(plan, opts)
        with client.as_current():
            futures = client.map(derive_task, work, key=[f"derive-variant-{_digest(t)}" for t in work], pure=False)
            return _gathered(client, futures, plan, progress)
    finally:
        if futures:
            client.cancel(futures)
        client.close()


def _gathered(client, futures: list, plan: run.Plan, progress) -> list[dict]:
    from distributed import as_completed
    done = 0
    for future in as_completed(futures):
        if future.status == "error":
            ident = plan.mine[futures.index(future)].id
            err = future.exception()
            raise ClusterError(f"--scheduler: a worker failed on the variant {ident}: {type(err).__name__}: {err} "
                               f"(are derive-keys {__version__} and its dependencies installed on every worker?)")
        done += 1
        if progress is not None:
            progress(done)
    results = client.gather(futures)
    for result in results:
        _same_versions(result)
    return results


def _same_versions(result: dict) -> None:
    import sympy
    error = result.pop("error", None)
    if error is not None:
        raise ClusterError(f"--scheduler: {error}")
    theirs = result.pop("versions")
    if tuple(theirs) != (__version__, sympy.__version__):
        raise ClusterError(f"--scheduler: a worker has derive {theirs[0]} with SymPy {theirs[1]}, this machine "
                           f"derive {__version__} with SymPy {sympy.__version__}: the files would differ; install "
                           f"the same versions on every worker")


def _digest(task: Task) -> str:
    return hashlib.sha256(f"{task.path}\0{task.student.id}\0{task.spec}".encode()).hexdigest()[:24]


# --- on a worker -----------------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_PLANS: dict[str, run.Plan] = {}               # the spec's plan on this worker, by what it depends on (one kept)
_FOLDERS: dict[str, tempfile.TemporaryDirectory] = {}


def derive_task(task: Task) -> dict:
    """One variant derived and rendered on a worker, as ``run.derive_one`` does it (with this worker's derive and
    SymPy versions, for the client to compare)."""
    import sympy
    with _LOCK:
        try:
            plan, opts = _worker_plan(task)
            plan.draws[task.student.id] = task.draws
            with _environ(task.environ), run.compiling(_formats()):
                result = run.derive_one(plan, opts, task.student)
        except DeriveError as err:
            result = {"error": str(err)}
    return {**result, "versions": (__version__, sympy.__version__)}


def _formats() -> str:
    """This worker's folder of dumped preambles (derive.pdf.shared_preambles), for as long as it lives."""
    if "formats" not in _FOLDERS:
        _FOLDERS["formats"] = tempfile.TemporaryDirectory(prefix="derive-run-fmt-")
    return _FOLDERS["formats"].name


def _worker_plan(task: Task) -> tuple[run.Plan, run.Options]:
    from .. import spec as specs
    folders = _laid_out(task.templates)
    opts = replace(task.opts, templates=folders or None)
    memo = hashlib.sha256(repr((task.spec, task.path, task.count, folders, task.opts)).encode()).hexdigest()
    if memo not in _PLANS:
        _PLANS.clear()
        run._PARTS.clear()
        run._BARE.clear()
        ps = specs.loads(task.spec, task.path)
        _PLANS[memo] = run.Plan(ps, task.spec.encode(), Drawer(ps), [], [], task.count)
        run._prepared(opts)
    return _PLANS[memo], opts


def _laid_out(templates: tuple) -> list[str]:
    """The user's template folders on this worker: their files written once into temporary folders."""
    count, files = templates
    if not count:
        return []
    memo = hashlib.sha256(repr(templates).encode()).hexdigest()
    if memo not in _FOLDERS:
        _FOLDERS[memo] = tempfile.TemporaryDirectory(prefix="derive-templates-")
        for k in range(count):
            Path(_FOLDERS[memo].name, str(k)).mkdir()
        for k, rel, data in files:
            path = Path(_FOLDERS[memo].name, str(k), rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return [str(Path(_FOLDERS[memo].name, str(k))) for k in range(count)]


class _environ:
    """The variables set for the task's while (None: unset), then as they were."""

    def __init__(self, pairs: tuple):
        self.pairs = pairs
        self.saved: dict = {}

    def __enter__(self):
        for k, v in self.pairs:
            self.saved[k] = os.environ.get(k)
            _put(k, v)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            _put(k, v)
        return False


def _put(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
