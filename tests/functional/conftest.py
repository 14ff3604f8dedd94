"""Every test here starts from an empty database."""
import pytest


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield
