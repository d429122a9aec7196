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
    if len(text) < _SHORTEST_MATCH or not _quick_check(text):
        return text
    return _PATTERN.sub(_replace, text)


#: What `_quick_check` looks for. On short texts it spells them out: a generator over them cost
#: 2.4x as much there.
_HINTS = ("sk-", "akia", "aiza", "gh", "xox", "eyj", "bearer", "key", "authorization", "password", "secret")


#: Above this length the hints are looked for with `rfind`: on CPython 3.10-3.13 it goes through a
#: long prompt 2.5-3x as fast as `in` (whose smaller call overhead wins on short texts).
_LONG_TEXT = 1024


def _quick_check(text: str) -> bool:
    """Cheap pre-filter: most texts hold none of the hints, and a regex over 100 KB is not free."""
    lowered = text.lower()
    if len(lowered) > _LONG_TEXT:
        return any(lowered.rfind(hint) >= 0 for hint in _HINTS)
    return ("key" in lowered or "sk-" in lowered or "bearer" in lowered or "secret" in lowered
            or "password" in lowered or "authorization" in lowered or "gh" in lowered
            or "akia" in lowered or "aiza" in lowered or "xox" in lowered or "eyj" in lowered)


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
