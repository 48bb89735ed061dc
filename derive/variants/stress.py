"""``derive variants SPEC --stress N``: draw N variants (as for a roster of N students), derive them without
writing anything, and report per question the spread of its answers (min, median, max of each number; how often
each verdict or other text occurs) and per problem how often each ``require`` and the kind's rules let a draw
pass: the check an instructor runs before handing variants out."""

from __future__ import annotations

import statistics
from collections import Counter

from . import files, run
from .draw import label
from .roster import Student

MAX_ENTRIES = 12            # numbers of one answer reported (a matrix's first ones)
MAX_TEXTS = 5               # texts of one entry reported, the most frequent first


def _answers(plan: run.Plan, student: Student) -> dict:
    doc, _ = run._document(plan, student)
    return {q.id: q.answer.value for q in doc.questions()}


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _number(value: float) -> str:
    return f"{value:.6g}"


def _entry_lines(entry: str, values: list) -> list[str]:
    numbers = [float(files.cells(v)[0]) for v in values if files.cells(v)[2]]
    texts = Counter(files.cells(v)[0] for v in values if not files.cells(v)[2])
    name = entry or "value"
    lines = []
    if numbers:
        lines.append(f"    {name}: min {_number(min(numbers))}, median {_number(statistics.median(numbers))}, "
                     f"max {_number(max(numbers))}" + ("" if len(set(numbers)) > 1 else " (always the same)"))
    if texts:
        common = ", ".join(f"{t[:40]!r} {c} ({_percent(c, len(values))})" for t, c in texts.most_common(MAX_TEXTS))
        more = f", and {len(texts) - MAX_TEXTS} other texts" if len(texts) > MAX_TEXTS else ""
        lines.append(f"    {name}: {common}{more}")
    return lines


def _question_lines(qid: str, ask: str, answers: list) -> list[str]:
    entries: dict[str, list] = {}
    for value in answers:
        for entry, scalar in files.flatten(value):
            entries.setdefault(entry, []).append(scalar)
    lines = [f"  {qid} {ask} ({len(answers)} variants)"]
    for entry in list(entries)[:MAX_ENTRIES]:
        lines += _entry_lines(entry, entries[entry])
    if len(entries) > MAX_ENTRIES:
        lines.append(f"    ... and {len(entries) - MAX_ENTRIES} more numbers")
    return lines


def _problem_lines(plan: run.Plan, problem) -> list[str]:
    head = f"P{label(problem)[1:]}, {problem.kind}"
    if not problem.vary:
        return [f"{head}: not varied"]
    tally = plan.drawer.tallies[problem.number]
    lines = [f"{head}: {tally.kept} of {tally.draws} draws kept ({_percent(tally.kept, tally.draws)}), out of "
             f"{problem.vary.combinations} combinations of values"]
    for r in problem.vary.requires:
        seen, passed = tally.requires.get(r.number, (0, 0))
        lines.append(f"  require[{r.number}] {r.text}: passed {passed} of {seen} ({_percent(passed, seen)})")
    lines.append(f"  the kind's rules: refused {tally.refused_by_kind} of {tally.draws}"
                 + (f" (for instance: {tally.kind_reason[:160]})" if tally.kind_reason else ""))
    return lines


def report(spec, n: int, progress=None) -> str:
    """The stress test's report (text)."""
    from ..errors import UsageError
    if not isinstance(n, int) or not 1 <= n <= 100_000:
        raise UsageError(f"--stress: a whole number of variants from 1 to 100000 (given: {n})")
    students = [Student(f"stress-{k:05d}") for k in range(1, n + 1)]
    plan = run.planned(spec, students, None)
    with (progress(run.total(plan) - n) if progress else run.contextlib.nullcontext()) as told:
        run.presolve(plan, told)
    answers = [_answers(plan, s) for s in students]
    asks = {qid: ask for p in plan.ps.problems for part in p.parts for qid, ask in zip(part.ids(p.number), part.asks)}
    salt = plan.ps.variants.salt if plan.ps.variants else ""
    lines = [f"Stress test of {plan.ps.path}: {n} variants drawn (salt {salt!r})", ""]
    for problem in plan.ps.problems:
        lines += _problem_lines(plan, problem)
        for part in problem.parts:
            for qid in part.ids(problem.number):
                lines += _question_lines(qid, asks[qid], [a[qid] for a in answers if qid in a])
        lines.append("")
    return "\n".join(lines)
