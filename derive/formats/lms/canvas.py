"""Canvas classic quizzes' QTI 1.2 zip (Settings → Import Course Content → QTI .zip), as Canvas's importer and
text2qti write it: imsmanifest.xml, the assessment and Canvas's assessment_meta.xml in a folder, figures in
images/. One question group a question id, picking 1 of its variants.

A number is a ``numerical_question`` whose right answers are a range (``vargte``/``varlte``: the value ± its
margin). Canvas turns a typed number smaller than 1e-4 in size into 0, so a number answer that small is refused,
with a message suggesting a unit or a scale. Several numbers are a ``fill_in_multiple_blanks_question`` (Canvas
grades those blanks by their text: each accepts the value written to any number of decimals or significant digits
that stays within its margin); a verdict is a ``multiple_choice_question``; a formula an ``essay_question``. Maths
is MathML; the worked solution is the general feedback.
"""

from __future__ import annotations

import re

from ...errors import UsageError
from ..base import PooledFormat
from .markup import element, file_name, identifier, serialize, sub, zipped
from .pool import Item, asked, grouped, item_name, prepare, title_of

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MANIFEST = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
SMALLEST = 1e-4                      # Canvas makes a typed number below this in size 0
IMAGES = "images"
MARK = "\u200b"                      # around a blank's number in the text: clean() drops it from all prose
_MARKED = re.compile(f"{MARK}(\\d+){MARK}")
MAX_SPELLINGS = 40


class Canvas(PooledFormat):
    """A Canvas classic quiz (QTI 1.2 zip): a question group a question id, picking one variant."""

    name = "canvas"
    listed = 9
    help = "Canvas classic quiz, QTI 1.2 zip: a question group a question, picking one variant"
    suffix = "-canvas.zip"
    binary = True

    def prepare(self) -> None:
        prepare()

    def piece(self, doc, variant: str | None) -> list[Item]:
        return [item(a, variant, doc.title) for a in asked(doc)]

    def join(self, title: str, name: str, pieces: list) -> bytes:
        return package(title, name, pieces)


def refuse_small(a, variant: str | None) -> None:
    """A single number smaller than 1e-4 in size (not 0) cannot be typed into Canvas: refused, saying why."""
    blank = a.mapped.blanks[0]
    if 0 < abs(blank.exact) < SMALLEST:
        where = f"question {a.q.id}" + (f" of variant {variant}" if variant else "")
        raise UsageError(f"canvas: {where}: the answer {float(blank.exact):g} is smaller than 1e-4, which Canvas's "
                         f"quizzes turn into 0 when it is typed; ask for it in another unit or scale (such as "
                         f"×10³ or per mille), or leave it out of the Canvas quiz (--only with derive solutions, "
                         f"or drop it from the part's ask)")


def spellings(blank) -> list[str]:
    """How a number may be typed into a blank Canvas grades by its text: an integer as itself (or with '.0'); any
    other number written to any number of decimals (up to 12), or of significant digits (up to 17), that stays
    within its margin, trailing zeros or not, and as Python writes the double."""
    from decimal import Decimal
    from fractions import Fraction
    exact = blank.exact
    if exact.denominator == 1:
        return [str(exact.numerator), f"{exact.numerator}.0"]
    d = Decimal(exact.numerator) / Decimal(exact.denominator)
    fixed = [f"{d:.{places}f}" for places in range(0, 13)]
    floating = [f"{d:.{digits - 1}e}" for digits in range(1, 18)]
    usual = fixed if Decimal("1e-4") <= abs(d) < Decimal("1e15") else floating    # as people write it
    near = [w for w in usual if abs(Fraction(Decimal(w)) - exact) <= blank.margin]
    near = [w for w in near if not w.split("e")[0].endswith("00")] + [repr(float(exact))]
    return [w for w in dict.fromkeys(near) if w not in ("-0", "0")][:MAX_SPELLINGS]


def _field(parent, label: str, value: str) -> None:
    field = sub(parent, "qtimetadatafield")
    sub(field, "fieldlabel", {}, label)
    sub(field, "fieldentry", {}, value)


def _metadata(el, kind: str, ident: str, answers: str = "") -> None:
    meta = sub(sub(el, "itemmetadata"), "qtimetadata")
    for label, value in (("question_type", kind), ("points_possible", "1"), ("original_answer_ids", answers),
                         ("assessment_question_identifierref", f"{ident}-ref")):
        _field(meta, label, value)


