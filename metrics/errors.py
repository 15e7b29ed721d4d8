"""The one base class of every error mlkpi says to people in a sentence.

An ``MlkpiError`` is expected: bad input, a missing store, a period that does not parse.
The CLI prints it as one sentence with exit status 2 and the dashboard shows it in place;
anything else that escapes is a bug.
"""

from __future__ import annotations


class MlkpiError(Exception):
    """Expected, and said in one sentence: the message says what is wrong and how to fix it."""
