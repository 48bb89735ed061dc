"""Drawing a problem's values for a student (or a pool entry): each varied field picks from its choices or grid
with derive's own seeded stream (``stream``), and the draw is kept when the kind accepts the values (its rules
between keys) and every ``require`` holds; otherwise it draws again from the same stream (rejection). When
fewer than 1 in ``LIMIT`` draws pass, derive stops, naming the condition that refused the most and how many
of how many draws it let pass.

Each combination of values is judged once (``Drawer.judged``); a problem whose answers a condition reads is
derived then and kept, so a variant's key is not derived twice."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace

from .. import document, spec as specs
from ..declare import read
from ..errors import SpecError
from . import conditions
from .paths import put
from .stream import Stream, seed as seed_of
from .table import locations

LIMIT = 1000                 # draws for one variant before derive says the conditions pass too rarely


@dataclass(frozen=True)
class Draw:
    """One problem of one variant: the values drawn (by path, as the spec writes them), the seed, and how many
    draws it took."""
    number: int
    seed: str
    values: dict
    draws: int


@dataclass
class Verdict:
    """How a combination of values fared: None (kept), or the require's number (0: the kind's rules) that
    refused it, with each require's result as far as it was evaluated."""
    refused: int | None
    results: tuple = ()
    problem: object = None           # the Problem, loaded
    reason: str = ""                 # why the kind refused it


@dataclass
class Tally:
    """A problem's draws so far: how many, how many were kept, the kind's refusals (and the first one's reason),
    and each require's (evaluated, passed)."""
    draws: int = 0
    kept: int = 0
    refused_by_kind: int = 0
    kind_reason: str = ""
    requires: dict = field(default_factory=dict)

    def add(self, verdict: Verdict) -> None:
        self.draws += 1
        self.kept += verdict.refused is None
        if verdict.refused == 0:
            self.refused_by_kind += 1
            self.kind_reason = self.kind_reason or verdict.reason
        for number, passed in verdict.results:
            seen, ok = self.requires.get(number, (0, 0))
            self.requires[number] = (seen + 1, ok + passed)


def key(values: dict) -> str:
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def with_values(raw: dict, values: dict, vary) -> dict:
    """A problem's table with the values drawn written in (every table that writes a varied key), without its
    ``vary`` table."""
    out = copy.deepcopy({k: v for k, v in raw.items() if k != "vary"})
    for entry in vary.entries:
        for table in locations(out, entry.path[0]):
            put(table, entry.path, values[entry.text])
    return out


