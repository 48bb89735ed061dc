"""Per-student variants (derive variants): the spec's [problem.vary] tables and require conditions, derive's own
seeded draws (pinned by a golden file), the files of a pool or a roster (the same bytes whatever the roster's
order, the shards or the processes), --check, --merge, --stress, and the bad entries refused at load time."""

from __future__ import annotations

import collections
import copy
import math
import csv
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import derive
from derive import commands
from derive.cli import cli
from derive.errors import SpecError
from derive.kinds import KINDS
from derive.variants import conditions, stream
from derive.variants.draw import Drawer

from conftest import need_tex

GOLDEN = Path(__file__).resolve().parent / "golden" / "variants" / "seeds.json"
NETWORK = KINDS["network"].example()
OPTIMIZER = KINDS["optimizer"].example()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def put(table: dict, path: str, value) -> None:
    """The test's own reading of a path (1-based entries), independent of derive.variants.paths."""
    steps = [int(s[1:-1]) - 1 if s.startswith("[") else s.lstrip(".") for s in re.findall(r"\[\d+\]|\.?\w+", path)]
    holder = table
    for step in steps[:-1]:
        holder = holder[step]
    holder[steps[-1]] = value


def drawn_problem(text: str, number: int, values: dict) -> dict:
    problem = copy.deepcopy(tomllib.loads(text)["problem"][number - 1])
    for path, value in values.items():
        put(problem, path, value)
    return problem


# --- the seeds and the draws, pinned ---------------------------------------------------------------------------

def seeds_now() -> dict:
    """What the golden file pins: seeds, the stream's first numbers, and the network example's draws."""
    out = {"seeds": [], "draws": {}}
    for salt, ident, number in (("", "v001", 1), ("cs230-2025", "alice", 1), ("cs230-2025", "alice", 2),
                                ("sälz", "ünïcode@x.edu", 3)):
        s = stream.Stream(stream.seed(salt, ident, number))
        out["seeds"].append({"salt": salt, "id": ident, "problem": number, "seed": s.seed.hex(),
                             "below": [s.below(n) for n in (2, 3, 10, 1000, 2 ** 40 + 3, 1)]})
    drawer = Drawer(derive.loads(NETWORK, "network.toml"))
    for ident in ("alice", "bob", "v001", "v042"):
        out["draws"][ident] = drawer.next(1, drawer.stream(ident, 1))[0]
    return out


def test_seeds_and_draws_are_the_golden_ones():
    """A student's variant never changes: not with Python's version (derive's own SHA-256 stream), not with
    derive's (the golden file is the promise)."""
    assert seeds_now() == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_stream_is_uniform_and_documented():
    s = stream.Stream(stream.seed("salt", "id", 1))
    counts = [0] * 6
    for _ in range(6000):
        counts[s.below(6)] += 1
    assert all(900 < c < 1100 for c in counts), counts
    import hashlib
    seed = hashlib.sha256(b"".join(len(t.encode()).to_bytes(8, "big") + t.encode()
                                   for t in ("derive-variants-1", "salt", "id", "1"))).digest()
    assert stream.seed("salt", "id", 1) == seed
    first = hashlib.sha256(seed + (0).to_bytes(8, "big")).digest()
    assert stream.Stream(seed).below(256) == first[0]


def test_a_variant_does_not_depend_on_the_others():
    """Another student, another problem after theirs: a student's draws stay as they were."""
    one = Drawer(derive.loads(NETWORK, "network.toml"))
    data = tomllib.loads(NETWORK)
    data["problem"].append(copy.deepcopy(data["problem"][0]))
    del data["problem"][-1]["vary"]["require"]                     # its question ids are Na.i, ... (N: the last)
    last = len(data["problem"])
    two = Drawer(derive.from_mapping(data, "network.toml"))
    for ident in ("alice", "bob"):
        assert two.next(1, two.stream("zed", 1)) is not None
        assert one.next(1, one.stream(ident, 1)) == two.next(1, two.stream(ident, 1))
    assert two.next(last, two.stream("alice", last)) != two.next(1, two.stream("alice", 1))


