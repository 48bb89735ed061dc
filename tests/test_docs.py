"""The README is a short guide and docs/ the reference, built as a MkDocs site: the site builds with
`mkdocs build --strict` (a broken link or anchor, or a page left out of the navigation, fails), every TOML block
of the README and of docs/ parses and every spec among them derives as printed, every Python block runs as
printed, and the README's links lead to pages and headings that exist. (The kinds' field tables are checked
against their declarations in tests/test_fields.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

import derive
from derive.kinds import KINDS

from conftest import need_tex

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
BUILT_IN = [k.name for k in KINDS.kinds() if type(k).__module__.startswith("derive.")]


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def every(language: str) -> list:
    return [pytest.param(path, i, block, id=f"{name(path)}#{i + 1}")
            for path in [README, *PAGES] for i, block in enumerate(blocks(path, language))]


def mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


# --- the site -----------------------------------------------------------------------------------------------

def test_the_site_builds_strict(tmp_path):
    proc = mkdocs("build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    for page in PAGES:
        assert (tmp_path / "site" / page.relative_to(DOCS).with_suffix(".html")).is_file(), name(page)


def _navigation(entries) -> list[str]:
    out = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        out += _navigation(value) if isinstance(value, list) else [value]
    return out


def test_the_navigation_lists_every_page_once():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = _navigation(config["nav"])
    assert sorted(listed) == sorted(str(p.relative_to(DOCS)) for p in PAGES)
    assert len(set(listed)) == len(listed)
    assert all(config["validation"][k] == "warn" for k in ("omitted_files", "unrecognized_links", "anchors"))


def test_a_page_left_out_or_a_broken_link_fails_the_build(tmp_path):
    """The guard itself: strict mode refuses a page missing from the navigation and a link to no heading."""
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "docs" / "stray.md").write_text("# Stray\n\n[the cache](cache.md#no-such-heading)\n")
    proc = mkdocs("build", "--strict", "-d", str(tmp_path / "site"), cwd=tmp_path)
    assert proc.returncode != 0
    assert "stray.md" in proc.stderr and "no-such-heading" in proc.stderr


# --- the blocks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, index, block", every("toml"))
def test_every_toml_block_parses_and_every_spec_derives(path, index, block):
    data = tomllib.loads(block)
    if "problem" not in data:
        return                                               # a fragment: a pyproject's, or a spec's top keys
    kinds = {p["kind"] for p in data["problem"]}
    if not all(kind in KINDS for kind in kinds):
        assert path == DOCS / "kinds.md" and kinds == {"softmax"}, "a spec of a kind derive does not have"
        return                                               # the guide's own kind: tests/test_guide.py runs it
    text = block if "title" in data else 'title = "docs"\n' + block
    assert list(derive.solve(derive.loads(text, f"{path.stem}.toml")).questions())


@pytest.mark.parametrize("path, index, block", every("python"))
def test_every_python_block_runs(path, index, block, tmp_path):
    """Each block alone, as printed, in a folder holding what the pages say it needs: my-set.toml (as `derive
    example init > my-set.toml` writes it) and brand/, the templates folder of docs/templates.md."""
    if re.search(r'"(beamer-)?pdf"\)', block):
        need_tex()
    (tmp_path / "my-set.toml").write_text(KINDS["init"].example(), encoding="utf-8")
    template = re.search(r"Put this in `brand/latex/base\.tex\.j2`:\n\n```latex\n(.*?)```",
                         (DOCS / "templates.md").read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "brand" / "latex").mkdir(parents=True)
    (tmp_path / "brand" / "latex" / "base.tex.j2").write_text(template, encoding="utf-8")
    (tmp_path / "block.py").write_text(block, encoding="utf-8")
    proc = subprocess.run([sys.executable, "block.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_the_pages_have_their_blocks():
    assert len(every("toml")) >= 15 and len(every("python")) >= 5
    for kind in BUILT_IN:
        page = DOCS / "kinds" / f"{kind}.md"
        assert any("[[problem]]" in b and f'kind = "{kind}"' in b for b in blocks(page, "toml")), kind


def test_no_markup_hides_in_prose():
    """Outside code, a `<` before a letter would be a tag to a Markdown renderer (a<t> shows as a); a list
    needs a blank line before it (MkDocs' Markdown reads it as the paragraph's text otherwise)."""
    for path in [README, *PAGES]:
        fenced = False
        previous = ""
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                fenced = not fenced
            if fenced or line.startswith("<!--"):
                previous = line
                continue
            prose = re.sub(r"`[^`]*`", "", line)
            assert not re.search(r"<[A-Za-z/]", prose), f"{name(path)}:{number}"
            if re.match(r"(- |\d+\. )", line):
                assert not previous.strip() or re.match(r"(- |\d+\. |\s|#)", previous), f"{name(path)}:{number}"
            previous = line


# --- the README: a guide, with links into docs/ ---------------------------------------------------------------

def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {slugify(h.replace("`", ""), "-") for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


def test_the_readme_links_lead_somewhere():
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert len(local) >= 20
    for link in local:
        target, _, anchor = link.partition("#")
        path = README if not target else (ROOT / target)
        assert path.is_file() and path.resolve().is_relative_to(ROOT), link
        assert not anchor or anchor in anchors(path), link
    for page in PAGES:
        assert f"(docs/{page.relative_to(DOCS)})" in README.read_text(encoding="utf-8") or \
            page.parent == DOCS / "kinds" or page.name == "index.md", f"the README leads to {name(page)}"


def test_the_readme_is_a_guide():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    assert text.startswith("# derive\n\n```sh\n./setup.sh ")
    assert text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()[1].startswith(".venv/bin/python -m pytest ")
    assert "<!-- fields" not in text and "<!-- types" not in text, "the reference tables live in docs/kinds/"
    table = text.split("\n## Kinds\n", 1)[1].split("\n## ", 1)[0]
    for kind in BUILT_IN:
        row = next(line for line in table.splitlines() if line.startswith(f"| [`{kind}`](docs/kinds/{kind}.md)"))
        assert all(f"`{ask}`" in row for ask in KINDS[kind].asks), kind