class Drawer:
    """Draws the values of a spec's varied problems, judging each combination once (see the module's text)."""

    def __init__(self, problem_set):
        self.ps = problem_set
        self.salt = problem_set.variants.salt if problem_set.variants else ""
        self.raw = {p.number: raw for p, raw in zip(problem_set.problems, problem_set.data["problem"])}
        self.judged: dict[tuple[int, str], Verdict] = {}
        self.problems: dict[tuple[int, str], object] = {}         # each combination's Problem (or the kind's refusal)
        self.solved: dict[tuple[int, str], tuple] = {}
        self.tallies: dict[int, Tally] = {p.number: Tally() for p in problem_set.problems if p.vary}

    def problem(self, number: int):
        return self.ps.problems[number - 1]

    def stream(self, student: str, number: int) -> Stream:
        return Stream(seed_of(self.salt, student, number))

    def next(self, number: int, stream: Stream) -> tuple[dict, int]:
        """The next values the stream gives that pass, and how many draws that took."""
        for attempt in range(1, LIMIT + 1):
            values = self.pick(number, stream)
            verdict = self.judge(number, values)
            self.tallies[number].add(verdict)
            if verdict.refused is None:
                return values, attempt
            if self._exhausted(number):
                break
        raise self.too_rare(number)

    def _exhausted(self, number: int) -> bool:
        """Every combination of the grid was judged and none was kept."""
        combos = self.problem(number).vary.combinations
        return self.tallies[number].kept == 0 and sum(1 for n, _ in self.judged if n == number) >= combos

    def loaded(self, number: int, values: dict):
        """The problem with these values (the spec's own when nothing is drawn); SpecError when the kind refuses
        them."""
        if not values:
            return self.problem(number)
        memo = (number, key(values))
        if memo not in self.problems:
            raw = with_values(self.raw[number], values, self.problem(number).vary)
            try:
                self.problems[memo] = specs.problem(raw, number, self.ps.path, self.ps.variants)
            except SpecError as err:
                self.problems[memo] = err
        if isinstance(self.problems[memo], SpecError):
            raise self.problems[memo]
        return self.problems[memo]

    def reads_answers(self, number: int) -> bool:
        vary = self.problem(number).vary
        return vary is not None and any(r.answers for r in vary.requires)

    def pick(self, number: int, stream: Stream) -> dict:
        return {e.text: e.values.pick(stream) for e in self.problem(number).vary.entries}

    def plausible(self, number: int, values: dict) -> bool:
        """Whether the values pass what is judged without deriving: the kind's rules and the conditions on the
        values alone (a combination judged already: whether it passed)."""
        memo = (number, key(values))
        if memo in self.judged:
            return self.judged[memo].refused is None
        try:
            problem = self.loaded(number, values)
        except SpecError:
            return False
        try:
            return all(self._holds(r, problem, values) for r in self.problem(number).vary.requires if not r.answers)
        except conditions.ConditionError:
            return True                       # judge says why, naming the condition

    def judge(self, number: int, values: dict) -> Verdict:
        """Whether these values make a problem the kind accepts and every require holds (judged once)."""
        memo = (number, key(values))
        if memo not in self.judged:
            try:
                problem = self.loaded(number, values)
            except SpecError as err:
                self.judged[memo] = Verdict(0, reason=err.reason if hasattr(err, "reason") else str(err))
                return self.judged[memo]
            self.judged[memo] = self._conditions(problem, values)
        return self.judged[memo]

    def _conditions(self, problem, values: dict) -> Verdict:
        vary = self.problem(problem.number).vary
        results = []
        for r in sorted(vary.requires, key=lambda r: bool(r.answers)):        # the values' conditions first
            try:
                passed = self._holds(r, problem, values)
            except conditions.ConditionError as err:
                raise SpecError(f"cannot be evaluated on the values drawn ({shown(values)}): {err}",
                                file=self.ps.path, problem=label(self.problem(problem.number)),
                                field=f"vary.require[{r.number}]", given=r.text) from None
            results.append((r.number, passed))
            if not passed:
                return Verdict(r.number, tuple(results), problem)
        return Verdict(None, tuple(results), problem)

    def _holds(self, require, problem, values: dict) -> bool:
        def answer(qid: str):
            return self._answer(problem.number, values, qid)
        if not conditions.names(require.node):
            return conditions.holds(require.node, {}, answer)
        from ..kinds import KINDS
        fields = KINDS[problem.kind].fields
        return all(conditions.holds(require.node, read(fields, part.values), answer) for part in problem.parts)

    def _answer(self, number: int, values: dict, qid: str):
        doc, refused = self.solve(number, values)
        for question in (doc.questions() if doc is not None else ()):
            if question.id == qid:
                return question.answer.value
        raise conditions.ConditionError(f"question {qid} took longer than its budget: no answer to read"
                                        if any(r.id == qid for r in refused) else f"no answer {qid}")

    def solve(self, number: int, values: dict) -> tuple:
        """The problem with these values derived and checked (once): its ProblemDoc (None when every question
        was refused) and the questions refused."""
        memo = (number, key(values))
        if memo not in self.solved:
            problem = self.loaded(number, values)
            one = replace(self.ps, problems=(problem,), variants=None, data=None)
            doc = document.solve(one, jobs=1)
            self.solved[memo] = (_Problem(doc.problems[0]) if doc.problems else None, doc.refused)
        return self.solved[memo]

    def too_rare(self, number: int) -> SpecError:
        """Too few draws pass: the condition that refused the most, and how many of how many draws it passed."""
        tally, problem = self.tallies[number], self.problem(number)
        combos = problem.vary.combinations
        tried = sum(1 for n, _ in self.judged if n == number)
        every = f"; every one of the {combos} combinations of values was tried" if tried >= combos else ""
        worst = max(tally.requires.items(), key=lambda item: item[1][0] - item[1][1], default=None)
        if worst is not None and worst[1][0] - worst[1][1] >= tally.refused_by_kind:
            r = problem.vary.requires[worst[0] - 1]
            seen, ok = worst[1]
            return SpecError(f"only {ok} of {seen} draws passed this condition, and {tally.kept} of {tally.draws} "
                             f"passed them all (at least 1 in {LIMIT} must pass){every}", file=self.ps.path,
                             problem=label(problem), field=f"vary.require[{r.number}]", given=r.text,
                             expected="a condition more of the values drawn meet, or wider choices")
        return SpecError(f"only {tally.draws - tally.refused_by_kind} of {tally.draws} draws make a problem the kind "
                         f"accepts (at least 1 in {LIMIT} must){every}; for instance: {tally.kind_reason}",
                         file=self.ps.path, problem=label(problem), field="vary",
                         expected="choices that fit together, or a require that leaves out those that do not")


@dataclass(frozen=True)
class _Problem:
    """A solved problem's ProblemDoc, with its questions at hand."""
    doc: object

    def questions(self):
        for part in self.doc.parts:
            yield from part.questions


def label(problem) -> str:
    return f"problem {problem.number}" + (f" ({problem.title})" if problem.title else "")


def shown(values: dict, limit: int = 160) -> str:
    text = ", ".join(f"{k} = {json.dumps(v, default=str, ensure_ascii=False)}" for k, v in values.items())
    return text if len(text) <= limit else text[:limit - 3] + "..."
