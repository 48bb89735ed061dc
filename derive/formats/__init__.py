"""Renderers: the document model to text, one format at a time.

The template context is built here and only here; templates do layout, never maths.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from ..document import Document, Question
from ..steps import Chain
from . import latex as tex

FORMATS = ("latex", "pdf", "json")
TEXT_FORMATS = ("latex", "json")


def template_dirs() -> list[Path]:
    """The built-in templates: inside the installed package, or the source tree's top-level folder."""
    here = Path(__file__).resolve().parent.parent
    return [p for p in (here / "templates", here.parent / "templates") if p.is_dir()]


def environment() -> jinja2.Environment:
    """A Jinja environment with LaTeX-safe delimiters and strict undefined variables."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in template_dirs()]),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False,
    )


def render(doc: Document, fmt: str) -> str:
    """The document as text in a text format ('latex' or 'json')."""
    if fmt == "json":
        return json.dumps(to_json(doc), indent=2, ensure_ascii=False) + "\n"
    if fmt == "latex":
        return environment().get_template("latex/solutions.tex.j2").render(**latex_context(doc))
    raise ValueError(f"not a text format: {fmt}")


# --- LaTeX ---------------------------------------------------------------------------------

def _rows(chains: tuple[Chain, ...]) -> list[tuple[str, str]]:
    return [row for ch in chains for row in tex.chain_rows(ch)]


def _question(q: Question) -> dict:
    return {
        "id": q.id,
        "label": q.id.rsplit(".", 1)[1] if "." in q.id else None,
        "question": tex.text(q.text),
        "steps": [{"text": tex.text(s.text), "rows": _rows(s.chains)} for s in q.steps],
        "answer": {"text": tex.text(q.answer.text),
                   "rows": _rows((q.answer.chain,)) if q.answer.chain is not None else []},
        "notes": [tex.text(n) for n in q.notes],
    }


def latex_context(doc: Document) -> dict:
    """Everything the LaTeX templates print, already typeset."""
    return {
        "title": tex.escape(doc.title),
        "due": tex.escape(doc.due) if doc.due else None,
        "generator": "{} {}".format(*doc.generator),
        "problems": [{
            "number": p.number,
            "title": tex.escape(p.title),
            "parts": [{"letter": part.letter,
                       "setting": tex.text(part.setting) if part.setting is not None else None,
                       "questions": [_question(q) for q in part.questions]} for part in p.parts],
        } for p in doc.problems],
    }


# --- JSON ----------------------------------------------------------------------------------

def _chain_latex(ch: Chain | None) -> str:
    return tex.chain_inline(ch) if ch is not None else ""


def to_json(doc: Document) -> dict:
    """The JSON contract: title, generator and the answered parts in id order."""
    parts = []
    for q in doc.questions():
        answer_latex = " ".join(x for x in (tex.text(q.answer.text), f"${_chain_latex(q.answer.chain)}$"
                                            if q.answer.chain is not None else "") if x)
        parts.append({
            "id": q.id,
            "problem": q.problem,
            "kind": q.kind,
            "ask": q.ask,
            "question": tex.text(q.text),
            "steps": [{"text": tex.text(s.text), "latex": r" \\ ".join(_chain_latex(c) for c in s.chains)}
                      for s in q.steps],
            "notes": [tex.text(n) for n in q.notes],
            "answer": {"latex": answer_latex, "value": q.answer.value},
        })
    return {"title": doc.title, "generator": {"name": doc.generator[0], "version": doc.generator[1]}, "parts": parts}