# --- every variant of a pool against PyTorch ---------------------------------------------------------------------

def pool(tmp_path, text: str, count: int, name: str, fmt: str = "json") -> tuple[Path, dict]:
    spec = tmp_path / f"{name}.toml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    commands.variants(str(spec), count=count, fmt=fmt, out=str(out))
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def answers_of(out: Path, ident: str, name: str) -> dict:
    data = json.loads((out / ident / f"{name}-solutions.json").read_text(encoding="utf-8"))
    return {p["id"]: p["answer"]["value"] for p in data["parts"]}


@pytest.mark.slow
def test_every_network_variant_of_a_pool_is_torchs(tmp_path):
    pytest.importorskip("torch")
    from test_cnn_hypothesis import counts, torch_stack
    out, manifest = pool(tmp_path, NETWORK, 100, "network")
    assert [v["id"] for v in manifest["variants"]] == [f"v{k:03d}" for k in range(1, 101)]
    drawn = [json.dumps(v["problems"], sort_keys=True) for v in manifest["variants"]]
    assert len(set(drawn)) == 100                                   # distinct = true: no variant twice
    for v in manifest["variants"]:
        problem = drawn_problem(NETWORK, 1, v["problems"][0]["values"])
        layers = [{**layer, "bias": layer.get("bias", True)} if layer["type"] == "dense" else layer
                  for layer in problem["layers"]]
        mods, shapes = torch_stack(problem["input"], layers)
        got = [counts(m) for m in mods]
        trainable, buffers = sum(t for t, _ in got), sum(b for _, b in got)
        ours = answers_of(out, v["id"], "network")
        assert ours["1a.i"] == [t for t, _ in got], v["id"]
        assert ours["1a.ii"] == {"total": trainable + buffers, "trainable": trainable, "non_trainable": buffers}
        assert ours["1a.ii"]["total"] <= 2_000_000                 # the example's require
        assert ours["1b.i"] == shapes, v["id"]


@pytest.mark.slow
def test_every_optimizer_variant_of_a_pool_is_torch_optims(tmp_path):
    pytest.importorskip("torch")
    from test_optimizer_init_rnn_torch import near, torch_steps
    out, manifest = pool(tmp_path, OPTIMIZER, 60, "optimizer")
    for v in manifest["variants"]:
        problem = drawn_problem(OPTIMIZER, 1, v["problems"][0]["values"])
        steps = answers_of(out, v["id"], "optimizer")["1a"]
        theirs = torch_steps({k: val for k, val in problem.items() if k not in ("title", "kind", "part", "vary")})
        for ours, (w, state) in zip(steps, theirs, strict=True):
            assert near(ours["w"], w), (v["id"], ours, w)
            for key, value in state.items():
                assert near(ours[key], value), (v["id"], key)
        assert steps[1]["w"][0] != problem["w0"][0]                # the example's require
    rows = list(csv.DictReader((out / "answers.csv").open(encoding="utf-8")))
    first = [r for r in rows if r["id"] == "v001" and r["question"] == "1a"]
    assert first[0]["entry"] == "[1].step" and first[0]["tolerance"] == "relative 0.01"
    assert {r["entry"] for r in first} >= {"[2].w[1]", "[2].exp_avg_sq[2]"}


# --- the same files, however they are made -----------------------------------------------------------------------

ROSTER = [("id", "name", "email", "section"), ("s07", "Ada", "ada@x.edu", "A"), ("s01", "Bo", "bo@x.edu", "B"),
          ("zoe.k", "Zoë", "", "A"), ("s03", "Cy", "cy@x.edu", "B"), ("m@x.edu", "Max", "m@x.edu", "A"),
          ("s10", "Dee", "d@x.edu", "C")]


