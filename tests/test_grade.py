"""derive grade: 200 simulated students of a roster answer from their own keys, each number perturbed within its
tolerance or beyond it and typed as people type it (26x26x10, (26, 26, 10), [1, 0, -1], 3/4, 1.5e-3, 1.5 × 10^-3,
≈ 0.2247, 1,703,936, units words); the gradebook scores exactly as expected (computed here, independently of the
grader). Unknown students and questions, unreadable and missing answers are listed with a summary line, exit 0;
the wide form of an LMS report grades the same; each student's feedback names their key."""

from __future__ import annotations

import csv
import io
import json
import random
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest

from derive import cli
from derive.responses import numbers, read_choice, read_numbers

SPEC = '''title = "Graded"
[variants]
salt = "grade-test"

[[problem]]
kind = "network"
input = [16, 16, 3]
layers = [{ type = "conv", filters = 4, kernel = 3, padding = 1 }, { type = "maxpool", kernel = 2 },
          { type = "flatten" }, { type = "dense", units = 5 }]
  [problem.vary]
  "layers[1].filters" = { from = 2, to = 12, step = 1 }
  "layers[4].units" = [3, 5, 7]
  [[problem.part]]
  ask = ["shapes", "total-params", "total-macs"]

[[problem]]
kind = "init"
scheme = "xavier-uniform"
fan_in = 256
fan_out = 128
  [problem.vary]
  fan_in = [64, 128, 256, 512, 100, 300]
  [[problem.part]]
  ask = ["variance"]

[[problem]]
kind = "graph"
given = { x = 2, y = -3 }
forward = ["q = x*y", "f = q/4"]
  [problem.vary]
  "given.x" = [1, 2, 3, 5]
  [[problem.part]]
  ask = ["gradient"]

[[problem]]
kind = "rnn-activation"
W_a = 1
b = 0
x = 0
a0 = 0
T = 50
  [problem.vary]
  W_a = [0.5, 1, 3]
  [[problem.part]]
  activation = "tanh"
  ask = ["derivative", "stability"]
'''
STUDENTS = 200
QIDS = ["1a.i", "1a.ii", "1a.iii", "2a", "3a", "4a.i", "4a.ii"]
VERDICTS = ("vanishing", "exploding", "neither")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    (root / "spec.toml").write_text(SPEC, encoding="utf-8")
    rows = ["id,name,email"] + [f"s{k:03d},Student {k},s{k:03d}@uni.edu" for k in range(STUDENTS)]
    (root / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert cli.main(["variants", str(root / "spec.toml"), "--roster", str(root / "roster.csv"), "-o",
                     str(root / "out"), "-q"]) == 0
    return root / "out"


def keys(folder: Path) -> dict[str, dict]:
    """Each student's answers by question id, from their JSON key."""
    out = {}
    for k in range(STUDENTS):
        key = json.loads((folder / f"s{k:03d}" / "spec-solutions.json").read_text(encoding="utf-8"))
        out[f"s{k:03d}"] = {p["id"]: p["answer"]["value"] for p in key["parts"]}
    return out


def written(x: Fraction, rng: random.Random, form: str) -> str:
    """A number as a student might type it: plain, scientific, × 10^k, ·10⁻ᵏ, a fraction, with words around."""
    with localcontext() as ctx:
        ctx.prec = 30
        d = Decimal(x.numerator) / Decimal(x.denominator)
    if form == "fraction" and x.denominator <= 1000:
        return f"{x.numerator}/{x.denominator}" if x.denominator != 1 else str(x.numerator)
    if form == "science" and x != 0:
        return f"{d:.20E}"
    if form == "ten" and x != 0:
        mantissa, exponent = f"{d:.20e}".split("e")
        return f"{mantissa} × 10^{int(exponent)}" if rng.random() < 0.5 else \
            f"{mantissa}·10{str(int(exponent)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"
    if form == "grouped" and x.denominator == 1 and abs(x) >= 1000:
        return f"≈ {x.numerator:,}"
    text = format(d.normalize(), "f") if abs(d) < Decimal(10) ** 20 else str(d)
    return f"≈ {text}" if form == "approx" else f"{text} units" if form == "words" else text


def perturbed(v: Fraction, rng: random.Random) -> tuple[Fraction, bool]:
    """v moved within its 1% tolerance (right) or beyond it (wrong), and which."""
    margin = abs(v) / 100
    if rng.random() < 0.6:
        return v + margin * Fraction(rng.randint(-90, 90), 100), True
    step = margin * Fraction(rng.randint(150, 400), 100) if margin else Fraction(1)
    return v + step * rng.choice((-1, 1)), False


def _exact(value) -> Fraction:
    return Fraction(value) if not isinstance(value, float) else Fraction(value)


def numbers_typed(values: list, rng: random.Random, joiner: str) -> tuple[str, int]:
    forms = ["plain", "science", "ten", "approx", "words", "fraction"]
    right, texts = 0, []
    for value in values:
        x, ok = perturbed(_exact(value), rng)
        form = "fraction" if isinstance(value, str) and ok and rng.random() < 0.5 else rng.choice(forms[:3])
        x = _exact(value) if form == "fraction" else x
        right += ok or form == "fraction"
        texts.append(written(x, rng, form))
    return joiner.join(texts), right


def answer(qid: str, value, rng: random.Random) -> tuple[str, Fraction | None]:
    """A student's typed answer to a question and the score it must get (None: graded by hand)."""
    if qid == "4a.i":
        return "3 - 3 tanh(z)^2", None
    if qid == "4a.ii":
        choice = value["verdict"] if rng.random() < 0.6 else rng.choice([v for v in VERDICTS if v != value["verdict"]])
        text = rng.choice([choice, choice.capitalize() + " gradients", f"I think {choice}."])
        return text, Fraction(choice == value["verdict"])
    if qid == "1a.i":                                                  # shapes: 16x16xC, ...
        typed, right = [], 0
        for shape in value:
            text, ok = numbers_typed(shape, rng, "x" if len(shape) > 1 else "")
            typed.append(rng.choice([text, f"({text.replace('x', ', ')})", f"[{text.replace('x', ', ')}]"]))
            right += ok
        return ", ".join(typed), Fraction(right, sum(len(s) for s in value))
    if qid in ("1a.ii", "3a"):
        text, right = numbers_typed(list(value.values()), rng, rng.choice([", ", "; ", " and "]))
        return f"[{text}]" if rng.random() < 0.3 else text, Fraction(right, len(value))
    x, ok = perturbed(_exact(value), rng)
    form = rng.choice(["plain", "science", "ten", "approx", "words", "grouped"])
    if form == "grouped":
        x, ok = _exact(value), True
    return written(x, rng, form), Fraction(ok)


def points(value: Fraction | None) -> str:
    if value is None:
        return ""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4f}".rstrip("0").rstrip(".")


