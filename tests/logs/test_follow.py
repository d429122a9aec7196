"""The follower against every way a log file changes under it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tray.logs.follow import Follower


def lines_of(chunks) -> list[bytes]:
    return [line for chunk in chunks for line in chunk.data.split(b"\n")[:-1]]


def append(path: Path, text: str) -> None:
    with open(path, "ab") as handle:
        handle.write(text.encode())


def test_appends_are_seen_and_a_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "one\ntwo\nthr")
    follower = Follower(log)
    assert lines_of(follower.poll()) == [b"one", b"two"]
    assert follower.poll() == []
    append(log, "ee\nfour\n")
    chunks = follower.poll()
    assert lines_of(chunks) == [b"three", b"four"]
    assert chunks[0].offset == len("one\ntwo\n")
    assert follower.offset == log.stat().st_size


def test_waits_for_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    follower = Follower(log)
    assert follower.poll() == []
    assert "does not exist yet" in (follower.error or "")
    append(log, "hello\n")
    assert lines_of(follower.poll()) == [b"hello"]
    assert follower.error is None


def test_rename_and_create_reads_the_old_tail_then_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "a\n")
    follower = Follower(log)
    assert lines_of(follower.poll()) == [b"a"]
    append(log, "b\n")                       # written before the rename, not read yet
    log.rename(tmp_path / "litellm.log.1")
    append(log, "c\n")
    assert lines_of(follower.poll()) == [b"b", b"c"]
    assert follower.rotations == 1


def test_copytruncate_and_truncation_in_place_restart_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "first line of the old file\nsecond\n")
    follower = Follower(log)
    assert len(lines_of(follower.poll())) == 2
    shutil.copy(log, tmp_path / "litellm.log.1")
    with open(log, "r+b") as handle:
        handle.truncate(0)
    append(log, "new\n")
    assert lines_of(follower.poll()) == [b"new"]
    with open(log, "r+b") as handle:          # plain truncation, then regrowth
        handle.truncate(0)
    assert follower.poll() == []
    append(log, "after\n")
    assert lines_of(follower.poll()) == [b"after"]


def test_truncated_and_regrown_past_the_offset_is_noticed_by_its_head(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "10:00:00 old head\nx\n")
    follower = Follower(log)
    follower.poll()
    with open(log, "r+b") as handle:
        handle.truncate(0)
    append(log, "10:05:00 new head, longer than before\nmore\n")
    assert lines_of(follower.poll()) == [b"10:05:00 new head, longer than before", b"more"]


def test_delete_and_recreate(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "old\n")
    follower = Follower(log)
    follower.poll()
    log.unlink()
    assert follower.poll() == []
    assert "gone" in (follower.error or "")
    append(log, "new file\n")
    assert lines_of(follower.poll()) == [b"new file"]


def test_replaced_by_another_file_of_the_same_size(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "AAAA\nBBBB\n")
    follower = Follower(log)
    follower.poll()
    other = tmp_path / "other.log"
    append(other, "CCCC\nDDDD\n")
    os.replace(other, log)                    # new inode, same size
    assert lines_of(follower.poll()) == [b"CCCC", b"DDDD"]
    with open(log, "r+b") as handle:          # same inode, same size, new content
        handle.write(b"EEEE\nFFFF\n")
    assert lines_of(follower.poll()) == [b"EEEE", b"FFFF"]


def test_a_line_over_the_cap_is_skipped_and_counted_without_being_held(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    cap = 64 * 1024
    with open(log, "wb") as handle:
        handle.write(b"before\n")
        handle.write(b"x" * (cap * 5) + b"\n")
        handle.write(b"after\n")
        handle.write(b"y" * cap + b"\n")        # exactly at the cap: kept
    follower = Follower(log, max_line_bytes=cap, chunk_bytes=4096)
    lines = lines_of(follower.poll())
    assert lines[:2] == [b"before", b"after"] and lines[2] == b"y" * cap
    assert follower.skipped_long_lines == 1
    assert follower.offset == log.stat().st_size


def test_a_long_line_still_being_written_is_skipped_once_it_passes_the_cap(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    follower = Follower(log, max_line_bytes=1000, chunk_bytes=100)
    append(log, "ok\n" + "z" * 600)
    assert lines_of(follower.poll()) == [b"ok"]
    append(log, "z" * 600)
    assert follower.poll() == [] and follower.skipped_long_lines == 1
    append(log, "z" * 5000 + "\nnext\n")
    assert lines_of(follower.poll()) == [b"next"]
    assert follower.skipped_long_lines == 1


def test_resumes_from_a_checkpoint_and_ignores_one_for_another_file(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    append(log, "one\ntwo\n")
    first = Follower(log)
    first.poll()
    identity, offset = first.identity, first.offset
    append(log, "three\n")
    resumed = Follower(log, start_identity=identity, start_offset=offset)
    assert lines_of(resumed.poll()) == [b"three"]
    log.unlink()
    append(log, "fresh\n")
    other = Follower(log, start_identity=identity, start_offset=offset)
    assert lines_of(other.poll()) == [b"fresh"]


def test_binary_junk_and_invalid_utf8_pass_through_as_bytes(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    junk = bytes(range(256)).replace(b"\n", b"")
    log.write_bytes(b"good\n" + junk + b"\n\xff\xfe\n" + b"good again\n")
    lines = lines_of(Follower(log).poll())
    assert lines[0] == b"good" and lines[-1] == b"good again" and len(lines) == 4


def test_a_writer_that_never_reopens_is_still_followed_after_a_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`litellm ... > litellm.log` keeps writing to the renamed file after logrotate's `create`."""
    import tray.logs.follow as follow

    log = tmp_path / "litellm.log"
    writer = open(log, "ab", buffering=0)          # the shell's redirect: one descriptor for life
    writer.write(b"before\n")
    follower = Follower(log)
    assert lines_of(follower.poll()) == [b"before"]
    log.rename(tmp_path / "litellm.log.1")
    log.touch()                                     # logrotate `create`: a new, empty file
    writer.write(b"after the rename\n")
    assert lines_of(follower.poll()) == [b"after the rename"]
    writer.write(b"and later\n")
    assert lines_of(follower.poll()) == [b"and later"]
    append(log, "the new file at last\n")           # the writer reopened (or a new proxy)
    monkeypatch.setattr(follow, "PREVIOUS_GRACE", 0.0)
    assert lines_of(follower.poll()) == [b"the new file at last"]
    writer.write(b"too late\n")                     # let go once the new file had lines
    assert follower.poll() == []
    writer.close()
    follower.close()


def test_a_deleted_file_still_being_written_is_read_to_its_end(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    writer = open(log, "ab", buffering=0)
    writer.write(b"one\n")
    follower = Follower(log)
    follower.poll()
    log.unlink()
    writer.write(b"two\n")
    assert lines_of(follower.poll()) == [b"two"]
    writer.close()
    follower.close()


def test_without_pread_as_on_windows_files_read_the_same(tmp_path: Path, monkeypatch) -> None:
    from tray.logs import follow
    from tray.logs.reader import read_whole_file
    from tray.logs.tail import last_requests

    log = Path(__file__).resolve().parents[1] / "fixtures" / "litellm-1.110.2" / "debug.log"
    everything = [r.to_json() for r in read_whole_file(log)[0]]
    last = [r.to_json() for r in last_requests(log, 5)[0]]
    monkeypatch.setattr(follow, "_PREAD", None)
    assert [r.to_json() for r in read_whole_file(log)[0]] == everything
    assert [r.to_json() for r in last_requests(log, 5)[0]] == last
