"""The review pack as PDF: the HTML page printed by WeasyPrint (no browser, no network).

    pdf_bytes = render_pdf(pack, paper="letter")
"""

from __future__ import annotations

from metrics.review.figures import Pack
from metrics.review.html import render_html


def render_pdf(pack: Pack, paper: str = "a4") -> bytes:
    import logging

    import weasyprint

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter
    html = weasyprint.HTML(string=render_html(pack, paper, inline_charts=False), base_url=None)
    return html.write_pdf()
