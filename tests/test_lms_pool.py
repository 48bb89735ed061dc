"""derive variants --count K -f moodle,canvas,qti: each pooled format is one file holding the pool (a Moodle
category, a Canvas group picking 1, a QTI section selecting 1, for each question id, each holding the K variants),
listed with its SHA-256 in the manifest and checked by --check; the spec's tolerance (a relative default, an
absolute or digits per problem or part) is each number's margin in every export; a shard cannot write a pool."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from fractions import Fraction

import pytest

from derive import cli
from lms_readers import QTI12, canvas_quiz, moodle_import

SPEC = '''title = "Pool"
[variants]
salt = "pool-test"
tolerance = { absolute = 0.5 }

[[problem]]
kind = "network"
input = [16, 16, 3]
layers = [{ type = "conv", filters = 4, kernel = 3, padding = 1 }, { type = "flatten" }, { type = "dense", units = 5 }]
  [problem.vary]
  "layers[1].filters" = { from = 2, to = 9, step = 1 }
  [[problem.part]]
  ask = ["total-macs", "shapes"]
  [[problem.part]]
  ask = ["total-params"]
  tolerance = { digits = 2 }

[[problem]]
kind = "init"
scheme = "xavier-uniform"
fan_in = 256
fan_out = 128
  [problem.vary]
  fan_in = [64, 128, 256, 512]
  [[problem.part]]
  ask = ["variance"]
  tolerance = { relative = 0.05 }
'''
K = 3


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("pool")
    (root / "pool.toml").write_text(SPEC, encoding="utf-8")
    out = root / "out"
    assert cli.main(["variants", str(root / "pool.toml"), "--count", str(K), "-f", "json,moodle,canvas,qti",
                     "-o", str(out), "-q"]) == 0
    return out


def _values(made) -> dict:
    """Each variant's answers by question id, from its JSON key."""
    out = {}
    for v in ("v001", "v002", "v003"):
        key = json.loads((made / v / "pool-solutions.json").read_text(encoding="utf-8"))
        out[v] = {p["id"]: p["answer"]["value"] for p in key["parts"]}
    return out


def test_one_file_a_format_listed_in_the_manifest_and_checked(made):
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    names = ["pool-solutions-moodle.xml", "pool-solutions-canvas.zip", "pool-solutions-qti.zip"]
    assert list(manifest["pools"]) == names
    for name in names:
        assert manifest["pools"][name] == hashlib.sha256((made / name).read_bytes()).hexdigest()
    assert not any(p.name.endswith((".xml", ".zip")) for v in ("v001", "v002", "v003") for p in (made / v).iterdir())
    assert cli.main(["variants", "--check", str(made), "-q"]) == 0


def test_moodle_a_category_a_question_holding_the_pool(made):
    questions = moodle_import((made / "pool-solutions-moodle.xml").read_text(encoding="utf-8"))
    by_category = {}
    for q in questions:
        by_category.setdefault(q["category"], []).append(q["name"])
    assert list(by_category) == [f"$course$/top/Pool/{qid}" for qid in ("1a.i", "1a.ii", "1b", "2a")]
    assert all(names == [f"Pool {c.rsplit('/', 1)[1]} v00{k}" for k in (1, 2, 3)] for c, names in by_category.items())


def test_the_spec_tolerance_is_each_number_margin(made):
    values = _values(made)
    questions = moodle_import((made / "pool-solutions-moodle.xml").read_text(encoding="utf-8"))
    margins = {}
    for q in questions:
        qid, variant = q["name"].split()[1:]
        if q["qtype"] == "numerical":
            margins[(qid, variant)] = [q["answers"][0]["tolerance"]]
        elif q["qtype"] == "multianswer":
            margins[(qid, variant)] = [s["answers"][0]["tolerance"] for s in q["subquestions"]]
    for v in values:
        assert margins[("1a.i", v)] == [0.5] and set(margins[("1a.ii", v)]) == {0.5}      # absolute 0.5
        total = values[v]["1b"]["total"]
        exponent = len(str(total)) - 1
        assert margins[("1b", v)][0] == pytest.approx(0.5 * 10 ** (exponent - 1))       # 2 significant digits
        assert margins[("2a", v)] == [pytest.approx(values[v]["2a"] * 0.05, rel=1e-12)]   # relative 5%


def test_qti_sections_select_one_of_the_pool_with_the_spec_tolerance(made):
    archive = zipfile.ZipFile(io.BytesIO((made / "pool-solutions-qti.zip").read_bytes()))
    test = archive.read("test.xml").decode()
    assert test.count('<selection select="1" />') == 4 and test.count("<assessmentItemRef ") == 4 * K
    absolute = archive.read("items/Q1a.i-v001.xml").decode()
    assert 'toleranceMode="absolute" tolerance="0.5 0.5"' in absolute
    relative = archive.read("items/Q2a-v002.xml").decode()
    assert 'toleranceMode="relative" tolerance="5 5"' in relative
    from test_lms_qti import validate
    assert validate(archive) == {}


def test_canvas_groups_pick_one_of_the_pool(made):
    quiz = canvas_quiz((made / "pool-solutions-canvas.zip").read_bytes())
    assert {name: (g["pick"], len(g["items"])) for name, g in quiz["groups"].items()} == \
        {f"Question {qid}": (1, K) for qid in ("1a.i", "1a.ii", "1b", "2a")}
    values = _values(made)
    for item, v in zip(quiz["groups"]["Question 1a.i"]["items"], values):
        low = Fraction(item.find(f".//{QTI12}vargte").text)
        assert low == values[v]["1a.i"] - Fraction(1, 2)


def test_a_shard_cannot_write_a_pool(tmp_path, capsys):
    (tmp_path / "pool.toml").write_text(SPEC, encoding="utf-8")
    assert cli.main(["variants", str(tmp_path / "pool.toml"), "--count", "2", "--shard", "1/2", "-f", "json,qti",
                     "-o", str(tmp_path / "out")]) == 2
    assert "not made by a shard" in capsys.readouterr().err and not (tmp_path / "out").exists()
