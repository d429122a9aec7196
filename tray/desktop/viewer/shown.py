"""What the viewer puts on screen: always redacted, masked while content is hidden.

The store is redacted when written; redacting again on display is a second line of defence
for rows written by older versions or by other tools. Hiding is for screen sharing: the
shape of the list stays, the words of prompts and responses do not.
"""

from __future__ import annotations

from dataclasses import replace

from tray.model import RequestRecord
from tray.redact import redact, redact_any


def shown(text: str | None, hidden: bool = False) -> str:
    """`text` as the viewer may display it."""
    if not text:
        return ""
    return mask(text) if hidden else str(redact(text))


def mask(text: str) -> str:
    """A stand-in that says how much is hidden, but none of it."""
    return f"[hidden: {len(text):,} characters]" if text else ""


def redacted(record: RequestRecord) -> RequestRecord:
    """`record` with every text a key could hide in passed through `redact`."""
    return replace(
        record,
        messages=redact_any(record.messages),
        response=redact(record.response),
        error=redact(record.error),
    )