def simulate(folder: Path) -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    """Every student's responses (long form) and the gradebook's expected score columns."""
    rows, expected = [], {}
    for ident, key in keys(folder).items():
        rng = random.Random(ident)
        scores = []
        for qid in QIDS:
            text, score = answer(qid, key[qid], rng)
            rows.append((ident, qid, text))
            scores.append(score)
        total = sum((s for s in scores if s is not None), Fraction(0))
        expected[ident] = [points(s) for s in scores] + [points(total)]
    return rows, expected


def _csv(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.slow
def test_200_students_score_exactly_as_expected(folder, tmp_path, capsys):
    rows, expected = simulate(folder)
    responses = tmp_path / "responses.csv"
    responses.write_text(_csv([("id", "question", "response"), *rows]), encoding="utf-8")
    assert cli.main(["grade", str(folder), "--responses", str(responses), "-o", str(tmp_path / "g.csv")]) == 0
    book = list(csv.reader((tmp_path / "g.csv").open(encoding="utf-8")))
    assert book[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       *(f"spec {qid}" for qid in QIDS), "spec total"]
    got = {row[2]: row[5:] for row in book[1:]}
    assert len(got) == STUDENTS
    wrong = {ident: (got[ident], expected[ident]) for ident in expected if got[ident] != expected[ident]}
    assert wrong == {}
    assert book[1][:4] == ["Student 0", "", "s000", "s000@uni.edu"]
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"{STUDENTS} students, {len(QIDS)} questions: {STUDENTS * 6} graded")
    assert "0 unreadable, 0 missing, 200 to grade by hand; unknown: 0 students, 0 questions" in summary
    scores = [Fraction(c) for row in book[1:] for c in row[5:-1] if c]
    assert 0 < sum(s == 1 for s in scores) < len(scores) and any(0 < s < 1 for s in scores)   # a real mix


