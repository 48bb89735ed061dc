"""The JSON Schema (draft-07) of a problem-set spec, made from the kinds' field declarations: what ``derive
schema`` prints, for TOML editors (Taplo, Even Better TOML) to complete and check a spec as it is typed.

The loader stays the judge: the schema checks each key's type, range and choices, the keys each kind takes
(at a problem and at a part) and the questions it asks; the rules between keys (a kernel that fits its
input, one gradient per parameter) are the loader's alone.
"""

from __future__ import annotations

from .declare import Field, field_schema
from .notation import STYLES
from .spec import MAX_TITLE
from .variants.table import settings_schema, tolerance_schema, vary_schema

DRAFT = "http://json-schema.org/draft-07/schema#"
MAX_PARTS = 26


def _asks(kind) -> dict:
    names = list(kind.asks)
    return {"description": "the question, or a list of them: " + "; ".join(f"{a}: {w}" for a, w in kind.asks.items()),
            "anyOf": [{"enum": names}, {"type": "array", "items": {"enum": names}, "minItems": 1, "uniqueItems": True}]}


def _given_somewhere(f: Field) -> dict:
    """A required key, given at the problem or at every part."""
    return {"anyOf": [{"required": [f.name]}, {"properties": {"part": {"items": {"required": [f.name]}}}}]}


def definitions(kind) -> dict:
    """Each key's schema, named KIND.KEY: a problem and its parts refer to them."""
    return {f"{kind.name}.{f.name}": field_schema(f) for f in kind.fields}


def kind_schema(kind) -> dict:
    """A problem of this kind: its keys at the problem and at each part (``definitions``), and its questions."""
    keys = {f.name: {"$ref": f"#/definitions/{kind.name}.{f.name}"} for f in kind.fields}
    part = {"type": "object", "properties": {"ask": _asks(kind), "tolerance": tolerance_schema(), **keys},
            "required": ["ask"],
            "additionalProperties": False}
    problem = {"properties": {"title": {"type": "string", "maxLength": MAX_TITLE, "description": "the problem's heading"},
                              "kind": {"enum": [kind.name, *kind.aliases]},
                              "part": {"type": "array", "items": part, "minItems": 1, "maxItems": MAX_PARTS,
                                       "description": "its parts, lettered (a), (b), ...: each asks its questions;"
                                                      " a part's keys override the problem's"},
                              "vary": vary_schema(), "tolerance": tolerance_schema(), **keys},
               "additionalProperties": False}
    required = [_given_somewhere(f) for f in kind.fields if f.required]
    return {**problem, "allOf": required} if required else problem


def spec_schema() -> dict:
    """The schema of a whole spec: title, due, notation, figures, and its problems, each by its kind."""
    from .kinds import KINDS
    kinds = KINDS.kinds()
    names = [n for k in kinds for n in (k.name, *k.aliases)]
    problem = {"type": "object", "required": ["kind", "part"],
               "properties": {"kind": {"enum": names, "description": "the family of problems (derive kinds)"}},
               "allOf": [{"if": {"properties": {"kind": {"enum": [k.name, *k.aliases]}}, "required": ["kind"]},
                          "then": kind_schema(k)} for k in kinds]}
    return {
        "$schema": DRAFT,
        "title": "derive problem-set spec",
        "description": "A problem set for derive: its title, and problems of the installed kinds (derive schema).",
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, "description": "the document's title"},
            "due": {"type": "string", "maxLength": MAX_TITLE,
                    "description": "free text, or a TOML date or date-time, printed under the title"},
            "notation": {"enum": list(STYLES), "default": "course", "description": "how symbols are written"},
            "figures": {"type": "boolean", "default": True, "description": "false leaves every figure out"},
            "variants": settings_schema(),
            "problem": {"type": "array", "items": problem, "minItems": 1, "description": "the problems, in order"},
        },
        "required": ["title", "problem"],
        "additionalProperties": False,
        "definitions": {name: s for k in kinds for name, s in definitions(k).items()},
    }


__all__ = ["spec_schema", "kind_schema", "definitions"]
