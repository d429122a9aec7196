"""Regexes that begin with a fixed text, searched for the fast way.

Debug lines run to 80 KB. Python's regex engine looks for a match at every position of them;
`str.find` (a C loop) jumps straight to the next occurrence of the fixed text, where the rest
of the regex is tried. The matches are the same as the regex's own `search` and `finditer`.
"""

from __future__ import annotations

import re
from typing import Iterator


class Anchored:
    """A regex made of `literal` and then `rest` (which must not match empty)."""

    __slots__ = ("literal", "pattern")

    def __init__(self, literal: str, rest: str, flags: int = 0) -> None:
        self.literal = literal
        self.pattern = re.compile(re.escape(literal) + rest, flags)

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        at = text.find(self.literal, pos)
        while at >= 0:
            found = self.pattern.match(text, at)
            if found is not None:
                return found
            at = text.find(self.literal, at + 1)
        return None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match, left to right, none overlapping."""
        found = self.search(text)
        while found is not None:
            yield found
            found = self.search(text, found.end())
