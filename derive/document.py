"""The document model: problems -> parts -> questions, each with its checked derivation.

``solve`` is the pipeline's middle, in stages: the questions the cache holds (``_cached``); the others derived
by their kinds (``_derived``) and checked (``_checked``), each within its budget, shared among processes
(``_derive_all``), and stored in the cache (``_store_new``); then the document assembled from the answers
(``_assembled``). Every step is re-checked before anything reaches a renderer.

Every level displays itself in Jupyter (``_repr_markdown_``, ``_repr_latex_``, derive.display); the format is
looked up by name when that happens, so the model itself never imports the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Iterator

from . import __version__, parallel
from . import cache as cache_entries
from .display import Displayed
from .check import check_solution
from .errors import SpecError, UsageError
from .fields import FieldError
from .kinds import KINDS
from .limits import QuestionOutOfTime, question_time_limit, time_limit
from .notation import EMPTY, Notation, in_decimals, styled
from .spec import ProblemSet
from .steps import Answer, Step, Text


@dataclass(frozen=True)
class Question(Displayed):
    level: ClassVar[str] = "question"
    id: str
    problem: int
    kind: str
    ask: str
    text: Text
    steps: tuple[Step, ...]
    answer: Answer
    notes: tuple[Text, ...]
    notation: Notation = EMPTY      # the kind's: how its symbols are written
    figures: tuple = ()             # derive.figures.Figure, drawn from the derivation
    tolerance: Any = None           # the spec's tolerance of its numbers (its part's; None: the default)


@dataclass(frozen=True)
class PartDoc(Displayed):
    level: ClassVar[str] = "part"
    letter: str
    setting: Text | None        # None when it is the same as the previous part's
    questions: tuple[Question, ...]
    notation: Notation = EMPTY


@dataclass(frozen=True)
class ProblemDoc(Displayed):
    level: ClassVar[str] = "problem"
    number: int
    title: str
    kind: str
    parts: tuple[PartDoc, ...]
    notation: Notation = EMPTY

    def expressions(self):
        """Every expression the problem shows: settings, questions, steps (prose and displays), answers, notes."""
        return _shown(self)


def _shown(problem: "ProblemDoc"):
    for part in problem.parts:
        if part.setting is not None:
            yield from part.setting.expressions()
        for q in part.questions:
            for text in (q.text, q.answer.text, *q.notes, *(s.text for s in q.steps)):
                yield from text.expressions()
            for ch in [c for s in q.steps for c in s.chains] + list(q.answer.chains):
                yield from ch.exprs


@dataclass(frozen=True)
class Document(Displayed):
    level: ClassVar[str] = "document"
    name: str
    title: str
    due: str | None
    problems: tuple[ProblemDoc, ...]
    generator: tuple[str, str] = ("derive", __version__)
    refused: tuple["Refused", ...] = ()     # questions over their time budget, left out of the problems


    def questions(self) -> Iterator[Question]:
        """Every question, in id order."""
        for problem in self.problems:
            for part in problem.parts:
                yield from part.questions


def _store(cache: bool):
    if not cache:
        return None
    from .cache import open_store
    return open_store()


@dataclass(frozen=True)
class Refused:
    """A question left out: deriving and checking it took longer than its budget (derive.limits).
    ``where`` names the file, the problem and the part, as a spec error does."""
    id: str
    where: str
    seconds: float

    def __str__(self) -> str:
        return (f"{self.where}, question {self.id}: deriving it took longer than {self.seconds:g} s, so derive "
                f"refused it and left it out (DERIVE_QUESTION_TIME_LIMIT=SECONDS sets a question's budget, 0 lifts it)")


REFUSED = b"derive-refused\n"              # a worker's record of a refused question (never a pickle's start)


@dataclass(frozen=True)
class _Task:
    """One question to answer: where it is, and its cache key (None: not cached)."""
    kind: object
    problem: object
    part: object
    qid: str
    ask: str
    key: str | None


def _tasks(problem_set: ProblemSet, wanted: set, store) -> list[_Task]:
    """The questions asked (all, or the ids wanted), in order."""
    out = []
    for p in problem_set.problems:
        kind = KINDS[p.kind]
        for part in p.parts:
            for qid, ask in zip(part.ids(p.number), part.asks):
                if not wanted or qid in wanted:
                    key = store.key(kind, p.kind, part.values, part.asks, ask, problem_set.notation) if store else None
                    out.append(_Task(kind, p, part, qid, ask, key))
    return out


def _where(problem_set: ProblemSet, problem, part) -> str:
    label = f"problem {problem.number}" + (f" ({problem.title})" if problem.title else "")
    return f"{problem_set.path or '<spec>'}, {label}, part ({part.letter})"


def _unpacked(missing: list[_Task], handed: list[tuple[int, bytes]]) -> list:
    """What workers handed back, in the parent: refusals as they were sent, solutions unpickled at once."""
    out = {i: Refused(missing[i].qid, *_refusal(data)) for i, data in handed if data.startswith(REFUSED)}
    rest = [(i, data) for i, data in handed if i not in out]
    out.update(zip([i for i, _ in rest], cache_entries.loads([(d, missing[i].kind.notation) for i, d in rest])))
    return [out[i] for i, _ in handed]


def _refusal(data: bytes) -> tuple[str, float]:
    where, _, seconds = data[len(REFUSED):].decode("utf-8", "surrogateescape").rpartition("\n")
    return where, float(seconds)


# --- the stages: caching, deriving, checking (one question within its budget, on every core), assembly ----------

def _derived(t: _Task, problem_set: ProblemSet):
    """One question derived by its kind; a value the derivation finds impossible (a state where the activation
    is undefined, say) is a spec error naming the file, the problem, the part and the field."""
    try:
        return t.kind.solve(t.part.config, t.ask)
    except FieldError as err:
        label = f"problem {t.problem.number}" + (f" ({t.problem.title})" if t.problem.title else "")
        raise SpecError(err.reason, file=problem_set.path, problem=f"{label}, part ({t.part.letter})",
                        field=err.field, given=err.given, expected=err.expected) from None


def _checked(t: _Task, sol):
    """A derived question whose every relation, in displays and in prose, holds (derive.check; CheckError names
    the question and the step)."""
    check_solution(sol, t.qid)
    return sol


def _budgeted(t: _Task, problem_set: ProblemSet, seconds: float):
    """One question derived, then checked, within its budget: its solution, or Refused when the time ran out."""
    try:
        with time_limit(seconds, f"question {t.qid}", QuestionOutOfTime):
            return _checked(t, _derived(t, problem_set))
    except QuestionOutOfTime:
        return Refused(t.qid, _where(problem_set, t.problem, t.part), seconds)


def _cached(tasks: list[_Task], store) -> dict[str, object]:
    """The questions the cache holds, by id (None for the others)."""
    cached = store.get_all([(t.key, t.kind.notation) for t in tasks]) if store else [None] * len(tasks)
    return {t.qid: sol for t, sol in zip(tasks, cached)}


def _store_new(tasks: list[_Task], derived: list, store) -> None:
    """Questions derived and checked now, stored in the cache (a refusal is not)."""
    for t, sol in zip(tasks, derived):
        if store is not None and t.key and not isinstance(sol, Refused):
            store.put(t.key, sol, t.kind.notation)


def _derive_all(missing: list[_Task], problem_set: ProblemSet, jobs: int, meanwhile, seconds: float,
                progress) -> list:
    """Each question derived and checked within its budget (``_budgeted``), shared among ``jobs`` processes
    (derive.parallel): its solution or its Refused, in order."""
    def pack(i: int, sol) -> bytes:
        if isinstance(sol, Refused):
            return REFUSED + f"{sol.where}\n{sol.seconds!r}".encode("utf-8", "surrogateescape")
        return cache_entries.dumps(sol, missing[i].kind.notation)

    return parallel.run(len(missing), lambda i: _budgeted(missing[i], problem_set, seconds), pack,
                        lambda handed: _unpacked(missing, handed), jobs, meanwhile, patience=seconds,
                        progress=progress)


def _answers(tasks: list[_Task], problem_set: ProblemSet, store, jobs: int, meanwhile=None,
             seconds: float = 0, progress=None) -> dict[str, object]:
    """Every question's checked derivation by id: from the cache when it holds it, else derived (on ``jobs``
    processes, derive.parallel), checked and stored; a question over its budget of ``seconds`` is Refused."""
    found = _cached(tasks, store)
    missing = [t for t in tasks if found[t.qid] is None]
    derived = _derive_all(missing, problem_set, jobs, meanwhile, seconds, progress)
    _store_new(missing, derived, store)
    found.update((t.qid, sol) for t, sol in zip(missing, derived))
    return found


def _question(p, part, qid: str, ask: str, sol, notation, figures: bool) -> Question:
    return Question(id=qid, problem=p.number, kind=p.kind, ask=ask, text=sol.question, steps=sol.steps,
                    answer=replace(sol.answer, notation=notation), notes=sol.notes, notation=notation,
                    figures=sol.figures if figures else (), tolerance=getattr(part, "tolerance", None))


def _problem(p, answers: dict, problem_set: ProblemSet) -> ProblemDoc | None:
    """A problem's answered questions, part by part (a part's setting shown when it differs from the last)."""
    kind = KINDS[p.kind]
    notation = styled(kind.notation, problem_set.notation)
    parts, previous, configs = [], None, [part.config for part in p.parts]
    for part in p.parts:
        seen = kind.shown(notation, part.config, configs)
        shown = in_decimals(seen) if kind.decimals(part.values or {}) else seen
        questions = tuple(_question(p, part, qid, ask, answers[qid], shown, problem_set.figures)
                          for qid, ask in zip(part.ids(p.number), part.asks)
                          if qid in answers and not isinstance(answers[qid], Refused))
        setting = kind.setting_among(part.config, configs)
        if questions:
            parts.append(PartDoc(part.letter, None if setting == previous else setting, questions, shown))
        previous = setting
    return ProblemDoc(p.number, p.title, p.kind, tuple(parts), notation) if parts else None


def _assembled(problem_set: ProblemSet, answers: dict) -> Document:
    """The document of the answers: problems, parts, questions, and the questions refused."""
    problems = tuple(doc for doc in (_problem(p, answers, problem_set) for p in problem_set.problems) if doc)
    refused = tuple(sol for sol in answers.values() if isinstance(sol, Refused))
    return Document(name=problem_set.name, title=problem_set.title, due=problem_set.due, problems=problems,
                    refused=refused)


def _wanted(problem_set: ProblemSet, only) -> set:
    wanted = set(only or ())
    known = {qid for p in problem_set.problems for part in p.parts for qid in part.ids(p.number)}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(f"no question {', '.join(unknown)} in {problem_set.path}; the ids are {' '.join(sorted(known))}")
    return wanted


def solve(problem_set: ProblemSet, only: list[str] | None = None, cache: bool = False, jobs: int = 1,
          meanwhile=None, question_time: float | None = None, progress=None) -> Document:
    """Derive and check every question (or only the ids listed) of a problem set. With ``cache``, questions
    derived before (same values, kind, notation and derive) are read from the user's cache folder
    (derive.cache), and new ones are stored there after they are checked. ``jobs`` processes share the
    deriving (derive.parallel; the result is the same); ``meanwhile()`` runs in this process while they do
    (the command line loads its renderers then). A question that takes longer than ``question_time``
    seconds (default: DERIVE_QUESTION_TIME_LIMIT, else 20; 0: no limit) is left out and listed in the
    document's ``refused``; the other questions are answered. ``progress(n)`` is told how many questions are
    derived so far (of those not in the cache)."""
    wanted = _wanted(problem_set, only)
    store = _store(cache)
    seconds = question_time_limit() if question_time is None else question_time
    answers = _answers(_tasks(problem_set, wanted, store), problem_set, store, jobs, meanwhile, seconds, progress)
    return _assembled(problem_set, answers)
