"""API tests: every test starts from an empty database, and every response is checked against the docs.

The `api` fixture is a thin client over the test client that authenticates with a Bearer token or
the session (adding the CSRF header), and validates each response against the OpenAPI document the
app serves (the status must be documented, the body must match its schema) and each served
annotation against the W3C Web Annotation JSON Schema in tests/data.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.extensions import db
from app.models import Article, User
from app.services import tokens
from tests.conftest import csrf_from

W3C_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "data" / "w3c-web-annotation.schema.json")
                        .read_text("utf-8"))
ANNO = "http://www.w3.org/ns/anno.jsonld"
QUOTE = "TMEM sites"
SECOND_QUOTE = "rebastinib, a TIE2 inhibitor"


@pytest.fixture(autouse=True)
def _isolated_database(clean_db):
    yield


def openapi_path(rule: str) -> str:
    """Turn a Werkzeug rule (/api/annotations/<int:annotation_id>) into an OpenAPI path."""
    out, depth, name = [], 0, ""
    for char in rule:
        if char == "<":
            depth, name = 1, ""
        elif char == ">":
            depth = 0
            out.append("{" + name.split(":")[-1] + "}")
        elif depth:
            name += char
        else:
            out.append(char)
    return "".join(out)


def served_annotations(body) -> list[dict]:
    """Return every annotation in a response body (a single one, a collection or a page)."""
    if not isinstance(body, dict):
        return []
    if body.get("type") == "Annotation":
        return [body]
    page = body.get("first") if isinstance(body.get("first"), dict) else body
    items = page.get("items", []) if page.get("type") == "AnnotationPage" else []
    return [item for item in items if isinstance(item, dict)]  # IRI-only pages list strings


W3C_VALIDATOR = Draft202012Validator(W3C_SCHEMA)


def assert_w3c_annotation(annotation: dict) -> None:
    """Fail unless `annotation` validates against the W3C Web Annotation schema."""
    errors = sorted(W3C_VALIDATOR.iter_errors(annotation), key=str)
    assert not errors, "not a valid W3C Web Annotation: " + "; ".join(e.message for e in errors[:5])


class Api:
    """A JSON client for /api that checks every response against the OpenAPI document the app serves.

    The status must be documented for the operation, the body must match its schema, and every
    header the document says the response carries must be there and match its schema.
    """

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.token: str | None = None
        self.csrf: str | None = None
        self._document: dict | None = None
        self._validators: dict[tuple, Draft202012Validator] = {}
        # Off only where a test measures something else (query counts) on large responses.
        self.checking = True

    def as_token(self, token: str | None) -> Api:
        self.token = token
        return self

    def with_session_csrf(self) -> Api:
        """Use the session cookie, sending the CSRF token of a page with unsafe methods."""
        self.token = None
        self.csrf = csrf_from(self.client.get("/").get_data(as_text=True))
        return self

    @property
    def document(self) -> dict:
        if self._document is None:
            self._document = self.client.get("/api/openapi.json").get_json()
        return self._document

    def request(self, method: str, path: str, json_body=None, headers: dict | None = None, **kwargs):
        path = urlsplit(path)._replace(scheme="", netloc="").geturl() if path.startswith("http") else path
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if self.csrf is not None and method in ("POST", "PUT", "PATCH", "DELETE"):
            headers.setdefault("X-CSRFToken", self.csrf)
        if json_body is not None:
            kwargs["json"] = json_body
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if self.checking:
            self.check_documented(method, path, response)
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def options(self, path, **kw):
        return self.request("OPTIONS", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body, **kw)

    def put(self, path, json_body=None, **kw):
        return self.request("PUT", path, json_body, **kw)

    def patch(self, path, json_body=None, **kw):
        return self.request("PATCH", path, json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def _validator(self, key: tuple, schema: dict) -> Draft202012Validator:
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({**schema, "components": self.document["components"]})
        return self._validators[key]

    def check_documented(self, method: str, path: str, response) -> None:
        """Fail unless the status is documented, the body matches its schema and the documented headers are there."""
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, _ = adapter.match(urlsplit(path).path, method=method, return_rule=True)
        except Exception:  # an unknown /api path or method: the app's 404 or 405, not an operation
            assert response.status_code in (404, 405)
            return
        operations = self.document["paths"][openapi_path(rule.rule)]
        # HEAD is GET without a body; OPTIONS is described where a resource answers it itself.
        operation = operations.get("get" if method == "HEAD" else method.lower())
        if operation is None:
            assert method == "OPTIONS", f"{method} {rule.rule} is not described"
            return
        documented = operation["responses"].get(str(response.status_code))
        assert documented, f"{method} {rule.rule} answered {response.status_code}, which is not documented"
        self._check_headers(method, rule.rule, response, documented.get("headers", {}))
        content = documented.get("content")
        if not content or method == "HEAD":
            assert not response.data, f"{method} {rule.rule} {response.status_code} should have no body"
            return
        assert response.mimetype in content, f"{response.mimetype} is not documented for {method} {rule.rule}"
        validator = self._validator((rule.rule, method, response.status_code, response.mimetype),
                                    content[response.mimetype]["schema"])
        body = response.get_json()
        errors = sorted(validator.iter_errors(body), key=str)
        assert not errors, f"{method} {rule.rule} {response.status_code}: " + "; ".join(e.message for e in errors[:5])
        for annotation in served_annotations(body):
            assert_w3c_annotation(annotation)

    def _check_headers(self, method: str, rule: str, response, documented: dict) -> None:
        for name, header in documented.items():
            value = response.headers.get(name)
            if value is None:
                assert not header.get("required"), f"{method} {rule} {response.status_code}: no {name} header"
                continue
            errors = list(self._validator(("header", name, str(header["schema"])), header["schema"])
                          .iter_errors(value))
            assert not errors, f"{method} {rule}: {name}: {value!r} does not match its schema ({errors[0].message})"


@pytest.fixture
def api(app, client):
    """An API client (anonymous until told otherwise) validating responses against the docs."""
    return Api(app, client)


@pytest.fixture
def slug(make):
    """The demo article's slug."""
    return make.demo_article()