def _mattext(parent, html: str):
    return sub(sub(parent, "material"), "mattext", {"texttype": "text/html"}, html)


def _outcomes(processing) -> None:
    sub(sub(processing, "outcomes"), "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE",
                                                 "vartype": "Decimal"})


def _feedback(processing) -> None:
    cond = sub(processing, "respcondition", {"continue": "Yes"})
    sub(sub(cond, "conditionvar"), "other")
    sub(cond, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})


def _set(cond, score: str, action: str = "Set") -> None:
    sub(cond, "setvar", {"action": action, "varname": "SCORE"}, score)


def _numerical(el, a, html: str, variant) -> None:
    from ...answers import decimal
    refuse_small(a, variant)
    presentation = sub(el, "presentation")
    _mattext(presentation, html)
    fib = sub(sub(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}), "render_fib",
              {"fibtype": "Decimal"})
    sub(fib, "response_label", {"ident": "answer1"})
    processing = sub(el, "resprocessing")
    _outcomes(processing)
    _feedback(processing)
    blank = a.mapped.blanks[0]
    cond = sub(processing, "respcondition", {"continue": "No"})
    test = sub(cond, "conditionvar")
    sub(test, "vargte", {"respident": "response1"}, decimal(blank.low))
    sub(test, "varlte", {"respident": "response1"}, decimal(blank.high))
    _set(cond, "100")


def _blanks(el, a, html: str, variant) -> None:
    """Several numbers: [b1] … in the text, each blank's spellings its right answers, each worth its share."""
    html = html.replace("[", "&#91;").replace("]", "&#93;")
    html = _MARKED.sub(lambda m: f"[b{int(m.group(1)) + 1}]", html)
    presentation = sub(el, "presentation")
    _mattext(presentation, html)
    processing = element("resprocessing")
    _outcomes(processing)
    _feedback(processing)
    share = f"{100 / len(a.mapped.blanks):.2f}"
    for k, blank in enumerate(a.mapped.blanks, 1):
        lid = sub(presentation, "response_lid", {"ident": f"response_b{k}"})
        sub(sub(lid, "material"), "mattext", {}, f"b{k}")
        choices = sub(lid, "render_choice")
        for j, text in enumerate(spellings(blank), 1):
            label = sub(choices, "response_label", {"ident": f"b{k}_{j}"})
            _mattext(label, text)
            cond = sub(processing, "respcondition", {"continue": "Yes"})
            sub(sub(cond, "conditionvar"), "varequal", {"respident": f"response_b{k}"}, f"b{k}_{j}")
            _set(cond, share, "Add")
    el.append(processing)


def _choice(el, a, html: str, variant) -> None:
    presentation = sub(el, "presentation")
    _mattext(presentation, html)
    render = sub(sub(presentation, "response_lid", {"ident": "response1", "rcardinality": "Single"}), "render_choice")
    for choice in a.mapped.choices:
        _mattext(sub(render, "response_label", {"ident": identifier(choice)}), choice)
    processing = sub(el, "resprocessing")
    _outcomes(processing)
    _feedback(processing)
    cond = sub(processing, "respcondition", {"continue": "No"})
    sub(sub(cond, "conditionvar"), "varequal", {"respident": "response1"}, identifier(a.mapped.right))
    _set(cond, "100")


def _essay(el, a, html: str, variant) -> None:
    presentation = sub(el, "presentation")
    _mattext(presentation, html)
    fib = sub(sub(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}), "render_fib")
    sub(fib, "response_label", {"ident": "answer1", "rshuffle": "No"})
    processing = sub(el, "resprocessing")
    _outcomes(processing)
    _feedback(processing)
    cond = sub(processing, "respcondition", {"continue": "No"})
    sub(sub(cond, "conditionvar"), "other")


KINDS = {"numerical": ("numerical_question", _numerical), "cloze": ("fill_in_multiple_blanks_question", _blanks),
         "multichoice": ("multiple_choice_question", _choice), "essay": ("essay_question", _essay)}


def item_id(qid: str, variant: str | None) -> str:
    return identifier(f"Q{qid}" + (f"-{variant}" if variant else ""))


