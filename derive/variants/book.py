"""The instructor's book, ``DIR/all-solutions.pdf``: a table of who got which numbers and which answers, then every
variant's key (each variant's own PDF, included page by page with pdfpages), the same bytes on every run."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .. import output
from .dates import dated

BOOK = "all-solutions.pdf"
MAX_CELL = 90                  # characters of a value or an answer in the table
# pdfTeX writes each included PDF's file name (a temporary path) into the book unless told not to
SUPPRESS = r"\ifdefined\pdfsuppressptexinfo\pdfsuppressptexinfo=-1\fi"


def _tex(text: str) -> str:
    """Text set verbatim-like in a table cell: TeX's special characters escaped, long values cut."""
    text = text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"
    out = []
    for c in text:
        if c in "&%$#_{}":
            out.append("\\" + c)
        elif c in "\\^~<>|":
            out.append({"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                        "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}[c])
        elif ord(c) < 32 or ord(c) > 126:
            out.append("?" if ord(c) != 0x2026 else "\\ldots{}")
        else:
            out.append(c)
    return "".join(out)


def _answers_by_id(rows: list[tuple]) -> dict[str, list[str]]:
    out: dict[str, dict[str, list[str]]] = {}
    for ident, qid, entry, value, _exact, _tol in rows:
        out.setdefault(ident, {}).setdefault(qid, []).append(value)
    return {ident: [f"{qid}: {', '.join(vals)}" for qid, vals in by_q.items()] for ident, by_q in out.items()}


def _table(data: dict, rows: list[tuple]) -> list[str]:
    answers = _answers_by_id(rows)
    lines = [r"\begin{longtable}{@{}p{0.16\linewidth}p{0.38\linewidth}p{0.40\linewidth}@{}}",
             r"\textbf{id} & \textbf{values drawn} & \textbf{answers}\\ \hline\endhead"]
    for v in data["variants"]:
        name = v.get("roster", {}).get("name")
        who = _tex(v["id"]) + (r"\newline " + _tex(name) if name else "")
        drawn = [f"{p['number']}: {k} = {json.dumps(val, ensure_ascii=False)}" for p in v["problems"]
                 for k, val in p["values"].items()]
        newline = r" \newline "
        cells = [who, newline.join(map(_tex, drawn)) or "--", newline.join(map(_tex, answers.get(v["id"], [])))]
        lines.append(" & ".join(cells) + r"\\ \hline")
    lines.append(r"\end{longtable}")
    return lines


def source(data: dict, rows: list[tuple], pdfs: list[str]) -> str:
    """The book's LaTeX: a title, the table, every key's pages."""
    title = _tex(f"{data['spec']['name']}: every variant")
    head = [r"\documentclass[10pt]{article}", SUPPRESS, r"\usepackage[margin=2cm]{geometry}",
            r"\usepackage{longtable}",
            r"\usepackage{pdfpages}", r"\begin{document}", r"\section*{" + title + "}",
            _tex(f"derive {data.get('derive')}, SymPy {data.get('sympy')}, salt {data.get('salt')!r}, "
                 f"{len(data['variants'])} variants."), "", r"\small"]
    keys = [r"\includepdf[pages=-]{" + path + "}" for path in pdfs]
    return "\n".join(head + _table(data, rows) + keys + [r"\end{document}", ""])


def book_pdf(data: dict, rows: list[tuple], keys: list[bytes]) -> bytes:
    """The book's PDF from the manifest, the answers' rows and the variants' PDF keys (in the manifest's order).
    The same bytes on every run (no date, unless SOURCE_DATE_EPOCH is set; no temporary path), so that --check
    makes it again and compares it."""
    from ..pdf import compile_pdf
    with tempfile.TemporaryDirectory(prefix="derive-book-") as tmp:
        pdfs = []
        for k, key in enumerate(keys):
            path = os.path.join(tmp, f"key{k}.pdf")              # a path TeX reads whatever the folder's name
            Path(path).write_bytes(key)
            pdfs.append(path)
        with dated():
            return compile_pdf(source(data, rows, pdfs), passes=1, cache=False)     # its table's columns are
                                                                                    # fixed: one run, unless TeX
                                                                                    # asks for another


def keys_in(folder: str, data: dict) -> list[bytes]:
    """The variants' PDF keys written in the folder, in the manifest's order."""
    name = data["spec"]["name"]
    paths = [Path(folder) / v["id"] / f"{name}-solutions.pdf" for v in data["variants"]]
    return [p.read_bytes() for p in paths if p.is_file()]


def book(folder: str, data: dict, rows: list[tuple], cache: bool = True) -> str:
    """Write ``folder/all-solutions.pdf`` from the variants' PDFs written there; its path."""
    return output.write(os.path.join(folder, BOOK), book_pdf(data, rows, keys_in(folder, data)))
