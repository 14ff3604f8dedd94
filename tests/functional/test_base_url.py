"""Absolute URLs come from the configured BASE_URL, never from the request's Host headers."""
from __future__ import annotations

from flask import url_for


def test_api_iris_name_the_configured_host_whatever_host_the_request_claims(client, make):
    slug = make.demo_article()
    response = client.get(f"/api/articles/{slug}/annotations",
                          headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "evil.example" not in body
    assert response.get_json()["id"].startswith("http://localhost/api/")


def test_absolute_urls_can_be_built_outside_a_request(another_app):
    other = another_app(BASE_URL="https://postil.example.org/journal")
    with other.app_context():
        assert url_for("main.index", _external=True) == "https://postil.example.org/journal/"


def test_the_cached_json_ld_context_never_names_a_host_a_request_claims_behind_the_proxy(another_app):
    """/api/context.jsonld is cacheable for a day: its IRIs come from POSTIL_BASE_URL, not X-Forwarded-Host."""
    from config import ProductionConfig

    production = another_app(ProductionConfig, SECRET_KEY="k" * 64, BASE_URL="https://postil.example.org",
                             PROXY_FIX_HOPS=1, RATELIMIT_ENABLED=False)
    assert production.config["PROXY_FIX_HOPS"] == 1
    response = production.test_client().get("/api/context.jsonld", headers={
        "Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
        "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "evil.example" not in response.get_data(as_text=True)
    assert response.get_json()["@context"]["postil"] == "https://postil.example.org/api/context.jsonld#"
