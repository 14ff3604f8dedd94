"""Every test here starts from an empty database."""
import pytest


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield


@pytest.fixture(scope="session")
def _lookup_httpd():
    from tests import lookup_server

    state, httpd = lookup_server.start()
    yield state
    httpd.shutdown()


@pytest.fixture
def lookup_server(app, _lookup_httpd):
    """Point Crossref and E-utilities at the local replaying server for one test, with an empty cache."""
    from app.clients import metadata

    saved = {name: app.config[name] for name in ("CROSSREF_API_URL", "EUTILS_API_URL", "LOOKUP_TIMEOUT")}
    app.config.update(CROSSREF_API_URL=_lookup_httpd.url, EUTILS_API_URL=_lookup_httpd.url, LOOKUP_TIMEOUT=5)
    _lookup_httpd.requests.clear()
    metadata.clear_cache()
    yield _lookup_httpd
    app.config.update(saved)
    metadata.clear_cache()


@pytest.fixture
def views(app, monkeypatch):
    """Count the article view's runs: a request the page cache answers before Flask does not run it."""
    calls = []
    view = app.view_functions["main.article"]

    def counting(*args, **kwargs):
        calls.append(kwargs.get("slug"))
        return view(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "main.article", counting)
    return calls
