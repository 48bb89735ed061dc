"""The LMS exports' golden files (tests/golden/lms), loaded once for the test modules that compare with them."""

from __future__ import annotations

import difflib
import functools
import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "golden" / "lms"
_spec = importlib.util.spec_from_file_location("lms_golden_make", HERE / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


@functools.lru_cache(maxsize=1)
def doc():
    """The golden spec's key, derived and checked."""
    import derive
    return derive.solve(derive.load(make.SPEC))


@functools.lru_cache(maxsize=1)
def outputs() -> dict[str, str]:
    return make.outputs(doc())


def compare(prefix: str) -> None:
    """Every golden file whose name starts with ``prefix`` is what the exports write now (and no file is new)."""
    now = {name: text for name, text in outputs().items() if name.startswith(prefix)}
    kept = {str(p.relative_to(make.EXPECTED)) for p in make.EXPECTED.rglob("*") if p.is_file()}
    assert set(now) == {name for name in kept if name.startswith(prefix)}, "files added or gone: run make.py"
    for name, text in now.items():
        expected = (make.EXPECTED / name).read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), name, "now",
                                                     n=1))[:60])
            pytest.fail(f"{name} changed (python tests/golden/lms/make.py rewrites it when meant):\n{diff}")
