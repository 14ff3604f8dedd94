"""Pages holding every vector of the XSS corpus run no script in a real Chromium.

Each vector is stored where users can write: annotation bodies and tags, profile fields, study
fields, article Markdown, and search terms. The browser hooks alert/confirm/prompt and a sentinel
global before any page script runs, and records Content-Security-Policy violations (which would
mean the sanitiser let something through and only the CSP stopped it).
"""
from urllib.parse import quote

import pytest

from tests.browser.conftest import sign_in
from tests.xss_corpus import load_vectors

pytestmark = pytest.mark.browser
VECTORS = [v for _, v in load_vectors()]
HOOKS = """
window.__xss_events = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { window.__xss_events.push(name); };
}
Object.defineProperty(window, '__xss', {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__xss_events.push('sentinel'); },
});
document.addEventListener('securitypolicyviolation', (e) => {
  window.__xss_events.push('csp:' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


def _store_vectors(app, make) -> tuple[str, str, object]:
    """Write every vector everywhere users can write; return both article slugs and a reader."""
    from sqlalchemy import select

    from app.bibliography.record import StudyRecord
    from app.extensions import db
    from app.models import Article, User
    from app.services import annotations, articles, studies

    slug = make.demo_article()
    reader = make.user(trusted=True)
    authors = [make.user(trusted=True, name=v[:100] or "x", profession=v[:120], competing_interests=v[:2000])
               for v in VECTORS[:40]]
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        selector = annotations.anchor(article, "are the models used really representative")
        for i, vector in enumerate(VECTORS):
            author = db.session.get(User, authors[i % len(authors)].id)
            created = annotations.create(article, author, body=vector, selector=selector,
                                         tags=[vector[:40] or "x"])
            annotations.create(article, author, body=f"reply {vector}", parent=created)
        for i, vector in enumerate(VECTORS):
            studies.create_study(StudyRecord(title=f"{vector} study {i}", citation_key=f"xss{i}",
                                             container_title=vector[:300], key_findings=vector,
                                             population=vector, issued_year=2000 + i % 20))
        body = "\n\n".join(VECTORS) + "\n\nA final paragraph."
        data = articles.ArticleInput(title="XSS corpus <script>alert(1)</script>", body=body,
                                     standfirst=VECTORS[0], slug="xss-corpus", tags=VECTORS[:5])
        hostile = articles.save_article(data, editor=None)
        db.session.commit()
        return slug, hostile.slug, reader


def _assert_no_script_ran(page, url: str) -> None:
    response = page.goto(url)
    assert response.status < 500, url
    page.wait_for_load_state("load")
    events = page.evaluate("window.__xss_events")
    assert events == [], f"{url}: {events}"


def test_no_vector_runs_anywhere(page, app, make):
    slug, hostile_slug, reader = _store_vectors(app, make)
    page.add_init_script(HOOKS)
    urls = [f"/articles/{slug}", f"/articles/{hostile_slug}", "/", "/studies"]
    urls += [f"/studies?q={quote(v)}" for v in VECTORS[:25]]
    urls += [f"/articles/{slug}?tag={quote(v[:40])}" for v in VECTORS[:10]]
    for url in urls:
        _assert_no_script_ran(page, url)
    sign_in(page, reader.email, reader.password)
    for url in (f"/articles/{slug}", f"/articles/{hostile_slug}", "/studies?page=2"):
        _assert_no_script_ran(page, url)
    # Click around the discussion: opening threads runs the page's own script over hostile content.
    page.goto(f"/articles/{slug}")
    page.locator(".thread").first.click()
    page.locator("mark.hl").first.click()
    assert page.evaluate("window.__xss_events") == []
