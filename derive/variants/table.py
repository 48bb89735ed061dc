"""The spec's keys for variants, read and checked at load time: a problem's ``[problem.vary]`` table (field
paths with their choices or grids, and ``require``), ``tolerance`` on a problem or a part, and the top-level
``[variants]`` table (``salt``, ``tolerance``, ``distinct``). Every mistake is a SpecError naming
``vary.<path>`` (or ``variants.<key>``, ``tolerance``) as the spec's other errors name their fields."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from ..declare import _toml_number
from ..errors import SpecError, did_you_mean
from ..fields import FieldError, check_int, to_rational
from . import conditions, paths

GRID_KEYS = ("from", "to", "step", "not")
SETTINGS_KEYS = ("salt", "tolerance", "distinct")
TOLERANCES = ("relative", "absolute", "digits")
DEFAULT_TOLERANCE = ("relative", sympy.Rational(1, 100))
MAX_CHOICES = 10_000
MAX_REQUIRE = 50
MAX_SALT = 200


@dataclass(frozen=True)
class Choices:
    """One of these values, as the spec writes them."""

    values: tuple

    @property
    def size(self) -> int:
        return len(self.values)

    def pick(self, stream):
        return self.values[stream.below(len(self.values))]


@dataclass(frozen=True)
class Grid:
    """An exact value from ``start`` to ``stop`` by ``step``, the values of ``leave`` left out."""

    start: sympy.Rational
    stop: sympy.Rational
    step: sympy.Rational
    leave: frozenset = frozenset()

    @property
    def points(self) -> int:
        return int(math.floor((self.stop - self.start) / self.step)) + 1

    @property
    def size(self) -> int:
        return self.points - len(self.leave)

    def value(self, k: int) -> sympy.Rational:
        return self.start + k * self.step

    def pick(self, stream):
        while True:
            value = self.value(stream.below(self.points))
            if value not in self.leave:
                return _toml_number(value)

    def on_grid(self, value: sympy.Rational) -> bool:
        k = (value - self.start) / self.step
        return k.is_Integer and 0 <= k < self.points


@dataclass(frozen=True)
class Entry:
    path: tuple
    values: Choices | Grid

    @property
    def text(self) -> str:
        return paths.text(self.path)


@dataclass(frozen=True)
class Require:
    number: int                   # 1-based, as require[1] in messages
    text: str
    node: conditions.Node

    @property
    def answers(self) -> set[str]:
        return conditions.answers(self.node)


@dataclass(frozen=True)
class Vary:
    entries: tuple[Entry, ...]
    requires: tuple[Require, ...]

    @property
    def combinations(self) -> int:
        return math.prod(e.values.size for e in self.entries)


@dataclass(frozen=True)
class Tolerance:
    kind: str                     # relative, absolute or digits
    amount: sympy.Rational

    def __str__(self) -> str:
        amount = self.amount
        return f"{self.kind} {amount if amount.q == 1 else format(float(amount), 'g')}"


@dataclass(frozen=True)
class Settings:
    salt: str = ""
    tolerance: Tolerance = Tolerance(*DEFAULT_TOLERANCE)
    distinct: bool = True


def _error(reason: str, path, label, field: str, given=None, expected=None) -> SpecError:
    return SpecError(reason, file=path, problem=label, field=field, given=given, expected=expected)


def tolerance(raw, field: str, path, label=None) -> Tolerance:
    """``{ relative = x }``, ``{ absolute = x }`` or ``{ digits = n }``."""
    expected = "{ relative = 0.01 }, { absolute = 0.5 } or { digits = 3 }"
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in TOLERANCES:
        key = next(iter(raw)) if isinstance(raw, dict) and len(raw) == 1 else None
        hint = did_you_mean(str(key), TOLERANCES) if key is not None else ""
        raise _error("must be a table of one key: relative, absolute or digits" + hint, path, label, field, raw,
                     expected)
    kind, value = next(iter(raw.items()))
    try:
        amount = sympy.Integer(check_int(value, f"{field}.digits", 1, 17)) if kind == "digits" else \
            to_rational(value, f"{field}.{kind}")
    except FieldError as err:
        raise _error(err.reason, path, label, err.field, err.given, err.expected) from None
    if amount < 0 or (kind == "relative" and amount == 0):
        raise _error("must be positive" if kind == "relative" else "must not be negative", path, label,
                     f"{field}.{kind}", value, expected)
    return Tolerance(kind, amount)


def settings(raw, path) -> Settings:
    """The top-level ``[variants]`` table."""
    if not isinstance(raw, dict):
        raise _error("must be a table", path, None, "variants", raw, "a [variants] table with salt, tolerance, distinct")
    for key in raw:
        if key not in SETTINGS_KEYS:
            raise _error("unknown key" + did_you_mean(str(key), SETTINGS_KEYS), path, None, f"variants.{key}",
                         expected="one of " + ", ".join(SETTINGS_KEYS))
    salt = raw.get("salt", "")
    if not isinstance(salt, str) or len(salt) > MAX_SALT:
        raise _error("must be text (the course's: the same salt and student give the same variant)", path, None,
                     "variants.salt", salt, f"a string of at most {MAX_SALT} characters")
    distinct = raw.get("distinct", True)
    if not isinstance(distinct, bool):
        raise _error("must be true or false", path, None, "variants.distinct", distinct, "true or false")
    tol = tolerance(raw["tolerance"], "variants.tolerance", path) if "tolerance" in raw else Settings.tolerance
    return Settings(salt, tol, distinct)


PROBLEM_ONLY = ("title", "kind", "part", "vary", "tolerance")


def locations(problem: dict, head: str) -> list[dict]:
    """The tables a varied key is written into: the problem's (when it gives the key, or no part does) and each
    part that gives it."""
    parts = [p for p in problem.get("part", []) if isinstance(p, dict) and head in p]
    return ([problem] if head in problem or not parts else []) + parts


def _checked(t, value, field: str, path, label):
    if t is None:
        return
    try:
        t.read(value, field)
    except FieldError as err:
        raise _error(err.reason, path, label, err.field, err.given, err.expected) from None


def _reads(t, value, field: str) -> bool:
    try:
        t.read(value, field)
    except FieldError:
        return False
    return True


def _short(value) -> str:
    import json
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _grid(raw: dict, field: str, path, label) -> Grid:
    for key in raw:
        if key not in GRID_KEYS:
            raise _error("unknown key of a grid" + did_you_mean(str(key), GRID_KEYS), path, label, f"{field}.{key}",
                         raw[key], "{ from = A, to = B, step = S } and not = [...] to leave values out")
    missing = [k for k in ("from", "to", "step") if k not in raw]
    if missing:
        raise _error(f"a grid needs {', '.join(missing)}", path, label, field, raw,
                     "{ from = A, to = B, step = S } (step is required)")
    try:
        start, stop, step = (to_rational(raw[k], f"{field}.{k}") for k in ("from", "to", "step"))
        leave = raw.get("not", [])
        leave = [to_rational(v, f"{field}.not") for v in (leave if isinstance(leave, list) else [leave])]
    except FieldError as err:
        raise _error(err.reason, path, label, err.field, err.given, "exact numbers") from None
    if step <= 0:
        raise _error(f"a grid's step must be positive (step = {step})", path, label, field, raw,
                     "{ from = A, to = B, step = S } with S > 0")
    if start > stop:
        raise _error(f"a grid runs from {start} to {stop}: from is larger than to", path, label, field, raw,
                     "from <= to")
    grid = Grid(start, stop, step)
    off = [v for v in leave if not grid.on_grid(v)]
    if off:
        raise _error(f"not = [...] names {off[0]}, which is not on the grid", path, label, f"{field}.not", raw["not"],
                     f"values from {start} to {stop} by {step}")
    grid = Grid(start, stop, step, frozenset(leave))
    if grid.size < 1:
        raise _error("the grid leaves every value out", path, label, field, raw, "at least one value")
    return grid


def _values(raw, t, field: str, path, label) -> Choices | Grid:
    if isinstance(raw, list):
        if not 1 <= len(raw) <= MAX_CHOICES:
            raise _error(f"a list of {len(raw)} choices", path, label, field, raw, f"1 to {MAX_CHOICES} values")
        try:
            for value in raw:
                _checked(t, value, field, path, label)
        except SpecError as err:
            if t is not None and _reads(t, raw, field):
                raise _error("a list of choices, and each entry is one (a single value is a list of one: "
                             f"[{_short(raw)}])", path, label, field, raw, err.expected) from None
            raise
        return Choices(tuple(raw))
    if not isinstance(raw, dict):
        raise _error("must be a list of choices or a grid", path, label, field, raw,
                     "[a, b, ...] or { from = A, to = B, step = S }")
    grid = _grid(raw, field, path, label)
    last = grid.value(grid.points - 1)
    for value in dict.fromkeys((grid.start, min(grid.start + grid.step, last), last)):
        _checked(t, _toml_number(value), field, path, label)
    return grid


def _entry(key: str, raw, kind, problem: dict, path, label) -> Entry:
    field = f"vary.{key}"
    try:
        path_ = paths.parse(key)
        types = [paths.resolve(kind, path_, table) for table in locations(problem, path_[0])]
    except paths.PathError as err:
        raise _error(str(err), path, label, field, raw) from None
    return Entry(path_, _values(raw, types[0] if types else None, field, path, label))


def _overlapping(entries: list[Entry], path, label) -> None:
    for k, a in enumerate(entries):
        for b in entries[k + 1:]:
            short, long_ = sorted((a, b), key=lambda e: len(e.path))
            if long_.path[:len(short.path)] == short.path:
                raise _error(f"{long_.text} is inside {short.text}, which is varied too", path, label,
                             f"vary.{long_.text}", expected="each value varied once")


def _requires(raw, kind, ids: list[str], path, label) -> tuple[Require, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_REQUIRE:
        raise _error("must be a condition or a list of them", path, label, "vary.require", raw,
                     f'["W_a * b != 0", ...] (at most {MAX_REQUIRE})')
    out, names = [], [f.name for f in kind.fields]
    for k, text in enumerate(items, 1):
        field = f"vary.require[{k}]"
        try:
            node = conditions.parse(text)
        except conditions.ConditionError as err:
            raise _error(str(err), path, label, field, text, "a condition: comparisons joined by and, or, not") from None
        for name in sorted(conditions.names(node)):
            if name not in names:
                raise _error(f"the kind {kind.name} has no key '{name}'" + did_you_mean(name, names), path, label,
                             field, text, "the problem's keys and answer(\"id\")")
        for qid in sorted(conditions.answers(node)):
            if qid not in ids:
                raise _error(f"answer(\"{qid}\"): no such question in this problem" + did_you_mean(qid, ids), path,
                             label, field, text, "one of " + ", ".join(ids))
        out.append(Require(k, text, node))
    return tuple(out)


def vary(raw, kind, problem: dict, ids: list[str], path, label) -> Vary:
    """A problem's ``[problem.vary]`` table, checked against its kind's declarations and the spec's values."""
    if not isinstance(raw, dict) or not [k for k in raw if k != "require"]:
        raise _error("must be a table of field paths, each with its choices or grid", path, label, "vary", raw,
                     '[problem.vary] with W_a = [1, 2], b = { from = 0, to = 1, step = 0.25 }, require = [...]')
    entries = [_entry(k, v, kind, problem, path, label) for k, v in raw.items() if k != "require"]
    _overlapping(entries, path, label)
    requires = _requires(raw["require"], kind, ids, path, label) if "require" in raw else ()
    return Vary(tuple(entries), requires)


