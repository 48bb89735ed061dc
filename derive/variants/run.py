"""``derive variants``: draw every student's (or pool entry's) values, derive each variant's key and sheet on every
core, and write them with the manifest and the answers table.

A variant's files go to ``DIR/<id>/<spec>-<sheet><ending>``; ``DIR/manifest.json`` and ``DIR/answers.csv`` list
them all (a shard writes ``manifest.shard-i-of-N.json`` and ``answers.shard-i-of-N.csv``, joined by
``--merge``). Everything is drawn and derived before anything is written. The files are the same byte for byte
whatever the roster's order, the shards or the number of processes: the PDFs are made with
SOURCE_DATE_EPOCH=0 (unless it is set), so they carry no date of their own, and compiled from their preamble
dumped once for the run into a folder of its own (``compiling``; never the cache's, so that the cache changes no
byte). ``make.generate`` runs it all, here or on a Dask cluster (``cluster``)."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field, replace

from .. import __version__, document, output, parallel, process, spec as specs
from ..document import Document, Refused
from ..errors import SpecError, Unanswered, UsageError
from . import files
from .dates import dated
from .draw import LIMIT, Draw, Drawer, _Problem, key
from .roster import Student, pool, roster, sliced

OUT = os.path.join("out", "variants")


@dataclass(frozen=True)
class Options:
    """How the variants are written: the formats, the user's templates, figures, the cache."""
    names: tuple[str, ...] = ("json",)
    templates: object = None
    figures: bool = True
    cache: bool = True
    scheduler: str | None = None        # a Dask scheduler's address: the variants derived there (variants.cluster)


@dataclass
class Plan:
    """A run: the spec, its drawer, who is in it (all, in id order) and who is derived here (a shard's), and
    every variant's draws."""
    ps: object
    text: bytes
    drawer: Drawer
    students: list[Student]
    mine: list[Student]
    count: int | None
    draws: dict = field(default_factory=dict)
    shard: tuple | None = None


