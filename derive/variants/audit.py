"""``derive variants --check DIR`` (derive every variant of a folder's manifest again and compare each file byte for
byte: the audit when a student disputes a grade) and ``--merge DIR`` (join the shards' manifests and answers)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import sympy

from .. import __version__, output
from ..errors import DeriveError, UsageError
from ..spec import safe_name
from . import files, make, run
from .roster import Student, pool

SHARD = re.compile(r"manifest\.shard-(\d+)-of-(\d+)\.json")
SHOWN = 20


class VariantsDiffer(DeriveError):
    """--check found files that are not what the manifest's spec derives (exit status 1)."""


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (derive variants writes it)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{path}: not a manifest of derive variants ({err})") from None
    if not _valid(data):
        raise UsageError(f"{path}: not a manifest of derive variants")
    return data


def read_manifest(path) -> dict:
    """A folder's manifest of derive variants, checked to hold what --check, --merge and derive grade read."""
    return _read(Path(path))


def _valid(data) -> bool:
    """The manifest has what --check and --merge read, of the types they read."""
    from ..formats import FORMATS
    try:
        return (isinstance(data["spec"]["text"], str) and isinstance(data["spec"].get("file", ""), str)
                and all(isinstance(f, str) and f in FORMATS for f in data["formats"])
                and (data.get("pool") is None or type(data["pool"]) is int)
                and all(isinstance(v["id"], str) and isinstance(v.get("roster", {}), dict) for v in data["variants"]))
    except (KeyError, TypeError, AttributeError):
        return False


def _students(data: dict) -> list[Student]:
    if data.get("pool"):
        return pool(int(data["pool"]))
    return [Student(v["id"], v.get("roster", {})) for v in data["variants"]]


def _regenerated(data: dict, templates, cache: bool, progress,
                 scheduler: str | None = None) -> tuple[run.Plan, run.Options, list[dict]]:
    with tempfile.TemporaryDirectory(prefix="derive-check-") as tmp:
        spec = os.path.join(tmp, safe_name(Path(data["spec"].get("file") or "spec.toml").name))
        Path(spec).write_text(data["spec"]["text"], encoding="utf-8")
        plan = run.planned(spec, _students(data), data.get("pool"), cache=cache)
        opts = run.Options(tuple(data["formats"]), templates, bool(data.get("figures", True)), cache, scheduler)
        with (progress(run.total(plan, opts)) if progress else _nothing()) as told:
            return plan, opts, make.derive_all(plan, opts, told)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def made_again(data: dict, templates=None, cache: bool = True, progress=None,
               scheduler: str | None = None) -> tuple[dict[str, bytes], dict, int]:
    """Every file a folder's manifest claims, derived again from it: the variants' files, the pooled formats', the
    manifest, the answers table and (when the PDF is a format) the book; with the manifest derived again (as data)
    and how many variants."""
    plan, opts, results = _regenerated(data, templates, cache, progress, scheduler)
    made = {rel: blob for r in results for rel, blob in r["files"].items()}
    pools = run.pools(plan, opts, results)
    made.update(pools)
    manifest = run.manifest(plan, opts, results, pools)
    rows = [row for r in results for row in r["answers"]]
    made["manifest.json"] = files.dumps(manifest).encode()
    made["answers.csv"] = files.answers_csv(rows).encode()
    if run.makes_book(opts.names):
        from .book import BOOK, book_pdf
        keys = [r["files"][rel] for r in results if (rel := f"{r['id']}/{plan.ps.name}-solutions.pdf") in r["files"]]
        made[BOOK] = book_pdf(manifest, rows, keys)
    return made, json.loads(files.dumps(manifest)), len(results)


NAMED = {"problems": "values drawn or seeds", "key": "the key's hash", "roster": "roster columns"}


def _entry_says(was: dict, now: dict) -> list[str]:
    """What differs in a variant's entry of the manifest."""
    changed = [NAMED[k] for k in NAMED if was.get(k) != now.get(k)]
    hashes = was.get("files") if isinstance(was.get("files"), dict) else {}
    return changed + [f"the hash of {rel}" for rel in sorted(set(hashes) | set(now["files"]))
                      if hashes.get(rel) != now["files"].get(rel)]


def _manifest_says(old: dict, new: dict) -> str:
    """Where the folder's manifest differs from the one derived again: its head's keys, the variants that are not
    in both, and each variant's values drawn, seeds, key hash and file hashes."""
    where = [k for k in sorted(set(old) | set(new)) if k != "variants" and old.get(k) != new.get(k)]
    mine = {v.get("id"): v for v in old.get("variants", []) if isinstance(v, dict)}
    again = {v["id"]: v for v in new["variants"]}
    where += [f"{i}: not derived" for i in sorted(set(mine) - set(again), key=str)]
    where += [f"{i}: missing" for i in sorted(set(again) - set(mine))]
    for ident in (i for i in again if i in mine):
        changed = _entry_says(mine[ident], again[ident])
        if changed:
            where.append(f"{ident}: {', '.join(changed)}")
    shown = "; ".join(where[:8]) + (f"; and {len(where) - 8} more" if len(where) > 8 else "")
    return f" ({shown})" if shown else ""


