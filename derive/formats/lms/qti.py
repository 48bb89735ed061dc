"""QTI 2.1 content package (Blackboard, OpenOLAT, ILIAS, TAO, Inspera ...): imsmanifest.xml (IMS CP 1.1), one
assessmentItem a variant and question (items/), and a test (test.xml) with a section a question id that selects
one of its variants.

A number is a ``textEntryInteraction`` of baseType float scored by ``<equal toleranceMode="relative">`` (the
spec's relative tolerance, in percent, as QTI reads it) or ``"absolute"`` (an absolute one, or digits made into
each number's margin) — never ``exact``, which a typed float almost never meets. Several numbers are several
interactions laid out as the answer is; a verdict is a ``choiceInteraction``; a formula an
``extendedTextInteraction`` with the key in a rubric for the scorer. Maths is MathML in the ``m:`` namespace;
figures are SVG files in the package; the worked solution is the item's modal feedback. An item scores 1 when
every number is right (the share of them right, else).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..base import PooledFormat
from .markup import element, file_name, identifier, serialize, sub, zipped
from .pool import Item, asked, grouped, item_name, prepare, title_of

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MATHML = "http://www.w3.org/1998/Math/MathML"
QTI_XSD = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_XSD = f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
N = f"{{{QTI}}}"
FOLDER = "items"


class Qti(PooledFormat):
    """A QTI 2.1 content package: an item a variant and question, a test selecting one variant a question."""

    name = "qti"
    listed = 10
    help = "QTI 2.1 package: an item a variant, a test picking one a question"
    suffix = "-qti.zip"
    binary = True

    def prepare(self) -> None:
        prepare()

    def piece(self, doc, variant: str | None) -> list[Item]:
        return [item(a, variant, doc.title) for a in asked(doc)]

    def join(self, title: str, name: str, pieces: list) -> bytes:
        return package(title, name, pieces)


def _names():
    ET.register_namespace("", QTI)
    ET.register_namespace("m", MATHML)
    ET.register_namespace("xsi", XSI)


def item_id(qid: str, variant: str | None) -> str:
    return identifier(f"Q{qid}" + (f"-{variant}" if variant else ""))


def _q(parent, tag: str, attrs: dict | None = None, text: str | None = None):
    return sub(parent, f"{N}{tag}", attrs, text)


def _declare(root, responses: list[tuple[str, str, str | None]]) -> None:
    """The responses (identifier, base type, correct value) and the outcomes SCORE, MAXSCORE, FEEDBACK."""
    for ident, base, right in responses:
        decl = _q(root, "responseDeclaration", {"identifier": ident, "cardinality": "single", "baseType": base})
        if right is not None:
            _q(_q(decl, "correctResponse"), "value", {}, right)
    for ident, value in (("SCORE", "0"), ("MAXSCORE", "1")):
        out = _q(root, "outcomeDeclaration", {"identifier": ident, "cardinality": "single", "baseType": "float"})
        _q(_q(out, "defaultValue"), "value", {}, value)
    _q(root, "outcomeDeclaration", {"identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier"})


def _equal(blank, tolerance, response: str) -> ET.Element:
    """The test of one number: equal within the spec's tolerance (relative in percent, or absolute)."""
    from ...answers import decimal
    relative = tolerance.kind == "relative"
    amount = decimal(tolerance.amount * 100) if relative else decimal(blank.margin)
    equal = element(f"{N}equal", {"toleranceMode": "relative" if relative else "absolute",
                                  "tolerance": f"{amount} {amount}"})
    _q(equal, "variable", {"identifier": response})
    _q(equal, "baseValue", {"baseType": "float"}, decimal(blank.exact))
    return equal


