"""``derive grade DIR --responses FILE.csv [-o grades.csv] [--feedback DIR2]``: what students typed, graded against
their own keys.

DIR is a folder of ``derive variants`` (its manifest, answers table and each variant's JSON key). The responses
are a CSV file with ``id``, ``question`` and ``response`` columns, or ``id`` and one column per question id (as LMS
reports and forms export them). Each response is read as people type it (derive.responses) and each question
scored as the LMS exports score it (derive.answers): a number right within its margin, a cloze by the share of its
numbers right, a verdict right or wrong, a formula left to grade by hand.

The gradebook has a row per student of the folder, in the columns Canvas's gradebook export has (Student, ID, SIS
User ID: the student's id, SIS Login ID: the roster's email, Section) and Moodle's CSV import maps, then a score
per question (0 to 1) and the total. Unknown students and question ids, unreadable responses and missing ones are
listed, never dropped; the report ends with one summary line.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import output
from .answers import CLOZE, ESSAY, MULTICHOICE, Mapped, Tolerance, decimal, mapped
from .errors import UsageError
from .responses import read_choice, read_numbers
from .variants.roster import text_file

MAX_FILE = 16 << 20                  # bytes of a responses file
SHOWN = 30                           # problems listed one by one (then counted)
KEY_ENDINGS = ("-solutions.pdf", "-solutions.html", "-solutions.md", "-solutions.json")


@dataclass
class Student:
    """A student of the folder: their id, roster columns, key (each question as the LMS asks it) and key's file."""

    id: str
    columns: dict
    questions: dict[str, Mapped]
    key_file: str


@dataclass
class Folder:
    path: Path
    name: str
    title: str
    qids: list[str]
    students: dict[str, Student]


@dataclass
class Graded:
    """One question of one student: the score (None: graded by hand), what happened, what was read."""

    score: Fraction | None
    status: str                      # right, wrong, partly right, unreadable, missing, by hand
    typed: str = ""


@dataclass
class Responses:
    typed: dict = field(default_factory=dict)            # (student id, question id): text
    problems: list[str] = field(default_factory=list)    # unknown students, questions, columns, twice answered
    unknown_students: set = field(default_factory=set)
    unknown_questions: set = field(default_factory=set)


