"""A title cannot inject markup into an LMS export: '<', '&', ']]>', quotes and control characters in a spec's or a
problem's title stay text in the Moodle XML, the Canvas zip and the QTI package (each parses, holds no element the
title names, and says the title as written)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

import derive
from lms_readers import moodle_import

TITLE = 'Week 3 <b>bold</b> & co ]]> </quiz> "quoted" \'single\' <![CDATA[x]]> &amp;'
PROBLEM = "<script>alert(1)</script> ]]]]><![CDATA[> &#123;"


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    spec = tmp_path_factory.mktemp("inj") / "inj.toml"
    title = TITLE.replace("\\", "\\\\").replace('"', '\\"')
    spec.write_text(f'title = "{title}\\u0007"\n[[problem]]\ntitle = "{PROBLEM}"\nkind = "init"\nscheme = "kaiming-normal"\n'
                    'fan_in = 100\n[[problem.part]]\nask = ["variance"]\n', encoding="utf-8")
    return derive.solve(derive.load(spec))


def _no_injected(root: ET.Element) -> None:
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not tags & {"b", "script"}, tags


@pytest.mark.slow
def test_moodle(doc):
    text = derive.render(doc, "moodle")
    _no_injected(ET.fromstring(text.encode()))
    (q,) = moodle_import(text)
    assert q["name"] == f"{TITLE} 1a" and "\x07" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ]]]]&gt;&lt;![CDATA[&gt; &amp;#123;" in q["questiontext"]["text"]


@pytest.mark.parametrize("name", ["canvas", "qti"])
def test_packages(doc, name):
    archive = zipfile.ZipFile(io.BytesIO(derive.render(doc, name)))
    titles = []
    for file in archive.namelist():
        if file.endswith(".xml"):
            root = ET.fromstring(archive.read(file))
            _no_injected(root)
            titles += [el.get("title") for el in root.iter() if el.get("title")]
            for el in root.iter():
                if (el.text or "").startswith("<div>"):                       # an HTML text of Canvas
                    _no_injected(ET.fromstring(el.text))
    assert f"{TITLE} 1a" in titles and "\x07" not in "".join(titles)


def test_a_student_name_stays_text(tmp_path):
    """A roster's name with markup in it is a cell of the gradebook and a line of the feedback, as written."""
    import csv
    from derive import cli
    name = 'Zoë <b>x</b> & ]]> "q"'
    (tmp_path / "s.toml").write_text('title = "T <i>"\n[[problem]]\nkind = "init"\nscheme = "kaiming-normal"\n'
                                      'fan_in = 100\n[[problem.part]]\nask = ["variance"]\n', encoding="utf-8")
    with open(tmp_path / "roster.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("id", "name"), ("s1", name)])
    out = tmp_path / "out"
    assert cli.main(["variants", str(tmp_path / "s.toml"), "--roster", str(tmp_path / "roster.csv"), "-o", str(out),
                     "-f", "json,moodle,qti", "-q"]) == 0
    (tmp_path / "r.csv").write_text("id,question,response\ns1,1a,0.02\n", encoding="utf-8")
    assert cli.main(["grade", str(out), "--responses", str(tmp_path / "r.csv"), "--feedback", str(tmp_path / "fb")]) == 0
    book = list(csv.reader((out / "grades.csv").open(encoding="utf-8")))
    assert book[1][0] == name
    assert (tmp_path / "fb" / "s1.txt").read_text(encoding="utf-8").startswith(f"T <i>: your answers, {name} (s1)")
    ET.fromstring((out / "s-solutions-moodle.xml").read_bytes())