def _add(processing, condition: ET.Element, amount: str = "1") -> None:
    """If the condition holds, SCORE goes up by ``amount``."""
    when = _q(_q(processing, "responseCondition"), "responseIf")
    when.append(condition)
    total = _q(_q(when, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
    _q(total, "variable", {"identifier": "SCORE"})
    _q(total, "baseValue", {"baseType": "float"}, amount)


def _numbers(root, body, processing, a, page) -> None:
    """Numbers: a text entry each (in the layout's table when there are several), each scored with its tolerance,
    SCORE the share right."""
    from . import content
    from ...answers import NUMERICAL, Tolerance, decimal
    blanks = a.mapped.blanks
    names = ["RESPONSE"] if len(blanks) == 1 else [f"RESPONSE_{k}" for k in range(1, len(blanks) + 1)]
    _declare(root, [(n, "float", decimal(b.exact)) for n, b in zip(names, blanks)])
    def entry(k: int) -> ET.Element:
        return element(f"{N}textEntryInteraction", {"responseIdentifier": names[k], "expectedLength": "12"})
    if a.mapped.form == NUMERICAL:
        lead = page.sub(body, "p", {}, "Answer: ")
        lead.append(entry(0))
    else:
        content.blanks(page, page.sub(body, "div"), a.mapped.lines, entry)
    tolerance = Tolerance.of(a.q.tolerance)
    for name, blank in zip(names, blanks):
        _add(processing, _equal(blank, tolerance, name))
    if len(blanks) > 1:
        share = _q(_q(processing, "setOutcomeValue", {"identifier": "SCORE"}), "divide")
        _q(share, "variable", {"identifier": "SCORE"})
        _q(share, "baseValue", {"baseType": "float"}, str(len(blanks)))


def _choice(root, body, processing, a, page) -> None:
    _declare(root, [("RESPONSE", "identifier", identifier(a.mapped.right))])
    choices = _q(body, "choiceInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "false", "maxChoices": "1"})
    for choice in a.mapped.choices:
        _q(choices, "simpleChoice", {"identifier": identifier(choice)}, choice)
    match = element(f"{N}match")
    _q(match, "variable", {"identifier": "RESPONSE"})
    _q(match, "correct", {"identifier": "RESPONSE"})
    _add(processing, match)


def _essay(root, body, processing, a, page) -> None:
    from . import content
    _declare(root, [("RESPONSE", "string", None)])
    _q(body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE", "expectedLines": "10"})
    rubric = _q(body, "rubricBlock", {"view": "scorer"})
    content.answer(page, rubric, a.q)


FORMS = {"numerical": _numbers, "cloze": _numbers, "multichoice": _choice, "essay": _essay}


def item(a, variant: str | None, title: str) -> Item:
    """One variant of one question as an assessmentItem, with the figure files it links."""
    from . import content
    _names()
    ident = item_id(a.q.id, variant)
    page = content.Page(content.MathML(qualified=True), lambda name: name, ns=N, prefix=f"{ident}-")
    root = element(f"{N}assessmentItem", {f"{{{XSI}}}schemaLocation": QTI_XSD, "identifier": ident,
                                          "title": item_name(title, a.q.id, variant), "adaptive": "false",
                                          "timeDependent": "false"})
    body = element(f"{N}itemBody")
    body.append(content.statement(page, a.problem, a.setting, a.q))
    processing = element(f"{N}responseProcessing")
    FORMS[a.mapped.form](root, body, processing, a, page)
    root.append(body)
    show = _q(processing, "setOutcomeValue", {"identifier": "FEEDBACK"})
    _q(show, "baseValue", {"baseType": "identifier"}, "SOLUTION")
    root.append(processing)
    feedback = _q(root, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": "SOLUTION",
                                          "showHide": "show", "title": "Worked solution"})
    feedback.append(content.solution(page, a.q))
    return Item(a.q.id, variant, serialize(root, declaration=True, indent=0), dict(page.files), a.mapped.form)


def _test(title: str, name: str, groups: dict[str, list[Item]]) -> str:
    _names()
    test = element(f"{N}assessmentTest", {f"{{{XSI}}}schemaLocation": QTI_XSD,
                                          "identifier": identifier(f"T-{name}"), "title": title_of(title)})
    out = _q(test, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    _q(_q(out, "defaultValue"), "value", {}, "0")
    part = _q(test, "testPart", {"identifier": "P1", "navigationMode": "nonlinear", "submissionMode": "individual"})
    for qid, items in groups.items():
        section = _q(part, "assessmentSection", {"identifier": identifier(f"S{qid}"), "title": f"Question {qid}",
                                                 "visible": "true"})
        _q(section, "selection", {"select": "1"})
        for it in items:
            ident = item_id(it.qid, it.variant)
            _q(section, "assessmentItemRef", {"identifier": ident, "href": f"{FOLDER}/{file_name(ident + '.xml')}"})
    total = _q(_q(_q(test, "outcomeProcessing"), "setOutcomeValue", {"identifier": "SCORE"}), "sum")
    _q(total, "testVariables", {"variableIdentifier": "SCORE"})
    return serialize(test, declaration=True, indent=0)


def _manifest(name: str, groups: dict[str, list[Item]]) -> str:
    c = f"{{{CP}}}"
    ET.register_namespace("", CP)
    root = element(f"{c}manifest", {"identifier": identifier(f"M-{name}"), f"{{{XSI}}}schemaLocation": CP_XSD})
    meta = sub(root, f"{c}metadata")
    sub(meta, f"{c}schema", {}, "QTIv2.1 Package")
    sub(meta, f"{c}schemaversion", {}, "1.0.0")
    sub(root, f"{c}organizations")
    resources = sub(root, f"{c}resources")
    test = sub(resources, f"{c}resource", {"identifier": "R-test", "type": "imsqti_test_xmlv2p1", "href": "test.xml"})
    sub(test, f"{c}file", {"href": "test.xml"})
    for items in groups.values():
        for it in items:
            sub(test, f"{c}dependency", {"identifierref": f"R-{item_id(it.qid, it.variant)}"})
    for items in groups.values():
        for it in items:
            ident = item_id(it.qid, it.variant)
            href = f"{FOLDER}/{file_name(ident + '.xml')}"
            res = sub(resources, f"{c}resource", {"identifier": f"R-{ident}", "type": "imsqti_item_xmlv2p1",
                                                  "href": href})
            for path in (href, *(f"{FOLDER}/{f}" for f in it.files)):
                sub(res, f"{c}file", {"href": path})
    return serialize(root, declaration=True, indent=0)


def package(title: str, name: str, pieces: list[list[Item]]) -> bytes:
    """The zip: the manifest, the test, then each item and its figures."""
    groups = grouped(pieces)
    files: dict[str, bytes | str] = {"imsmanifest.xml": _manifest(name, groups), "test.xml": _test(title, name, groups)}
    for items in groups.values():
        for it in items:
            files[f"{FOLDER}/{file_name(item_id(it.qid, it.variant) + '.xml')}"] = it.text
            files.update({f"{FOLDER}/{f}": data for f, data in it.files.items()})
    return zipped(files)


__all__ = ["Qti", "package", "item", "item_id", "QTI", "CP", "MATHML"]