@pytest.fixture
def token_for(app):
    """Create an API token for a user (UserInfo) and return its secret."""

    def create(user, name: str = "test") -> str:
        with app.app_context():
            _, secret = tokens.create(db.session.get(User, user.id), name)
            db.session.commit()
            return secret

    return create


def article_text(app, slug: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Article.body_text).where(Article.slug == slug))


def new_annotation(app, slug: str, quote: str = QUOTE, text: str = "Mouse models may not transfer.", **extra) -> dict:
    """Build a W3C Web Annotation on the first occurrence of `quote` in the article."""
    start = article_text(app, slug).index(quote)
    data = {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "assessing",
        "body": [{"type": "TextualBody", "value": text, "format": "text/markdown"}],
        "target": {"source": f"http://localhost/articles/{slug}",
                   "selector": [{"type": "TextQuoteSelector", "exact": quote},
                                {"type": "TextPositionSelector", "start": start, "end": start + len(quote)}]},
    }
    data.update(extra)
    return data


def reply_to(iri: str, text: str = "I agree.") -> dict:
    """Build a W3C reply to the annotation `iri`."""
    return {"@context": ANNO, "type": "Annotation", "motivation": "replying",
            "body": {"type": "TextualBody", "value": text, "format": "text/markdown"}, "target": iri}


@pytest.fixture
def limited_client(another_app):
    """A client of a second app on the same database with rate limits on (2 annotations/minute, 2 tokens/hour)."""
    return another_app(RATELIMIT_ENABLED=True, RATELIMIT_ANNOTATIONS="2 per minute",
                       RATELIMIT_TOKENS="2 per hour").test_client()
