"""Text from data or from people, shown as written inside Markdown elements.

Notes, author names, endpoint and team names come from files and people. Streamlit's
Markdown would turn ``![x](http://h/p.png)`` into an image the viewer's browser fetches,
``[x](…)`` into a link, ``:red[x]`` into colour and ``:smile:`` into an emoji; escaped,
they stay the characters typed:

    plain("![x](http://h/p.png)")   # '\\!\\[x\\]\\(http\\:\\/\\/h\\/p\\.png\\)', drawn as typed

Where a whole element is such text, ``st.text`` (no Markdown at all) is simpler.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark


def plain(text: object) -> str:
    """``text`` on one line with every ASCII punctuation mark backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
