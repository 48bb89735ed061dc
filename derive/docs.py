"""The docs' field tables and ``derive example``'s key listings, made from the kinds' field declarations.

In a Markdown file, a block between ``<!-- fields: KIND [NAME ...] -->`` and ``<!-- /fields -->`` is the table of
KIND's fields (those named, or all); between ``<!-- types: KIND FIELD -->`` and ``<!-- /types -->`` the table of
the table types a field takes (a network's layers). ``rewrite`` makes every block again;
``python -m derive.docs --write [FILE ...]`` rewrites the files (by default every Markdown page under docs/,
where each kind's page, docs/kinds/KIND.md, holds its tables) and ``--check`` fails when one is out of date (the
tests check every page).

In an example spec, a comment line ``#: keys`` becomes the listing of the kind's keys, ``#: asks`` that of its
questions, and ``#: types FIELD`` that of a field's table types (``example``).
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from .declare import REQUIRED, Field, ListOf, Rule, Tagged

BLOCK = re.compile(r"(<!-- (fields|types): ([^>]*?) -->\n).*?(<!-- /\2 -->)", re.S)
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


def _cell(text: str) -> str:
    """A table cell: one line, its bars escaped, and a ``<`` outside code written ``&lt;`` (``x<t>`` is not a
    tag to a Markdown renderer)."""
    pieces = re.split(r"(`[^`]*`)", text.replace("|", "\\|").replace("\n", " "))
    return "".join(p if p.startswith("`") else p.replace("<", "&lt;") for p in pieces)


def _fields(kind_name: str, names: list[str] | None = None) -> tuple[Field, ...]:
    from .kinds import KINDS
    fields = KINDS[kind_name].fields
    if not names:
        return fields
    by_name = {f.name: f for f in fields}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"the kind {kind_name} has no field {unknown[0]!r}")
    return tuple(by_name[n] for n in names)


def field_table(kind_name: str, names: list[str] | None = None) -> str:
    """The Markdown table of a kind's fields (those named, or all): key, value, default, meaning."""
    rows = ["| key | value | default | meaning |", "|---|---|---|---|"]
    for f in _fields(kind_name, names):
        rows.append(f"| `{f.name}` | {_cell(f.accepts)} | {_cell(default_text(f))} | {_cell(f.doc)} |")
    return "\n".join(rows) + "\n"


def tagged(kind_name: str, field_name: str) -> Tagged:
    """The table type a field takes (itself, or a list's entries)."""
    kind = _fields(kind_name, [field_name])[0].type
    kind = kind.item if isinstance(kind, ListOf) else kind
    if not isinstance(kind, Tagged):
        raise KeyError(f"the field {field_name!r} of {kind_name} takes no table types")
    return kind


def _keys_text(fields: tuple[Field, ...]) -> str:
    words = []
    for f in fields:
        if f.default is REQUIRED:
            words.append(f"`{f.name}` (required)")
        elif f.default is None:
            words.append(f"`{f.name}` (optional)")
        else:
            words.append(f"`{f.name} = {default_text(f).strip('`')}`")
    return ", ".join(words) or "none"


def _groups(types: Tagged) -> list[tuple[list[str], tuple[Field, ...], str]]:
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


def types_table(kind_name: str, field_name: str) -> str:
    """The Markdown table of a field's table types: each ``type``, its keys with their defaults, what it is."""
    types = tagged(kind_name, field_name)
    rows = [f"| {types.tag} | keys (defaults) | what it is |", "|---|---|---|"]
    for tags, fields, doc in _groups(types):
        rows.append(f"| {', '.join(f'`{t}`' for t in tags)} | {_cell(_keys_text(fields))} | {_cell(doc)} |")
    keys = {f.name: f for fields in types.variants.values() for f in fields}
    rows += ["", "| key | value | meaning |", "|---|---|---|"]
    rows += [f"| `{f.name}` | {_cell(f.accepts)} | {_cell(f.doc)} |" for f in keys.values()]
    return "\n".join(rows) + "\n"


def _generated(match: re.Match) -> str:
    opening, what, args, closing = match.group(1), match.group(2), match.group(3).split(), match.group(4)
    body = field_table(args[0], args[1:]) if what == "fields" else types_table(args[0], args[1])
    return opening + body + closing


def rewrite(text: str) -> str:
    """Markdown with every generated block made again from the declarations."""
    return BLOCK.sub(_generated, text)


# --- example specs ------------------------------------------------------------------------------

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
    for tags, fields, doc in _groups(types):
        lines += _wrapped(f"#   {', '.join(tags)}: ", _keys_text(fields) + (f"; {doc}" if doc else ""), indent)
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
            out += types_comment(tagged(kind.name, marker.group(3)), marker.group(1))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def pages(folder: Path | str = "docs") -> list[Path]:
    """The Markdown pages of the docs: every ``.md`` file under ``folder``."""
    return sorted(Path(folder).rglob("*.md"))


def main(argv: list[str] | None = None) -> int:
    """python -m derive.docs [--write | --check] [FILE ...]: the generated blocks of FILE (every page of docs/)."""
    args = list(sys.argv[1:] if argv is None else argv)
    write, check = "--write" in args, "--check" in args
    paths = [Path(a) for a in args if not a.startswith("--")] or pages()
    stale = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            stale.append(str(path))
            if write:
                path.write_text(new, encoding="utf-8")
    if stale and not write:
        print("out of date: " + ", ".join(stale) + " (python -m derive.docs --write)", file=sys.stderr)
    return 1 if stale and check else 0


if __name__ == "__main__":
    sys.exit(main())