def roster_file(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(scope="module")
def network_spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec")
    spec = folder / "network.toml"
    spec.write_text(NETWORK + '\n[variants]\nsalt = "cs230-2025"\n', encoding="utf-8")
    return spec


@pytest.mark.slow
def test_a_roster_gives_the_same_files_in_any_order_and_in_shards(tmp_path, network_spec, monkeypatch):
    roster = roster_file(tmp_path / "class.csv", ROSTER)
    again = roster_file(tmp_path / "again.csv", [ROSTER[0]] + ROSTER[:0:-1])
    one, two, sharded = tmp_path / "one", tmp_path / "two", tmp_path / "sharded"
    assert run("variants", network_spec, "--roster", roster, "-f", "json,markdown", "-o", one).exit_code == 0
    monkeypatch.setenv("DERIVE_JOBS", "1")                                    # one process: the same bytes
    result = run("variants", network_spec, "--roster", again, "-f", "json,markdown", "-o", two)
    assert result.exit_code == 0, result.output
    for i in (1, 2, 3):
        assert run("variants", network_spec, "--roster", roster, "-f", "json,markdown", "-o", sharded,
                   "--shard", f"{i}/3").exit_code == 0
    assert (sharded / "manifest.shard-2-of-3.json").is_file() and not (sharded / "manifest.json").exists()
    merged = run("variants", "--merge", sharded)
    assert merged.exit_code == 0, merged.output
    assert tree(one) == tree(two) == tree(sharded)
    files = tree(one)
    assert {"s07/network-solutions.json", "s07/network-problems.md", "s07/network-solutions.md"} <= set(files)
    manifest = json.loads(files["manifest.json"])
    assert manifest["salt"] == "cs230-2025" and manifest["derive"] == derive.__version__
    student = next(v for v in manifest["variants"] if v["id"] == "zoe.k")
    assert student["roster"] == {"name": "Zoë", "email": "", "section": "A"}
    import hashlib
    key = files["zoe.k/network-solutions.json"]
    assert student["key"] == hashlib.sha256(key).hexdigest()
    assert student["problems"][0]["seed"] == stream.seed("cs230-2025", "zoe.k", 1).hex()
    drawn = student["problems"][0]["values"]
    assert json.loads(key)["parts"][2]["answer"]["value"][0][2] == drawn["layers[1].filters"]   # 1b.i's channels
    rows = list(csv.DictReader(files["answers.csv"].decode().splitlines()))
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_check_finds_a_changed_file(tmp_path, network_spec):
    out = tmp_path / "out"
    assert run("variants", network_spec, "--count", 3, "-o", out).exit_code == 0
    ok = run("variants", "--check", out)
    assert ok.exit_code == 0 and "every file of the 3 variants" in ok.output
    answer = out / "v002" / "network-solutions.json"
    answer.write_text(answer.read_text().replace('"total": ', '"total": 1'), encoding="utf-8")
    bad = run("variants", "--check", out)
    assert bad.exit_code == 1 and "v002/network-solutions.json: differs" in bad.output
    assert "v001" not in bad.output


def test_check_compares_the_manifest_and_the_answers_naming_what_differs(tmp_path, network_spec):
    out = tmp_path / "out"
    assert run("variants", network_spec, "--count", 3, "-o", out).exit_code == 0
    path = out / "manifest.json"
    clean = path.read_text(encoding="utf-8")
    manifest = json.loads(clean)
    manifest["variants"][1]["key"] = "0" * 64                                  # v002's key hash
    manifest["variants"][0]["problems"][0]["values"]["layers[1].filters"] = -1      # v001's values drawn
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    bad = run("variants", "--check", out)
    assert bad.exit_code == 1, bad.output
    assert "manifest.json: differs (v001: values drawn or seeds; v002: the key's hash)" in bad.output
    assert "v002/network-solutions.json" not in bad.output                       # the files themselves are right
    path.write_text(clean, encoding="utf-8")
    table = out / "answers.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",v003,", ",v003,", 1) + "v003,1a.i,,1,1,\n",
                     encoding="utf-8")
    bad = run("variants", "--check", out)
    assert bad.exit_code == 1 and "  answers.csv: differs" in bad.output and "manifest.json" not in bad.output
    table.unlink()
    bad = run("variants", "--check", out)
    assert bad.exit_code == 1 and "  answers.csv: missing" in bad.output
    path.unlink()
    gone = run("variants", "--check", out)
    assert gone.exit_code == 2 and "manifest.json: no such file" in gone.output


