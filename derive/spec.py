"""Load a problem-set spec (TOML) into typed, validated objects.

The generic structure (title, problems, parts, ask) is checked here; each part's keys are read by its
kind's field declarations (presence, type, range, defaults: ``derive.declare``), then made into the
kind's config by ``kind.configure``, which applies the rules between keys. Every error names the
file, the problem (number and title), the field, the value given and what is accepted.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .declare import read
from .errors import SpecError, SpecErrors, did_you_mean
from .fields import MAX_DIGITS, FieldError
from .notation import STYLES
from .kinds import KINDS
from .variants import table as variants

TOP_KEYS = ("title", "due", "notation", "figures", "variants", "problem")
MAX_BYTES = 1 << 20            # a spec file of at most 1 MiB (a whole course's problem bank is a few KiB)
MAX_DEPTH = 16                 # tables and lists nested at most this deep
MAX_ERRORS = 20                # reported at once; the rest are counted
MAX_TITLE = 300                # characters of a title or a due date
PROBLEM_KEYS = ("title", "kind", "part", "vary", "tolerance")
PART_KEYS = ("ask", "tolerance")


@dataclass(frozen=True)
class Part:
    """One lettered part of a problem: its questions and its (problem-merged) configuration."""

    letter: str
    asks: tuple[str, ...]
    config: Any
    values: Any = field(default=None, compare=False, repr=False)   # as the spec gives them: the cache's key
    tolerance: Any = None         # derive.variants.table.Tolerance of its answers (its own, or its problem's)

    def ids(self, number: int) -> list[str]:
        """Question ids: '2a' for a single ask, '1a.i', '1a.ii', ... for several."""
        if len(self.asks) == 1:
            return [f"{number}{self.letter}"]
        return [f"{number}{self.letter}.{roman(k + 1)}" for k in range(len(self.asks))]


@dataclass(frozen=True)
class Problem:
    number: int
    title: str
    kind: str
    parts: tuple[Part, ...]
    vary: Any = None              # derive.variants.table.Vary: the [problem.vary] table, read and checked


@dataclass(frozen=True)
class ProblemSet:
    name: str
    title: str
    due: str | None
    problems: tuple[Problem, ...]
    path: str
    notation: str = "course"          # how symbols are written: the course's a^{(i)<t>}, or "plain" h_t
    figures: bool = True              # figures = false leaves every figure out
    variants: Any = None              # derive.variants.table.Settings: the [variants] table (None: not given)
    data: Any = field(default=None, compare=False, repr=False)    # the spec as read (variants are made from it)


def roman(n: int) -> str:
    """Lower-case roman numeral of n (1 <= n < 40)."""
    out = ""
    for value, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def bundled_spec() -> Path:
    """Path of the HW5 problem set shipped with the package."""
    return Path(str(resources.files("derive") / "data" / "hw5.toml"))


def load(path: str | Path | None = None) -> ProblemSet:
    """Read and validate a spec file (the bundled HW5 set when path is None)."""
    path = Path(path) if path is not None else bundled_spec()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("no such file", file=path) from None
    except IsADirectoryError:
        raise SpecError("a folder, not a spec file", file=path) from None
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror or err}", file=path) from None
    if len(data) > MAX_BYTES:
        raise SpecError(f"the file is larger than {MAX_BYTES // 1024} KiB, the limit for a spec", file=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError(f"not UTF-8 text (byte {err.start} cannot be read)", file=path) from None
    return loads(text, path)


def loads(text: str, path: str | Path = "<spec>") -> ProblemSet:
    """Validate the TOML text of a spec; ``path`` is only used in messages."""
    if len(text) > MAX_BYTES:
        raise SpecError(f"the spec is longer than {MAX_BYTES // 1024} KiB, the limit", file=path)
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))              # a byte-order mark is not content
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"not valid TOML: {err}", file=path) from None
    except RecursionError:
        raise SpecError(f"tables or lists nested too deeply (at most {MAX_DEPTH} levels)", file=path) from None
    except ValueError:                                                   # Python's limit on an integer's digits
        raise SpecError(f"a number has far too many digits (at most {MAX_DIGITS})", file=path) from None
    if _depth(data) > MAX_DEPTH:
        raise SpecError(f"tables or lists nested too deeply (at most {MAX_DEPTH} levels)", file=path)
    return from_mapping(data, path)


def _depth(value, level: int = 0) -> int:
    """How deeply tables and lists nest (stops counting past the limit)."""
    if level > MAX_DEPTH or not isinstance(value, (dict, list)):
        return level
    items = value.values() if isinstance(value, dict) else value
    return max((_depth(v, level + 1) for v in items), default=level + 1)


def from_mapping(data: dict, path: str | Path = "<spec>") -> ProblemSet:
    """Validate a spec given as Python data, shaped as its TOML is read: {"title": ..., "problem": [{"kind":
    ..., "part": [{"ask": ...}, ...]}, ...]}. The one spec builder of the tests and of library users."""
    if not isinstance(data, dict):
        raise SpecError("a spec is a table of keys", file=path, given=type(data).__name__)
    _no_unknown(data, TOP_KEYS, path, None, "")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SpecError("missing or empty", file=path, field="title", given=title, expected="a string")
    _short(title, "title", path)
    due = _due(data.get("due"), path)
    notation = data.get("notation", "course")
    if notation not in STYLES:
        raise SpecError("unknown notation" + did_you_mean(str(notation), STYLES), file=path, field="notation",
                        given=notation, expected="one of " + ", ".join(STYLES))
    figures = data.get("figures", True)
    if not isinstance(figures, bool):
        raise SpecError("must be true or false", file=path, field="figures", given=figures,
                        expected="figures = false to leave the figures out (true, the default, draws them)")
    raw = data.get("problem")
    if not isinstance(raw, list) or not raw:
        raise SpecError("no problems", file=path, field="problem", expected="one or more [[problem]] tables")
    settings = variants.settings(data["variants"], path) if "variants" in data else None
    problems = _all_or_errors([lambda p=p, k=k: problem(p, k + 1, path, settings) for k, p in enumerate(raw)])
    name = safe_name(Path(path).stem) if str(path) != "<spec>" else "spec"
    return ProblemSet(name=name, title=title, due=due, problems=tuple(problems), path=str(path), notation=notation,
                      figures=figures, variants=settings, data=data)


def safe_name(stem: str) -> str:
    """The spec's name as used in output file names and comments: letters, digits, '.', '_' and '-' kept,
    anything else (spaces, newlines, quotes, backslashes) made '-'."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", stem).strip(".") or "spec"
    return name[:100]


