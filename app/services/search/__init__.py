"""Search: one service over the database's own full-text engine (SQLite FTS5 or PostgreSQL).

- `searching`: the search itself (results by type, pages, visibility);
- `facets`: its counts and facets, counted up to a cap;
- `requests` and `results`: what a search is asked and what it answers;
- `filters`: fielded filters and the `is:` states hook;
- `engines`: the two engines behind one interface, chosen from the dialect;
- `index`: keeping the documents in step with the content, and rebuilding them.
"""
