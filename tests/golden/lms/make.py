"""Write the LMS exports' golden files: the Moodle XML, and the XML files of the Canvas and QTI 2.1 zips (their
figures by name only), for tests/golden/lms/spec.toml. Run it only when an export is meant to change:
``python tests/golden/lms/make.py``; tests/test_lms_moodle.py, test_lms_canvas.py and test_lms_qti.py compare."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import derive

HERE = Path(__file__).resolve().parent
SPEC = HERE / "spec.toml"
EXPECTED = HERE / "expected"


def outputs(doc=None) -> dict[str, str]:
    """File name -> text: spec-moodle.xml, and canvas/<path>, qti/<path> for each XML file of the zips (and a
    listing of every file in each zip)."""
    doc = doc or derive.solve(derive.load(SPEC))
    files = {"spec-moodle.xml": derive.render(doc, "moodle")}
    for name in ("canvas", "qti"):
        archive = zipfile.ZipFile(io.BytesIO(derive.render(doc, name)))
        files[f"{name}/files.txt"] = "".join(n + "\n" for n in archive.namelist())
        files.update({f"{name}/{n}": archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml")})
    return files


def main() -> None:
    for file, text in outputs().items():
        path = EXPECTED / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
