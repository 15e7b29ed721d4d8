"""The quarterly review pack (spec: review.md): the figures of a quarter gathered once
(``figures``), a summary written from them (``summary``), SVG trend charts (``charts``)
and one renderer per format (``html``, ``pdf``, ``tabular``: Markdown and CSV); closed
quarters and restatements (``closing``).

    pack = build_pack(db, parse_period("2026Q3"))
    Path("review.pdf").write_bytes(render(pack, "pdf", paper="a4"))
"""

from __future__ import annotations

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "md", ".csv": "csv"}


def render(pack, fmt: str, paper: str = "a4") -> bytes:
    """The pack as bytes in one of FORMATS' values."""
    if fmt == "pdf":
        from metrics.review.pdf import render_pdf

        return render_pdf(pack, paper)
    if fmt == "html":
        from metrics.review.html import render_html

        return render_html(pack, paper).encode("utf-8")
    from metrics.review.tabular import render_csv, render_markdown

    return render_csv(pack) if fmt == "csv" else render_markdown(pack).encode("utf-8")