def _short(text: str, field: str, path, problem: str | None = None) -> None:
    if len(text) > MAX_TITLE:
        raise SpecError(f"longer than {MAX_TITLE} characters", file=path, problem=problem, field=field,
                        given=text, expected="a title of a line or two")


def _due(value, path) -> str | None:
    """The due date as text: free text, or a TOML date or date-time (written as ISO 8601)."""
    if isinstance(value, str):
        _short(value, "due", path)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    raise SpecError("must be text or a date", file=path, field="due", given=value,
                    expected='a string such as "5pm Tuesday April 28" or a TOML date such as 2020-04-28')


def _all_or_errors(builders) -> list:
    """Run each builder; if any raise SpecErrors, raise one listing them all (as a compiler does)."""
    results, errors = [], []
    for build in builders:
        try:
            results.append(build())
        except SpecErrors as err:
            errors.extend(err.errors)
        except SpecError as err:
            errors.append(err)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(errors, MAX_ERRORS)
    return results


def problem(raw: Any, number: int, path, settings=None) -> Problem:
    """One ``[[problem]]`` table read and checked (its number counted from 1), its ``vary`` table too."""
    label = f"problem {number}"
    if not isinstance(raw, dict):
        raise SpecError("must be a table", file=path, problem=label)
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise SpecError("must be text", file=path, problem=label, field="title", given=title)
    _short(title, "title", path, label)
    if title:
        label = f"problem {number} ({title})"
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        hint = did_you_mean(str(kind_name), KINDS) if kind_name is not None else ""
        raise SpecError(
            ("missing" if kind_name is None else "unknown problem kind") + hint,
            file=path, problem=label, field="kind", given=kind_name,
            expected="one of " + ", ".join(KINDS),
        )
    kind = KINDS[kind_name]
    shared = {k: v for k, v in raw.items() if k not in PROBLEM_KEYS}
    _no_unknown(shared, kind.field_names, path, label, "", extra=PROBLEM_KEYS)
    raw_parts = raw.get("part")
    if not isinstance(raw_parts, list) or not raw_parts:
        raise SpecError("no parts", file=path, problem=label, field="part",
                        expected="one or more [[problem.part]] tables, each with an 'ask'")
    if len(raw_parts) > 26:
        raise SpecError("too many parts", file=path, problem=label, field="part", expected="at most 26")
    default = variants.tolerance(raw["tolerance"], "tolerance", path, label) if "tolerance" in raw else \
        (settings or variants.Settings()).tolerance
    parts = _all_or_errors([lambda k=k, rp=rp: _part(rp, chr(ord("a") + k), kind, shared, path, label, default)
                            for k, rp in enumerate(raw_parts)])
    ids = [qid for part in parts for qid in part.ids(number)]
    vary = variants.vary(raw["vary"], kind, raw, ids, path, label) if "vary" in raw else None
    return Problem(number=number, title=title, kind=kind_name, parts=tuple(parts), vary=vary)   # as the spec names it


