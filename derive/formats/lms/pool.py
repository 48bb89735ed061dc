"""What the three LMS exports share: each question of a variant with its problem, its part's setting and its
answer's form (derive.answers), its name in the bank, and the items of a pool grouped by question id."""

from __future__ import annotations

from dataclasses import dataclass, field

from .markup import line

MAX_TITLE = 200


@dataclass(frozen=True)
class Asked:
    """A question as an LMS asks it: where it is (problem, the setting of its part) and its answer's form."""

    problem: object
    setting: object
    q: object
    mapped: object


def asked(doc) -> list[Asked]:
    """Every question of a document, in order, with the setting of its part (parts that share one say it once in
    the document; online each question stands alone and restates it)."""
    from ...answers import Tolerance, mapped
    out = []
    for problem in doc.problems:
        setting = None
        for part in problem.parts:
            setting = part.setting if part.setting is not None else setting
            for q in part.questions:
                out.append(Asked(problem, setting, q, mapped(q.ask, q.answer.value, Tolerance.of(q.tolerance))))
    return out


def prepare() -> None:
    """Load what the exports render with (the command line does it while questions are derived, and before the
    variants' workers start)."""
    from . import content  # noqa: F401
    from .. import figures, html, jsonkey, latex, mathml  # noqa: F401
    from ... import answers
    answers.verdicts()


def title_of(title: str) -> str:
    return line(title)[:MAX_TITLE] or "derive"


def item_name(title: str, qid: str, variant: str | None) -> str:
    """A question's name in a bank: the spec's title, the question id and the variant."""
    return " ".join(x for x in (title_of(title), qid, variant) if x)


@dataclass(frozen=True)
class Item:
    """One question of one variant as a format writes it: its text (XML) and the files it links."""

    qid: str
    variant: str | None
    text: str
    files: dict = field(default_factory=dict)
    form: str = ""


def grouped(pieces: list[list[Item]]) -> dict[str, list[Item]]:
    """The items of a pool by question id, in the order of the first variant's questions (then any others),
    each question's variants in the order given."""
    groups: dict[str, list[Item]] = {}
    for piece in pieces:
        for item in piece:
            groups.setdefault(item.qid, []).append(item)
    return groups


__all__ = ["Asked", "asked", "Item", "grouped", "item_name", "title_of", "prepare"]
