"""The JSON format's text: the document model as data (the contract of docs/json.md), written as a strict JSON parser
reads it."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from . import latex as tex
from .figures import figure_json

if TYPE_CHECKING:                   # the renderers read the document model; they do not import it
    from ..document import Document


_INF = float("inf")
_STRING = json.encoder.encode_basestring          # a str as JSON, not escaping beyond ASCII (C when available)


def dumps(obj) -> str:
    """``json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)``, the same text, made faster on long lists
    of strings (a 1000 × 1000 matrix of entries): such a list is encoded at once, its strings by the C encoder, and
    the pieces are joined once at the end (no large string copied level after level). A float that is not finite
    is a ValueError, as there: JSON has no NaN or Infinity (numeric.json_number writes a number beyond a double)."""
    out: list[str] = []
    _pieces(obj, "", out)
    return "".join(out)


def dumps_at(obj, indent: str) -> str:
    """The text ``dumps`` writes for obj nested ``indent`` deep (its first line not indented)."""
    out: list[str] = []
    _pieces(obj, indent, out)
    return "".join(out)


def _pieces(obj, indent: str, out: list[str]) -> None:
    """The JSON text of obj, nested ``indent`` deep, appended to out in pieces."""
    if isinstance(obj, (dict, list, tuple)) and not obj:
        out.append("{}" if isinstance(obj, dict) else "[]")
        return
    inner = indent + "  "
    if isinstance(obj, dict):
        out.append("{")
        for n, (k, v) in enumerate(obj.items()):
            out.append(f"{',' if n else ''}\n{inner}{_key(k)}: ")
            _pieces(v, inner, out)
        out.append(f"\n{indent}}}")
    elif isinstance(obj, (list, tuple)):
        out.append("[\n" + inner)
        glue = ",\n" + inner
        flat = _flat(obj, glue)
        if flat is not None:
            out.append(flat)
        else:
            for n, v in enumerate(obj):
                if n:
                    out.append(glue)
                _pieces(v, inner, out)
        out.append(f"\n{indent}]")
    else:
        out.append(_scalar(obj))


def _scalar(obj) -> str:
    """A string, a number, true, false or null as JSON writes it (the standard library's rules and order)."""
    if isinstance(obj, str):
        return _STRING(obj)
    if obj is None:
        return "null"
    if obj is True or obj is False:
        return "true" if obj else "false"
    if isinstance(obj, int):
        return int.__repr__(obj)
    if isinstance(obj, float):
        if obj != obj or obj in (_INF, -_INF):
            raise ValueError(f"Out of range float values are not JSON compliant: {obj!r}")
        return float.__repr__(obj)
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)   # anything else: the usual TypeError


_ESCAPED = re.compile(r'["\\\x00-\x1f]')          # what JSON escapes in a string (beyond ASCII kept as it is)


def _flat(items, glue: str) -> str | None:
    """A list of strings alone (``_strings``) or of numbers alone (a figure's points), its items encoded and glued
    at once; None for any other list."""
    first = type(items[0])
    if first is str:
        return _strings(items, glue)
    if (first is float or first is int) and all(type(v) is float or type(v) is int for v in items):
        return glue.join(map(_scalar, items))
    return None


def _strings(items, glue: str) -> str | None:
    """A list of strings alone, its items encoded and glued at once; None for any other list. When no string
    needs escaping (one scan of them all) each is quoted as it is."""
    try:
        plain = "".join(items)
    except TypeError:                                   # not strings alone
        return None
    if _ESCAPED.search(plain) is None:
        return '"' + f'"{glue}"'.join(items) + '"'
    return glue.join(map(_STRING, items))


def _key(k) -> str:
    """A dict key as JSON writes it: a string, or a number, true, false or null in quotes."""
    if isinstance(k, str):
        return _STRING(k)
    if k is None or isinstance(k, (int, float)):
        return _STRING(_scalar(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")


def to_json(doc: Document) -> dict:
    """The JSON contract: title, generator and the answered parts in id order."""
    parts = []
    for q in doc.questions():
        parts.append({
            "id": q.id,
            "problem": q.problem,
            "kind": q.kind,
            "ask": q.ask,
            "question": tex.text(q.text, q.notation),
            "steps": [{"text": tex.text(s.text, q.notation), "latex": tex.chains_inline(s.chains, q.notation)}
                      for s in q.steps],
            "notes": [tex.text(n, q.notation) for n in q.notes],
            "answer": {"latex": tex.answer_latex(q.answer, q.notation), "value": q.answer.value},
            "figures": [figure_json(f, q.notation) for f in q.figures],
        })
    return {"title": doc.title, "generator": {"name": doc.generator[0], "version": doc.generator[1]}, "parts": parts}


__all__ = ["to_json", "dumps"]
