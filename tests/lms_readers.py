"""Readers of the LMS exports for the tests, written from what the LMSs read (not from derive's writers):

- ``moodle_import``: Moodle's question/format/xml/format.php (readquestions → import_question → import_headers,
  import_numerical, import_multianswer with qtype_multianswer_extract_question, import_multichoice,
  import_essay, import_category), with the checks its import makes (a name, answers whose fractions are grade
  options, Cloze blanks with a right answer, numbers as its NUMBER_REGEX reads them);
- ``canvas_quiz``: a Canvas QTI 1.2 zip read as Canvas's importer and text2qti's output have it, and ``canvas_score``
  evaluating an item's resprocessing on a typed response;
- ``qti_schemas``: the IMS QTI 2.1 and IMS CP XSDs from ../shared/schemas/qti21 (skipped with one line when the
  folder is absent, failed when DERIVE_REQUIRE_SCHEMAS=1).
"""

from __future__ import annotations

import functools
import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

# --- Moodle -----------------------------------------------------------------------------------------------------

GRADE_OPTIONS = {100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571,
                 12.5, 11.11111, 10, 5, 0}
FORMATS = {"moodle_auto_format", "html", "plain_text", "wiki_like", "markdown"}
# question/type/multianswer/questiontype.php (PCRE; its one variable-width look-behind split in three)
FRACTION = r"=|%(-?[0-9]+)%"
ALT_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
ALT_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ALT_ANSWER})(#({ALT_FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = f"^({NUMBER})(:{NUMBER})?$"
TYPES = r"(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)"
ANSWER = r"\{([0-9]*):(" + TYPES + "):(" + ALTERNATIVE + "(~" + ALTERNATIVE + r")*)\}"


class MoodleRefused(AssertionError):
    """What Moodle's import would refuse, and why."""


def getpath(el, path: list, default=None, istext: bool = False, error: str = ""):
    """format.php's getpath over ElementTree: 'name' steps take the first child of that name, '@x' an attribute,
    '#' the text; a missing step gives the default (or is an error when ``error`` says so)."""
    node = el
    for step in path:
        if step.startswith("@"):
            node = node.get(step[1:]) if node is not None else None
        elif step == "#":
            node = (node.text or "") if node is not None else None
        else:
            node = node.find(step) if node is not None else None
        if node is None:
            if error:
                raise MoodleRefused(error)
            return default
    return node.strip() if istext and isinstance(node, str) else node


def _fraction(answer) -> float:
    raw = getpath(answer, ["@fraction"], "0")
    value = float(raw)
    if not any(abs(value - s * g) < 1e-6 for g in GRADE_OPTIONS for s in (1, -1)):
        raise MoodleRefused(f"fraction {raw} is not one of Moodle's grade options")
    return value / 100


def _text_field(q, tag: str, required: bool = False) -> dict:
    field = q.find(tag)
    if field is None:
        if required:
            raise MoodleRefused(f"no <{tag}>")
        return {"text": "", "format": "html", "files": {}}
    fmt = field.get("format", "html")
    if fmt not in FORMATS:
        raise MoodleRefused(f"<{tag}> has an unknown format {fmt!r}")
    files = {f.get("name"): f.text or "" for f in field.findall("file")}
    for f in field.findall("file"):
        if f.get("encoding") != "base64" or not f.get("name") or not f.get("path", "/").startswith("/"):
            raise MoodleRefused(f"a <file> of <{tag}> lacks name, path or base64")
    return {"text": getpath(field, ["text", "#"], "", True), "format": fmt, "files": files}


def _headers(q) -> dict:
    name = getpath(q, ["name", "text", "#"], None, True, error="xmlimportnoname")
    if not name:
        raise MoodleRefused("xmlimportnoname")
    return {"name": name, "questiontext": _text_field(q, "questiontext", True),
            "generalfeedback": _text_field(q, "generalfeedback"),
            "defaultmark": float(getpath(q, ["defaultgrade", "#"], "1")),
            "penalty": float(getpath(q, ["penalty", "#"], "0.3333333"))}


def is_number(text: str) -> bool:
    """PHP's is_numeric for what Moodle's numerical answers hold (no '+inf', no 'nan')."""
    return re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", text) is not None


def _numerical(q) -> dict:
    qo = {**_headers(q), "qtype": "numerical", "answers": []}
    for answer in q.findall("answer"):
        text = getpath(answer, ["text", "#"], "", True)
        if text != "*" and not is_number(text):
            raise MoodleRefused(f"numerical answer {text!r} is not a number")
        tolerance = getpath(answer, ["tolerance", "#"], "0")
        if not is_number(tolerance):
            raise MoodleRefused(f"tolerance {tolerance!r} is not a number")
        qo["answers"].append({"answer": text, "tolerance": float(tolerance), "fraction": _fraction(answer)})
    if not any(a["fraction"] == 1 for a in qo["answers"]):
        raise MoodleRefused("no answer is worth 100%")
    qo["showunits"] = getpath(q, ["showunits", "#"], None)
    return qo


def extract_cloze(text: str) -> list[dict]:
    """qtype_multianswer_extract_question: each blank (weight, type, alternatives), the text left with {#k}."""
    subs = []
    while (m := re.search(ANSWER, text, re.S)) is not None:
        kind = "numerical" if m.group(3) else "multichoice" if any(m.group(i) for i in (4, 5, 6)) else "shortanswer"
        answers, rest = [], m.group(9)
        while rest and (alt := re.match("~?" + ALTERNATIVE, rest, re.S)) is not None and alt.group(0):
            fraction = 1.0 if alt.group(1) == "=" else 0.01 * int(alt.group(2)) if alt.group(2) else 0.0
            entry = {"fraction": fraction, "answer": alt.group(3)}
            if kind == "numerical":
                num = re.match(NUMERICAL_ALTERNATIVE, alt.group(3), re.S)
                if num is None:
                    raise MoodleRefused(f"a NUMERICAL blank's answer {alt.group(3)!r} is not a number")
                entry.update(answer=num.group(1), tolerance=float(num.group(6) or 0))
            answers.append(entry)
            rest = rest[len(alt.group(0)):]
        subs.append({"defaultmark": float(m.group(1) or 1), "qtype": kind, "answers": answers})
        text = text[:m.start()] + "{#%d}" % len(subs) + text[m.end():]
    return subs


def _multianswer(q) -> dict:
    qo = _headers(q)
    subs = extract_cloze(qo["questiontext"]["text"])
    if not subs:
        raise MoodleRefused("invalidmultianswerquestion: no blanks")
    for k, s in enumerate(subs, 1):                    # qtype_multianswer_validate_question
        if not s["answers"] or not any(a["fraction"] == 1 for a in s["answers"]):
            raise MoodleRefused(f"invalidmultianswerquestion: blank {k} has no right answer")
    return {**qo, "qtype": "multianswer", "subquestions": subs, "defaultmark": sum(s["defaultmark"] for s in subs)}


def _multichoice(q) -> dict:
    qo = {**_headers(q), "qtype": "multichoice", "single": getpath(q, ["single", "#"], "true") != "false",
          "answers": []}
    for answer in q.findall("answer"):
        qo["answers"].append({"answer": getpath(answer, ["text", "#"], "", True), "fraction": _fraction(answer)})
    if len(qo["answers"]) < 2:
        raise MoodleRefused("a multichoice needs two answers")
    if qo["single"] and max(a["fraction"] for a in qo["answers"]) != 1:
        raise MoodleRefused("a single-answer multichoice needs an answer worth 100%")
    return qo


def _essay(q) -> dict:
    qo = {**_headers(q), "qtype": "essay", "graderinfo": _text_field(q, "graderinfo")}
    qo["responseformat"] = getpath(q, ["responseformat", "#"], "editor")
    if qo["responseformat"] not in {"editor", "editorfilepicker", "plain", "monospaced", "noinline"}:
        raise MoodleRefused("unknown responseformat")
    for tag, default in (("responsefieldlines", "15"), ("responserequired", "1"), ("attachments", "0"),
                         ("attachmentsrequired", "0")):
        qo[tag] = int(getpath(q, [tag, "#"], default))
    return qo


def moodle_import(text: str) -> list[dict]:
    """The questions Moodle's import makes of a Moodle XML file, each with its category; MoodleRefused if it
    would refuse one."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "quiz", "readquestions reads <quiz>"
    category, out = None, []
    for q in root.findall("question"):
        kind = q.get("type")
        if kind == "category":
            category = getpath(q, ["category", "text", "#"], None, True, error="a category without <text>")
            continue
        reader = {"numerical": _numerical, "cloze": _multianswer, "multianswer": _multianswer,
                  "multichoice": _multichoice, "essay": _essay}.get(kind)
        if reader is None:
            raise MoodleRefused(f"xmltypeunsupported: {kind}")
        out.append({**reader(q), "category": category})
    return out


# --- Canvas (QTI 1.2) ----------------------------------------------------------------------------------------------

QTI12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CANVAS_TYPES = {"numerical_question", "fill_in_multiple_blanks_question", "multiple_choice_question", "essay_question"}


def canvas_quiz(data: bytes) -> dict:
    """The zip read as Canvas reads it: the manifest's QTI resource, its assessment, the groups (each picking its
    number of items) and the items; every image an item links is in the zip and the manifest."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    ns = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    resources = manifest.find(f"{ns}resources")
    qti = [r for r in resources if r.get("type") == "imsqti_xmlv1p2"]
    assert len(qti) == 1, "one QTI assessment"
    path = qti[0].find(f"{ns}file").get("href")
    assessment = ET.fromstring(archive.read(path))
    web = {r.get("href") for r in resources if r.get("type") == "webcontent"}
    groups = {}
    for group in assessment.iter(f"{QTI12}section"):
        if group.get("ident") == "root_section":
            continue
        pick = int(group.find(f".//{QTI12}selection_number").text)
        groups[group.get("title")] = {"pick": pick, "items": group.findall(f"{QTI12}item")}
    for item in assessment.iter(f"{QTI12}item"):
        for text in item.iter(f"{QTI12}mattext"):
            for src in re.findall(r'src="%24IMS-CC-FILEBASE%24/([^"]+)"', text.text or ""):
                assert src in names and src in web, f"image {src} not packaged"
    return {"archive": archive, "assessment": assessment, "groups": groups, "meta": path.rsplit("/", 1)[0]}


