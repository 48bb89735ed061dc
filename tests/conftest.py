"""Shared fixtures: the solved HW5 key, a spec writer, and the TeX requirement."""

from __future__ import annotations

import os
import shutil
import textwrap

import pytest

# The suite never touches the user's cache folder: compiled templates and derived questions go to a folder of
# its own, and the cache of derived questions is off (for subprocesses too) except in the tests of the cache,
# which turn it on in a fresh folder each (tests/test_cache.py).
import atexit as _atexit
import tempfile as _tempfile

os.environ["XDG_CACHE_HOME"] = _tempfile.mkdtemp(prefix="derive-test-cache-")
_atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)
os.environ["DERIVE_NO_CACHE"] = "1"

import derive  # noqa: E402
from hypothesis import settings as _settings  # noqa: E402

# HYPOTHESIS_PROFILE=ci (set by .ci/run): every property test draws the same cases on every run, so a CI run
# is reproducible; elsewhere each run draws new ones and may find what earlier runs missed.
_settings.register_profile("ci", derandomize=True, database=None)
_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def hw5():
    """The bundled HW5 problem set, solved and checked."""
    return derive.solve(derive.load())


@pytest.fixture(scope="session")
def hw5_answers(hw5):
    """HW5's answer values by question id."""
    return {q.id: q.answer.value for q in hw5.questions()}


def slow_params(values, slow) -> list:
    """A parametrize's values with those in ``slow`` marked slow (left out of ``pytest -m "not slow"``)."""
    return [pytest.param(v, marks=pytest.mark.slow) if v in slow else v for v in values]


def solve_toml(text: str):
    """Load, solve and check a spec given as TOML text; answers by id."""
    doc = derive.solve(derive.loads(textwrap.dedent(text)))
    return {q.id: q.answer.value for q in doc.questions()}


def spec(kind: str, parts, title: str = "t", **problem):
    """A one-problem spec as data (derive.from_mapping): spec("cnn-dims", [{"ask": "params"}], input=[...])."""
    parts = [parts] if isinstance(parts, dict) else list(parts)
    return derive.from_mapping({"title": title, "problem": [{"kind": kind, **problem, "part": parts}]})


def answers(kind: str, parts, **problem) -> dict:
    """Answers by question id of a one-problem spec given as data."""
    return {q.id: q.answer.value for q in derive.solve(spec(kind, parts, **problem)).questions()}


@pytest.fixture
def write_spec(tmp_path):
    """Write TOML text to a spec file and return its path."""
    def write(text: str, name: str = "spec.toml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return write


def need_tex():
    """Skip without TeX, unless DERIVE_REQUIRE_TEX=1 (CI), where a missing TeX fails."""
    if shutil.which("pdflatex"):
        return
    if os.environ.get("DERIVE_REQUIRE_TEX") == "1":
        pytest.fail("DERIVE_REQUIRE_TEX=1 but pdflatex is not installed")
    pytest.skip("pdflatex not installed")
