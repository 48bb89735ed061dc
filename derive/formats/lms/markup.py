"""What every LMS export needs of XML and of packages: text cleaned of what XML 1.0 cannot hold, elements built
with their text escaped by the serializer (a title or a name is text, never markup), identifiers and file names
safe inside a package, and zips that are the same bytes for the same files."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import xml.etree.ElementTree as ET

# XML 1.0 refuses control characters and these code points; bidi and zero-width controls are dropped too.
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
                    "\ufffe\uffff\ud800-\udfff]")
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
MAX_NAME = 80


def clean(text) -> str:
    """Text as XML holds it: control, bidi and zero-width characters dropped (a line break stays)."""
    return _UNFIT.sub("", str(text))


def line(text) -> str:
    """Text on one line (a title, a name): cleaned, every run of white space one space."""
    return " ".join(clean(text).split())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def identifier(text: str) -> str:
    """An XML name (NCName) for an id: letters, digits, '.', '_' and '-', starting with a letter; an id that needs
    changing keeps a hash of itself, so two ids never meet in one name."""
    text = str(text)
    if _NCNAME.fullmatch(text) and len(text) <= MAX_NAME:
        return text
    safe = _NAME.sub("_", text).strip("._-")[:MAX_NAME - 10] or "x"
    return f"{'' if safe[0].isalpha() or safe[0] == '_' else 'x'}{safe}_{_digest(text)}"


def file_name(text: str) -> str:
    """A file's name inside a package: letters, digits, '.', '_' and '-', not starting with '.', no folder; a name
    that needs changing keeps a hash of itself."""
    text = str(text)
    if _NAME.sub("", text) == text and not text.startswith(".") and len(text) <= MAX_NAME and text:
        return text
    stem, dot, ext = text.rpartition(".")
    stem, ext = (stem, ext) if dot and _NAME.search(ext) is None and 0 < len(ext) <= 5 else (text, "")
    safe = _NAME.sub("_", stem).strip("._-")[:MAX_NAME - 16] or "file"
    return f"{safe}_{_digest(text)}" + (f".{ext}" if ext else "")


def element(tag: str, attrs: dict | None = None, text: str | None = None, *children) -> ET.Element:
    """An element with attributes (values cleaned), text (cleaned) and children."""
    el = ET.Element(tag, {k: clean(v) for k, v in (attrs or {}).items()})
    if text is not None:
        el.text = clean(text)
    el.extend(children)
    return el


def sub(parent: ET.Element, tag: str, attrs: dict | None = None, text: str | None = None) -> ET.Element:
    child = element(tag, attrs, text)
    parent.append(child)
    return child


def append_text(el: ET.Element, text: str) -> None:
    """Text after what an element holds so far (its text, or its last child's tail)."""
    text = clean(text)
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def serialize(el: ET.Element, declaration: bool = False, indent: int | None = None) -> str:
    """An element as text (UTF-8 XML, with its declaration when asked; its elements on lines of their own,
    indented from ``indent`` levels, when given: only white space between elements is added)."""
    if indent is not None:
        ET.indent(el, "  ", level=indent)
    body = ET.tostring(el, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n") if declaration else body


def zipped(files: dict[str, bytes | str]) -> bytes:
    """A zip of the files in the order given, each dated 1980-01-01: the same files give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


__all__ = ["clean", "line", "identifier", "file_name", "element", "sub", "append_text", "serialize", "zipped"]
