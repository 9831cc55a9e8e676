"""The repository's documents: every design citation points into docs/design.md."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from proof.paths import ROOT

SKIP_DIRS = {".git", ".venv", "node_modules", "cdk.out", "__pycache__", ".pytest_cache"}
SKIP_DIRS |= {".ruff_cache", ".mypy_cache", ".hypothesis"}
DESIGN = ROOT / "docs" / "design.md"
# A design document outside the repository, by the names it has had.
OUTSIDE = ("DESIGN" + ".md", "../" + "shared", "/work/" + "shared")
CITATION = re.compile(r'docs/design\.md,\s+"([^"]+)"')


@functools.cache  # both tests read the same files
def repository_texts() -> dict[Path, str]:
    texts = {}
    for path in ROOT.rglob("*"):
        if SKIP_DIRS & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        try:
            texts[path] = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue  # binary files cite nothing
    return texts


def headings() -> set[str]:
    return {
        line.lstrip("#").strip() for line in DESIGN.read_text().splitlines() if line[:2] == "##"
    }


def test_no_file_cites_a_design_document_outside_the_repository():
    texts = repository_texts()
    assert len(texts) > 30  # the walk saw the repository
    found = [f"{p.relative_to(ROOT)}: {o}" for p, t in texts.items() for o in OUTSIDE if o in t]
    assert found == []


def test_every_cited_section_of_the_design_document_exists():
    cited = {
        (path.relative_to(ROOT), section)
        for path, text in repository_texts().items()
        for section in CITATION.findall(text)
    }
    assert len(cited) >= 5  # code and tests do cite it
    known = headings()
    assert {"The rules", "The scenarios", "Settings", "Assumptions"} <= known
    assert [(str(p), s) for p, s in sorted(cited) if s not in known] == []
