"""What a spec key accepts, declared once: the loader, the docs' field tables, ``derive example``'s comments,
the JSON Schema (``derive schema``) and the variant drawer all read the declaration.

A ``Field`` names a key, its ``Type``, a line of documentation and its default (``REQUIRED``, none, a value
as a spec writes it, or a ``Rule``: a default that depends on other keys, which ``configure`` applies).
Every type has

- ``read(value, field)``: the value typed (an int, an exact SymPy number, a canonical string, a list or a
  table of them), or a ``FieldError`` naming the field, what was given and what is accepted;
- ``accepts()``: what it accepts, in words (the messages' "expected", the docs' tables, example comments);
- ``schema()``: a JSON Schema fragment for the value as TOML gives it;
- ``samples()``: values it takes, as a spec writes them (its bounds, each choice): what a drawer may pick;
- ``takes(value)``: whether a value has its TOML shape (a number, a string, a list, a table), so that
  ``OneOf`` reads a value with the alternative it is written as.

``read(fields, values)`` is the loader's step: presence, type and range of every declared key, and the
defaults filled in, giving the ``Values`` a kind's ``configure`` receives.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field as _field
from typing import Any, Callable, Mapping

import sympy

from .errors import closest, did_you_mean
from .fields import MAX_TEXT, MAX_WHOLE, FieldError, check_int, to_number, to_rational

RATIO = r"^\s*-?\d+\s*(/\s*\d+\s*)?$"       # a number written as the string "p/q"


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()        # a Field's default when the key must be given


@dataclass(frozen=True)
class Rule:
    """A default (or a requirement) that depends on other keys: ``configure`` applies it; the docs say ``text``."""

    text: str


class Type:
    """What a key accepts (see the module's docstring)."""

    def takes(self, value) -> bool:
        return True

    def read(self, value, field: str):
        raise NotImplementedError

    def accepts(self) -> str:
        raise NotImplementedError

    def schema(self) -> dict:
        return {}

    def samples(self) -> list:
        return []


@dataclass(frozen=True)
class Words(Type):
    """Anything, described in words: a field declared before fields had types (a kind's ``configure`` checks it)."""

    words: str

    def read(self, value, field: str):
        return value

    def accepts(self) -> str:
        return self.words


@dataclass(frozen=True)
class Integer(Type):
    """A whole number from ``min`` to ``max``."""

    min: int | None = None
    max: int = MAX_WHOLE

    def takes(self, value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def read(self, value, field: str) -> int:
        return check_int(value, field, self.min, self.max)

    def accepts(self) -> str:
        return "a whole number" + (f" from {self.min}" if self.min is not None else "") + f" up to {self.max}"

    def schema(self) -> dict:
        return {"type": "integer", **({"minimum": self.min} if self.min is not None else {}), "maximum": self.max}

    def samples(self) -> list:
        low = self.min if self.min is not None else 0
        return sorted({low, min(low + 1, self.max), self.max})


def _toml_number(value: sympy.Rational):
    """An exact number as a spec writes it: an integer, or the string "p/q"."""
    value = sympy.Rational(value)
    return int(value) if value.q == 1 else f"{value.p}/{value.q}"


@dataclass(frozen=True)
class Number(Type):
    """An exact number (an int, a decimal read by its digits, "p/q"; with ``constants`` also an exact constant in
    LaTeX such as '\\ln 2'), from ``min`` to ``max``, or below ``below``."""

    min: Any = None
    max: Any = None
    below: Any = None
    constants: bool = False

    def takes(self, value) -> bool:
        return isinstance(value, (int, float, str, sympy.Expr)) and not isinstance(value, bool)

    def read(self, value, field: str) -> sympy.Expr:
        number = to_number(value, field) if self.constants else to_rational(value, field)
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max) \
                or (self.below is not None and number >= self.below):
            raise FieldError(field, "must " + self._range("not be negative", "be "), value, self.accepts())
        return number

    def _range(self, positive: str = "at least 0", be: str = "") -> str:
        if self.min is not None and self.max is not None:
            return f"{be}between {self.min} and {self.max}"
        if self.min is not None and self.below is not None:
            return f"{be}at least {self.min} and below {self.below}"
        if self.min is not None:
            return positive if self.min == 0 else f"{be}at least {self.min}"
        if self.max is not None:
            return f"{be}at most {self.max}"
        return f"{be}below {self.below}" if self.below is not None else ""

    def accepts(self) -> str:
        words = "a number" + (" or an exact constant such as '\\ln 2'" if self.constants else "")
        bounded = self._range()
        return words + (f" {bounded}" if bounded else "")

    def schema(self) -> dict:
        number: dict = {"type": "number"}
        for key, bound in (("minimum", self.min), ("maximum", self.max), ("exclusiveMaximum", self.below)):
            if bound is not None:
                number[key] = float(bound) if not sympy.Rational(bound).is_Integer else int(bound)
        text = {"type": "string", "maxLength": MAX_TEXT} if self.constants else {"type": "string", "pattern": RATIO}
        return {"anyOf": [number, text]}

    def samples(self) -> list:
        low = sympy.Rational(self.min) if self.min is not None else sympy.Integer(-1)
        high = (sympy.Rational(self.max) if self.max is not None else
                sympy.Rational(self.below) - sympy.Rational(1, 100) if self.below is not None else low + 2)
        return [_toml_number(v) for v in dict.fromkeys((low, (low + high) / 2, high))]


@dataclass(frozen=True)
class Text(Type):
    """A string of at most ``max_len`` characters; ``words`` says what it is, ``examples`` are values it takes."""

    words: str = "text"
    examples: tuple = ("text",)
    max_len: int = MAX_TEXT

    def takes(self, value) -> bool:
        return isinstance(value, str)

    def read(self, value, field: str) -> str:
        if not isinstance(value, str):
            raise FieldError(field, "must be text", value, "a string")
        if len(value) > self.max_len:
            raise FieldError(field, f"longer than {self.max_len} characters", value, "a short text")
        return value

    def accepts(self) -> str:
        return self.words

    def schema(self) -> dict:
        return {"type": "string", "maxLength": self.max_len}

    def samples(self) -> list:
        return list(self.examples)


@functools.lru_cache(maxsize=256)
def _parsed(parse: Callable, text: str):
    return parse(text)


@dataclass(frozen=True)
class Formula(Text):
    """LaTeX read by derive's own parser (``parse``, never eval): the loader checks that it reads."""

    parse: Callable | None = None

    def read(self, value, field: str) -> str:
        from .mathparse import MathSyntaxError
        text = Text.read(self, value, field)
        if self.parse is not None:
            try:
                _parsed(self.parse, text)
            except MathSyntaxError as err:
                raise FieldError(field, str(err), text, self.words) from None
        return text


@dataclass(frozen=True)
class Choice(Type):
    """One of ``options``; ``loose``: case and surrounding spaces do not matter; ``fold``: (written, canonical),
    a separator also accepted (("_", "-") reads xavier_uniform as xavier-uniform)."""

    options: tuple[str, ...]
    noun: str = "value"
    loose: bool = False
    fold: tuple[str, str] | None = None
    hints: Mapping[str, str] = _field(default_factory=dict)    # a value refused with a word of why ("0": ...)

    def takes(self, value) -> bool:
        return isinstance(value, str)

    def key(self, text: str) -> str:
        key = text.strip().lower() if self.loose else text
        return key.replace(*self.fold) if self.fold else key

    def read(self, value, field: str) -> str:
        if str(value) in self.hints and not isinstance(value, bool):
            raise FieldError(field, self.hints[str(value)], value, self.accepts())
        if not isinstance(value, str):
            raise FieldError(field, "must be text", value, self.accepts())
        key = self.key(value)
        if key not in self.options:
            raise FieldError(field, f"unknown {self.noun} '{value[:40]}'" + did_you_mean(key, self.options), value,
                             self.accepts())
        return key

    def accepts(self) -> str:
        return " | ".join(f'"{o}"' for o in self.options)

    def schema(self) -> dict:
        spellings = list(self.options)
        if self.fold:
            spellings += [o.replace(self.fold[1], self.fold[0]) for o in self.options if self.fold[1] in o]
        return {"enum": spellings}

    def samples(self) -> list:
        return list(self.options)


@dataclass(frozen=True)
class Boolean(Type):
    def takes(self, value) -> bool:
        return isinstance(value, bool)

    def read(self, value, field: str) -> bool:
        if not isinstance(value, bool):
            raise FieldError(field, "must be true or false", value, "true or false")
        return value

    def accepts(self) -> str:
        return "true or false"

    def schema(self) -> dict:
        return {"type": "boolean"}

    def samples(self) -> list:
        return [False, True]


def _count(low: int, high: int | None) -> str:
    if high == low:
        return str(low)
    return f"{low} to {high}" if high is not None else f"{low} or more"


@dataclass(frozen=True)
class ListOf(Type):
    """A list of ``min_len`` to ``max_len`` entries of ``item``. ``names`` names the entries of a list of fixed
    length ([height, width]; ``words`` says it otherwise); ``each`` is the field an entry's error names: "{field}"
    (the list's) or "{field}[{n}]", the entry's place counted from 1 as every list position a message names
    ("{field}[{k}]" is the same place)."""

    item: Type
    min_len: int = 1
    max_len: int | None = None
    noun: str = "entries"
    names: tuple[str, ...] = ()
    each: str = "{field}"
    words: str = ""

    def __post_init__(self):
        if self.names:
            object.__setattr__(self, "min_len", len(self.names))
            object.__setattr__(self, "max_len", len(self.names))

    def takes(self, value) -> bool:
        return isinstance(value, list)

    def read(self, value, field: str) -> list:
        if not isinstance(value, list):
            raise FieldError(field, "must be a list", value, self.accepts())
        if not self.min_len <= len(value) <= (self.max_len or len(value)):
            raise FieldError(field, f"has {len(value)} {'entry' if len(value) == 1 else 'entries'}", value,
                             self.accepts())
        return [self.item.read(v, self.each.format(field=field, k=n, n=n)) for n, v in enumerate(value, 1)]

    def shape(self) -> str:
        if self.words:
            return self.words
        if self.names:
            return f"[{', '.join(self.names)}]"
        return f"a list of {_count(self.min_len, self.max_len)} {self.noun}"

    def accepts(self) -> str:
        if self.item.accepts() == "a " + self.noun.removesuffix("s"):          # a list of 1 to 8 numbers
            return self.shape()
        return f"{self.shape()}, each {self.item.accepts()}"

    def schema(self) -> dict:
        out = {"type": "array", "items": self.item.schema(), "minItems": self.min_len}
        return {**out, "maxItems": self.max_len} if self.max_len is not None else out

    def samples(self) -> list:
        return [[s] * max(self.min_len, 1) for s in self.item.samples()]


@dataclass(frozen=True)
class Nested(Type):
    """``item``s in lists nested ``depth`` deep (1: a vector, 2: a matrix's rows, ...) or up to ``most`` deep;
    the shape a kind needs is checked by the kind, which knows it from other keys."""

    item: Type
    most: int = 4
    words: str = ""

    def takes(self, value) -> bool:
        return isinstance(value, list)

    def read(self, value, field: str, level: int = 0) -> list:
        if not isinstance(value, list) or level >= self.most:
            raise FieldError(field, "must be " + self.accepts(), value, self.accepts())
        return [self.read(v, field, level + 1) if isinstance(v, list) else self.item.read(v, field) for v in value]

    def accepts(self) -> str:
        return self.words or f"{self.item.accepts().removeprefix('a ')}s in lists (nested at most {self.most} deep)"

    def schema(self) -> dict:
        inner: dict = self.item.schema()
        for _ in range(self.most):
            inner = {"type": "array", "items": {"anyOf": [self.item.schema(), inner]}}
        return inner

    def samples(self) -> list:
        return [[s] for s in self.item.samples()]


@dataclass(frozen=True)
class OneOf(Type):
    """One of several types, read by the first whose TOML shape the value has (a number, a list, a table); a
    value of none of the shapes is refused with the first one's message."""

    alternatives: tuple[Type, ...]

    def takes(self, value) -> bool:
        return any(a.takes(value) for a in self.alternatives)

    def read(self, value, field: str):
        for alternative in self.alternatives:
            if alternative.takes(value):
                return alternative.read(value, field)
        try:
            self.alternatives[0].read(value, field)
        except FieldError as err:
            raise FieldError(err.field, err.reason, err.given, self.accepts()) from None
        raise FieldError(field, "must be " + self.accepts(), value, self.accepts())

    def accepts(self) -> str:
        words = [a.accepts() for a in self.alternatives]
        return ", ".join(words[:-1]) + " or " + words[-1]

    def schema(self) -> dict:
        return {"anyOf": [a.schema() for a in self.alternatives]}

    def samples(self) -> list:
        return [s for a in self.alternatives for s in a.samples()]


@dataclass(frozen=True)
class Field:
    """One spec key: its name, its type (a ``Type``; text for a field declared before fields had types), what it
    means, and its default (``REQUIRED``, None for none, a value as a spec writes it, or a ``Rule``)."""

    name: str
    type: Type | str
    doc: str = ""
    default: Any = None

    def __post_init__(self):
        if isinstance(self.type, str):
            object.__setattr__(self, "type", Words(self.type))

    @property
    def accepts(self) -> str:
        return self.type.accepts()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def fills(self) -> bool:
        """The loader fills the default in when the key is left out (a field without a type only documents its
        default: its kind applies it)."""
        return self.default is not None and self.default is not REQUIRED and not isinstance(self.default, Rule) \
            and not isinstance(self.type, Words)


@dataclass(frozen=True)
class Table(Type):
    """A table of sub-fields (``fields``); any other key is refused with "did you mean"."""

    fields: tuple[Field, ...]
    noun: str = "table"

    def takes(self, value) -> bool:
        return isinstance(value, dict)

    def read(self, value, field: str) -> "Values":
        if not isinstance(value, dict):
            raise FieldError(field, "must be a table", value, self.accepts())
        names = [f.name for f in self.fields]
        for key in value:
            if key not in names:
                raise FieldError(f"{field}.{key}", "unknown key" + did_you_mean(str(key), names), value[key],
                                 "one of " + ", ".join(names))
        return read(self.fields, value, field + ".")

    def accepts(self) -> str:
        return "{ " + ", ".join(f.name for f in self.fields) + " }"

    def schema(self) -> dict:
        return object_schema(self.fields)

    def samples(self) -> list:
        return [{f.name: f.type.samples()[0] for f in self.fields if f.required}]


@dataclass(frozen=True)
class Tagged(Type):
    """A table whose ``tag`` key (``type = "conv"``) picks its sub-fields, one tuple of fields per tag value."""

    tag: str
    variants: Mapping[str, tuple[Field, ...]]
    noun: str = "layer"
    docs: Mapping[str, str] = _field(default_factory=dict)     # what each tag is, for the docs
    near: tuple[str, ...] = ("kind",)           # keys written for the tag by mistake

    def takes(self, value) -> bool:
        return isinstance(value, dict)

    def read(self, value, field: str) -> "Values":
        first = next(iter(self.variants))
        if not isinstance(value, dict):
            raise FieldError(field, "must be a table", value, f'{{ {self.tag} = "{first}", ... }}')
        chosen = self._tag(value, field)
        own = (self.tag,) + tuple(f.name for f in self.variants[chosen])
        for key in value:
            if key not in own:
                raise FieldError(f"{field}.{key}", f"unknown key for a {chosen} {self.noun}"
                                 + did_you_mean(str(key), own), value[key], "one of " + ", ".join(own))
        typed = read(self.variants[chosen], {k: v for k, v in value.items() if k != self.tag}, field + ".")
        return Values({self.tag: chosen, **typed}, {self.tag, *typed.given}, value)

    def _tag(self, value: dict, field: str) -> str:
        chosen = value.get(self.tag)
        if chosen is None:
            for key in value:
                if key in self.near or closest(str(key), [self.tag]) is not None:
                    raise FieldError(f"{field}.{key}", f"unknown key (did you mean '{self.tag}'?)", value[key],
                                     f'{self.tag} = "{next(iter(self.variants))}", ... for a {self.noun}')
        if not isinstance(chosen, str) or chosen not in self.variants:
            raise FieldError(f"{field}.{self.tag}", ("missing" if chosen is None else f"unknown {self.noun} {self.tag}")
                             + did_you_mean(str(chosen), self.variants), chosen, " | ".join(self.variants))
        return chosen

    def accepts(self) -> str:
        if len(self.variants) > 3:
            return f"a table with {self.tag} = " + ", ".join(self.variants) + " and that type's keys"
        return " or ".join(f'{{ {self.tag} = "{t}"' + "".join(f", {f.name}" for f in fs) + " }"
                           for t, fs in self.variants.items())

    def schema(self) -> dict:
        tags = {"type": "object", "required": [self.tag], "properties": {self.tag: {"enum": list(self.variants)}}}
        tags["allOf"] = [{"if": {"properties": {self.tag: {"const": t}}, "required": [self.tag]},
                          "then": object_schema((Field(self.tag, Choice((t,))),) + fs)}
                         for t, fs in self.variants.items()]
        return tags

    def samples(self) -> list:
        return [{self.tag: t, **{f.name: f.type.samples()[0] for f in fs if f.required}}
                for t, fs in self.variants.items()]


@dataclass(frozen=True)
class Map(Type):
    """A table of named values: names matching ``key`` (a regular expression; ``key_words`` says it), each a
    ``value``; ``min_len`` to ``max_len`` of them."""

    value: Type
    key: str = r"[A-Za-z][A-Za-z0-9_]{0,19}"
    key_words: str = "a letter, then letters, digits or '_' (at most 20)"
    min_len: int = 1
    max_len: int | None = None
    words: str = "a table of named values"

    def takes(self, value) -> bool:
        return isinstance(value, dict)

    def read(self, value, field: str) -> dict:
        if not isinstance(value, dict) or not self.min_len <= len(value) <= (self.max_len or len(value)):
            raise FieldError(field, "must be " + self.accepts(), value, self.accepts())
        for name in value:
            if not isinstance(name, str) or not re.fullmatch(self.key, name):
                raise FieldError(f"{field}.{name}", "is not a name", name, self.key_words)
        return {name: self.value.read(v, f"{field}.{name}") for name, v in value.items()}

    def accepts(self) -> str:
        return f"{self.words} ({_count(self.min_len, self.max_len)}), each {self.value.accepts()}"

    def schema(self) -> dict:
        out = {"type": "object", "propertyNames": {"pattern": f"^{self.key}$"},
               "additionalProperties": self.value.schema(), "minProperties": self.min_len}
        return {**out, "maxProperties": self.max_len} if self.max_len is not None else out

    def samples(self) -> list:
        return [{"a": s} for s in self.value.samples()]


class Values(dict):
    """A part's values as read: each declared key the spec gives, typed, and each default it leaves out (keys
    no declaration names pass through unchanged). ``given``: the declared keys the spec gives; ``raw``: the values
    as it gives them (for a message that shows what was given)."""

    def __init__(self, typed: Mapping, given=(), raw: Mapping | None = None):
        super().__init__(typed)
        self.given = frozenset(given)
        self.raw = dict(typed if raw is None else raw)


def given(values: Mapping) -> frozenset:
    """The keys the spec gives (of Values), or the keys of a plain mapping with a value."""
    if isinstance(values, Values):
        return values.given
    return frozenset(k for k, v in values.items() if v is not None)


def read(fields: tuple[Field, ...], values: Mapping, prefix: str = "") -> Values:
    """Every declared key read: a required one missing, a value of the wrong type or out of range, is a
    FieldError naming it (``prefix`` + name); defaults are filled in. Values already read are returned."""
    if isinstance(values, Values) and not prefix:
        return values
    typed, names = {}, set()
    for f in fields:
        names.add(f.name)
        value = values.get(f.name)
        if value is not None:
            typed[f.name] = f.type.read(value, prefix + f.name)
        elif f.required:
            raise FieldError(prefix + f.name, "missing", None, f.accepts)
        elif f.fills:
            typed[f.name] = f.type.read(f.default, prefix + f.name)
    extra = {k: v for k, v in values.items() if k not in names}
    return Values({**typed, **extra}, {f for f in names if values.get(f) is not None}, values)


def needed(values: Mapping, fields: tuple[Field, ...], name: str):
    """The value of a key a rule between keys requires (``Rule("required with ...")``); "missing" otherwise."""
    if values.get(name) is None:
        declared = next(f for f in fields if f.name == name)
        raise FieldError(name, "missing", None, declared.accepts)
    return values[name]


def field_schema(f: Field) -> dict:
    """A field's JSON Schema: its type's, with its documentation and its default."""
    out = {**f.type.schema(), "description": f.doc} if f.doc else dict(f.type.schema())
    if f.fills:
        out["default"] = f.default
    return out


def object_schema(fields: tuple[Field, ...], extra: Mapping[str, dict] | None = None, required: bool = True) -> dict:
    """A table of these fields (and ``extra`` properties), no other key; ``required``: the required fields must be
    in it."""
    out = {"type": "object", "properties": {**{f.name: field_schema(f) for f in fields}, **(extra or {})},
           "additionalProperties": False}
    needed = [f.name for f in fields if f.required]
    return {**out, "required": needed} if required and needed else out


__all__ = ["REQUIRED", "Rule", "Field", "Type", "Words", "Integer", "Number", "Text", "Formula", "Choice", "Boolean",
           "ListOf", "Nested", "OneOf", "Table", "Tagged", "Map", "Values", "read", "given", "needed", "field_schema",
           "object_schema"]
