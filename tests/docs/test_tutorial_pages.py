"""A percent-format tutorial script becomes a Markdown page: prose from the Markdown cells,
Python blocks from the code cells, in order, with the line that says how to run it."""

from __future__ import annotations

from pathlib import Path

from docs_hooks import build, load_hook, needs_mkdocs

tutorials = load_hook("tutorials")

SCRIPT = """\
# %% [markdown]
# # A tiny tutorial
# The first paragraph.
#
# ![the curve](figures/tiny/curve.png)

# %%
import os

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"

# %% [markdown]
# ## Second part
# More prose with `code`.

# %% Train it
x = 1  # a comment stays in the code
print("```")
"""

EXPECTED = """\
# A tiny tutorial

Run it: `python docs/tutorials/tiny.py` (`VAEKIT_TUTORIAL_SMOKE=1` for a quick check)

The first paragraph.

![the curve](figures/tiny/curve.png)

```python
import os

SMOKE = os.environ.get("VAEKIT_TUTORIAL_SMOKE") == "1"
```

## Second part
More prose with `code`.

````python
x = 1  # a comment stays in the code
print("```")
````
"""


def test_percent_script_becomes_the_expected_markdown() -> None:
    assert tutorials.to_markdown(SCRIPT, "tiny") == EXPECTED


def test_code_before_the_first_cell_and_a_page_without_a_title() -> None:
    source = '"""Module docstring."""\n\n# %% [md]\n"""\nProse in a string.\n"""\n'
    page = tutorials.to_markdown(source, "t")
    assert page.startswith(tutorials.run_line("t") + "\n\n```python\n")
    assert page.endswith("```\n\nProse in a string.\n")


def test_raw_and_empty_cells_are_left_out() -> None:
    cells = tutorials.cells("# %%\n\n# %% [raw]\nnot shown\n# %%\ny = 2\n")
    assert cells == [("code", "y = 2")]


@needs_mkdocs
def test_the_site_shows_the_page_and_its_figure(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "tutorials" / "figures" / "tiny").mkdir(parents=True)
    (docs / "tutorials" / "tiny.py").write_text(SCRIPT)
    # a 1x1 PNG stands for the figure the script would write
    (docs / "tutorials" / "figures" / "tiny" / "curve.png").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360f8ffff3f0005fe02fea7d605e40000000049454e44ae426082"
    ))  # fmt: skip
    site = build(tmp_path, docs, nav=["tutorials/tiny.md"], hooks=["tutorials"])
    html = (site / "tutorials" / "tiny.html").read_text()
    assert "A tiny tutorial" in html and "Run it:" in html
    assert 'src="figures/tiny/curve.png"' in html
    assert (site / "tutorials" / "figures" / "tiny" / "curve.png").exists()
    assert not (site / "tutorials" / "tiny.py").exists()  # the script is a page, not a file
