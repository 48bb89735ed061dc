"""The Moodle XML export (derive solutions -f moodle; derive variants -f moodle): read back as Moodle's importer
reads it (tests/lms_readers.py follows question/format/xml/format.php), every field it needs there, every fraction a
grade option, every Cloze blank a NUMERICAL blank of weight 1 with the key's value and margin; and the golden file."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

import derive
import lms_golden
from derive.answers import Tolerance, mapped
from lms_readers import MoodleRefused, extract_cloze, moodle_import

FORMS = {"1a.i": "multianswer", "1a.ii": "multianswer", "1a.iii": "numerical", "2a.i": "essay",
         "2a.ii": "multichoice", "3a": "numerical"}


@pytest.fixture(scope="module")
def imported():
    return moodle_import(lms_golden.outputs()["spec-moodle.xml"])


@pytest.fixture(scope="module")
def key():
    return {q.id: q for q in lms_golden.doc().questions()}


@pytest.mark.slow
def test_the_golden_file():
    lms_golden.compare("spec-moodle.xml")


def test_one_category_a_question_each_question_its_form(imported, key):
    assert [q["category"] for q in imported] == [f"$course$/top/LMS exports: one of each/{qid}" for qid in key]
    assert {qid: q["qtype"] for qid, q in zip(key, imported)} == FORMS
    for q, qid in zip(imported, key):
        assert q["name"] == f"LMS exports: one of each {qid}"
        assert q["questiontext"]["format"] == "html" and f"question {qid}" in q["questiontext"]["text"]
        assert "Answer " + qid in q["generalfeedback"]["text"], "the worked solution is the general feedback"


def _margin(value) -> float:
    return float(Fraction(value) / 100) if not isinstance(value, str) else 0.0


def test_numbers_carry_the_key_and_its_tolerance(imported, key):
    for q, (qid, question) in zip(imported, key.items()):
        if q["qtype"] == "numerical":
            (answer,) = q["answers"]
            value = question.answer.value
            assert float(answer["answer"]) == float(value) and answer["fraction"] == 1
            assert answer["tolerance"] == pytest.approx(abs(float(value)) / 100, rel=1e-12)
        if q["qtype"] == "multianswer":
            blanks = mapped(question.ask, question.answer.value).blanks
            assert [s["qtype"] for s in q["subquestions"]] == ["numerical"] * len(blanks)
            assert all(s["defaultmark"] == 1 and len(s["answers"]) == 1 for s in q["subquestions"])
            for s, b in zip(q["subquestions"], blanks):
                assert float(s["answers"][0]["answer"]) == float(b.exact) and s["answers"][0]["fraction"] == 1
                assert s["answers"][0]["tolerance"] == pytest.approx(float(b.margin), rel=1e-12)


def test_a_shape_is_laid_out_as_h_by_w_by_c(imported):
    assert ("<th>layer 1</th><td>{1:NUMERICAL:=16:0.16} × {1:NUMERICAL:=16:0.16} × {1:NUMERICAL:=4:0.04}</td>"
            in imported[1]["questiontext"]["text"])


def test_verdict_and_formula(imported, key):
    verdict = imported[4]
    assert [(a["answer"], a["fraction"]) for a in verdict["answers"]] == \
        [("vanishing", 1.0), ("exploding", 0.0), ("neither", 0.0)]
    essay = imported[3]
    assert essay["responseformat"] == "editor" and essay["responserequired"] == 1
    assert key["2a.i"].answer.value in essay["graderinfo"]["text"], "the key is the grader's information"


def test_figures_are_files_of_the_text_that_shows_them(imported):
    for q in imported:
        for field in ("questiontext", "generalfeedback"):
            linked = set(re.findall(r"@@PLUGINFILE@@/([^\"]+)\"", q[field]["text"]))
            assert linked == set(q[field]["files"]), (q["name"], field)
    assert any(q["questiontext"]["files"] for q in imported) and any(q["generalfeedback"]["files"] for q in imported)


def test_the_reader_refuses_what_moodle_refuses():
    text = lms_golden.outputs()["spec-moodle.xml"]
    with pytest.raises(MoodleRefused, match="grade options"):
        moodle_import(text.replace('fraction="100"', 'fraction="33"', 1))
    with pytest.raises(MoodleRefused, match="no right answer"):
        moodle_import(text.replace("{1:NUMERICAL:=", "{1:NUMERICAL:", 1))
    with pytest.raises(MoodleRefused, match="xmlimportnoname"):
        moodle_import(re.sub(r"<name>\s*<text>[^<]*</text>\s*</name>", "", text, count=1))
    assert len(extract_cloze("x {2:NUMERICAL:=1.5:0.1~%50%2:0} y")) == 1


def test_braces_in_the_text_never_open_a_blank(tmp_path):
    """A title (or any prose) with Cloze syntax in it stays text: only derive's blanks are blanks."""
    spec = tmp_path / "s.toml"
    spec.write_text('title = "{1:NUMERICAL:=5:1} and {2:MC:a~=b}"\n[[problem]]\ntitle = "{1:SA:=x}"\nkind = "network"\n'
                    'input = [8, 8, 1]\nlayers = [{ type = "conv", filters = 2, kernel = 3 }]\n'
                    '[[problem.part]]\nask = ["shapes"]\n', encoding="utf-8")
    text = derive.render(derive.solve(derive.load(spec)), "moodle")
    (q,) = moodle_import(text)
    assert q["qtype"] == "multianswer" and len(q["subquestions"]) == 3          # the shape 6 × 6 × 2
    assert q["name"].startswith("{1:NUMERICAL:=5:1} and {2:MC:a~=b}")
    assert "Problem 1: &#123;1:SA:=x&#125;" in q["questiontext"]["text"]


def test_tolerance_margin_of_each_kind():
    assert Tolerance().margin(Fraction(26)) == Fraction(26, 100)
    assert Tolerance("absolute", Fraction(1, 2)).margin(Fraction(-3)) == Fraction(1, 2)
    assert Tolerance("digits", Fraction(3)).margin(Fraction("0.2247")) == Fraction(5, 10000)
    assert Tolerance("digits", Fraction(2)).margin(Fraction(1703936)) == Fraction(50000)
    assert Tolerance.parse("relative 0.01") == Tolerance() and Tolerance.parse("digits 3").kind == "digits"
