"""The API reference shows every public name of the documented packages, and a public name
without a docstring fails the strict build."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from docs_hooks import ROOT, build, load_hook, needs_mkdocs

api_reference = load_hook("api_reference")

pytestmark = needs_mkdocs


def _api_docs(tmp: Path) -> Path:
    """A docs folder with the API pages only."""
    docs = tmp / "docs"
    shutil.copytree(ROOT / "docs" / "reference" / "api", docs / "reference" / "api")
    return docs


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("api-site")
    nav = [api_reference.page_of(p) for p in api_reference.PACKAGES]
    return build(tmp, _api_docs(tmp), nav=nav, hooks=["api_reference"])


@pytest.mark.parametrize("package", api_reference.PACKAGES)
def test_every_public_name_is_on_its_page(site: Path, package: str) -> None:
    html = (site / api_reference.page_of(package).replace(".md", ".html")).read_text()
    names = importlib.import_module(package).__all__
    assert names
    missing = [n for n in names if not (f'id="{package}.{n}"' in html or f".{n}\"" in html
                                        or (n.startswith("__") and n in html))]  # fmt: skip
    assert missing == []


def test_the_check_finds_an_undocumented_public_name(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "vaekit", src / "vaekit",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    recommender = src / "vaekit" / "recsys" / "baselines.py"
    text = recommender.read_text()
    start = text.index("class EASE")
    body = text.index('"""', start)
    end = text.index('"""', body + 3) + 3
    recommender.write_text(text[:body] + "pass\n" + text[end:])  # EASE loses its docstring
    problems = api_reference.check(ROOT / "docs", src)
    assert "vaekit.recsys.EASE: public name without a docstring" in [str(p) for p in problems]


def test_the_check_finds_a_public_name_missing_from_its_page(tmp_path: Path) -> None:
    docs = _api_docs(tmp_path)
    page = docs / "reference" / "api" / "vaekit.md"
    page.write_text(page.read_text().replace("::: vaekit.models.CVAE\n", ""))
    problems = api_reference.check(docs, ROOT / "src")
    assert "vaekit.CVAE: public but not on reference/api/vaekit.md" in [str(p) for p in problems]