def test_unknowns_unreadables_and_missing_are_listed(folder, tmp_path, capsys):
    rows, _ = simulate(folder)
    drop = {("s001", "2a"), ("s003", "1a.iii"), ("s004", "4a.ii")}               # s001's 2a goes missing
    rows = [r for r in rows if (r[0], r[1]) not in drop]
    rows += [("s999", "1a.iii", "5"), ("s002", "9z", "1"), ("s003", "1a.iii", "about fifty"),
             ("s004", "4a.ii", "vanishing or exploding")]
    responses = tmp_path / "responses.csv"
    responses.write_text(_csv([("id", "question", "response"), *rows]), encoding="utf-8")
    assert cli.main(["grade", str(folder), "--responses", str(responses), "-o", str(tmp_path / "g.csv")]) == 0
    report = capsys.readouterr().out
    assert "unknown student 's999'" in report and "unknown question '9z'" in report
    assert "s003, 1a.iii: cannot read 'about fifty' (expected 1 number)" in report
    assert "s004, 4a.ii: cannot read 'vanishing or exploding' (expected one of vanishing, exploding, neither)" in report
    assert "2a: no answer from 1 student: s001" in report
    assert report.strip().splitlines()[-1].endswith("2 unreadable, 1 missing, 200 to grade by hand; "
                                                    "unknown: 1 student, 1 question")
    book = {row[2]: row for row in csv.reader((tmp_path / "g.csv").open(encoding="utf-8"))}
    assert book["s001"][5 + QIDS.index("2a")] == "0" and "s999" not in book


def test_the_wide_form_grades_the_same(folder, tmp_path):
    rows, expected = simulate(folder)
    by_student: dict[str, dict[str, str]] = {}
    for ident, qid, text in rows:
        by_student.setdefault(ident, {})[qid] = text
    wide = [("id", "name", *QIDS)] + [(i, "x", *(by_student[i][q] for q in QIDS)) for i in list(by_student)[:40]]
    responses = tmp_path / "wide.csv"
    responses.write_text(_csv(wide), encoding="utf-8")
    assert cli.main(["grade", str(folder), "--responses", str(responses), "-o", str(tmp_path / "g.csv"),
                     "--feedback", str(tmp_path / "fb")]) == 0
    got = {row[2]: row[5:] for row in list(csv.reader((tmp_path / "g.csv").open(encoding="utf-8")))[1:41]}
    assert got == {i: expected[i] for i in got}
    note = (tmp_path / "fb" / "s000.txt").read_text(encoding="utf-8")
    assert note.startswith("Graded: your answers, Student 0 (s000)") and "4a.i: by hand" in note
    assert f"Your key, with each worked solution: {folder / 's000' / 'spec-solutions.json'}" in note


def test_a_folder_that_is_not_one_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "r.csv").write_text("id,question,response\n", encoding="utf-8")
    assert cli.main(["grade", str(tmp_path), "--responses", str(tmp_path / "r.csv")]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_bad_responses_files_are_usage_errors(folder, tmp_path, capsys):
    (tmp_path / "r.csv").write_text("student,answer\ns000,5\n", encoding="utf-8")
    assert cli.main(["grade", str(folder), "--responses", str(tmp_path / "r.csv")]) == 2
    assert "no 'id' column" in capsys.readouterr().err
    (tmp_path / "b.csv").write_bytes(b"id,question,response\n\xff\xfe\n")
    assert cli.main(["grade", str(folder), "--responses", str(tmp_path / "b.csv")]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_the_scanner_reads_what_people_type():
    assert numbers("26x26x10") == numbers("(26, 26, 10)") == [26, 26, 10]
    assert numbers("[1, 0, -1]") == numbers("[1, 0, −1]") == [1, 0, -1]
    assert numbers("3/4") == [Fraction(3, 4)] and numbers("1.5e-3") == numbers("1.5 × 10^-3") == [Fraction(3, 2000)]
    assert numbers("≈ 0.2247") == numbers("0.2247 MACs") == [Fraction(2247, 10000)]
    assert read_numbers("1,703,936", 1) == [1703936] and read_numbers("1,703,936", 3) == [1, 703, 936]
    assert numbers("1e99999") is None and numbers("9" * 20_000) is None
    assert read_choice("Exploding gradients!", VERDICTS) == "exploding" and read_choice("b", VERDICTS) == "exploding"
    assert read_choice("vanishing or exploding", VERDICTS) is None