def _tolerances(folder: Path) -> dict[tuple[str, str], Tolerance]:
    from .variants import files
    try:
        rows = files.read_answers((folder / "answers.csv").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{folder / 'answers.csv'}: cannot read the answers table of derive variants ({err})") from None
    out = {}
    for student, qid, _entry, _value, _exact, tolerance in rows:
        if tolerance and (student, qid) not in out:
            try:
                out[(student, qid)] = Tolerance.parse(tolerance)
            except (ValueError, ZeroDivisionError):
                raise UsageError(f"{folder / 'answers.csv'}: {student}, {qid}: not a tolerance: {tolerance!r}") from None
    return out


def _key_file(folder: Path, files: dict, ident: str, ending: str) -> str | None:
    found = [rel for rel in files if rel.startswith(f"{ident}/") and rel.endswith(ending)]
    return found[0] if found else None


def _student(folder: Path, entry: dict, tolerances: dict) -> Student:
    ident, files = entry["id"], entry.get("files", {})
    key = _key_file(folder, files, ident, "-solutions.json")
    if key is None:
        raise UsageError(f"{folder}: variant {ident} has no JSON key: grade reads each student's key "
                         f"(derive variants writes it with -f json, its default format)")
    try:
        parts = json.loads((folder / key).read_text(encoding="utf-8"))["parts"]
        asked = {p["id"]: mapped(p["ask"], p["answer"]["value"], tolerances.get((ident, p["id"])))
                 for p in parts}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UsageError(f"{folder / key}: cannot read the key ({type(err).__name__}: {err})") from None
    shown = next((f for f in (_key_file(folder, files, ident, e) for e in KEY_ENDINGS) if f), key)
    return Student(ident, dict(entry.get("roster", {})), asked, shown)


def load(folder) -> Folder:
    """The folder of derive variants: each student's key, as the exports and the grader read it."""
    from .variants import audit
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{folder}: no such folder (give the folder derive variants wrote)")
    manifest = audit.read_manifest(root / "manifest.json")
    tolerances = _tolerances(root)
    students = {e["id"]: _student(root, e, tolerances) for e in manifest["variants"]}
    qids = list(dict.fromkeys(q for s in students.values() for q in s.questions))
    spec = manifest["spec"]
    return Folder(root, str(spec.get("name", "spec")), _title(spec), qids, students)


def _title(spec: dict) -> str:
    """The spec's title, read from the manifest's copy of the spec (as TOML, nothing evaluated)."""
    import tomllib
    try:
        title = tomllib.loads(spec.get("text", "")).get("title")
    except (tomllib.TOMLDecodeError, AttributeError):
        title = None
    return title if isinstance(title, str) and title.strip() else str(spec.get("name", "derive"))


def _text(path) -> str:
    return text_file(path, "--responses", MAX_FILE)


def _rows(path) -> list[list[str]]:
    text = _text(path)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(c in first for c in ",;\t") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise UsageError(f"--responses {path}: not a CSV file ({err})") from None
    return [r for r in rows if any(cell.strip() for cell in r)]


def _put(found: Responses, folder: Folder, ident: str, qid: str, text: str, where: str) -> None:
    if ident not in folder.students:
        if ident not in found.unknown_students:
            found.problems.append(f"{where}: unknown student {ident[:60]!r} (not in the folder's manifest)")
        found.unknown_students.add(ident)
    elif qid not in folder.qids:
        if qid not in found.unknown_questions:
            found.problems.append(f"{where}: unknown question {qid[:60]!r}; the questions are {' '.join(folder.qids)}")
        found.unknown_questions.add(qid)
    else:
        if (ident, qid) in found.typed:
            found.problems.append(f"{where}: {ident}, {qid} answered again: the last answer is graded")
        found.typed[(ident, qid)] = text


def read_responses(path, folder: Folder) -> Responses:
    """The responses by (student, question), long (id, question, response) or wide (id, a column a question)."""
    rows = _rows(path)
    header = [h.strip() for h in rows[0]] if rows else []
    low = [h.lower() for h in header]
    if "id" not in low:
        raise UsageError(f"--responses {path}: no 'id' column (the first row names the columns: id, question, "
                         f"response, or id and one column per question id; given: {', '.join(header)[:200] or 'nothing'})")
    found, at = Responses(), low.index("id")
    if "question" in low and "response" in low:
        _long(found, folder, path, rows, at, low.index("question"), low.index("response"))
    else:
        _wide(found, folder, path, rows, at, header)
    return found


def _cells(row: list[str], width: int) -> list[str]:
    return row + [""] * (width - len(row))


def _long(found: Responses, folder: Folder, path, rows, at: int, question: int, response: int) -> None:
    for line, row in enumerate(rows[1:], 2):
        cells = _cells(row, len(rows[0]))
        _put(found, folder, cells[at].strip(), cells[question].strip(), cells[response], f"{path}, row {line}")


def _wide(found: Responses, folder: Folder, path, rows, at: int, header: list[str]) -> None:
    columns = {k: h for k, h in enumerate(header) if k != at and h}
    extra = [h for h in columns.values() if h not in folder.qids]
    if extra:
        found.problems.append(f"--responses {path}: columns that are no question id, not graded: "
                              + ", ".join(repr(h[:40]) for h in extra[:SHOWN]))
    for line, row in enumerate(rows[1:], 2):
        cells, where = _cells(row, len(header)), f"{path}, row {line}"
        ident = cells[at].strip()
        if ident not in folder.students:
            _put(found, folder, ident, "", "", where)
            continue
        for k, qid in columns.items():
            if qid in folder.qids and cells[k].strip():
                _put(found, folder, ident, qid, cells[k], where)


def score(m: Mapped, typed: str | None) -> Graded:
    """One answer scored: as the LMS exports score it (see the module's text)."""
    if m.form == ESSAY:
        return Graded(None, "by hand", typed or "")
    if typed is None or not typed.strip():
        return Graded(Fraction(0), "missing")
    if m.form == MULTICHOICE:
        choice = read_choice(typed, m.choices)
        if choice is None:
            return Graded(Fraction(0), "unreadable", typed)
        return Graded(Fraction(choice == m.right), "right" if choice == m.right else "wrong", typed)
    found = read_numbers(typed, len(m.blanks))
    if found is None:
        return Graded(Fraction(0), "unreadable", typed)
    right = sum(b.accepts(x) for b, x in zip(m.blanks, found))
    status = "right" if right == len(found) else "wrong" if right == 0 else "partly right"
    return Graded(Fraction(right, len(found)), status, typed)


def points(value: Fraction | None) -> str:
    """A score as the gradebook writes it: an integer as itself, else to 4 decimals (trailing zeros dropped)."""
    if value is None:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def expected(m: Mapped) -> str:
    """The key's answer in words: a number, the numbers as laid out, the verdict, the formula to grade by hand."""
    if m.form == MULTICHOICE:
        return m.right
    if m.form == ESSAY:
        return "see the key (graded by hand)"
    if m.form != CLOZE:
        return decimal(m.blanks[0].exact)
    rows = []
    for line in m.lines:
        cells = "".join(c if isinstance(c, str) else decimal(m.blanks[c].exact) for c in line.cells)
        rows.append(f"{line.label}: {cells}" if line.label else cells)
    return "; ".join(rows)


COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _graded(folder: Folder, found: Responses) -> dict[str, dict[str, Graded]]:
    return {ident: {qid: score(s.questions[qid], found.typed.get((ident, qid))) if qid in s.questions
                    else Graded(None, "not asked") for qid in folder.qids}
            for ident, s in sorted(folder.students.items())}


def _total(row: dict[str, Graded]) -> Fraction:
    return sum((g.score for g in row.values() if g.score is not None), Fraction(0))


def gradebook(folder: Folder, graded: dict[str, dict[str, Graded]]) -> str:
    """A row per student: Canvas's identifying columns (which Moodle's import maps), a score per question, the
    total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *(f"{folder.name} {qid}" for qid in folder.qids), f"{folder.name} total"])
    for ident, row in graded.items():
        roster = {k.lower(): v for k, v in folder.students[ident].columns.items()}
        writer.writerow([roster.get("name") or ident, "", ident, roster.get("email") or roster.get("login", ""),
                         roster.get("section", ""), *(points(row[q].score) for q in folder.qids), points(_total(row))])
    return out.getvalue()


def feedback_text(folder: Folder, ident: str, row: dict[str, Graded]) -> str:
    """A student's feedback: per question right or not, the expected answer, what was read; the score; the key."""
    student = folder.students[ident]
    name = student.columns.get("name") or ident
    lines = [f"{folder.title}: your answers, {name} ({ident})", ""]
    for qid, g in row.items():
        if qid not in student.questions:
            continue
        m = student.questions[qid]
        head = g.status if g.score is None else f"{g.status} ({points(g.score)} of 1)"
        lines.append(f"{qid}: {head}")
        lines.append(f"    expected: {expected(m)}")
        if g.typed:
            lines.append(f"    you wrote: {' '.join(g.typed.split())[:300]}")
    asked = [g for q, g in row.items() if q in student.questions]
    by_hand = sum(g.score is None for g in asked)
    lines += ["", f"Score: {points(_total(row))} of {len(asked) - by_hand}"
              + (f" ({by_hand} more graded by hand)" if by_hand else ""),
              f"Your key, with each worked solution: {folder.path / student.key_file}", ""]
    return "\n".join(lines)


def _missing(graded: dict[str, dict[str, Graded]]) -> list[str]:
    """Per question, the students without an answer (named, then counted)."""
    by_question: dict[str, list[str]] = {}
    for qid in next(iter(graded.values()), {}):
        for ident, row in graded.items():
            if row[qid].status == "missing":
                by_question.setdefault(qid, []).append(ident)
    return [f"{qid}: no answer from {len(ids)} student{'s' * (len(ids) != 1)}: {', '.join(ids[:SHOWN])}"
            + (" ..." if len(ids) > SHOWN else "") for qid, ids in by_question.items()]


def report(folder: Folder, found: Responses, graded: dict[str, dict[str, Graded]]) -> list[str]:
    """The problems, one a line (unknown students and questions, unreadable answers, missing ones), then the summary."""
    unreadable = [f"{ident}, {qid}: cannot read {' '.join(g.typed.split())[:80]!r} "
                  f"(expected {_wanted(folder, ident, qid)})"
                  for ident, row in graded.items() for qid, g in row.items() if g.status == "unreadable"]
    lines = found.problems[:SHOWN] + ([f"... and {len(found.problems) - SHOWN} more"] if len(found.problems) > SHOWN
                                      else [])
    lines += unreadable[:SHOWN] + ([f"... and {len(unreadable) - SHOWN} more unreadable"] if len(unreadable) > SHOWN
                                   else [])
    lines += _missing(graded)
    statuses = [g.status for row in graded.values() for g in row.values()]
    count = {s: statuses.count(s) for s in ("right", "wrong", "partly right", "unreadable", "missing", "by hand")}
    lines.append(f"{len(graded)} students, {len(folder.qids)} questions: "
                 f"{count['right'] + count['wrong'] + count['partly right']} graded ({count['right']} right, "
                 f"{count['partly right']} partly, {count['wrong']} wrong), {count['unreadable']} unreadable, "
                 f"{count['missing']} missing, {count['by hand']} to grade by hand; unknown: "
                 f"{_many(len(found.unknown_students), 'student')}, {_many(len(found.unknown_questions), 'question')}")
    return lines


def _many(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _wanted(folder: Folder, ident: str, qid: str) -> str:
    m = folder.students[ident].questions[qid]
    if m.form == MULTICHOICE:
        return "one of " + ", ".join(m.choices)
    return f"{len(m.blanks)} number{'s' * (len(m.blanks) != 1)}"


def grade(folder, responses, out=None, feedback=None) -> tuple[list[str], list[str]]:
    """Grade the responses against the folder's keys: the paths written (the gradebook, default DIR/grades.csv,
    and with ``feedback`` a file a student there) and the report's lines (the last: the summary)."""
    loaded = load(folder)
    found = read_responses(responses, loaded)
    graded = _graded(loaded, found)
    written = [output.write(out or loaded.path / "grades.csv", gradebook(loaded, graded))]
    if feedback is not None:
        from .formats.lms.markup import file_name
        written += [output.write(Path(feedback) / file_name(f"{ident}.txt"), feedback_text(loaded, ident, row))
                    for ident, row in graded.items()]
    return written, report(loaded, found, graded)


__all__ = ["load", "read_responses", "score", "points", "expected", "gradebook", "feedback_text", "report", "grade",
           "Folder", "Student", "Graded", "COLUMNS"]
