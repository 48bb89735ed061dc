"""An example spec's listings, made from its kind's field declarations: a comment line ``#: keys`` becomes the
listing of the kind's keys, ``#: asks`` that of its questions, and ``#: types FIELD`` that of a field's table types
(``example``). ``derive example`` prints them; derive.docs makes the docs' field tables with the same words.
"""

from __future__ import annotations

import re
import textwrap

from .declare import REQUIRED, Field, ListOf, Rule, Tagged

WIDTH = 110                # an example's comment lines


def toml(value) -> str:
    """A default as a spec writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return str(value)


def default_text(f: Field, none: str = "") -> str:
    """What a field's default column says: required, a value, a rule, or ``none``."""
    if f.default is REQUIRED:
        return "required"
    if isinstance(f.default, Rule):
        return f.default.text
    return none if f.default is None else f"`{toml(f.default)}`"


def keys_text(fields: tuple[Field, ...]) -> str:
    words = []
    for f in fields:
        if f.default is REQUIRED:
            words.append(f"`{f.name}` (required)")
        elif f.default is None:
            words.append(f"`{f.name}` (optional)")
        else:
            words.append(f"`{f.name} = {default_text(f).strip('`')}`")
    return ", ".join(words) or "none"


def tag_groups(types: Tagged) -> list[tuple[list[str], tuple[Field, ...], str]]:
    """The tags in order, those with the same keys and the same documentation side by side in one group."""
    groups: list[tuple[list[str], tuple[Field, ...], str]] = []
    for tag, fields in types.variants.items():
        doc = types.docs.get(tag, "")
        same = next((g for g in groups if g[1] == fields and g[2] == doc), None)
        if same is not None:
            same[0].append(tag)
        else:
            groups.append(([tag], fields, doc))
    return groups


def table_types(f: Field, kind_name: str) -> Tagged:
    """The table type a field takes (itself, or a list's entries)."""
    kind = f.type.item if isinstance(f.type, ListOf) else f.type
    if not isinstance(kind, Tagged):
        raise KeyError(f"the field {f.name!r} of {kind_name} takes no table types")
    return kind


def _field(kind, name: str) -> Field:
    found = [f for f in kind.fields if f.name == name]
    if not found:
        raise KeyError(f"the kind {kind.name} has no field {name!r}")
    return found[0]


def _wrapped(head: str, text: str, indent: str) -> list[str]:
    lines = textwrap.wrap(text.replace("`", ""), WIDTH - len(indent), initial_indent=head,
                          subsequent_indent="#" + " " * (len(head) - 1), break_on_hyphens=False)
    return [f"{indent}{line}".rstrip() for line in lines]


def _default_words(f: Field) -> str:
    """required, optional, or the default ("default 1", "default leaky_relu for kaiming, ...")."""
    text = default_text(f, "optional").replace("`", "")
    return text if f.default is None or text.startswith(("required", "one of")) else "default " + text


def keys_comment(fields: tuple[Field, ...], indent: str = "") -> list[str]:
    """Comment lines listing the keys: each with what it means, what it takes and its default."""
    width = max(len(f.name) for f in fields) + 2
    lines, before = [], None
    for f in fields:
        takes = "the same" if f.accepts == before else f.accepts       # as the key above: said once
        lines += _wrapped(f"#   {f.name:<{width}}", f"{f.doc}. Takes {takes}; {_default_words(f)}.", indent)
        before = f.accepts
    return lines


def types_comment(types: Tagged, indent: str = "") -> list[str]:
    """Comment lines listing a field's table types: each with its keys and what it is."""
    lines = []
    for tags, fields, doc in tag_groups(types):
        lines += _wrapped(f"#   {', '.join(tags)}: ", keys_text(fields) + (f"; {doc}" if doc else ""), indent)
    return lines


def asks_comment(kind, indent: str = "") -> list[str]:
    """Comment lines listing the kind's questions."""
    width = max(len(a) for a in kind.asks) + 2
    return [line for ask, words in kind.asks.items() for line in _wrapped(f"#   {ask:<{width}}", words, indent)]


def example(text: str, kind) -> str:
    """An example spec with its ``#: keys``, ``#: asks`` and ``#: types FIELD`` lines made into listings from the
    kind's declarations."""
    out = []
    for line in text.splitlines():
        marker = re.fullmatch(r"(\s*)#: (keys|asks|types)\s*(\S*)\s*", line)
        if marker is None:
            out.append(line)
        elif marker.group(2) == "keys":
            out += keys_comment(kind.fields, marker.group(1))
        elif marker.group(2) == "asks":
            out += asks_comment(kind, marker.group(1))
        else:
            out += types_comment(table_types(_field(kind, marker.group(3)), kind.name), marker.group(1))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
