"""``derive variants`` from start to end: draw, derive (on this machine, ``run.derive_here``, or each variant a task
on a Dask cluster, ``cluster.derive_all``: the same files) and write (see ``run``'s text)."""

from __future__ import annotations

import contextlib

from ..errors import UsageError
from . import cluster, run


def derive_all(plan: run.Plan, opts: run.Options, progress=None) -> list[dict]:
    """Every variant of the plan's slice: on this machine, or on the Dask cluster of ``opts.scheduler``."""
    if opts.scheduler:
        return cluster.derive_all(plan, opts, progress)
    return run.derive_here(plan, opts, progress)


def generate(spec, count=None, roster_file=None, opts: run.Options = run.Options(), out=None, part=None,
             progress=None) -> list[str]:
    """Draw, derive and write the variants (see ``run``'s text); ``progress(total)``, when given, is a context
    manager that yields a function told how many variants are done."""
    if part is not None and run.pooled(opts):
        raise UsageError(f"-f {','.join(run.pooled(opts))}: one file holds every variant, so it is not made by a "
                         f"shard; write it in a run without --shard (the other formats can be sharded)")
    plan = run.plan(spec, count, roster_file, part, opts.cache)
    with (progress(run.total(plan, opts)) if progress else contextlib.nullcontext()) as told:
        results = derive_all(plan, opts, told)
    return run.write(plan, opts, results, out)
