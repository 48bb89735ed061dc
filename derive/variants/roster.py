"""Who gets a variant: a roster's students (a CSV file with an ``id`` column, and optional ``name``, ``email`` and
any others, kept in the manifest) or a pool's entries (``v001`` … ``vK``); and the deterministic slices of them
(``--shard i/N``)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from ..errors import UsageError

MAX_ROSTER = 16 << 20            # bytes of a roster file
MAX_STUDENTS = 100_000
ID = re.compile(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,99}")


@dataclass(frozen=True)
class Student:
    id: str
    columns: dict = field(default_factory=dict, compare=False)      # the roster's other columns, as given


def pool(count: int) -> list[Student]:
    """v001 … vK (as many digits as K needs, at least three)."""
    if not isinstance(count, int) or not 1 <= count <= MAX_STUDENTS:
        raise UsageError(f"--count: a whole number from 1 to {MAX_STUDENTS} (given: {count})")
    width = max(3, len(str(count)))
    return [Student(f"v{k:0{width}d}") for k in range(1, count + 1)]


def _text(path) -> str:
    return text_file(path, "--roster", MAX_ROSTER)


def text_file(path, option: str, limit: int) -> str:
    """A CSV file given to ``option`` as text (UTF-8, a byte-order mark dropped, at most ``limit`` bytes); a
    UsageError saying what is wrong with it otherwise."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot read it ({err.strerror or err})") from None
    if len(data) > limit:
        raise UsageError(f"{option} {path}: larger than {limit >> 20} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(f"{option} {path}: not UTF-8 text (byte {err.start} cannot be read)") from None


def roster(path) -> list[Student]:
    """The students of a roster file: one a row, by its ``id`` (letters, digits and . _ @ + -, at most 100; each
    once); empty rows skipped."""
    try:
        rows = list(csv.reader(io.StringIO(_text(path), newline="")))
    except csv.Error as err:
        raise UsageError(f"--roster {path}: not a CSV file ({err})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    header = [h.strip() for h in rows[0]] if rows else []
    if "id" not in header:
        raise UsageError(f"--roster {path}: no 'id' column (the first row names the columns: id, and optionally "
                         f"name, email, ...; given: {', '.join(header)[:200] or 'nothing'})")
    if len(rows) - 1 > MAX_STUDENTS:
        raise UsageError(f"--roster {path}: more than {MAX_STUDENTS} students")
    students, seen = [], {}
    for line, row in enumerate(rows[1:], 2):
        cells = dict(zip(header, [c.strip() for c in row]))
        ident = cells.pop("id", "")
        if not ID.fullmatch(ident):
            raise UsageError(f"--roster {path}, row {line}: the id {ident[:60]!r} is not one derive can use as a "
                             f"folder's name (letters, digits and . _ @ + -, at most 100, not starting with '.')")
        if ident in seen:
            raise UsageError(f"--roster {path}, row {line}: the id {ident!r} is on row {seen[ident]} too")
        seen[ident] = line
        students.append(Student(ident, cells))
    if not students:
        raise UsageError(f"--roster {path}: no students (a row per student under the header)")
    return students


def shard(text: str | None) -> tuple[int, int] | None:
    """(i, N) from 'i/N' (1 <= i <= N)."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {text}: expected i/N with 1 <= i <= N (the i-th of N slices), such as 2/8")
    return int(m.group(1)), int(m.group(2))


def sliced(students: list[Student], part: tuple[int, int] | None) -> list[Student]:
    """The students in id order, and of them the i-th of N slices: every N-th from the i-th."""
    ordered = sorted(students, key=lambda s: s.id)
    if part is None:
        return ordered
    i, n = part
    return ordered[i - 1::n]