def _spec_bytes(path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(specs.MAX_BYTES + 1)
    except OSError:
        return b""                      # load() has said why already


def _varied(ps) -> list[int]:
    return [p.number for p in ps.problems if p.vary]


def _distinct_room(ps, count: int) -> None:
    """A distinct pool needs as many combinations of values as variants."""
    room = 1
    for number in _varied(ps):
        room *= ps.problems[number - 1].vary.combinations
    if room < count:
        why = "no problem has a [problem.vary] table" if not _varied(ps) else \
            f"the choices and grids of the [problem.vary] tables make {room} combinations of values in all"
        raise SpecError(f"{why}; --count {count} asks for {count} different variants", file=ps.path,
                        field="variants.distinct", given=True,
                        expected="more choices (or distinct = false in [variants] to allow a variant twice)")


def _draw_variant(drawer: Drawer, ident: str, taken: set | None) -> tuple[Draw, ...]:
    """One variant's draws, problem by problem; in a distinct pool, drawn again (every stream going on) while it
    equals a variant drawn before."""
    varied = _varied(drawer.ps)
    streams = {n: drawer.stream(ident, n) for n in varied}
    counts = dict.fromkeys(varied, 0)
    for _ in range(LIMIT):
        values = {}
        for n in varied:
            values[n], k = drawer.next(n, streams[n])
            counts[n] += k
        signature = key({str(n): v for n, v in values.items()})
        if taken is None or signature not in taken:
            if taken is not None:
                taken.add(signature)
            return tuple(Draw(n, streams[n].seed.hex(), values[n], counts[n]) for n in varied)
    raise SpecError(f"after {LIMIT} draws for the variant {ident} none differed from the {len(taken)} drawn before:"
                    f" the variants that meet every require are too few for the pool", file=drawer.ps.path,
                    field="variants.distinct", given=True,
                    expected="a smaller --count, wider choices, or distinct = false in [variants]")


def plan(spec, count: int | None = None, roster_file=None, part: tuple | None = None, cache: bool = False) -> Plan:
    """Load the spec, list who gets a variant (a pool of ``count`` or a roster file's students), and draw the
    variants derived here."""
    if (count is None) == (roster_file is None):
        raise UsageError("give --count K (a pool of K variants) or --roster FILE.csv (one variant a student)")
    return planned(spec, pool(count) if count is not None else roster(roster_file), count, part, cache)


ROUNDS = 20                 # rounds of candidates derived on every core before the draws are made one by one


def _candidates(drawer: Drawer, pending: dict) -> dict:
    """Each pending (student, problem)'s next values that pass what is judged without deriving; those whose
    answers are still to be derived, once each. A stream that finds none in LIMIT draws is left to the draws
    (which say so)."""
    batch = {}
    for (ident, number), stream in list(pending.items()):
        for _ in range(LIMIT):
            values = drawer.pick(number, stream)
            if drawer.plausible(number, values):
                break
        else:
            del pending[(ident, number)]
            continue
        memo = (number, key(values))
        if memo in drawer.solved:
            if drawer.judge(number, values).refused is None:
                del pending[(ident, number)]
        else:
            batch[memo] = (number, values)
    return batch


def prefetch(run: Plan, students: list[Student], cache: bool = False) -> None:
    """When a require reads answers, a draw is judged once its problem is derived: derive the draws the students
    will make, round by round, on every core (the draws themselves are then made as ever, one by one, and find
    what they judge derived: the same draws, sooner)."""
    drawer = run.drawer
    numbers = [n for n in _varied(run.ps) if drawer.reads_answers(n)]
    if not numbers or parallel.jobs() < 2:
        return
    pending = {(s.id, n): drawer.stream(s.id, n) for s in students for n in numbers}
    for _ in range(ROUNDS):
        batch = _candidates(drawer, pending)
        if len(batch) < 2:
            return
        solve_many(run, list(batch.values()), cache=cache)


def planned(spec, students: list[Student], count: int | None, part: tuple | None = None,
            cache: bool = False) -> Plan:
    """The run of these students (a pool of ``count``, or a roster's when None): the variants derived here drawn
    (in a distinct pool every variant before them too: each must differ from those before it)."""
    ps = specs.load(spec)
    process.settle()
    distinct = count is not None and (ps.variants.distinct if ps.variants else True)
    if distinct:
        _distinct_room(ps, count)
    mine = sliced(students, part)
    run = Plan(ps, _spec_bytes(spec), Drawer(ps), sorted(students, key=lambda s: s.id), mine, count, shard=part)
    wanted = {s.id for s in mine}
    taken: set | None = set() if distinct else None
    prefetch(run, run.students if distinct else mine, cache)
    for s in (run.students if distinct else mine):
        draws = _draw_variant(run.drawer, s.id, taken)
        if s.id in wanted:
            run.draws[s.id] = draws
    return run


_BARE: dict[int, tuple] = {}             # a problem without its figures, by its ProblemDoc's id (that kept too)


def _bare(problem, figures: bool):
    if figures:
        return problem
    if id(problem) not in _BARE:
        from ..figures import without
        _BARE[id(problem)] = (problem, without(problem))
    return _BARE[id(problem)][1]


def _document(run: Plan, student: Student, figures: bool = True):
    """A variant's document, each problem derived once for its values (a problem no one varies, once in all),
    the tolerance of each question, and the questions over their budget."""
    drawn = {d.number: d.values for d in run.draws[student.id]}
    problems, refused, tolerances = [], [], {}
    for p in run.ps.problems:
        values = drawn.get(p.number, {})
        solved, late = run.drawer.solve(p.number, values)
        for part in run.drawer.loaded(p.number, values).parts:
            tolerances.update(dict.fromkeys(part.ids(p.number), part.tolerance))
        if solved is not None:
            problems.append(_bare(solved.doc, figures and run.ps.figures))
        refused += late
    ps = run.ps
    doc = Document(name=ps.name, title=ps.title, due=ps.due, problems=tuple(problems), refused=tuple(refused))
    return doc, tolerances


_PARTS: dict[int, tuple] = {}            # a problem's JSON parts by its ProblemDoc's id (the ProblemDoc kept with them)


INDENT = "    "              # where the JSON key's parts are written: each an entry of the head's "parts" list


def json_key(doc) -> str:
    """The JSON format's text of a variant, each problem's parts made and written once for all the variants that
    share its values (the built-in JSON format is the document's questions one after the other, under a head):
    the text of ``jsonkey.dumps`` of the whole, put together."""
    from ..formats import jsonkey
    texts = []
    for problem in doc.problems:
        if id(problem) not in _PARTS:
            one = Document(name=doc.name, title=doc.title, due=doc.due, problems=(problem,))
            _PARTS[id(problem)] = (problem, [jsonkey.dumps_at(p, INDENT) for p in jsonkey.to_json(one)["parts"]])
        texts += _PARTS[id(problem)][1]
    head = jsonkey.dumps(jsonkey.to_json(Document(name=doc.name, title=doc.title, due=doc.due, problems=())))
    parts = f"[\n{INDENT}" + f",\n{INDENT}".join(texts) + "\n  ]" if texts else "[]"
    return head.replace('\n  "parts": []', '\n  "parts": ' + parts, 1) + "\n"


def _own_json() -> bool:
    return _fast_json("json")


def _fast_json(name: str) -> bool:
    """Whether the format is derive's own JSON, whose key json_key writes a problem at a time."""
    from ..formats import FORMATS, builtin
    return type(FORMATS[name]) is builtin.Json


def makes_book(names) -> bool:
    """Whether the formats include derive's article PDF, which comes with the instructor's book."""
    from ..formats import FORMATS, builtin
    return any(isinstance(FORMATS[n], builtin.Pdf) for n in names)


def _rendered(doc, ident: str, opts: Options) -> dict[str, bytes]:
    """Every file of a variant by its path under the folder: each format's sheets, and the files they link (a
    pooled format's share of its one file is made by ``pieces``)."""
    from .. import formats
    from ..formats import FORMATS, SHEET_NAMES
    out = {}
    if any(map(_fast_json, opts.names)):
        out[f"{ident}/{doc.name}-solutions.json"] = json_key(doc).encode()
    for sheet in SHEET_NAMES:
        names = [n for n in opts.names if sheet in FORMATS[n].sheets and not _fast_json(n) and not FORMATS[n].pooled]
        if not names:
            continue
        texts = formats.render_many(doc, names, sheet=sheet, templates=opts.templates, cache=False)   # the run's TeX
        for name, text in zip(names, texts):
            out[f"{ident}/{doc.name}-{sheet}{FORMATS[name].suffix}"] = text.encode() if isinstance(text, str) else text
            for tail, data in FORMATS[name].figure_files(doc, sheet).items():
                out[f"{ident}/{doc.name}-{tail}"] = data.encode() if isinstance(data, str) else data
    return out


def key_text(doc) -> str:
    """The variant's JSON key, whose SHA-256 the manifest records."""
    from ..formats import FORMATS
    return json_key(doc) if _own_json() else FORMATS["json"].render(doc)


def derive_one(run: Plan, opts: Options, student: Student) -> dict:
    """One variant derived, checked and rendered (in a worker process or here): its files, the hash of its key,
    its answers' rows and the questions refused."""
    doc, tolerances = _document(run, student, opts.figures)
    rendered = _rendered(doc, student.id, opts)
    json_key = rendered.get(f"{student.id}/{doc.name}-solutions.json")
    return {"id": student.id, "files": rendered,
            "key": hashlib.sha256(json_key if json_key is not None else key_text(doc).encode()).hexdigest(),
            "answers": files.answer_rows(student.id, doc, tolerances),
            "pieces": pieces(doc, student.id, opts),
            "refused": [f"variant {student.id}: {r}" for r in doc.refused]}


def pooled(opts: Options) -> list[str]:
    """The formats asked for whose one file holds the whole pool (an LMS's question bank)."""
    from ..formats import FORMATS
    return [n for n in opts.names if FORMATS[n].pooled]


def pieces(doc, ident: str, opts: Options) -> dict:
    """A variant's share of each pooled format's file, by format."""
    from ..formats import FORMATS
    return {n: FORMATS[n].piece(doc, ident) for n in pooled(opts)}


def pools(run: Plan, opts: Options, results: list[dict]) -> dict[str, bytes]:
    """Each pooled format's one file, <spec>-solutions<ending>, from every variant's share, in id order."""
    from ..formats import FORMATS
    out = {}
    for n in pooled(opts):
        data = FORMATS[n].join(run.ps.title, run.ps.name, [r["pieces"][n] for r in results])
        out[f"{run.ps.name}-solutions{FORMATS[n].suffix}"] = data.encode() if isinstance(data, str) else data
    return out


def _prepared(opts: Options) -> None:
    """The renderers loaded before the workers start, so that each has them."""
    from .. import formats
    from ..formats import FORMATS
    formats.environment(opts.templates)
    for name in opts.names:
        FORMATS[name].prepare()


def _wanted(run: Plan) -> list[tuple[int, dict]]:
    """Each problem with the values some variant of the slice drew, once, that is not derived yet."""
    seen, out = set(run.drawer.solved), []
    for student in run.mine:
        drawn = {d.number: d.values for d in run.draws[student.id]}
        for p in run.ps.problems:
            memo = (p.number, key(drawn.get(p.number, {})))
            if memo not in seen:
                seen.add(memo)
                out.append((p.number, drawn.get(p.number, {})))
    return out


def _renumbered(problem, number: int, was: int):
    def qid(old: str) -> str:
        return f"{number}{old[len(str(was)):]}"
    parts = tuple(replace(part, questions=tuple(replace(q, id=qid(q.id), problem=number) for q in part.questions))
                  for part in problem.parts)
    return replace(problem, number=number, parts=parts)


def presolve(run: Plan, progress=None, cache: bool = False) -> int:
    """Derive every problem the slice's variants need, each once (``solve_many``). Returns how many questions
    were derived."""
    return solve_many(run, _wanted(run), progress, cache)


def solve_many(run: Plan, wanted: list[tuple[int, dict]], progress=None, cache: bool = False) -> int:
    """Derive these problems (each with its values) in one spec of them all, its questions shared among every
    core (derive.parallel; with ``cache``, read from and kept in the user's cache of derived questions); the
    drawer keeps them. Returns how many questions were derived."""
    if not wanted:
        return 0
    problems = tuple(replace(run.drawer.loaded(n, v), number=k) for k, (n, v) in enumerate(wanted, 1))
    doc = document.solve(replace(run.ps, problems=problems, variants=None, data=None), jobs=parallel.jobs(),
                         progress=progress, cache=cache)
    done = {p.number: p for p in doc.problems}
    for k, (n, values) in enumerate(wanted, 1):
        late = tuple(Refused(f"{n}{r.id[len(str(k)):]}", r.where.replace(f"problem {k}", f"problem {n}", 1),
                             r.seconds) for r in doc.refused if re.match(rf"{k}[a-z]", r.id))
        solved = _Problem(_renumbered(done[k], n, k)) if k in done else None
        run.drawer.solved[(n, key(values))] = (solved, late)
    return sum(len(part.asks) for p in problems for part in p.parts)


def derive_here(run: Plan, opts: Options, progress=None) -> list[dict]:
    """Every variant of the run's slice on this machine: the problems derived on every core (``presolve``), then
    each variant's files rendered on every core (derive.parallel: the variants are independent). On a Dask
    cluster, ``cluster.derive_all`` makes the same files (``make.derive_all`` chooses)."""
    _prepared(opts)
    _PARTS.clear()
    _BARE.clear()
    questions = presolve(run, progress, opts.cache)
    mine = run.mine

    def told(done: int) -> None:
        if progress is not None:
            progress(questions + done)
    with dated(), compiling():
        return parallel.run(len(mine), lambda i: derive_one(run, opts, mine[i]),
                            lambda i, result: pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL),
                            lambda handed: [pickle.loads(data) for _, data in handed],
                            parallel.jobs(), least=2, progress=told)


