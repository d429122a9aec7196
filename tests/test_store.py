"""The store: one row per request id, checkpoints with their rows, retention, privacy."""

from __future__ import annotations

import stat
from pathlib import Path

from tray.model import RequestRecord
from tray.store import MIGRATIONS, Checkpoint, Store


def record(n: int, **changes: object) -> RequestRecord:
    base = RequestRecord(id=f"call-{n}", model="cheap", messages=[{"role": "user", "content": f"hi {n}"}])
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_rereading_updates_a_request_instead_of_duplicating_it() -> None:
    store = Store()
    store.commit([record(1), record(2)])
    store.commit([record(1, cost=0.5, status_code=200)])
    assert store.count() == 2
    assert store.get("call-1").cost == 0.5
    assert [r.id for r in store.recent()] == ["call-1", "call-2"]


def test_the_endpoint_is_kept_and_a_reread_without_it_keeps_it() -> None:
    """The viewer replays a request at its endpoint: stored beside the contract's fields."""
    store = Store()
    store.commit([record(1, endpoint="/v1/embeddings"), record(2)])
    store.commit([record(1, cost=0.5)])          # read again from a line that does not tell
    assert store.get("call-1").endpoint == "/v1/embeddings"
    assert store.get("call-2").endpoint is None
    assert "endpoint" not in store.get("call-1").to_json()


def test_checkpoint_is_saved_with_its_rows() -> None:
    store = Store()
    point = Checkpoint("/var/log/litellm.log", 1, 2, "abc", 4096)
    store.commit([record(1)], point)
    assert store.checkpoint("/var/log/litellm.log") == point
    assert store.checkpoint("/other") is None


def test_retention_keeps_the_most_recent() -> None:
    store = Store(retention=3)
    store.commit([record(n) for n in range(10)])
    assert [r.id for r in store.recent()] == ["call-7", "call-8", "call-9"]


def test_file_is_private_and_migrations_are_named(tmp_path: Path) -> None:
    path = tmp_path / "data" / "store.sqlite3"
    store = Store(path)
    store.commit([record(1)])
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert store.migrations() == sorted(name for name, _ in MIGRATIONS)
    store.close()
    again = Store(path)              # reopening applies nothing twice
    assert again.count() == 1


def test_light_listing_leaves_the_bodies_out_but_the_prompt_s_first_line() -> None:
    store = Store()
    store.commit([record(1, response="long answer", messages=[
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "Line one\nline two"}])])
    store.commit([record(2, messages=[])])
    light, empty = store.recent(light=True)
    assert light.response is None and light.model == "cheap"
    assert light.messages == [{"role": "user", "content": "Line one"}]
    assert empty.messages == []
