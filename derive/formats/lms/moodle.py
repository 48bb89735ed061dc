"""Moodle XML (Question bank → Import → Moodle XML): one category a question id, holding each variant of it, so a
quiz draws a random question from each category.

Each question is written as Moodle's importer (question/format/xml/format.php) reads it: ``numerical`` (one number,
its absolute tolerance), ``cloze`` (several numbers, one ``{1:NUMERICAL:=v:t}`` blank each: 1 is the blank's
weight, not its number), ``multichoice`` (a verdict) or ``essay`` (graded by hand, the key as the grader's
information). Question text is HTML with \\( … \\) maths for Moodle's MathJax filter; figures are SVG files inside
the text that shows them (``@@PLUGINFILE@@``); the variant's worked solution is the general feedback. Every answer
fraction is one of Moodle's grade options (only 100 and 0 are used), which its import insists on.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

from ..base import PooledFormat
from .markup import element, serialize, sub
from .pool import Item, asked, grouped, item_name, prepare, title_of

# Moodle's grade options for an answer's fraction (question_bank::fraction_options_full), and their negatives.
FRACTIONS = tuple(sorted({s * f for f in (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                                         16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0) for s in (1, -1)}))
MARK = "\u200b"                      # around a blank's number in a cloze's text: clean() drops it from all prose
_MARKED = re.compile(f"{MARK}(\\d+){MARK}")


class Moodle(PooledFormat):
    """A Moodle XML question bank: a category a question id, each variant a question in it."""

    name = "moodle"
    listed = 8
    help = "Moodle XML question bank, a category a question holding its variants"
    suffix = "-moodle.xml"

    def prepare(self) -> None:
        prepare()

    def piece(self, doc, variant: str | None) -> list[Item]:
        return [question(a, variant, doc.title) for a in asked(doc)]

    def join(self, title: str, name: str, pieces: list) -> str:
        return bank(title, pieces)


def category_path(title: str, qid: str) -> str:
    """Where a question's variants go: $course$/top/<title>/<id> ('/' in the title doubled, as Moodle reads a
    slash that is not a separator)."""
    return f"$course$/top/{title_of(title).replace('/', '//')}/{qid}"


def bank(title: str, pieces: list[list[Item]]) -> str:
    """The file: for each question id a category, then its variants (a question goes to the category before it)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    for qid, items in grouped(pieces).items():
        head = element("question", {"type": "category"})
        sub(sub(head, "category"), "text", {}, category_path(title, qid))
        info = sub(head, "info", {"format": "html"})
        sub(info, "text", {}, f"{len(items)} variant{'s' * (len(items) != 1)} of question {qid} of "
                              f"{title_of(title)}, each with its checked worked solution (derive)")
        out += ["  ", serialize(head, indent=1), "\n"] + [x for item in items for x in ("  ", item.text, "\n")]
    return "".join(out) + "</quiz>\n"


def _files(el, files: dict) -> None:
    for file, data in files.items():
        sub(el, "file", {"name": file, "path": "/", "encoding": "base64"}, base64.b64encode(data).decode("ascii"))


def _html(tag: str, html: str, files: dict | None = None):
    el = element(tag, {"format": "html"})
    sub(el, "text", {}, html)
    _files(el, files or {})
    return el


def _pages():
    from . import content
    def src(name: str) -> str:
        return f"@@PLUGINFILE@@/{quote(name)}"
    return content.Page(content.Tex(), src), content.Page(content.Tex(), src)


def question(a, variant: str | None, title: str) -> Item:
    """One variant of one question as a Moodle <question>."""
    from . import content
    from ...answers import CLOZE
    ask, key = _pages()
    statement = content.statement(ask, a.problem, a.setting, a.q)
    if a.mapped.form == CLOZE:
        content.blanks(ask, statement, a.mapped.lines, lambda i: f"{MARK}{i}{MARK}")
    text = serialize(statement)
    text = _cloze(text, a.mapped.blanks) if a.mapped.form == CLOZE else text
    solution = content.solution(key, a.q)
    q = element("question", {"type": a.mapped.form})
    sub(sub(q, "name"), "text", {}, item_name(title, a.q.id, variant))
    q.append(_html("questiontext", text, ask.files))
    q.append(_html("generalfeedback", serialize(solution), key.files))
    if a.mapped.form != CLOZE:
        sub(q, "defaultgrade", {}, "1")
    sub(q, "penalty", {}, "0")
    sub(q, "hidden", {}, "0")
    FORMS[a.mapped.form](q, a, key)
    return Item(a.q.id, variant, serialize(q, indent=1), form=a.mapped.form)


def _cloze(html: str, blanks) -> str:
    """The text of a cloze: every brace of the text written as an entity (no text can open a blank), then each
    blank's mark made into {1:NUMERICAL:=value:margin} (1: the blank's weight)."""
    from ...answers import decimal
    html = html.replace("{", "&#123;").replace("}", "&#125;")
    def blank(m: re.Match) -> str:
        b = blanks[int(m.group(1))]
        return "{1:NUMERICAL:=%s:%s}" % (decimal(b.exact), decimal(b.margin))
    return _MARKED.sub(blank, html)


def _answer(q, fraction: int, text: str, fmt: str = "moodle_auto_format"):
    answer = sub(q, "answer", {"fraction": str(fraction), "format": fmt})
    sub(answer, "text", {}, text)
    return answer


def _numerical(q, a, key) -> None:
    from ...answers import decimal
    blank = a.mapped.blanks[0]
    answer = _answer(q, 100, decimal(blank.exact))
    sub(answer, "tolerance", {}, decimal(blank.margin))
    answer.append(_html("feedback", ""))
    sub(q, "unitgradingtype", {}, "0")
    sub(q, "unitpenalty", {}, "0.1")
    sub(q, "showunits", {}, "3")
    sub(q, "unitsleft", {}, "0")


def _multichoice(q, a, key) -> None:
    for tag, text in (("single", "true"), ("shuffleanswers", "false"), ("answernumbering", "abc"),
                      ("showstandardinstruction", "0")):
        sub(q, tag, {}, text)
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        q.append(_html(tag, ""))
    for choice in a.mapped.choices:
        answer = _answer(q, 100 if choice == a.mapped.right else 0, choice, "html")
        answer.append(_html("feedback", ""))


def _essay(q, a, key) -> None:
    from . import content
    for tag, text in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "10"),
                      ("attachments", "0"), ("attachmentsrequired", "0"), ("maxbytes", "0"), ("filetypeslist", "")):
        sub(q, tag, {}, text)
    info = key.el("div")
    content.answer(key, info, a.q)
    key.sub(info, "p", {}, f"The key's value (JSON): {_json(a.q.answer.value)}")
    q.append(_html("graderinfo", serialize(info)))
    q.append(_html("responsetemplate", ""))


def _json(value) -> str:
    from ..jsonkey import dumps
    return " ".join(dumps(value).split())


FORMS = {"numerical": _numerical, "cloze": lambda q, a, key: None, "multichoice": _multichoice, "essay": _essay}

__all__ = ["Moodle", "FRACTIONS", "bank", "question", "category_path"]
