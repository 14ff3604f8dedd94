"""Fixtures for the bibliography package tests: the reference files in tests/data/bibliography."""

from collections.abc import Callable
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "bibliography"


@pytest.fixture
def bib_data() -> Callable[[str], bytes]:
    """Return a reader of fixture files by name, as the bytes an upload would carry."""

    def read(name: str) -> bytes:
        return (DATA_DIR / name).read_bytes()

    return read
