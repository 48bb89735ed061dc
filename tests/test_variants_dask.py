"""derive variants --scheduler: every variant a task on a Dask distributed cluster (a LocalCluster of two worker
processes here: the tasks are pickled and sent to other processes, as to a real cluster's), the files the same,
byte for byte, as on one machine; and the clear refusals (no Dask, an address that does not read, a scheduler that
does not answer)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.kinds import KINDS
from derive.variants import cluster

from conftest import need_tex


def need_dask():
    """Dask's distributed scheduler is in the test extra; skipped only outside CI when it is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true" or os.environ.get("DERIVE_REQUIRE_DASK") == "1":
            pytest.fail("dask[distributed] is not installed (pip install -e '.[test]')")
        pytest.skip("dask[distributed] not installed")


def run(*args, **env):
    return CliRunner().invoke(cli, [str(a) for a in args], env={k: str(v) for k, v in env.items()})


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def scheduler():
    need_dask()
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "network.toml"
    path.write_text(KINDS["network"].example() + '\n[variants]\nsalt = "dask-2025"\n', encoding="utf-8")
    return path


def roster(path: Path) -> Path:
    path.write_text("id,name,section\ns07,Ada,A\ns01,Bo,B\nzoe.k,Zoë,A\ns03,Cy,B\nm@x.edu,Max,A\n", encoding="utf-8")
    return path


def test_a_roster_on_the_cluster_is_the_same_files_byte_for_byte(tmp_path, scheduler, spec):
    here, there = tmp_path / "here", tmp_path / "there"
    students = roster(tmp_path / "class.csv")
    formats = "json,markdown,html,moodle"
    local = run("variants", spec, "--roster", students, "-f", formats, "-o", here)
    assert local.exit_code == 0, local.output
    remote = run("variants", spec, "--roster", students, "-f", formats, "-o", there, "--scheduler", scheduler)
    assert remote.exit_code == 0, remote.output
    assert "Traceback" not in remote.output
    files = tree(there)
    assert files == tree(here)
    assert {"zoe.k/network-solutions.json", "zoe.k/network-problems.md", "network-solutions-moodle.xml",
            "manifest.json", "answers.csv"} <= set(files)
    manifest = json.loads(files["manifest.json"])
    values = {v["id"]: v["problems"][0]["values"] for v in manifest["variants"]}
    assert len({json.dumps(v, sort_keys=True) for v in values.values()}) > 1      # the students differ
    audit = run("variants", "--check", there, "--scheduler", scheduler)
    assert audit.exit_code == 0 and "every file of the 5 variants" in audit.output, audit.output


def test_user_templates_are_sent_to_the_workers(tmp_path, scheduler, spec):
    """The workers do not share this machine's folders: the template folder's files travel with the tasks."""
    folder = tmp_path / "brand"
    (folder / "markdown").mkdir(parents=True)
    base = Path(__file__).resolve().parent.parent / "templates" / "markdown"
    for name in ("solutions.md.j2", "problems.md.j2"):
        if (base / name).is_file():
            (folder / "markdown" / name).write_text("Course CS230 -- " + (base / name).read_text(encoding="utf-8"),
                                                    encoding="utf-8")
    assert any((folder / "markdown").iterdir()), sorted(os.listdir(base))
    here, there = tmp_path / "here", tmp_path / "there"
    assert run("variants", spec, "--count", 3, "-f", "markdown", "-o", here, "--templates", folder).exit_code == 0
    result = run("variants", spec, "--count", 3, "-f", "markdown", "-o", there, "--templates", folder,
                 "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    assert tree(there) == tree(here)
    assert any(data.startswith(b"Course CS230") for rel, data in tree(there).items() if rel.endswith(".md"))


def test_pdfs_on_the_cluster_are_the_same_bytes(tmp_path, scheduler, spec):
    need_tex()
    here, there = tmp_path / "here", tmp_path / "there"
    assert run("variants", spec, "--count", 2, "-f", "pdf,json", "-o", here, "-q").exit_code == 0
    result = run("variants", spec, "--count", 2, "-f", "pdf,json", "-o", there, "-q", "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    files = tree(there)
    assert files == tree(here)
    assert files["v002/network-solutions.pdf"].startswith(b"%PDF") and "all-solutions.pdf" in files


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_a_clear_error(tmp_path, spec):
    need_dask()
    address = f"tcp://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = run("variants", spec, "--count", 2, "-o", tmp_path / "out", "--scheduler", address,
                 DERIVE_SCHEDULER_TIMEOUT=2)
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    assert f"--scheduler {address}: no Dask scheduler answered within 2 s" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["localhost", "tcp://host", "http://x:80", "tcp://x:99999", ""])
def test_an_address_that_does_not_read_is_refused(tmp_path, spec, address):
    result = run("variants", spec, "--count", 2, "-o", tmp_path / "out", "--scheduler", address)
    assert result.exit_code == 2 and "not a scheduler's address (expected tcp://HOST:PORT" in result.output


def test_without_dask_the_message_says_what_to_install(tmp_path, spec, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)            # import distributed raises ImportError
    result = run("variants", spec, "--count", 2, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2, result.output
    assert "pip install 'derive-keys[dask]'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_scheduler_is_refused_where_nothing_is_sent_to_it(tmp_path, spec):
    stress = run("variants", spec, "--stress", 3, "--scheduler", "tcp://127.0.0.1:8786")
    assert stress.exit_code == 2 and "leave out --scheduler" in stress.output
    merge = run("variants", "--merge", tmp_path, "--scheduler", "tcp://127.0.0.1:8786")
    assert merge.exit_code == 2 and "leave out --scheduler" in merge.output


def test_a_worker_of_other_versions_is_refused():
    import sympy
    import derive
    with pytest.raises(cluster.ClusterError, match=r"a worker has derive 0\.0\.1 with SymPy"):
        cluster._same_versions({"versions": ("0.0.1", sympy.__version__)})
    with pytest.raises(cluster.ClusterError, match="the template failed"):
        cluster._same_versions({"error": "the template failed", "versions": (derive.__version__, sympy.__version__)})
