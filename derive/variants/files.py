"""What a run of ``derive variants`` writes beside the variants' own files: the manifest (derive's and SymPy's
versions, the salt, the spec, and each variant's values drawn, seeds and the hash of its key) and the answers
table (a row per student, question and number of its answer, with the tolerance)."""

from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction

ANSWER_COLUMNS = ("id", "question", "entry", "value", "exact", "tolerance")
_RATIO = re.compile(r"-?\d+/\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def flatten(value, entry: str = ""):
    """(entry, scalar) pairs of a JSON answer value: a table's entries by ``.name``, a list's by ``[i]`` from 1
    (as conditions read them); a scalar's entry is ''."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{entry}.{k}" if entry else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value, 1):
            yield from flatten(v, f"{entry}[{i}]")
    else:
        yield entry, value


def cells(value) -> tuple[str, str, bool]:
    """An answer's scalar as the table writes it: (value, exact, is a number). A number is written as a decimal
    in ``value``; ``exact`` is its exact form when it has one (an integer, "p/q")."""
    if isinstance(value, bool):
        return ("true" if value else "false"), "", False
    if isinstance(value, int):
        return str(value), str(value), True
    if isinstance(value, float):
        return repr(value), "", True
    if isinstance(value, str) and _RATIO.fullmatch(value):
        return repr(float(Fraction(value))), value, True
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value, "", True
    return ("" if value is None else str(value)), "", False


def answer_rows(student: str, doc, tolerances: dict) -> list[tuple]:
    """The answers table's rows of one variant: each question's answer, number by number."""
    rows = []
    for q in doc.questions():
        for entry, value in flatten(q.answer.value):
            shown, exact, numeric = cells(value)
            rows.append((student, q.id, entry, shown, exact, str(tolerances[q.id]) if numeric else ""))
    return rows


def answers_csv(rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ANSWER_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def read_answers(text: str) -> list[tuple]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or tuple(rows[0]) != ANSWER_COLUMNS:
        raise ValueError("not an answers table of derive variants")
    return [tuple(r) for r in rows[1:]]


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