def compiling(folder: str | None = None):
    """The variants' PDFs compiled from their preamble dumped once for the run (derive.pdf.shared_preambles):
    the same bytes on one machine, in shards, on a cluster, with the cache or without."""
    from ..pdf import shared_preambles
    return shared_preambles(folder)


def total(run: Plan, opts: Options | None = None) -> int:
    """What the progress bar counts: the questions to derive, then the variants to render (on a cluster, the
    variants)."""
    if opts is not None and opts.scheduler:
        return len(run.mine)
    return sum(len(part.asks) for n, v in _wanted(run) for part in run.drawer.loaded(n, v).parts) + len(run.mine)


def _entry(run: Plan, student: Student, result: dict) -> dict:
    entry: dict = {"id": student.id}
    if run.count is None:
        entry["roster"] = dict(student.columns)
    entry["problems"] = [{"number": d.number, "seed": d.seed, "values": d.values, "draws": d.draws}
                         for d in run.draws[student.id]]
    entry["key"] = result["key"]
    entry["files"] = {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(result["files"].items())}
    return entry


def header(run: Plan, opts: Options) -> dict:
    """The manifest's head: versions, the spec (its text: --check derives from it), the salt and how the files
    were made."""
    import sympy
    ps = run.ps
    return {"derive": __version__, "sympy": sympy.__version__,
            "spec": {"name": ps.name, "file": os.path.basename(ps.path), "sha256": hashlib.sha256(run.text).hexdigest(),
                     "text": run.text.decode("utf-8", "replace")},
            "salt": ps.variants.salt if ps.variants else "", "seeds": "SHA-256 of (salt, id, problem number): "
            "derive.variants.stream", "formats": list(opts.names), "figures": opts.figures,
            "pool": run.count, "distinct": bool(run.count is not None and (not ps.variants or ps.variants.distinct))}


