"""Whatever a reader types, search answers with results or a clear message: never a 500, never engine errors.

Hypothesis generates query strings from every Unicode category plus the characters and words that
mean something to FTS5, to_tsquery or SQL, and sends them to the page and to the API on whichever
engine the suite runs (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.search.requests import SearchRequest
from app.services.search.searching import search
from app.text.query import MAX_QUERY_LENGTH

SYNTAX = ['"', "*", "^", ":", "-", "(", ")", "NEAR", "AND", "OR", "NOT", "NEAR/2", "{", "}", "+", "'", "\\", "&",
          "|", "!", "<->", ":*", "tag:", "kind:", "level:", "design:", "author:", "article:", "is:", "--", ";",
          "DROP TABLE", "' OR 1=1", "%", "_", "\u00e9", "\u200b", "\ufffd", "10.1000/", "PMC", "PMID:"]
WORDS = ["tie2", "macrophages", "metasta", "nac", "müller", "question", "rct", "5", "chemotherapy-metastases"]
queries = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=12).map("".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=MAX_QUERY_LENGTH - 5,
            max_size=MAX_QUERY_LENGTH + 5),
)
ENGINE_WORDS = ("fts5", "syntax error", "tsquery", "sqlite", "psycopg", "Traceback", "OperationalError")
PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@PROFILE
@given(typed=queries)
def test_the_page_and_the_api_answer_any_query_cleanly(client, corpus, typed):
    for path in ("/search", "/api/search"):
        response = client.get(path, query_string={"q": typed})
        body = response.get_data(as_text=True)
        if "\x00" in typed:
            assert response.status_code == 400  # Postil refuses NUL in every request
            continue
        assert response.status_code in (200, 302, 400), (typed, response.status_code)
        if response.status_code == 400:
            assert len(typed) > MAX_QUERY_LENGTH, typed
            assert "at most 500" in body or "500 at most" in body
        assert not any(word in body for word in ENGINE_WORDS if word.lower() not in typed.lower()), typed


@PROFILE
@given(typed=queries, kind=st.sampled_from(["", "annotation", "article", "study"]))
def test_the_service_never_raises_engine_errors(app, corpus, typed, kind):
    from app.services.search.requests import BadSearch

    with app.app_context():
        try:
            results = search(SearchRequest(q=typed.replace("\x00", ""), type=kind), None)
        except BadSearch as exc:
            assert len(typed.replace("\x00", "")) > MAX_QUERY_LENGTH and "at most" in exc.message
        else:
            assert results.total >= 0