def _number_schema() -> dict:
    return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*-?\d+\s*(/\s*\d+\s*)?$"}]}


def tolerance_schema() -> dict:
    """The JSON Schema of ``tolerance`` (derive schema)."""
    one = {"relative": {**_number_schema(), "description": "at most this fraction of the answer away"},
           "absolute": {**_number_schema(), "description": "at most this far from the answer"},
           "digits": {"type": "integer", "minimum": 1, "maximum": 17, "description": "this many significant digits"}}
    return {"description": "how far a student's number may be from the key's (the answers table of derive variants)",
            "oneOf": [{"type": "object", "properties": {k: v}, "required": [k], "additionalProperties": False}
                      for k, v in one.items()]}


def vary_schema() -> dict:
    """The JSON Schema of a ``[problem.vary]`` table: each key a field's path, with choices or a grid."""
    grid = {"type": "object", "properties": {"from": _number_schema(), "to": _number_schema(),
                                             "step": _number_schema(), "not": {"type": "array"}},
            "required": ["from", "to", "step"], "additionalProperties": False}
    choices = {"type": "array", "minItems": 1, "maxItems": MAX_CHOICES}
    return {"type": "object", "description": "for derive variants: each key a field's path as messages print it "
                                             "(W_a, x[2], layers[1].filters), its choices (a list) or a grid "
                                             "{ from, to, step, not }; require: conditions every variant meets",
            "properties": {"require": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                                                       "minItems": 1, "maxItems": MAX_REQUIRE}]}},
            "additionalProperties": {"anyOf": [choices, grid]}, "minProperties": 1}


def settings_schema() -> dict:
    """The JSON Schema of the top-level ``[variants]`` table."""
    return {"type": "object", "description": "derive variants: the course's salt, the answers' tolerance, distinct pools",
            "properties": {"salt": {"type": "string", "maxLength": MAX_SALT},
                           "tolerance": tolerance_schema(),
                           "distinct": {"type": "boolean", "default": True}},
            "additionalProperties": False}
