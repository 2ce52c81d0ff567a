"""The Python code of the documentation runs as written: every ```python block of the
repository README, docs/python.md and this package's README (a block tagged ```python no-run is
deliberately not run). Each page runs in a scratch folder holding the user_items.npz the
quickstart loads."""

import re
from pathlib import Path

import pytest
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[3]
PAGES = ["README.md", "docs/python.md", "bindings/python/README.md"]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.parametrize("page", PAGES)
def test_the_python_blocks_run(page, tmp_path, monkeypatch, user_items):
    blocks = python_blocks((ROOT / page).read_text())
    assert blocks, f"{page} has python blocks"
    sp.save_npz(tmp_path / "user_items.npz", user_items)
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, page, "exec"), {"__name__": "__readme__"})


def test_blocks_are_found_and_no_run_blocks_skipped():
    text = "```python\nx = 1\n```\n```bash\nls\n```\n```python no-run\nz\n```\n```python\ny = 2\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = 2\n"]


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text().split("\n")
    assert len(lines) <= 350, f"README.md has {len(lines)} lines: move depth into docs/"
    install = lines.index("## Install: pick your path")
    assert install < 40, f"the install section starts at line {install + 1}"
    assert install < lines.index("## Benchmarks")


DOC_PAGES = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "bindings/python/README.md", "bindings/node/README.md"] + [
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md"))
]


@pytest.mark.parametrize("page", DOC_PAGES)
def test_relative_links_point_at_files_that_exist(page):
    text = (ROOT / page).read_text()
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"(https?:|mailto:|#)", target):
            continue
        path = (ROOT / page).parent / target.split("#")[0]
        if not path.exists():
            broken.append(target)
    assert not broken, f"{page} links to missing files: {broken}"
