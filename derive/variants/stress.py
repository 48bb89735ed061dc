"""``derive variants SPEC --stress N``: draw N variants (as for a roster of N students), derive them without
writing their keys, and report per question the spread of its answers (min, median, max of each number, with a
histogram in the HTML and PDF reports; how often each verdict or other text occurs), how often each way of deriving
it occurs (its branches: the words of its steps and notes, which follow the numbers), and per problem how often each
``require`` and the kind's rules let a draw pass: the check an instructor runs before handing variants out.

``analyse`` computes the report as frozen data; ``text`` writes it for the terminal, derive.variants.report as
HTML and LaTeX."""

from __future__ import annotations

import contextlib
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from . import files, run
from .draw import label
from .roster import Student

MAX_ENTRIES = 12            # numbers of one answer reported (a matrix's first ones)
MAX_TEXTS = 5               # texts of one entry (or branches of one question) reported, the most frequent first
BINS = 10                   # bars of a histogram of numbers that take more than MAX_BARS values
MAX_BARS = 12               # numbers that take at most this many values: a bar each
WIDE = 1000                 # positive numbers whose max / min is at least this: bins on a logarithmic scale
MATHS = "\u2026"            # what stands for the maths in a branch's words
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")      # a number written in words: '#' in a branch's words


@dataclass(frozen=True)
class Histogram:
    """Bars (low, high, count), low == high for a bar of one value; ``log``: the bins are equal on a log scale."""
    bars: tuple[tuple[float, float, int], ...]
    log: bool = False


@dataclass(frozen=True)
class Entry:
    """One number (or text) of an answer across the variants: its name (``[1][2]``, ``.verdict``, '' alone)."""
    name: str
    numbers: tuple[float, ...]
    texts: tuple[tuple[str, int], ...]           # the most frequent first
    histogram: Histogram | None

    @property
    def spread(self) -> tuple[float, float, float] | None:
        if not self.numbers:
            return None
        return min(self.numbers), statistics.median(self.numbers), max(self.numbers)


@dataclass(frozen=True)
class Branch:
    """A way of deriving a question: how many variants took it, its steps and notes, and the first words in which
    it differs from the most frequent way ('' for that one)."""
    count: int
    steps: int
    notes: int
    differs: str


@dataclass(frozen=True)
class QuestionStats:
    id: str
    ask: str
    count: int                                    # variants that answered it
    entries: tuple[Entry, ...]
    more: int                                     # numbers left out (past MAX_ENTRIES)
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class Require:
    number: int
    text: str
    seen: int
    passed: int


@dataclass(frozen=True)
class ProblemStats:
    number: int
    head: str                                     # "Problem 1 (title), kind"
    varied: bool
    draws: int = 0
    kept: int = 0
    combinations: int = 0
    requires: tuple[Require, ...] = ()
    refused_by_kind: int = 0
    kind_reason: str = ""
    questions: tuple[QuestionStats, ...] = ()


@dataclass(frozen=True)
class Report:
    path: str
    name: str
    title: str
    n: int
    salt: str
    problems: tuple[ProblemStats, ...]


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def number(value: float) -> str:
    return f"{value:.6g}"


def shape(b: Branch) -> str:
    return f"{b.steps} step{'s' * (b.steps != 1)}, {b.notes} note{'s' * (b.notes != 1)}"


def short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


# --- the analysis ----------------------------------------------------------------------------------------------------

def histogram(numbers) -> Histogram | None:
    """The bars of the finite numbers (None when they take one value): a bar a value when they take few, else BINS
    bins of equal width (on a log scale when they are positive and span WIDE or more)."""
    finite = sorted(x for x in numbers if math.isfinite(x))
    values = Counter(finite)
    if len(values) < 2:
        return None
    if len(values) <= MAX_BARS:
        return Histogram(tuple((v, v, c) for v, c in sorted(values.items())))
    log = finite[0] > 0 and finite[-1] / finite[0] >= WIDE
    scale = [math.log10(x) for x in finite] if log else finite
    low, width = scale[0], (scale[-1] - scale[0]) / BINS
    counts = Counter(min(int((x - low) / width), BINS - 1) for x in scale)
    edge = (lambda k: 10 ** (low + k * width)) if log else (lambda k: low + k * width)
    return Histogram(tuple((edge(k), edge(k + 1), counts.get(k, 0)) for k in range(BINS)), log)


def entry(name: str, values: list) -> Entry:
    shown = [files.cells(v) for v in values]
    numbers = tuple(float(s) for s, _, numeric in shown if numeric)
    texts = Counter(s for s, _, numeric in shown if not numeric)
    return Entry(name, numbers, tuple(texts.most_common()), histogram(numbers))


def _words(text) -> str:
    return NUMBER.sub("#", "".join(p if isinstance(p, str) else MATHS for p in text.pieces).strip())


def wording(question) -> tuple[str, ...]:
    """The words of a question's derivation, the maths and the numbers left out: its steps', its answer's and its
    notes'."""
    steps = tuple(_words(s.text) + (" [table]" if s.table is not None else "") for s in question.steps)
    return steps + ("answer: " + _words(question.answer.text),) + tuple("note: " + _words(n) for n in question.notes)


def _differs(words: tuple, first: tuple, others: Counter) -> str:
    """Where a way of deriving differs: its first words no other way has, else its first words the most frequent
    way does not have (or the most frequent way's first words it lacks)."""
    if words == first:
        return ""
    own = next((w for w in words if others[w] == 1), None)
    if own is not None:
        return own
    differs = next((w for w, f in zip(words, first) if w != f), "")
    if not differs and len(words) > len(first):
        differs = words[len(first)]
    elif not differs and len(words) < len(first):
        differs = "without " + first[len(words)]
    return differs


