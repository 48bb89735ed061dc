"""The docs' field tables, made from the kinds' field declarations.

In a Markdown file, a block between ``<!-- fields: KIND [NAME ...] -->`` and ``<!-- /fields -->`` is the table of
KIND's fields (those named, or all); between ``<!-- types: KIND FIELD -->`` and ``<!-- /types -->`` the table of
the table types a field takes (a network's layers). ``rewrite`` makes every block again;
``python -m derive.docs --write [FILE ...]`` rewrites the files (by default every Markdown page under docs/,
where each kind's page, docs/kinds/KIND.md, holds its tables) and ``--check`` fails when one is out of date (the
tests check every page).

The listings of an example spec (``#: keys``, ``#: asks``, ``#: types FIELD``) are made by derive.listings, from the
kind itself, in the same words.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .declare import Field, Tagged
from .listings import default_text, keys_text, table_types, tag_groups

BLOCK = re.compile(r"(<!-- (fields|types): ([^>]*?) -->\n).*?(<!-- /\2 -->)", re.S)


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
    return table_types(_fields(kind_name, [field_name])[0], kind_name)


def types_table(kind_name: str, field_name: str) -> str:
    """The Markdown table of a field's table types: each ``type``, its keys with their defaults, what it is."""
    types = tagged(kind_name, field_name)
    rows = [f"| {types.tag} | keys (defaults) | what it is |", "|---|---|---|"]
    for tags, fields, doc in tag_groups(types):
        rows.append(f"| {', '.join(f'`{t}`' for t in tags)} | {_cell(keys_text(fields))} | {_cell(doc)} |")
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
