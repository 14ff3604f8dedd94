"""A search costs the same number of SQL statements however many documents match."""
from __future__ import annotations

import pytest

from tests.functional.search.conftest import QUOTE
from tests.statements import counting_queries


def _add(make, corpus, how_many: int) -> None:
    authors = [corpus.users["reader_a"], corpus.users["reader_b"]]
    ids = [make.annotation(authors[n % 2], corpus.slug, QUOTE, body=f"Tapir observation {n}.", tags=[f"t{n % 3}"])
           for n in range(how_many)]
    for parent in ids[:how_many // 3]:
        make.reply(authors[1], parent, body="A tapir reply.")


def _statements(app, client, path: str) -> int:
    with counting_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/search?q=tapir", "/search?q=tapir&type=annotation", "/search?q=tapir&type=article",
                                  "/search?q=tag:t1", "/api/search?q=tapir", "/api/search?q=tapir&type=annotation"])
def test_a_search_costs_a_fixed_number_of_queries(app, client, make, corpus, path):
    _add(make, corpus, 3)
    few = _statements(app, client, path)
    _add(make, corpus, 45)
    many = _statements(app, client, path)
    assert many == few
    assert few <= 10
