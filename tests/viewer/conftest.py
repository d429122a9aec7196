"""Fixtures for the viewer's pure tests: realistic records and a store holding them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

from tests.viewer import viewer_samples
from tray.model import RequestRecord
from tray.store import Store


@pytest.fixture(scope="session")
def samples() -> ModuleType:
    return viewer_samples


@pytest.fixture
def records(samples: ModuleType) -> list[RequestRecord]:
    return samples.sample_records()


@pytest.fixture
def store_path(tmp_path: Path, samples: ModuleType, records: list[RequestRecord]) -> Iterator[Path]:
    """A store file holding the sample records; the writer is closed before the test reads."""
    path = tmp_path / "store.sqlite3"
    samples.fill_store(path, records).close()
    yield path


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    """The sample store opened read-only, as the viewer opens it."""
    reader = Store(store_path, readonly=True)
    yield reader
    reader.close()
