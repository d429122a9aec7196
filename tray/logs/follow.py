"""Follow a log file by path, across every way logs get rotated, as `tail -F` and better.

The follower hands out `Chunk`s: runs of complete lines with the file offset they start at.
A partial last line waits for its newline; a line over the cap is skipped and counted without
ever being held whole. A file is identified by (device, inode) plus a fingerprint of its head,
so truncation, copytruncate, delete+recreate and a same-size replacement are all noticed.
File-system events (watchdog) only wake the follower early; it always re-stats and reads to EOF,
and polls as a fallback because every OS drops or coalesces events.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger(__name__)

FINGERPRINT_BYTES = 256
#: A renamed-away log is read until the new one has lines and the old one is this long quiet.
PREVIOUS_GRACE = 5.0
DEFAULT_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileIdentity:
    """Who a file is: (device, inode) and a hash of its first line (at most 256 bytes)."""

    device: int
    inode: int
    fingerprint: str

    @property
    def key(self) -> str:
        """A short stable name for the file, used to build ids of requests that have none."""
        return f"{self.device:x}.{self.inode:x}.{self.fingerprint[:8]}"


@dataclass(frozen=True)
class Chunk:
    """Complete lines read from one file; `offset` is where `data` starts in that file."""

    data: bytes
    offset: int
    identity: FileIdentity

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


def open_for_reading(path: Path | str) -> int:
    """A descriptor that reads the file's bytes as they are (binary mode on Windows)."""
    return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))