def canvas_type(item) -> str:
    for field in item.iter(f"{QTI12}qtimetadatafield"):
        if field.find(f"{QTI12}fieldlabel").text == "question_type":
            return field.find(f"{QTI12}fieldentry").text
    raise AssertionError("an item without question_type")


def _holds(cond, responses: dict) -> bool:
    """A conditionvar's tests (all must hold): varequal, vargte, varlte, other, and, or, not."""
    for test in cond:
        tag = test.tag[len(QTI12):]
        if tag in ("and", "conditionvar"):
            ok = _holds(test, responses)
        elif tag == "or":
            ok = any(_holds([t], responses) for t in test)
        elif tag == "not":
            ok = not _holds(test, responses)
        elif tag == "other":
            ok = True
        else:
            given = responses.get(test.get("respident"))
            if given is None:
                ok = False
            elif tag == "varequal":
                ok = given.strip().lower() == test.text.strip().lower()
            else:
                typed = float(given)
                typed = 0.0 if abs(typed) < 1e-4 else typed           # as Canvas stores a typed number
                ok = typed >= float(test.text) if tag == "vargte" else typed <= float(test.text)
        if not ok:
            return False
    return True


def canvas_score(item, responses: dict) -> float:
    """The SCORE an item's resprocessing gives: respconditions in order, Set or Add, until one with continue=No
    holds. A fill-in-blanks response names a blank's response_label (as Canvas records the text typed)."""
    score = 0.0
    for cond in item.iter(f"{QTI12}respcondition"):
        if _holds(cond.find(f"{QTI12}conditionvar"), responses):
            for setvar in cond.findall(f"{QTI12}setvar"):
                value = float(setvar.text)
                score = value if setvar.get("action", "Set") == "Set" else score + value
            if cond.get("continue", "No") == "No":
                break
    return score