def _part(rp, letter: str, kind, shared: dict, path, label: str, default=None) -> Part:
    plabel = f"{label}, part ({letter})"
    if not isinstance(rp, dict):
        raise SpecError("must be a table", file=path, problem=plabel)
    _no_unknown(rp, kind.field_names, path, plabel, "", extra=PART_KEYS)
    asks = _asks(rp.get("ask"), kind, path, plabel)
    merged = {**shared, **{k2: v for k2, v in rp.items() if k2 not in PART_KEYS}}
    tolerance = variants.tolerance(rp["tolerance"], "tolerance", path, plabel) if "tolerance" in rp else default
    try:
        config = kind.configure(read(kind.fields, merged), asks)
    except FieldError as err:
        raise SpecError(err.reason, file=path, problem=plabel, field=err.field,
                        given=err.given, expected=err.expected) from None
    return Part(letter=letter, asks=asks, config=config, values=merged, tolerance=tolerance)


def _asks(value: Any, kind, path, label) -> tuple[str, ...]:
    expected = "one of " + ", ".join(kind.asks) + " (or a list of them)"
    asks = [value] if isinstance(value, str) else value
    if not isinstance(asks, list) or not asks or not all(isinstance(a, str) for a in asks):
        raise SpecError("missing or not a question name", file=path, problem=label, field="ask",
                        given=value, expected=expected)
    for a in asks:
        if a not in kind.asks:
            raise SpecError("unknown question" + did_you_mean(a, kind.asks), file=path, problem=label,
                            field="ask", given=a, expected=expected)
    if len(set(asks)) != len(asks):
        raise SpecError("a question is asked twice", file=path, problem=label, field="ask", given=value)
    return tuple(asks)


def _no_unknown(table: dict, known, path, label, prefix, extra=()) -> None:
    allowed = tuple(known) + tuple(extra)
    for key in table:
        if key not in allowed:
            raise SpecError("unknown key" + did_you_mean(key, allowed), file=path, problem=label,
                            field=prefix + key, expected="one of " + ", ".join(allowed))
