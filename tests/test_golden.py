"""The keys of the bundled HW5 set and of a rich spec of each kind, in every text format, are the
ones the previous release wrote (tests/golden/expected; tests/golden/make.py rewrites them when a
change of output is intended, and the diff then shows exactly what changed)."""

import difflib
import importlib.util
from pathlib import Path

import pytest

from conftest import slow_params

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_make", GOLDEN / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


@pytest.mark.parametrize("name", slow_params(list(make.SPECS), ["course50"]))
def test_outputs_unchanged(name):
    for file, text in make.outputs(name).items():
        expected = (GOLDEN / "expected" / file).read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                     file, "now", n=1))[:60])
            pytest.fail(f"{file} changed:\n{diff}")


def test_the_course_is_the_one_make_writes():
    """specs/course50.toml is generated (make.course), so the 50-problem set can be rebuilt exactly."""
    assert make.COURSE.read_text(encoding="utf-8") == make.course()
    assert "course50" in make.SPECS