def item(a, variant: str | None, title: str) -> Item:
    """One variant of one question as a Canvas <item>, with the figure files it links."""
    from . import content
    from ...answers import CLOZE, ESSAY
    ident = item_id(a.q.id, variant)
    page = content.Page(content.MathML(), lambda name: f"%24IMS-CC-FILEBASE%24/{IMAGES}/{name}", prefix=f"{ident}-")
    statement = content.statement(page, a.problem, a.setting, a.q)
    if a.mapped.form == CLOZE:
        content.blanks(page, statement, a.mapped.lines, lambda i: f"{MARK}{i}{MARK}")
    kind, fill = KINDS[a.mapped.form]
    el = element("item", {"ident": ident, "title": item_name(title, a.q.id, variant)})
    _metadata(el, kind, ident)
    fill(el, a, serialize(statement), variant)
    solution = page.el("div")
    if a.mapped.form == ESSAY:
        content.answer(page, solution, a.q)
    solution.append(content.solution(page, a.q))
    feedback = sub(el, "itemfeedback", {"ident": "general_fb"})
    _mattext(sub(feedback, "flow_mat"), serialize(solution))
    return Item(a.q.id, variant, serialize(el), dict(page.files), a.mapped.form)


def _assessment(title: str, ident: str, groups: dict[str, list[Item]]) -> str:
    """The assessment: under its root section a group a question id, picking 1 of its variants' items."""
    import xml.etree.ElementTree as ET
    head = element("questestinterop", {"xmlns": QTI12})
    assessment = sub(head, "assessment", {"ident": ident, "title": title_of(title)})
    _field(sub(assessment, "qtimetadata"), "cc_maxattempts", "1")
    root = sub(assessment, "section", {"ident": "root_section"})
    for qid, items in groups.items():
        group = sub(root, "section", {"ident": identifier(f"G{qid}"), "title": f"Question {qid}"})
        selection = sub(sub(group, "selection_ordering"), "selection")
        sub(selection, "selection_number", {}, "1")
        sub(sub(selection, "selection_extension"), "points_per_item", {}, "1")
        group.extend(ET.fromstring(it.text) for it in items)
    return serialize(head, declaration=True, indent=0)


def _meta(title: str, ident: str, points: int) -> str:
    quiz = element("quiz", {"identifier": ident, "xmlns": "http://canvas.instructure.com/xsd/cccv1p0"})
    for tag, text in (("title", title_of(title)), ("description", ""), ("shuffle_answers", "false"),
                      ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                      ("points_possible", f"{points:.1f}"), ("show_correct_answers", "true"),
                      ("allowed_attempts", "1"), ("one_question_at_a_time", "false"), ("cant_go_back", "false"),
                      ("available", "false")):
        sub(quiz, tag, {}, text)
    return serialize(quiz, declaration=True, indent=0)


def _manifest(ident: str, images: list[str]) -> str:
    root = element("manifest", {"identifier": f"{ident}-manifest", "xmlns": MANIFEST})
    meta = sub(root, "metadata")
    sub(meta, "schema", {}, "IMS Content")
    sub(meta, "schemaversion", {}, "1.1.3")
    sub(root, "organizations")
    resources = sub(root, "resources")
    quiz = sub(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
    sub(quiz, "file", {"href": f"{ident}/{ident}.xml"})
    sub(quiz, "dependency", {"identifierref": f"{ident}-meta"})
    meta = sub(resources, "resource", {"identifier": f"{ident}-meta", "href": f"{ident}/assessment_meta.xml",
                                       "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource"})
    sub(meta, "file", {"href": f"{ident}/assessment_meta.xml"})
    for k, name in enumerate(images, 1):
        image = sub(resources, "resource", {"identifier": f"{ident}-image-{k}", "type": "webcontent",
                                            "href": f"{IMAGES}/{name}"})
        sub(image, "file", {"href": f"{IMAGES}/{name}"})
    return serialize(root, declaration=True, indent=0)


def package(title: str, name: str, pieces: list[list[Item]]) -> bytes:
    """The zip: the manifest, the quiz's folder (the assessment, Canvas's meta), the images."""
    groups = grouped(pieces)
    ident = identifier(f"derive-{name}")
    images = {f: data for items in groups.values() for it in items for f, data in it.files.items()}
    files: dict[str, bytes | str] = {"imsmanifest.xml": _manifest(ident, list(images)),
                                     f"{ident}/{ident}.xml": _assessment(title, ident, groups),
                                     f"{ident}/assessment_meta.xml": _meta(title, ident, len(groups))}
    files.update({f"{IMAGES}/{file_name(f)}": data for f, data in images.items()})
    return zipped(files)


__all__ = ["Canvas", "package", "item", "spellings", "refuse_small", "SMALLEST"]
