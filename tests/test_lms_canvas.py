"""The Canvas export (derive solutions -f canvas; derive variants -f canvas): a classic quiz's QTI 1.2 zip read as
Canvas's importer has it (text2qti's output is the public reference): a group a question picking 1, each item's
question type, a number's right answers the range of its margin (its edges in, just beyond them out), several
numbers as blanks graded by their text, figures packaged; a number answer below 1e-4 refused; the golden files."""

from __future__ import annotations

import math

import pytest

import derive
import lms_golden
from derive.answers import mapped
from derive.formats.lms.canvas import spellings
from lms_readers import QTI12, canvas_blank_choice, canvas_quiz, canvas_score, canvas_type

TYPES = {"1a.i": "fill_in_multiple_blanks_question", "1a.ii": "fill_in_multiple_blanks_question",
         "1a.iii": "numerical_question", "2a.i": "essay_question", "2a.ii": "multiple_choice_question",
         "3a": "numerical_question"}


@pytest.fixture(scope="module")
def quiz():
    return canvas_quiz(derive.render(lms_golden.doc(), "canvas"))


@pytest.mark.slow
def test_the_golden_files():
    lms_golden.compare("canvas/")


def test_a_group_a_question_picking_one(quiz):
    assert list(quiz["groups"]) == [f"Question {qid}" for qid in TYPES]
    for (qid, kind), group in zip(TYPES.items(), quiz["groups"].values()):
        assert group["pick"] == 1 and [canvas_type(item) for item in group["items"]] == [kind]
    meta = quiz["archive"].read(f"{quiz['meta']}/assessment_meta.xml").decode()
    assert "<title>LMS exports: one of each</title>" in meta


def _item(quiz, qid):
    return quiz["groups"][f"Question {qid}"]["items"][0]


def test_a_number_is_right_within_its_margin_and_wrong_beyond(quiz):
    key = {q.id: q for q in lms_golden.doc().questions()}
    for qid in ("1a.iii", "3a"):
        item = _item(quiz, qid)
        low = float(item.find(f".//{QTI12}vargte").text)
        high = float(item.find(f".//{QTI12}varlte").text)
        value = float(key[qid].answer.value)
        assert low == pytest.approx(value * 0.99, rel=1e-12) and high == pytest.approx(value * 1.01, rel=1e-12)
        inside = [repr(low), repr(high), repr(value), repr(value * 1.005)]
        outside = [repr(math.nextafter(low, -math.inf)), repr(math.nextafter(high, math.inf)), repr(value * 1.02),
                   repr(-value)]
        assert [canvas_score(item, {"response1": x}) for x in inside] == [100.0] * 4, qid
        assert [canvas_score(item, {"response1": x}) for x in outside] == [0.0] * 4, qid


def test_several_numbers_are_blanks_graded_by_their_text(quiz):
    key = {q.id: q for q in lms_golden.doc().questions()}
    for qid in ("1a.i", "1a.ii"):
        item, blanks = _item(quiz, qid), mapped(key[qid].ask, key[qid].answer.value).blanks
        text = item.find(f".//{QTI12}mattext").text
        assert all(f"[b{k}]" in text for k in range(1, len(blanks) + 1)) and f"[b{len(blanks) + 1}]" not in text
        right = {f"response_b{k}": canvas_blank_choice(item, f"b{k}", spellings(b)[0]) for k, b in enumerate(blanks, 1)}
        assert canvas_score(item, right) == pytest.approx(100, abs=0.1)
        wrong = {**right, "response_b1": canvas_blank_choice(item, "b1", str(int(blanks[0].exact) + 7))}
        assert canvas_score(item, wrong) == pytest.approx(100 - 100 / len(blanks), abs=0.1)


def test_the_verdict_and_the_essay(quiz):
    verdict = _item(quiz, "2a.ii")
    assert canvas_score(verdict, {"response1": "vanishing"}) == 100.0
    assert canvas_score(verdict, {"response1": "exploding"}) == 0.0
    essay = _item(quiz, "2a.i")
    feedback = essay.find(f"{QTI12}itemfeedback").find(f".//{QTI12}mattext").text
    assert "Answer 2a.i." in feedback and 'xmlns="http://www.w3.org/1998/Math/MathML"' in feedback


def test_spellings_stay_within_the_margin():
    for value in (0.22470434812414652, -8.5, 1703936, 3.3e-9, 1e20 / 3):
        (blank,) = mapped("x", [value]).blanks[:1]
        for written in spellings(blank):
            assert abs(float(written) - value) <= float(blank.margin) * (1 + 1e-12), (value, written)
        assert repr(value) in spellings(blank) or str(int(value)) in spellings(blank)


def test_an_answer_below_1e_4_is_refused_with_a_way_out(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "init"\nscheme = "xavier-normal"\nfan_in = 40000\n'
                    'fan_out = 40000\n[[problem.part]]\nask = ["variance", "std"]\n', encoding="utf-8")
    run = derive.cli.main(["solutions", str(spec), "-f", "canvas", "-o", str(tmp_path / "q.zip")])
    assert run == 2 and not (tmp_path / "q.zip").exists()
    assert derive.cli.main(["solutions", str(spec), "-f", "canvas", "--only", "1a.ii",
                            "-o", str(tmp_path / "q.zip")]) == 0


def test_the_refusal_names_the_question(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "init"\nscheme = "xavier-normal"\nfan_in = 40000\n'
                    'fan_out = 40000\n[[problem.part]]\nask = ["variance"]\n', encoding="utf-8")
    assert derive.cli.main(["solutions", str(spec), "-f", "canvas", "-o", str(tmp_path / "q.zip")]) == 2
    err = capsys.readouterr().err
    assert "question 1a" in err and "1e-4" in err and "unit or scale" in err and "Traceback" not in err
