"""What a reader that begins in the middle of a log needs from before it: whether the proxy
runs its workers under a parent process.

uvicorn writes "Started parent process [...]" once, when a proxy with several workers starts,
and restarts a worker that dies; that worker then writes "Started server process [...]" like a
proxy starting afresh. The assembler tells the two apart by the parent's line (see
tray.logs.events.Restart), which a reader resuming from a checkpoint, or reading the last
requests only, has not read: it would take one worker's start for a restart of the whole proxy
and fail every request the other workers are serving.
"""

from __future__ import annotations

from tray.logs.events import STARTED
from tray.logs.follow import read_at

_PARENT = STARTED[1].encode()
#: The file's head: a proxy writing its log afresh when it starts puts its start lines here.
HEAD_BYTES = 1024 * 1024
#: And just before the reader begins: a proxy appending to its log started again recently.
#: Small, so that a read of the last requests stays as cheap on a huge file as on a small one.
LOOKBACK_BYTES = 4 * 1024 * 1024


def runs_workers(fd: int, before: int) -> bool:
    """True if a "Started parent process" line begins before offset `before` of the open file,
    in its head or in the stretch just before `before`."""
    if before <= 0:
        return False
    if _PARENT in read_at(fd, min(HEAD_BYTES, before), 0):
        return True
    start = max(HEAD_BYTES - len(_PARENT), before - LOOKBACK_BYTES)
    return start < before and _PARENT in read_at(fd, before - start, start)