def branches(questions: list) -> tuple[Branch, ...]:
    """The ways the variants derived a question, the most frequent first."""
    counted = Counter(wording(q) for q in questions).most_common()
    first = counted[0][0] if counted else ()
    ways = Counter(w for words, _ in counted for w in set(words))         # how many ways have these words
    out = []
    for words, count in counted:
        steps = sum(1 for w in words if not w.startswith(("answer: ", "note: ")))
        notes = sum(1 for w in words if w.startswith("note: "))
        out.append(Branch(count, steps, notes, _differs(words, first, ways)))
    return tuple(out)


def question_stats(qid: str, ask: str, questions: list) -> QuestionStats:
    entries: dict[str, list] = {}
    for q in questions:
        for name, scalar in files.flatten(q.answer.value):
            entries.setdefault(name, []).append(scalar)
    names = list(entries)
    return QuestionStats(qid, ask, len(questions), tuple(entry(k, entries[k]) for k in names[:MAX_ENTRIES]),
                         max(len(names) - MAX_ENTRIES, 0), branches(questions))


def problem_stats(plan: run.Plan, problem, questions: dict) -> ProblemStats:
    head = f"P{label(problem)[1:]}, {problem.kind}"
    asked = tuple(question_stats(qid, ask, questions.get(qid, []))
                  for part in problem.parts for qid, ask in zip(part.ids(problem.number), part.asks))
    if not problem.vary:
        return ProblemStats(problem.number, head, False, questions=asked)
    tally = plan.drawer.tallies[problem.number]
    requires = tuple(Require(r.number, r.text, *tally.requires.get(r.number, (0, 0))) for r in problem.vary.requires)
    return ProblemStats(problem.number, head, True, tally.draws, tally.kept, problem.vary.combinations, requires,
                        tally.refused_by_kind, tally.kind_reason, asked)


def analyse(spec, n: int, progress=None) -> Report:
    """Draw n variants, derive them (on every core) and gather the report."""
    from ..errors import UsageError
    if not isinstance(n, int) or not 1 <= n <= 100_000:
        raise UsageError(f"--stress: a whole number of variants from 1 to 100000 (given: {n})")
    students = [Student(f"stress-{k:05d}") for k in range(1, n + 1)]
    plan = run.planned(spec, students, None)
    with (progress(run.total(plan) - n) if progress else contextlib.nullcontext()) as told:
        run.presolve(plan, told)
    questions: dict[str, list] = {}
    for s in students:
        doc, _ = run._document(plan, s)
        for q in doc.questions():
            questions.setdefault(q.id, []).append(q)
    ps = plan.ps
    return Report(ps.path, ps.name, ps.title, n, ps.variants.salt if ps.variants else "",
                  tuple(problem_stats(plan, p, questions) for p in ps.problems))


# --- the text ----------------------------------------------------------------------------------------------------------

def _entry_lines(e: Entry, count: int) -> list[str]:
    name, lines = e.name or "value", []
    if e.numbers:
        low, mid, high = e.spread
        lines.append(f"    {name}: min {number(low)}, median {number(mid)}, max {number(high)}"
                     + ("" if low != high else " (always the same)"))
    if e.texts:
        common = ", ".join(f"{t[:40]!r} {c} ({percent(c, count)})" for t, c in e.texts[:MAX_TEXTS])
        more = f", and {len(e.texts) - MAX_TEXTS} other texts" if len(e.texts) > MAX_TEXTS else ""
        lines.append(f"    {name}: {common}{more}")
    return lines


def _branch_lines(q: QuestionStats) -> list[str]:
    if len(q.branches) < 2:
        return []
    lines = [f"    derived {len(q.branches)} ways:"]
    for b in q.branches[:MAX_TEXTS]:
        what = f"differs: {short(b.differs)!r}" if b.differs else "the most frequent"
        lines.append(f"      {b.count} ({percent(b.count, q.count)}): {shape(b)}; {what}")
    if len(q.branches) > MAX_TEXTS:
        lines.append(f"      ... and {len(q.branches) - MAX_TEXTS} other ways")
    return lines


def _question_lines(q: QuestionStats) -> list[str]:
    lines = [f"  {q.id} {q.ask} ({q.count} variants)"]
    for e in q.entries:
        lines += _entry_lines(e, q.count)
    if q.more:
        lines.append(f"    ... and {q.more} more numbers")
    return lines + _branch_lines(q)


def _problem_lines(p: ProblemStats) -> list[str]:
    if not p.varied:
        return [f"{p.head}: not varied"]
    lines = [f"{p.head}: {p.kept} of {p.draws} draws kept ({percent(p.kept, p.draws)}), out of "
             f"{p.combinations} combinations of values"]
    for r in p.requires:
        lines.append(f"  require[{r.number}] {r.text}: passed {r.passed} of {r.seen} ({percent(r.passed, r.seen)})")
    lines.append(f"  the kind's rules: refused {p.refused_by_kind} of {p.draws}"
                 + (f" (for instance: {p.kind_reason[:160]})" if p.kind_reason else ""))
    return lines


def text(report: Report) -> str:
    lines = [f"Stress test of {report.path}: {report.n} variants drawn (salt {report.salt!r})", ""]
    for p in report.problems:
        lines += _problem_lines(p)
        for q in p.questions:
            lines += _question_lines(q)
        lines.append("")
    return "\n".join(lines)


def report(spec, n: int, progress=None) -> str:
    """The stress test's report (text)."""
    return text(analyse(spec, n, progress))
