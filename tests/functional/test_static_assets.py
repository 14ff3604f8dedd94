"""Static files are named by their content, so browsers keep them a year and still never run a stale one."""
from __future__ import annotations

import re

from app.main.assets import ONE_YEAR, fingerprint


def test_pages_link_fingerprinted_files_that_browsers_may_keep_a_year(client, make):
    slug = make.demo_article()
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any(link.startswith("/static/js/reading.js?v=") for link in links)
    assert links and all(re.search(r"\?v=[0-9a-f]{16}$", link) for link in links)
    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        assert response.cache_control.max_age == ONE_YEAR and response.cache_control.immutable
        # The policy still forbids anything inline or from another host.
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_stale_or_missing_fingerprint_gets_the_file_revalidated_each_time(client):
    for url in ("/static/css/reading.css", "/static/css/reading.css?v=0123456789abcdef"):
        response = client.get(url)
        assert response.status_code == 200 and b"{" in response.get_data()
        assert response.cache_control.no_cache and not response.cache_control.max_age


def test_the_fingerprint_follows_the_file_content(tmp_path):
    asset = tmp_path / "app.js"
    asset.write_text("console.log(1);")
    first = fingerprint(str(tmp_path), "app.js")
    assert first == fingerprint(str(tmp_path), "app.js")
    asset.write_text("console.log(2); // changed")
    assert fingerprint(str(tmp_path), "app.js") not in (None, first)
    assert fingerprint(str(tmp_path), "missing.js") is None