def manifest(run: Plan, opts: Options, results: list[dict], made: dict | None = None) -> dict:
    """The manifest: its head, each variant's entry, and the pooled formats' files with their SHA-256."""
    by_id = {s.id: s for s in run.mine}
    made = pools(run, opts, results) if made is None else made
    pooled = {"pools": {rel: hashlib.sha256(data).hexdigest() for rel, data in made.items()}} if made else {}
    return {**header(run, opts), **pooled, "variants": [_entry(run, by_id[r["id"]], r) for r in results]}


def _folder(out: str | None) -> str:
    folder = out or OUT
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"-o {folder}: not a folder (the variants are written into a folder)")
    return folder


def tail(shard: tuple | None) -> str:
    return "" if shard is None else f".shard-{shard[0]}-of-{shard[1]}"


def write(run: Plan, opts: Options, results: list[dict], out: str | None) -> list[str]:
    """Every variant's files, then the manifest and the answers table (and the instructor's book when the PDF is
    among the formats); the paths of the manifest, the table and the book."""
    folder = _folder(out)
    for result in results:
        for rel, data in sorted(result["files"].items()):
            output.write(os.path.join(folder, rel), data)
    end = tail(run.shard)
    made = pools(run, opts, results)
    data = manifest(run, opts, results, made)
    written = [output.write(os.path.join(folder, rel), blob) for rel, blob in made.items()]
    written += [output.write(os.path.join(folder, f"manifest{end}.json"), files.dumps(data)),
                output.write(os.path.join(folder, f"answers{end}.csv"),
                             files.answers_csv([row for r in results for row in r["answers"]]))]
    if run.shard is None and makes_book(opts.names):
        from .book import book
        written.append(book(folder, data, [row for r in results for row in r["answers"]], opts.cache))
    refused = [line for r in results for line in r["refused"]]
    if refused:
        raise Unanswered(refused, written)
    return written
