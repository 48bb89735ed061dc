"""The specs bench/scale.py times are answered whole: a benchmark row cannot time a refusal (the 10-unit RNN's
first pre-activation cancels to 0 exactly, and was refused for a while with nothing to say so but the bench)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from scale import SPECS  # noqa: E402


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_bench_spec_is_answered(name, tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    spec = tmp_path / name
    spec.write_text(SPECS[name](), encoding="utf-8")
    result = CliRunner().invoke(cli, ["solutions", str(spec), "-f", "json", "-o", f"{tmp_path}/"])
    assert result.exit_code == 0, result.output
    key = json.loads((tmp_path / f"{spec.stem}-solutions.json").read_text(encoding="utf-8"))
    assert key["parts"] and "error" not in result.output.lower()
    assert all(part["answer"] is not None for part in key["parts"]), name
