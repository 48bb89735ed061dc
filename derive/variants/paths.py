"""Field paths as error messages print them (``W_a``, ``x[2]``, ``layers[1].filters``, ``given.x``): read from
text, resolved to the declaration of the value they name (``derive.declare``), read from and written into a
problem's tables. Entries of a list are counted from 1."""

from __future__ import annotations

import copy
import re
from typing import Any

from ..declare import ListOf, Map, Nested, OneOf, Table, Tagged, Type, Words
from ..errors import did_you_mean

_SEGMENT = re.compile(r"\[(\d{1,6})\]|\.([A-Za-z_][A-Za-z0-9_-]*)")
_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
MAX_PATH = 200


class PathError(ValueError):
    """A path that does not read, or names nothing in the kind or in the spec (its reason)."""


def parse(text: str) -> tuple:
    """('layers', 1, 'filters') from 'layers[1].filters'."""
    head = _HEAD.match(text) if isinstance(text, str) and len(text) <= MAX_PATH else None
    if head is None:
        raise PathError("not a field's path (a key, then [i] for a list's entry and .key for a table's)")
    out, at = [head.group()], head.end()
    while at < len(text):
        m = _SEGMENT.match(text, at)
        if m is None:
            raise PathError(f"cannot read {text[at:at + 10]!r} in the path (after a key: [i] or .key)")
        if m.group(1) is not None and int(m.group(1)) < 1:
            raise PathError("entries are counted from 1")
        out.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
        at = m.end()
    return tuple(out)


def text(path: tuple) -> str:
    return path[0] + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path[1:])


def _alternative(t: Type, value) -> Type | None:
    """The alternative of a OneOf that reads a value of this TOML shape (a list, a table)."""
    if isinstance(t, OneOf):
        for a in t.alternatives:
            if a.takes(value):
                return _alternative(a, value)
        return None
    return t


def _entry(t: Type, value, k: int, where: str) -> tuple[Type, Any]:
    list_type = _alternative(t, value)
    if not isinstance(list_type, (ListOf, Nested)):
        raise PathError(f"{where} is not a list")
    if not isinstance(value, list):
        raise PathError(f"{where} is not given as a list in the spec")
    if k > len(value):
        raise PathError(f"{where} has {len(value)} {'entry' if len(value) == 1 else 'entries'} in the spec")
    item = value[k - 1]
    if isinstance(list_type, Nested):
        return (list_type if isinstance(item, list) else list_type.item), item
    return list_type.item, item


def _key(t: Type, value, name: str, where: str) -> tuple[Type, Any]:
    table = _alternative(t, value)
    sub = value.get(name) if isinstance(value, dict) else None
    if isinstance(table, Map):
        if not isinstance(value, dict) or name not in value:
            raise PathError(f"{where} has no name '{name}' in the spec" + did_you_mean(name, list(value or {})))
        return table.value, sub
    if isinstance(table, Tagged):
        tag = value.get(table.tag) if isinstance(value, dict) else None
        fields = table.variants.get(tag, ()) if isinstance(tag, str) else ()
        if name == table.tag:
            raise PathError(f"{where}.{name} picks the keys of the table: vary the whole of {where} instead")
        return _field(fields, name, sub, f"a {tag} {table.noun}" if tag else where)
    if isinstance(table, Table):
        return _field(table.fields, name, sub, where)
    raise PathError(f"{where} is not a table")


def _field(fields, name: str, value, where: str) -> tuple[Type, Any]:
    names = [f.name for f in fields]
    if name not in names:
        raise PathError(f"{where} has no key '{name}'" + did_you_mean(name, names)
                        + (f"; its keys are {', '.join(names)}" if names else ""))
    return next(f.type for f in fields if f.name == name), value


def resolve(kind, path: tuple, base: dict) -> Type | None:
    """The type of the value a path names in a problem of this kind (None: a key declared in words only, which
    the kind's rules check); ``base`` is the problem's keys as the spec gives them (a part's merged in), which
    a path into a list or a table must exist in. PathError says why it names nothing."""
    names = [f.name for f in kind.fields]
    if path[0] not in names:
        raise PathError(f"the kind {kind.name} has no key '{path[0]}'" + did_you_mean(path[0], names))
    t, value = next(f.type for f in kind.fields if f.name == path[0]), base.get(path[0])
    where = path[0]
    for segment in path[1:]:
        if isinstance(t, Words):
            return None
        if value is None:
            raise PathError(f"{where} is not given in the spec: vary the whole of it")
        t, value = _entry(t, value, segment, where) if isinstance(segment, int) else _key(t, value, segment, where)
        where += f"[{segment}]" if isinstance(segment, int) else f".{segment}"
    return None if isinstance(t, Words) else t


def get(table: dict, path: tuple):
    value = table.get(path[0])
    for segment in path[1:]:
        value = value[segment - 1] if isinstance(segment, int) else value[segment]
    return value


def put(table: dict, path: tuple, value) -> None:
    """Set the value a path names in a table (the lists and tables on its way exist)."""
    if len(path) == 1:
        table[path[0]] = copy.deepcopy(value)
        return
    holder = get(table, path[:-1])
    last = path[-1]
    holder[last - 1 if isinstance(last, int) else last] = copy.deepcopy(value)
