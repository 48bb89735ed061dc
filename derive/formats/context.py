"""The template context: the document model walked once, every piece typeset by one format's typesetter.

Every format's templates see the same names (documented for template authors in docs/templates.md):

    title, due, generator, name (the spec's file name, not escaped), sheet ('solutions' or 'problems'),
    problems, figures (whether any question on the sheet draws one)
    problem:  number, title, parts
    part:     id ('1a'), letter, setting (None when it repeats the previous part's), questions
    q:        id ('1a.i'), label ('i', or None when the part asks one question), question,
              setting (the part's setting on its first question, else None), steps, answer, notes,
              lines (a rough size of the derivation, in lines: the problem sheet's answer space)
    step:     text, rows (a list of (left, right) pairs of a display, right starting with the relation),
              table (None, or header, rows and foot: lists of escaped cells, numbers grouped by thousands)
    answer:   text, rows, boxes (the rows in the boxes that show them: one box, but on a slide as many as its
              height needs, a box being unable to continue on the next frame)
    figure:   number (its place among the question's figures), caption, drawing (TikZ, inline SVG, or the
              SVG file's text for Markdown), file ('1a.ii-fig1': the snippet's or SVG file's name after
              '<name>-'); on the problem sheet only the figures that show something there (their sheet body)

Only what a typesetter returns reaches a template: prose escaped, maths printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..figures import on_sheet
from ..steps import Answer, Chain, Table, Text

if TYPE_CHECKING:                   # the renderers read the document model; they do not import it
    from ..document import Document, PartDoc, ProblemDoc, Question


class Typesetter(Protocol):
    """One format's printing: prose escaped, maths printed, chains laid out in rows."""

    def escape(self, prose: str) -> Any: ...

    def text(self, text: Text) -> Any: ...

    def rows(self, chain: Chain, alone: bool = False) -> list[tuple[Any, Any]]: ...

    def speaking(self, notation) -> "Typesetter": ...

    def boxes(self, rows: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]: ...

    def figure(self, body, caption: str) -> Any: ...


def answer(a: Answer, ts: Typesetter) -> dict:
    rows = display_rows(a.chains, ts)
    return {"text": ts.text(a.text), "rows": rows, "boxes": ts.boxes(rows) if rows else []}


def display_rows(chains, ts: Typesetter) -> list[tuple[Any, Any]]:
    """The rows of one display holding the chains (a chain alone in it may be set flush left: ``layout.plan``)."""
    return [row for ch in chains for row in ts.rows(ch, alone=len(chains) == 1)]


def _cell(value, ts: Typesetter) -> Any:
    return ts.escape(f"{value:,}" if isinstance(value, int) else str(value))


def table(t: Table | None, ts: Typesetter) -> dict | None:
    """A table's cells escaped for the format; numbers written with thousands separators, as summaries print them."""
    if t is None:
        return None
    return {"header": [_cell(h, ts) for h in t.header], "rows": [[_cell(v, ts) for v in r] for r in t.rows],
            "foot": [_cell(v, ts) for v in t.foot], "numeric": [isinstance(v, int) for v in (t.rows or [t.foot])[0]]}


def figures(q: Question, ts: Typesetter, sheet: str = "solutions") -> list[dict]:
    """The question's figures on a sheet: on the answer key each body, on the problem sheet the body meant
    for it (``Figure.sheet``), if any."""
    out = []
    for k, f in enumerate(q.figures if sheet == "solutions" else on_sheet(q.figures), 1):
        body = f.body if sheet == "solutions" else f.sheet
        if body is None:
            continue
        caption = f.caption if sheet == "solutions" else (f.sheet_caption or f.caption)
        out.append({"number": k, "caption": ts.escape(caption), "drawing": ts.figure(body, caption),
                    "file": f"{q.id}-fig{k}" + ("" if sheet == "solutions" else "-sheet")})
    return out


def question(q: Question, ts: Typesetter, setting: Any = None, sheet: str = "solutions") -> dict:
    ts = ts.speaking(q.notation)
    steps = [{"text": ts.text(s.text), "rows": display_rows(s.chains, ts),
              "table": table(s.table, ts)} for s in q.steps]
    shown = sum(1 + len(s["rows"]) for s in steps)
    return {
        "id": q.id,
        "label": q.id.rsplit(".", 1)[1] if "." in q.id else None,
        "question": ts.text(q.text),
        "setting": setting,
        "steps": steps,
        "answer": answer(q.answer, ts),
        "notes": [ts.text(n) for n in q.notes],
        "lines": max(4, min(18, 2 + shown)),
        "figures": figures(q, ts, sheet),
    }


def part(p: PartDoc, number: int, ts: Typesetter, sheet: str = "solutions") -> dict:
    ts = ts.speaking(p.notation)
    setting = ts.text(p.setting) if p.setting is not None else None
    return {"id": f"{number}{p.letter}", "letter": p.letter, "setting": setting,
            "questions": [question(q, ts, setting if k == 0 else None, sheet) for k, q in enumerate(p.questions)]}


def problem(p: ProblemDoc, ts: Typesetter, sheet: str = "solutions") -> dict:
    return {"number": p.number, "title": ts.escape(p.title),
            "parts": [part(x, p.number, ts, sheet) for x in p.parts]}


def document(doc: Document, ts: Typesetter, sheet: str = "solutions") -> dict:
    """Everything a format's templates print, already typeset; ``figures`` says whether any question
    draws one (the TeX preamble then loads TikZ)."""
    problems = [problem(p, ts, sheet) for p in doc.problems]
    return {
        "title": ts.escape(doc.title),
        "due": ts.escape(doc.due) if doc.due else None,
        "generator": ts.escape("{} {}".format(*doc.generator)),
        "name": doc.name,
        "sheet": sheet,
        "problems": problems,
        "figures": any(q["figures"] for p in problems for part in p["parts"] for q in part["questions"]),
    }
