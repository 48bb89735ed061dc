"""The document model: problems -> parts -> questions, each with its checked derivation.

``solve`` is the pipeline's middle: it runs the kind derivers on a loaded spec and
re-checks every step before anything reaches a renderer.

Every level displays itself in Jupyter (``_repr_markdown_``, ``_repr_latex_``); the renderers are
imported only when that happens, so the model itself never depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Iterator

from . import __version__
from .display import Displayed
from .check import check_solution
from .errors import SpecError, UsageError
from .fields import FieldError
from .kinds import KINDS
from .notation import EMPTY, Notation, styled
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
            for ch in [c for s in q.steps for c in s.chains] + ([q.answer.chain] if q.answer.chain else []):
                yield from ch.exprs


@dataclass(frozen=True)
class Document(Displayed):
    level: ClassVar[str] = "document"
    name: str
    title: str
    due: str | None
    problems: tuple[ProblemDoc, ...]
    generator: tuple[str, str] = ("derive", __version__)

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


def _derived(kind, part, ask: str, problem_set: ProblemSet, problem):
    """One question derived; a value the derivation finds impossible (a state where the activation is
    undefined, say) is a spec error naming the file, the problem, the part and the field."""
    try:
        return kind.solve(part.config, ask)
    except FieldError as err:
        label = f"problem {problem.number}" + (f" ({problem.title})" if problem.title else "")
        raise SpecError(err.reason, file=problem_set.path, problem=f"{label}, part ({part.letter})",
                        field=err.field, given=err.given, expected=err.expected) from None


def _question(kind, part, qid: str, ask: str, problem_set: ProblemSet, problem, store):
    """One question's checked derivation: from the cache when it holds it, else derived, checked and stored."""
    key = store.key(kind, problem.kind, part.values, part.asks, ask, problem_set.notation) if store else None
    sol = store.get(key, kind.notation) if key else None
    if sol is None:
        sol = _derived(kind, part, ask, problem_set, problem)
        check_solution(sol, qid)
        if key:
            store.put(key, sol, kind.notation)
    return sol


def solve(problem_set: ProblemSet, only: list[str] | None = None, cache: bool = False) -> Document:
    """Derive and check every question (or only the ids listed) of a problem set. With ``cache``, questions
    derived before (same values, kind, notation and derive) are read from the user's cache folder
    (derive.cache), and new ones are stored there after they are checked."""
    wanted = set(only or ())
    known = {qid for p in problem_set.problems for part in p.parts for qid in part.ids(p.number)}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(f"no question {', '.join(unknown)} in {problem_set.path}; the ids are {' '.join(sorted(known))}")
    store = _store(cache)
    problems = []
    for p in problem_set.problems:
        kind = KINDS[p.kind]
        notation = styled(kind.notation, problem_set.notation)
        parts, previous = [], None
        for part in p.parts:
            questions = []
            for qid, ask in zip(part.ids(p.number), part.asks):
                if wanted and qid not in wanted:
                    continue
                sol = _question(kind, part, qid, ask, problem_set, p, store)
                questions.append(Question(id=qid, problem=p.number, kind=p.kind, ask=ask, text=sol.question,
                                          steps=sol.steps, answer=replace(sol.answer, notation=notation), notes=sol.notes,
                                          notation=notation, figures=sol.figures if problem_set.figures else ()))
            setting = kind.setting(part.config)
            if questions:
                parts.append(PartDoc(part.letter, None if setting == previous else setting, tuple(questions),
                                     notation))
            previous = setting
        if parts:
            problems.append(ProblemDoc(p.number, p.title, p.kind, tuple(parts), notation))
    return Document(name=problem_set.name, title=problem_set.title, due=problem_set.due, problems=tuple(problems))