def canvas_blank_choice(item, blank: str, typed: str) -> str | None:
    """The response_label a text typed into a blank matches (Canvas compares text, ignoring case and spaces)."""
    for lid in item.iter(f"{QTI12}response_lid"):
        if lid.get("ident") == f"response_{blank}":
            for label in lid.iter(f"{QTI12}response_label"):
                if label.find(f".//{QTI12}mattext").text.strip().lower() == typed.strip().lower():
                    return label.get("ident")
    return None


# --- QTI 2.1 ---------------------------------------------------------------------------------------------------------

SCHEMAS = Path(__file__).resolve().parent.parent.parent / "shared" / "schemas" / "qti21"


def qti_schemas():
    """(item and test schema, manifest schema) from ../shared/schemas/qti21; a skip when they are not there,
    a failure when DERIVE_REQUIRE_SCHEMAS=1."""
    folder = Path(os.environ.get("DERIVE_SCHEMAS", SCHEMAS))
    if not (folder / "qtiv2p1" / "imsqti_v2p1.xsd").is_file():
        if os.environ.get("DERIVE_REQUIRE_SCHEMAS") == "1":
            pytest.fail(f"DERIVE_REQUIRE_SCHEMAS=1 but the QTI 2.1 schemas are not in {folder}")
        pytest.skip(f"the QTI 2.1 schemas are not in {folder}")
    return _loaded(str(folder))


@functools.lru_cache(maxsize=2)
def _loaded(folder: str):
    from lxml import etree
    return (etree.XMLSchema(etree.parse(f"{folder}/qtiv2p1/imsqti_v2p1.xsd")),
            etree.XMLSchema(etree.parse(f"{folder}/imscp_v1p1.xsd")))
