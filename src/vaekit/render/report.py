"""A self-contained HTML report: images embedded as data URIs, no scripts, no network."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: .85em; }
figure { margin: 1.5em 0; } figcaption { color: #555; margin-top: .3em; }
img { max-width: 100%; height: auto; } .note { color: #a33; }
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.6g}"
    if isinstance(value, list):
        return f"[{len(value)} values]"
    return html.escape(str(value))


def html_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """An HTML table of dicts (one row each), columns in first-seen order by default."""
    if not rows:
        return "<p>(none)</p>"
    if columns is None:
        columns = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def image_tag(png: str | Path, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as a base64 data URI."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def render_report(
    title: str,
    summary: Sequence[tuple[str, Any]],
    config_yaml: str,
    training: Sequence[dict[str, Any]],
    evaluation: dict[str, dict[str, Any]],
    figures: Sequence[tuple[str, str, Path]],
    notes: Sequence[str] = (),
    texts: Sequence[tuple[str, str]] = (),
) -> str:
    """The report's HTML.

    Parameters
    ----------
    summary
        ``(label, value)`` pairs shown first.
    training
        Rows of the training table (e.g. the first, best and last epochs).
    evaluation
        ``{split: results}`` from ``evaluation.json``.
    figures
        ``(title, caption, png_path)`` for each figure.
    notes
        Lines shown under the figures (e.g. figures that do not apply to this run).
    texts
        ``(title, text)`` shown preformatted after the figures (a sequence run's samples,
        reconstructions and homotopy).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        html_table([{k: v for k, v in summary}]),
        "<h2>Training</h2>",
        html_table(training),
        "<h2>Evaluation</h2>",
    ]
    if evaluation:
        for split, results in evaluation.items():
            scalars = {k: v for k, v in results.items() if not isinstance(v, (list, dict))}
            parts.append(f"<h3>{html.escape(split)} split</h3>")
            parts.append(html_table([{"metric": k, "value": v} for k, v in scalars.items()]))
    else:
        parts.append("<p>Not evaluated yet: run <code>vaekit evaluate RUN</code>.</p>")
    parts.append("<h2>Figures</h2>")
    for fig_title, caption, png in figures:
        parts.append(
            f"<figure><h3>{html.escape(fig_title)}</h3>{image_tag(png, fig_title)}"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    for text_title, text in texts:
        parts.append(f"<h3>{html.escape(text_title)}</h3><pre>{html.escape(text)}</pre>")
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts.append(f"<h2>Configuration</h2><pre>{html.escape(config_yaml)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
