"""Pages a reader sees: the article list, the demo article with its references, errors, headers."""
import re

from tests.conftest import csrf_from

TOKEN_FIELD = re.compile(r'name="(?:[\w-]+-)?csrf_token"')


def test_article_list_shows_the_demo_article(client, make):
    make.demo_article()
    page = client.get("/").get_data(as_text=True)
    assert "Chemotherapy: a cause of metastases?" in page
    assert 'href="/articles/chemotherapy-metastases"' in page


def test_article_page_renders_body_and_three_references(client, make):
    slug = make.demo_article()
    response = client.get(f"/articles/{slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "are the models used really representative of the spectrum of human tumors?" in page
    assert "[@" not in page
    references = re.findall(r'<li id="ref-(\d)"', page)
    assert references == ["1", "2", "3"]
    assert "Does Chemotherapy Induce Metastases?" in page
    assert "Neoadjuvant chemotherapy induces breast cancer metastasis through a TMEM-mediated mechanism" in page
    assert "doi:10.1126/scitranslmed.aan0026" in page
    assert 'href="#ref-2"' in page


def test_unknown_article_is_a_404_page(client, clean_db):
    response = client.get("/articles/does-not-exist")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_every_form_carries_a_csrf_token(client, auth, make):
    user = make.user()
    for path in ("/sign-in", "/sign-up"):
        page = client.get(path).get_data(as_text=True)
        # Forms that change something (POST); the header's search form is a GET that changes nothing.
        forms = len(re.findall(r'<form[^>]*method="post"', page, flags=re.IGNORECASE))
        assert forms and len(TOKEN_FIELD.findall(page)) >= forms, path
    auth.sign_in(user.email)
    page = client.get("/profile").get_data(as_text=True)
    assert len(re.findall(r'<form[^>]*method="post"', page, flags=re.IGNORECASE)) == len(TOKEN_FIELD.findall(page))
    assert page.count("<form") == len(TOKEN_FIELD.findall(page)) + page.count('role="search"')


def test_post_without_csrf_token_changes_nothing(client, make):
    user = make.user()
    response = client.post("/sign-in", data={"email": user.email, "password": user.password})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_security_headers_on_pages_errors_and_static(client, clean_db):
    for path in ("/", "/sign-in", "/no-such-page", "/static/css/postil.css"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_authenticated_pages_are_not_cached(client, auth, make):
    user = make.user()
    auth.sign_in(user.email)
    assert client.get("/profile").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_scripts_styles_or_remote_assets():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app" / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        if template.parent.name == "email":
            # Emails are not pages: mail clients need inline CSS, and no script ever runs in them.
            assert "<script" not in text, template
            continue
        assert "<style" not in text and " style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
        assert not re.search(r'src="(https?:)?//', text), template
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), template


def test_oversized_request_is_refused(client, clean_db):
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"csrf_token": token, "email": "a@b.org",
                                             "password": "x" * (11 * 1024 * 1024)})
    assert response.status_code == 413