def check(folder: str, templates=None, cache: bool = True, progress=None, scheduler: str | None = None) -> str:
    """Derive the manifest's variants again (on the Dask cluster of ``scheduler`` when given) and compare every file
    it claims (``made_again``) byte for byte; VariantsDiffer (exit status 1) naming each file that differs."""
    root = Path(folder)
    data = _read(root / "manifest.json")
    made, manifest, count = made_again(data, templates, cache, progress, scheduler)
    listed = {rel for v in data["variants"] for rel in v.get("files", {})} | set(data.get("pools", {}))
    differ = sorted(rel for rel, blob in made.items() if not _same(root / rel, blob))
    gone = sorted(listed - set(made))
    if not differ and not gone:
        return f"{folder}: every file of the {count} variants is what the spec derives ({len(made)} files)\n"
    versions = (f"; they were made by derive {data.get('derive')} with SymPy {data.get('sympy')}, this is derive "
                f"{__version__} with SymPy {sympy.__version__}" if (data.get("derive"), data.get("sympy")) !=
                (__version__, sympy.__version__) else "")
    lines = [f"  {rel}: " + ("missing" if not (root / rel).exists() else "differs" + (
        _manifest_says(data, manifest) if rel == "manifest.json" else "")) for rel in differ[:SHOWN]]
    lines += [f"  {rel}: no longer derived" for rel in gone[:SHOWN]]
    more = f"\n  ... and {len(differ) + len(gone) - len(lines)} more" if len(differ) + len(gone) > len(lines) else ""
    wrong = len(differ) + len(gone)
    raise VariantsDiffer(f"{folder}: {wrong} {'file is' if wrong == 1 else 'files are'} not what the spec derives"
                         f"{versions}:\n"
                         + "\n".join(lines) + more)


def _shards(root: Path) -> dict[int, Path]:
    found: dict[int, dict[int, Path]] = {}
    for path in root.glob("manifest.shard-*-of-*.json"):
        m = SHARD.fullmatch(path.name)
        if m:
            found.setdefault(int(m.group(2)), {})[int(m.group(1))] = path
    if not found:
        raise UsageError(f"{root}: no shard's manifest (manifest.shard-i-of-N.json, written by --shard i/N)")
    if len(found) > 1:
        raise UsageError(f"{root}: shards of runs cut in {' and '.join(map(str, sorted(found)))} slices; keep one run's")
    n, shards = next(iter(found.items()))
    missing = [i for i in range(1, n + 1) if i not in shards]
    if missing:
        raise UsageError(f"{root}: shard {missing[0]} of {n} is missing (manifest.shard-{missing[0]}-of-{n}.json): "
                         f"run derive variants ... --shard {missing[0]}/{n} first")
    return dict(sorted(shards.items()))


def _joined(shards: dict[int, Path]) -> dict:
    heads, variants = [], []
    for path in shards.values():
        data = _read(path)
        variants += data.pop("variants")
        heads.append((path, data))
    first = heads[0][1]
    for path, head in heads[1:]:
        other = next((k for k in first if head.get(k) != first[k]), None)
        if other is not None:
            raise UsageError(f"{path}: its {other} is not the first shard's: the shards are of different runs")
    ids = [v["id"] for v in variants]
    if len(set(ids)) != len(ids):
        raise UsageError(f"{shards[1].parent}: a variant is in two shards")
    if first.get("pool") and sorted(ids) != [s.id for s in pool(int(first["pool"]))]:
        raise UsageError(f"{shards[1].parent}: the shards do not hold the pool's {first['pool']} variants")
    return {**first, "variants": sorted(variants, key=lambda v: v["id"])}


def merge(folder: str, cache: bool = True) -> list[str]:
    """manifest.json and answers.csv from the shards' (then removed); the book too when the PDF is a format."""
    root = Path(folder)
    shards = _shards(root)
    data = _joined(shards)
    rows = []
    for i, path in shards.items():
        table = path.with_name(f"answers.shard-{i}-of-{len(shards)}.csv")
        try:
            rows += files.read_answers(table.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise UsageError(f"{table}: cannot read the shard's answers ({err})") from None
    rows.sort(key=lambda row: row[0])
    written = [output.write(root / "manifest.json", files.dumps(data)),
               output.write(root / "answers.csv", files.answers_csv(rows))]
    if run.makes_book(data["formats"]):
        from .book import book
        written.append(book(str(root), data, rows, cache))
    for i, path in shards.items():
        path.unlink(missing_ok=True)
        path.with_name(f"answers.shard-{i}-of-{len(shards)}.csv").unlink(missing_ok=True)
    return written
