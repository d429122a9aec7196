"""A recorded log repeated, as a long-running proxy writes it: each copy with its own ids."""

from __future__ import annotations

import re
from pathlib import Path

#: The first 8 hex digits of every uuid (call ids, response ids): renumbered per copy.
UUID_HEAD = re.compile(rb"\b[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-)")


def renumbered(log: Path, copies: int) -> list[bytes]:
    """`copies` copies of `log`, the n-th with every uuid beginning with n in hex."""
    data = log.read_bytes()
    return [UUID_HEAD.sub(b"%08x" % n, data) for n in range(copies)]


def many_copies(log: Path, copies: int) -> bytes:
    """The log repeated `copies` times, each copy with its own ids."""
    return b"".join(renumbered(log, copies))
