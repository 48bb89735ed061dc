"""Write the golden outputs: every text format of the key (and the LaTeX problem sheet) for the
bundled HW5 set and a rich spec of each kind. Run it only when an output is meant to change:
``python tests/golden/make.py``; tests/test_golden.py compares against these files."""

from __future__ import annotations

from pathlib import Path

import derive

HERE = Path(__file__).resolve().parent
SPECS = {"hw5": None, **{p.stem: p for p in sorted((HERE / "specs").glob("*.toml"))}}
FORMATS = {"latex": ".tex", "beamer": "-slides.tex", "markdown": ".md", "html": ".html", "json": ".json"}


def outputs(name: str) -> dict[str, str]:
    """File name -> text, for one spec."""
    doc = derive.solve(derive.load(SPECS[name]))
    files = {f"{name}-solutions{ext}": derive.render(doc, fmt) for fmt, ext in FORMATS.items()}
    files[f"{name}-problems.tex"] = derive.render(doc, "latex", sheet="problems")
    return files


def main() -> None:
    out = HERE / "expected"
    out.mkdir(exist_ok=True)
    for name in SPECS:
        for file, text in outputs(name).items():
            (out / file).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