def test_merge_says_which_shard_is_missing(tmp_path, network_spec):
    out = tmp_path / "out"
    assert run("variants", network_spec, "--count", 4, "-o", out, "--shard", "2/3").exit_code == 0
    result = run("variants", "--merge", out)
    assert result.exit_code == 2 and "shard 1 of 3 is missing" in result.output


# --- require ---------------------------------------------------------------------------------------------------

def with_vary(text: str, vary: str) -> str:
    return re.sub(r"\[problem\.vary\]\n(  .*\n)+", "[problem.vary]\n" + vary, text, count=1)


def test_an_impossible_require_stops_naming_it(tmp_path):
    spec = tmp_path / "network.toml"
    spec.write_text(with_vary(NETWORK, '  "layers[1].kernel" = [3, 5]\n  require = ["input[3] > 0", '
                                       "'answer(\"1a.ii\").total < 1000']\n"), encoding="utf-8")
    result = run("variants", spec, "--count", 2, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "field 'vary.require[2]'" in result.output
    assert re.search(r"only 0 of \d+ draws passed this condition", result.output)
    assert "every one of the 2 combinations of values was tried" in result.output
    assert not (tmp_path / "out").exists()                          # nothing written


@pytest.mark.slow
def test_a_require_no_draw_meets_in_a_thousand(tmp_path):
    spec = tmp_path / "network.toml"
    spec.write_text(with_vary(NETWORK, '  "layers[1].filters" = { from = 1, to = 100000, step = 1 }\n'
                                       '  require = ["layers[1].filters == 7"]\n'), encoding="utf-8")
    result = run("variants", spec, "--roster", roster_file(tmp_path / "r.csv", ROSTER))
    assert result.exit_code == 2
    assert "only 0 of 1000 draws passed this condition" in result.output and "vary.require[1]" in result.output


def test_a_require_on_answers_holds_for_every_variant(tmp_path):
    spec = tmp_path / "network.toml"
    spec.write_text(with_vary(NETWORK, '  "layers[1].filters" = { from = 1, to = 64, step = 1 }\n'
                                       "  require = ['answer(\"1a.i\")[1] > 1000 and not layers[1].filters == 40']\n"),
                    encoding="utf-8")
    out, manifest = pool(tmp_path, spec.read_text(), 12, "network")
    for v in manifest["variants"]:
        filters = v["problems"][0]["values"]["layers[1].filters"]
        assert answers_of(out, v["id"], "network")["1a.i"][0] == (3 * 9 + 1) * filters > 1000 and filters != 40


def test_a_pool_larger_than_its_grid_is_refused(tmp_path):
    spec = tmp_path / "network.toml"
    spec.write_text(with_vary(NETWORK, '  "layers[1].kernel" = [3, 5]\n'), encoding="utf-8")
    result = run("variants", spec, "--count", 3, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "variants.distinct" in result.output and "make 2 combinations" in result.output


# --- bad entries, refused at load time ---------------------------------------------------------------------------

@pytest.mark.parametrize("entry, field, words", [
    ('"layers[1].filter" = [8]', "vary.layers[1].filter", "did you mean 'filters'"),
    ('W_a = [1, 2]', "vary.W_a", "the kind network has no key 'W_a'"),
    ('"layers[12].units" = [8]', "vary.layers[12].units", "layers has 8 entries"),
    ('"layers[1].filters" = { from = 8, to = 32, step = 0 }', "vary.layers[1].filters", "step must be positive"),
    ('"layers[1].filters" = { from = 32, to = 8, step = 8 }', "vary.layers[1].filters", "from is larger than to"),
    ('"layers[1].filters" = { from = 8, to = 32 }', "vary.layers[1].filters", "a grid needs step"),
    ('"layers[1].filters" = [8, 0]', "vary.layers[1].filters", "must be at least 1"),
    ('"layers[1].filters" = { from = 1, to = 4, step = 0.5 }', "vary.layers[1].filters", "must be a whole number"),
    ('layout = ["HWC", "WHC"]', "vary.layout", "unknown layout 'WHC'"),
    ('"layers[1].filters" = { from = 1, to = 4, step = 1, not = [9] }', "vary.layers[1].filters.not", "not on the grid"),
    ('"input[1]" = [8]\n  require = ["inptu[1] > 2"]', "vary.require[1]", "did you mean 'input'"),
    ('"input[1]" = [8]\n  require = [\'answer("3a") > 2\']', "vary.require[1]", "no such question"),
    ('"input[1]" = [8]\n  require = ["input[1] + 2"]', "vary.require[1]", "not a condition"),
    ('"input[1]" = [8]\n  require = ["__import__(\'os\') == 1"]', "vary.require[1]", "unknown function"),
])
def test_a_bad_vary_entry_is_refused_naming_it(tmp_path, entry, field, words):
    spec = tmp_path / "network.toml"
    spec.write_text(with_vary(NETWORK, f"  {entry}\n"), encoding="utf-8")
    for args in (("variants", spec, "--count", 1), ("solutions", spec, "-f", "json")):
        result = run(*args, "-o", tmp_path / "out/")
        assert result.exit_code == 2, result.output
        assert f"field '{field}'" in result.output and words in result.output, result.output
        assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_bad_variants_table_and_tolerance(tmp_path):
    for extra, words in (('[variants]\nsalt = 3\n', "variants.salt"), ('[variants]\nsalty = "x"\n', "did you mean"),
                         ('[variants]\ntolerance = { relativ = 0.1 }\n', "did you mean 'relative'"),
                         ('[variants]\ntolerance = { digits = 0 }\n', "variants.tolerance.digits")):
        with pytest.raises(SpecError, match=re.escape(words)):
            derive.loads(NETWORK + "\n" + extra, "n.toml")


def test_the_command_needs_a_count_or_a_roster(tmp_path, network_spec):
    assert "--count K" in run("variants", network_spec).output
    bad = roster_file(tmp_path / "bad.csv", [("id",), ("a b",)])
    result = run("variants", network_spec, "--roster", bad)
    assert result.exit_code == 2 and "row 2" in result.output
    assert run("variants", network_spec, "--count", 2, "--shard", "4/3").exit_code == 2


# --- conditions ------------------------------------------------------------------------------------------------

def test_conditions_refuse_numbers_too_large():
    with pytest.raises(conditions.ConditionError, match="too large"):
        conditions.holds(conditions.parse("((((2^100)^100)^100)^100)^100 > 1"), {}, None)


def test_conditions_read_values_and_answers_exactly():
    values = {"layers": [{"kernel": 3}], "input": [5, 5], "W_a": 1, "b": "1/3"}
    answer = {"1a.ii": {"verdict": "vanishing", "factor": 0.2247}, "2b": [[126, 126, 10]]}.__getitem__
    for text, want in (('layers[1].kernel <= input[1] and W_a * b != 0', True),
                       ('answer("1a.ii").verdict == "vanishing" and answer("1a.ii").factor < 0.5', True),
                       ('answer("2b")[1][3] <= 16', True), ("0.1 + 0.2 == 0.3", True), ("b * 3 == 1", True),
                       ("not (1 < 2 < 3) or abs(-2) == max(1, 2)", True), ('answer("1a.ii").verdict == 1', False)):
        assert conditions.holds(conditions.parse(text), values, answer) is want, text
    for text in ('input[3] > 1', 'answer("2b").x > 1', '"a" < "b"', "1 / 0 > 1"):
        with pytest.raises(conditions.ConditionError):
            conditions.holds(conditions.parse(text), values, answer)


def test_stress_reports_the_spread_and_the_requires(tmp_path, network_spec):
    result = run("variants", network_spec, "--stress", 30)
    assert result.exit_code == 0, result.output
    assert re.search(r"require\[1\] answer\(\"1a.ii\"\).total <= 2000000: passed \d+ of \d+", result.output)
    assert re.search(r"1a.ii total-params \(30 variants\)\n    total: min \d+, median [\d.e+]+, max", result.output)
    assert "Problem 2 (A small language model), network: not varied" in result.output


@pytest.mark.slow
def test_the_book_lists_every_variant(tmp_path, network_spec):
    need_tex()
    out = tmp_path / "out"
    result = run("variants", network_spec, "--count", 2, "-f", "pdf", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    book = (out / "all-solutions.pdf").read_bytes()
    assert book.startswith(b"%PDF") and (out / "v002" / "network-solutions.pdf").is_file()
    assert str(out / "all-solutions.pdf") in result.output
    check = run("variants", "--check", out, "-q")                        # the PDFs too, byte for byte, and the book
    assert check.exit_code == 0 and "(7 files)" in check.output, check.output     # 4 PDFs, 3 of the run
    (out / "all-solutions.pdf").write_bytes(book + b"% a page added by hand\n")
    bad = run("variants", "--check", out, "-q")
    assert bad.exit_code == 1 and bad.output.count("differs") == 1 and "  all-solutions.pdf: differs" in bad.output
    (out / "all-solutions.pdf").unlink()
    bad = run("variants", "--check", out, "-q")
    assert bad.exit_code == 1 and "  all-solutions.pdf: missing" in bad.output


if __name__ == "__main__":                   # rewrite the golden file (only when the draws are meant to change)
    GOLDEN.write_text(json.dumps(seeds_now(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_a_variants_key_is_the_key_of_its_values(tmp_path):
    """Each variant's JSON is, byte for byte, `derive solutions` of the spec with its values written in (the
    problems derived once for all the variants, on every core, and renumbered, change nothing)."""
    first = len(tomllib.loads(NETWORK)["problem"]) + 1              # the optimizer's first problem, after the network's
    text = NETWORK + OPTIMIZER.split("title = ", 1)[1].split("\n", 1)[1].replace('answer("1a")', f'answer("{first}a")')
    out, manifest = pool(tmp_path, text, 12, "both")
    data = tomllib.loads(text)
    for v in manifest["variants"]:
        spec = copy.deepcopy(data)
        for p in v["problems"]:
            spec["problem"][p["number"] - 1] = drawn_problem(text, p["number"], p["values"])
        for p in spec["problem"]:
            p.pop("vary", None)
        key = derive.render(derive.solve(derive.from_mapping(spec, "both.toml")), "json")
        assert (out / v["id"] / "both-solutions.json").read_text(encoding="utf-8") == key, v["id"]


def test_progress_counts_the_questions_then_the_variants(tmp_path, network_spec):
    import contextlib
    seen, totals = [], []

    @contextlib.contextmanager
    def progress(total):
        totals.append(total)
        yield seen.append
    commands.variants(str(network_spec), count=5, out=str(tmp_path / "out"), progress=progress)
    # the image problems were derived while drawing (their require reads an answer): the language model's 5
    # questions and the recurrent classifier's 3, then the 5 variants
    assert seen == sorted(seen) and seen[-1] == totals[0] == 5 + 3 + 5


def test_the_progress_bar_shows_on_a_terminal_once_two_seconds_have_passed(monkeypatch):
    import io
    import types
    from derive import cli as command_line

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    clock = [1000.0]
    monkeypatch.setattr(command_line, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))

    def shown(quiet: bool = False, terminal: bool = True, seconds: float = 0.0) -> str:
        err = Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        with command_line._progress(quiet, 10) as told:
            for done in (3, 6, 10):
                if told is not None:
                    told(done)
                clock[0] += seconds
        monkeypatch.undo()
        monkeypatch.setattr(command_line, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
        return err.getvalue()
    assert shown() == ""                                               # done within the two seconds: nothing
    slow = shown(seconds=1.5)                                          # 3 s in at the third update
    assert "derive variants" in slow and "10/10" in slow and "3/10" not in slow
    assert shown(quiet=True, seconds=5) == "" and shown(terminal=False, seconds=5) == ""


def test_a_long_run_shows_its_progress_on_a_terminal(tmp_path, network_spec):
    """A real terminal (a pseudo-terminal as standard error): PDFs take longer than two seconds to make."""
    need_tex()
    import os
    import pty
    import subprocess

    def stderr_of(*args) -> str:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "derive", "variants", network_spec, "--count", "2", "-f",
                                 "pdf", *args], stdout=subprocess.DEVNULL, stderr=follower, cwd=tmp_path)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:                                      # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=120)
        os.close(leader)
        assert proc.returncode == 0, seen
        return seen.decode("utf-8", "replace")
    shown = stderr_of("-o", tmp_path / "one")
    assert "derive variants" in shown and re.search(r"\d+/\d+", shown), shown
    assert stderr_of("-o", tmp_path / "two", "-q") == ""


@pytest.mark.slow
def test_every_init_variant_of_a_pool_is_torch_nn_inits(tmp_path):
    pytest.importorskip("torch")
    from test_init import drawn
    text = KINDS["init"].example()
    out, manifest = pool(tmp_path, text, 60, "init")
    for v in manifest["variants"]:
        problem = drawn_problem(text, 2, v["problems"][0]["values"])
        layer, slope = problem["layer"], problem["negative_slope"]
        shape = (layer["filters"], layer["in_channels"], layer["kernel"], layer["kernel"])
        std, _ = drawn(problem["scheme"], shape, problem["nonlinearity"], slope, problem["mode"])
        ours = answers_of(out, v["id"], "init")
        assert math.isclose(ours["2a.ii"], std, rel_tol=1e-12), (v["id"], ours, std)
        assert math.isclose(ours["2a.i"], std ** 2, rel_tol=1e-12)


# --- the stress report: spread, histograms, verdicts, ways of deriving, requires --------------------------------------

RNN = '''title = "Stress"
[variants]
salt = "stress-test"

[[problem]]
kind = "rnn-activation"
W_a = 1
b = 0
x = 0
a0 = 0

  [problem.vary]
  W_a = { from = 0.5, to = 2, step = 0.25 }
  b = [0, 0.5, -0.5]
  require = ["W_a != 1.25"]

  [[problem.part]]
  activation = '\\frac{\\exp(2z) - 1}{\\exp(2z) + 1}'
  ask = ["derivative", "stability"]
'''


def stress_truth(tmp_path, spec: Path, n: int) -> dict:
    """The same N variants written by derive variants --roster (the stress test's ids, stress-00001 ...), read back
    from answers.csv: each (question, entry)'s numbers and texts."""
    roster = roster_file(tmp_path / "stress.csv", [("id",)] + [(f"stress-{k:05d}",) for k in range(1, n + 1)])
    out = tmp_path / "truth"
    assert run("variants", spec, "--roster", roster, "-o", out).exit_code == 0
    truth: dict = {}
    for row in csv.DictReader((out / "answers.csv").read_text(encoding="utf-8").splitlines()):
        truth.setdefault((row["question"], row["entry"]), []).append(row["value"])
    return truth


def test_the_histogram_bins():
    from derive.variants.stress import BINS, histogram
    assert histogram([3, 3, 3]) is None
    few = histogram([1, 2, 2, 5, 5, 5])
    assert few.bars == ((1, 1, 1), (2, 2, 2), (5, 5, 3)) and not few.log
    many = histogram([float(k) for k in range(100)])
    assert len(many.bars) == BINS and [c for *_, c in many.bars] == [10] * BINS
    assert many.bars[0][0] == 0 and math.isclose(many.bars[-1][1], 99)
    wide = histogram([10.0 ** k for k in range(-20, 20)] + [float("inf")])
    assert wide.log and sum(c for *_, c in wide.bars) == 40 and [c for *_, c in wide.bars] == [4] * BINS
    assert math.isclose(wide.bars[0][0], 1e-20) and math.isclose(wide.bars[-1][1], 1e19)


def test_the_stress_reports_agree_with_the_variants_written(tmp_path):
    """Text, HTML and PDF: each number's min, median and max and each verdict's frequency are those of the same
    variants written by derive variants; each histogram counts every variant; the ways of deriving a question
    follow its verdicts; the require's rate is its draws'."""
    import html.parser
    import statistics
    spec = tmp_path / "rnn.toml"
    spec.write_text(RNN, encoding="utf-8")
    n = 40
    truth = stress_truth(tmp_path, spec, n)
    result = run("variants", spec, "--stress", n, "-f", "html", "-o", f"{tmp_path / 'report'}/")
    assert result.exit_code == 0, result.output
    factor = [float(v) for v in truth[("1a.ii", "factor")]]
    want = f"factor: min {min(factor):.6g}, median {statistics.median(factor):.6g}, max {max(factor):.6g}"
    assert want in result.output
    verdicts = collections.Counter(truth[("1a.ii", "verdict")])
    assert len(verdicts) >= 2                              # the grid reaches more than one verdict
    for verdict, count in verdicts.items():
        assert f"{verdict!r} {count} ({100 * count / n:.1f}%)" in result.output
    ways = re.search(r"1a\.ii stability \(40 variants\)\n(?:    .*\n)*?    derived (\d+) ways:\n((?:      .*\n)+)",
                     result.output)
    assert ways and int(ways.group(1)) >= len(verdicts)
    assert sum(int(m) for m in re.findall(r"^      (\d+) \(", ways.group(2), re.M)) == n
    passed = re.search(r"require\[1\] W_a != 1.25: passed (\d+) of (\d+)", result.output)
    assert passed and int(passed.group(1)) == n and int(passed.group(2)) > n      # 1 in 7 values of W_a refused
    page = (tmp_path / "report" / "rnn-stress.html").read_text(encoding="utf-8")
    assert str(tmp_path / "report" / "rnn-stress.html") in result.output

    class Bars(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.svgs, self.title = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "svg":
                self.svgs.append([])
            self.title = tag == "title" and bool(self.svgs)              # a bar's, not the page's

        def handle_data(self, data):
            if self.title:
                self.svgs[-1].append(int(data.rsplit(": ", 1)[1]))
                self.title = False
    bars = Bars()
    bars.feed(page)
    varying = sum(1 for values in truth.values() if len(set(values)) > 1 and all(
        re.fullmatch(r"-?[\d.e+-]+", v) for v in values))
    assert len(bars.svgs) == varying and all(sum(counts) == n for counts in bars.svgs)
    assert f"{min(factor):.6g}" in page and "W_a != 1.25" in page


def test_the_stress_pdf_compiles_with_its_histograms(tmp_path, network_spec):
    need_tex()
    import shutil
    import subprocess
    result = run("variants", network_spec, "--stress", 12, "-f", "pdf,html", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "network-stress.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and (tmp_path / "network-stress.html").is_file()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Stress test" in text and "require" in text and "total-params" in text


def test_the_stress_report_formats_are_checked(tmp_path, network_spec):
    bad = run("variants", network_spec, "--stress", 3, "-f", "json")
    assert bad.exit_code == 2 and "no format 'json' for the stress report" in bad.output
    out = run("variants", network_spec, "--stress", 3, "-f", "html", "-o", "-")
    assert out.exit_code == 2 and "give -o FILE or -o DIR" in out.output