def read_at(fd: int, size: int, offset: int) -> bytes:
    """`os.pread` where there is one; Windows has none, so seek and read there (every
    descriptor here belongs to one reader, so the shared file position is safe)."""
    if _PREAD is not None:
        return _PREAD(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


_PREAD = getattr(os, "pread", None)


def head_fingerprint(fd: int) -> str | None:
    """Hash of the file's first line (capped); None while the file has no complete first line."""
    head = read_at(fd, FINGERPRINT_BYTES, 0)
    newline = head.find(b"\n")
    if newline >= 0:
        head = head[: newline + 1]
    elif len(head) < FINGERPRINT_BYTES:
        return None
    return hashlib.blake2b(head, digest_size=12).hexdigest()


def line_start_at_or_before(fd: int, offset: int) -> int:
    """The start of the line holding `offset`, so a read never begins mid-line."""
    pos = offset
    while pos > 0:
        step = min(64 * 1024, pos)
        block = read_at(fd, step, pos - step)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return pos - step + newline + 1
        pos -= step
    return 0


def resume_offset(resume: tuple[FileIdentity | None, int], identity: FileIdentity | None,
                  size: int) -> int:
    """Where a read resumed at `resume` (a file and an offset in it) begins in the file now at
    the path: there if it is the same file and still that long, else at its start."""
    saved, offset = resume
    return offset if saved is not None and identity == saved and offset <= size else 0


def identity_of(fd: int) -> FileIdentity | None:
    info = os.fstat(fd)
    fingerprint = head_fingerprint(fd)
    if fingerprint is None:
        return None
    return FileIdentity(info.st_dev, info.st_ino, fingerprint)


class _OpenFile:
    """One open file and how far its lines have been handed out (the follower may hold two:
    the file at the path, and the one just renamed away while its writer still writes to it)."""

    def __init__(self, fd: int, max_line_bytes: int, chunk_bytes: int, on_skip: Callable[[], None]) -> None:
        info = os.fstat(fd)
        self.fd = fd
        self.key = (info.st_dev, info.st_ino)
        self.identity = identity_of(fd)
        self.max_line_bytes = max_line_bytes
        self.chunk_bytes = max(1, min(chunk_bytes, max_line_bytes))   # a read never passes the cap
        self.on_skip = on_skip
        self.read_pos = 0                   # next byte to read from the file
        self.line_start = 0                 # file offset of the first byte in `partial`
        self.partial = bytearray()          # grows in place: a long line is never copied whole
        self.skipping = False               # inside a line longer than the cap
        self.last_data = time.monotonic()   # when a read last returned bytes

    def reset(self, offset: int) -> None:
        self.read_pos = self.line_start = offset
        self.partial = bytearray()
        self.skipping = False
        if offset == 0:
            self.identity = identity_of(self.fd)

    def was_rewritten(self) -> bool:
        """Truncated, copytruncated, or overwritten in place with the same inode."""
        if os.fstat(self.fd).st_size < self.read_pos:
            return True
        current = identity_of(self.fd)
        if self.identity is None:
            self.identity = current
            return False
        return current is not None and current != self.identity

    def close(self) -> None:
        os.close(self.fd)

    def read_to_eof(self, limit: int | None = None) -> Iterator[Chunk]:
        """Complete lines from `read_pos` on, to the end of the file or to `limit`."""
        while True:
            size = self.chunk_bytes if limit is None else min(self.chunk_bytes, limit - self.read_pos)
            data = read_at(self.fd, size, self.read_pos) if size > 0 else b""
            if not data:
                return
            self.read_pos += len(data)
            self.last_data = time.monotonic()
            chunk = self._accept(data)
            if chunk is not None:
                yield chunk

    def _accept(self, data: bytes) -> Chunk | None:
        """Add freshly read bytes; return the complete lines they finish, if any."""
        start_of_data = self.read_pos - len(data)
        pos = 0
        if self.skipping:
            newline = data.find(b"\n")
            if newline < 0:
                self.line_start = self.read_pos
                return None
            self.skipping = False
            pos = newline + 1
            self.line_start = start_of_data + pos
        last_newline = data.rfind(b"\n", pos)
        if last_newline < 0:
            if len(self.partial) + len(data) - pos > self.max_line_bytes:
                self._skip_partial()
                self.line_start = self.read_pos
            else:
                self.partial += memoryview(data)[pos:]
            return None
        first_newline = data.find(b"\n", pos)
        if len(self.partial) + first_newline - pos > self.max_line_bytes:
            self._skip_partial()
            pos = first_newline + 1
            self.line_start = start_of_data + pos
        if self.partial:
            self.partial += memoryview(data)[pos : last_newline + 1]
            body = bytes(self.partial)
        else:
            body = data[pos : last_newline + 1]
        chunk_offset = self.line_start
        self.partial = bytearray(memoryview(data)[last_newline + 1 :])
        self.line_start = start_of_data + last_newline + 1
        if len(self.partial) > self.max_line_bytes:
            self._skip_partial()
            self.line_start = self.read_pos
        if not body:
            return None
        if self.identity is None:
            self.identity = identity_of(self.fd)
        assert self.identity is not None
        return Chunk(body, chunk_offset, self.identity)

    def _skip_partial(self) -> None:
        self.on_skip()
        self.partial = bytearray()
        self.skipping = True


def read_lines(fd: int, start: int, end: int | None, *, max_line_bytes: int, chunk_bytes: int,
               on_skip: Callable[[], None]) -> tuple[Iterator[Chunk], Callable[[], int]]:
    """Complete lines of an open file from the line start `start` up to `end` (a line start,
    or None: the end of the file), by the follower's rules (the line cap). Returns the chunks
    and a function telling, once they are read, where the lines handed out end."""
    opened = _OpenFile(fd, max_line_bytes, chunk_bytes, on_skip)
    opened.reset(start)
    return opened.read_to_eof(end), lambda: opened.line_start


class Follower:
    """Reads one path to EOF on every `poll()`, following it across rotation.

    `start_offset`/`start_identity` resume from a checkpoint (ignored when the file at the path
    is another one by then). After a rename or delete the old file stays open and is read too
    for as long as its writer keeps writing to it: a process started with `> litellm.log`
    never reopens its log, so after logrotate's `create` every new line still goes to the
    renamed file. It is let go once the new file has lines and the old one has been quiet
    for `PREVIOUS_GRACE` seconds.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        start_identity: FileIdentity | None = None,
        start_offset: int = 0,
        max_line_bytes: int = 16 * 1024 * 1024,
        chunk_bytes: int = DEFAULT_CHUNK,
    ) -> None:
        self.path = Path(path)
        self.max_line_bytes = max_line_bytes
        self.chunk_bytes = chunk_bytes
        self.skipped_long_lines = 0
        self.rotations = 0
        self.error: str | None = None       # what is wrong right now, in words, or None
        self._file: _OpenFile | None = None
        self._previous: _OpenFile | None = None
        self._resume = (start_identity, start_offset)

    # -- public ------------------------------------------------------------------------------
    def start_at(self, identity: FileIdentity, offset: int) -> None:
        """Before the first poll: begin at `offset` of the file `identity` (lines before it were
        read another way), or from the start if the path holds another file by then."""
        self._resume = (identity, offset)

    @property
    def resume(self) -> tuple[FileIdentity | None, int]:
        """Where the first poll will begin: this file identity at this offset (see
        `resume_offset`); (None, 0) once begun."""
        return self._resume

    @property
    def identity(self) -> FileIdentity | None:
        return self._file.identity if self._file is not None else None

    @property
    def offset(self) -> int:
        """File offset up to which every complete line has been handed out."""
        return self._file.line_start if self._file is not None else 0

    def poll(self) -> list[Chunk]:
        """Check the path once and return every complete line that is new since the last call."""
        return list(self.chunks())

    def chunks(self) -> Iterator[Chunk]:
        """Like `poll`, one chunk at a time, so a large file is never held whole."""
        try:
            yield from self._poll()
            if self.error and self._file is not None:
                self.error = None
        except OSError as exc:
            self.error = f"cannot read {self.path}: {exc.strerror or exc}"
            log.warning("%s", self.error)
            self._close()

    def close(self) -> None:
        self._close()
        self._let_go_of_previous()

    # -- the state machine -------------------------------------------------------------------
    def _poll(self) -> Iterator[Chunk]:
        if self._previous is not None:
            yield from self._previous.read_to_eof()
        if self._file is None and not self._open():
            return
        assert self._file is not None
        try:
            path_stat = os.stat(self.path)
        except FileNotFoundError:
            path_stat = None
        replaced = path_stat is not None and (path_stat.st_dev, path_stat.st_ino) != self._file.key
        if path_stat is None or replaced:
            # Renamed or deleted: whatever the writer put in the old file still counts.
            yield from self._file.read_to_eof()
            self._let_go_of_previous()
            self._previous, self._file = self._file, None
            if path_stat is None:
                self.error = f"{self.path} is gone (rotated or deleted); waiting for it to come back"
                return
            self.rotations += 1
            log.info("log rotated (new file at %s)", self.path)
            self._resume = (None, 0)
            if not self._open():
                return
            assert self._file is not None
        elif self._file.was_rewritten():
            self.rotations += 1
            log.info("log truncated or replaced in place: reading %s from the start", self.path)
            self._file.reset(0)
        yield from self._file.read_to_eof()
        previous = self._previous
        if previous is not None and self._file.read_pos > 0 \
                and time.monotonic() - previous.last_data > PREVIOUS_GRACE:
            self._let_go_of_previous()

    def _open(self) -> bool:
        try:
            fd = open_for_reading(self.path)
        except FileNotFoundError:
            self.error = f"{self.path} does not exist yet; waiting for it"
            return False
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            self.error = f"{self.path} is not a regular file"
            return False
        opened = _OpenFile(fd, self.max_line_bytes, self.chunk_bytes, self._count_skip)
        start = resume_offset(self._resume, opened.identity, os.fstat(fd).st_size)
        self._resume = (None, 0)
        opened.reset(start)
        self._file = opened
        self.error = None
        return True

    def _count_skip(self) -> None:
        self.skipped_long_lines += 1
        log.warning("skipped a line longer than %d bytes in %s", self.max_line_bytes, self.path)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None

    def _let_go_of_previous(self) -> None:
        if self._previous is not None:
            self._previous.close()
        self._previous = None


class Waker:
    """Wakes a follower when the file system reports a change near its path.

    watchdog's events are hints only; if the observer cannot start (no inotify, too many
    watches), polling alone keeps the follower correct, just a little slower.
    """

    def __init__(self, path: Path) -> None:
        self.event = threading.Event()
        self._observer = None
        self._path = Path(path)

    def start(self) -> None:
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency
            return
        wake = self.event
        name = self._path.name

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # type: ignore[no-untyped-def]
                paths = (getattr(event, "src_path", ""), getattr(event, "dest_path", ""))
                if any(str(p).endswith(name) for p in paths if p):
                    wake.set()

        folder = self._path.parent
        if not folder.is_dir():
            return
        try:
            observer = Observer()
            observer.name = "log-watch"
            observer.daemon = True
            observer.schedule(_Handler(), str(folder), recursive=False)
            observer.start()
            self._observer = observer
        except Exception as exc:  # noqa: BLE001 - any failure here just means "poll only"
            log.info("file events unavailable (%s); polling %s", exc, self._path)

    def wait(self, timeout: float) -> None:
        self.event.wait(timeout)
        self.event.clear()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None


def follow(
    follower: Follower,
    handle: Callable[[list[Chunk]], None],
    stop: threading.Event,
    poll_seconds: float = 0.25,
) -> None:
    """Loop until `stop`: poll, hand chunks to `handle`, sleep until woken or the poll is due."""
    waker = Waker(follower.path)
    waker.start()
    try:
        while not stop.is_set():
            chunks = follower.poll()
            if chunks:
                handle(chunks)
            if stop.is_set():
                break
            waker.wait(poll_seconds)
    finally:
        waker.stop()
        follower.close()
