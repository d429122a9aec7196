"""Regexes that begin with a fixed text, searched for the fast way.

Debug lines run to 80 KB. Python's regex engine looks for a match at every position of them;
`str.find` (a C loop) jumps straight to the next occurrence of the fixed text, where the rest
of the regex is tried. The matches are the same as the regex's own `search` and `finditer`.
A string literal after a fixed text (a model's answer) is cut out the same way (QuotedAfter).
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


#: A Python string literal as repr writes one: its quote, then escapes or other characters.
QUOTED = r"(?P<q>['\"])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)"


class QuotedAfter:
    """`literal` then a Python string literal: finds what Anchored(literal, QUOTED, re.S)
    finds, as (quote, text between the quotes).

    The regex steps through a literal's text a character at a time, trying a lookahead at each
    (about 30 MB/s), and a model's answer runs to kilobytes, repeated on several lines. Here the
    closing quote is found with `str.find`: the first quote after an even run of backslashes.
    A literal with no such quote (a line cut short) is left to the regex, which may backtrack."""

    __slots__ = ("literal", "regex")

    def __init__(self, literal: str) -> None:
        self.literal = literal
        self.regex = Anchored(literal, QUOTED, re.S)

    def search(self, text: str, pos: int = 0) -> tuple[str, str] | None:
        at = text.find(self.literal, pos)
        while at >= 0:
            start = at + len(self.literal)
            quote = text[start:start + 1]
            if quote == "'" or quote == '"':
                end = _closing_quote(text, quote, start + 1)
                if end >= 0:
                    return quote, text[start + 1:end]
                found = self.regex.pattern.match(text, at)
                if found is not None:
                    return found["q"], found["text"]
            at = text.find(self.literal, at + 1)
        return None


def _closing_quote(text: str, quote: str, begin: int) -> int:
    """Where the literal whose text begins at `begin` closes: its first `quote` not escaped,
    that is after an even run of backslashes; -1 if none does. (A run stops at the opening quote
    at the latest.)"""
    end = text.find(quote, begin)
    while end >= 0:
        escape = end
        while text[escape - 1] == "\\":
            escape -= 1
        if (end - escape) % 2 == 0:
            return end
        end = text.find(quote, end + 1)
    return -1
