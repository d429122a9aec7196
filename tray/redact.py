"""Redaction of API keys and bearer tokens.

Logs hold prompts, and prompts hold secrets people pasted. Every text taken from a log or a
proxy passes through `redact` before it is stored, printed or shown in a notification.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

REDACTED = "[REDACTED]"

# Key shapes worth recognising anywhere in a text. Each alternative is anchored on a prefix that
# real providers use, so ordinary words are never touched.
_TOKEN_SHAPES = (
    r"\bsk-[A-Za-z0-9][A-Za-z0-9_\-]{7,}",        # OpenAI, Anthropic (sk-ant-), LiteLLM virtual keys
    r"\bAKIA[0-9A-Z]{16}\b",                      # AWS access key id
    r"\bAIza[0-9A-Za-z_\-]{30,}",                 # Google API key
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",              # GitHub tokens
    r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",           # Slack tokens
    r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWTs
)
# Values that follow a word saying "this is a secret", whatever their shape.
_LABELLED = (
    r"(?P<label>\b[Bb]earer\s+)(?!\[REDACTED\])(?P<value>[^\s'\",}\]]{4,})",
    r"(?P<label2>[\"']?(?:api[_-]?key|x-api-key|master[_-]?key|authorization|password|secret)"
    r"[\"']?\s*[:=]\s*[\"']?)(?P<value2>(?!Bearer\s)(?!\[REDACTED\])[^\s'\",}\]]{4,})",
)
#: No pattern matches fewer characters than this ("Bearer abcd", "api_key=abcd", "sk-abcdefgh").
_SHORTEST_MATCH = 11
_PATTERN = re.compile("|".join((*_LABELLED, *_TOKEN_SHAPES)), re.IGNORECASE)


def _replace(match: re.Match[str]) -> str:
    for label in ("label", "label2"):
        if match.group(label) is not None:
            return match.group(label) + REDACTED
    return REDACTED


def redact(text: str | None, extra: Iterable[str] = ()) -> str | None:
    """Return `text` with keys and tokens replaced by ``[REDACTED]``.

    `extra` are literal secrets known to the app (the master key), removed whatever their shape.
    """
    if not text:
        return text
    for secret in extra:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    if len(text) < _SHORTEST_MATCH:
        return text
    starts = _match_starts(text)
    if starts is None:
        return _PATTERN.sub(_replace, text)
    if not starts:
        return text
    kept: list[str] = []
    done = 0
    for at in starts:
        if at < done:
            continue                # inside a secret already replaced
        match = _PATTERN.match(text, at)
        if match is not None:
            kept += (text[done:at], _replace(match))
            done = match.end()
    if not kept:
        return text
    kept.append(text[done:])
    return "".join(kept)


#: Every match of _PATTERN begins with one of these (in any case), but for a quote or `x-` before
#: a label (`"x-api-key": ...`); the match that begins at the label itself then ends in the same
#: place, and as labels are kept, gives the same text. `gh` stands for GitHub's prefixes (_GITHUB).
_STARTS = (b"bearer", b"api", b"master", b"authorization", b"password", b"secret",
           b"sk-", b"akia", b"aiza", b"gh", b"xox", b"eyj")
_GITHUB = (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_")
#: The letters besides A-Z and a-z that `re.IGNORECASE` takes for ASCII ones: dotted capital I,
#: dotless i, long s, Kelvin sign.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _match_starts(text: str) -> list[int] | None:
    """Where a match of _PATTERN may begin, in order; None when the text holds a letter that
    only the regex itself knows to fold into an ASCII one (_FOLDS_TO_ASCII).

    The regex alone tries a dozen alternatives at every character: 5 MB/s on prose, where a
    quick "any hint?" check rarely helps ("gh" is in "right", "key" in "monkey"). Looking for
    each alternative's first letters and trying the regex only there finds the same matches:
    sub's leftmost match always begins at one of these places. They are looked for in the
    text's ASCII letters, lowered, one byte a character (anything else becomes `?`): bytes are
    lowered and searched several times as fast as a str holding other characters, and `rfind`
    goes through them 2-3x as fast as `find` (see "Log parsing" in bench/README.md)."""
    if not text.isascii() and any(letter in text for letter in _FOLDS_TO_ASCII):
        return None
    if len(text) <= _SHORT_TEXT and not _holds_a_start(text.lower()):
        return []
    lowered = text.encode("ascii", "replace").lower()
    starts: list[int] = []
    for literal in _STARTS:
        at = lowered.rfind(literal)
        while at >= 0:
            if literal != b"gh" or lowered.startswith(_GITHUB, at):
                starts.append(at)
            at = lowered.rfind(literal, 0, at)
    starts.sort()
    return starts


#: Up to this length a text is first asked whether it holds any start at all, with `in` on the
#: str: most texts hold none, and that costs less than calls of `rfind` (or bytes' `in`).
_SHORT_TEXT = 1024


def _holds_a_start(lowered: str) -> bool:
    """Any of _STARTS in `lowered`, spelled out: a loop over them cost twice as much."""
    return ("sk-" in lowered or "bearer" in lowered or "api" in lowered or "secret" in lowered
            or "password" in lowered or "master" in lowered or "authorization" in lowered
            or "gh" in lowered or "akia" in lowered or "aiza" in lowered or "xox" in lowered
            or "eyj" in lowered)


def redact_any(value: Any, extra: Iterable[str] = ()) -> Any:
    """Redact every string inside a JSON-like value (messages, tool calls, metadata)."""
    extra = tuple(extra)
    if isinstance(value, str):
        return redact(value, extra)
    if isinstance(value, list):
        return [redact_any(item, extra) for item in value]
    if isinstance(value, dict):
        return {key: redact_any(item, extra) for key, item in value.items()}
    return value
