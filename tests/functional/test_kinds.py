"""The annotation kinds as readers see them: legend, filter, forms and stylesheet, all from one table."""
from __future__ import annotations

import re

from app.annotating.forms import KIND_CHOICES
from app.api import w3c
from app.models import AnnotationKind
from app.text.kinds import KINDS

QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _rule(css: str, selector: str) -> str:
    found = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert found, f"no rule for {selector}"
    return found.group(1)


def test_the_stylesheet_draws_every_kind_with_its_tint_and_line(client):
    response = client.get("/kinds.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    for kind, style in KINDS.items():
        assert style.tint in _rule(css, f"mark.hl-{kind.value}, .kind-chip.kind-{kind.value}")
        assert f"border-bottom-style: {style.line}" in _rule(css, f"mark.hl-{kind.value} ")
        thread = _rule(css, f".thread.kind-{kind.value}")
        assert style.edge in thread and f"border-left-style: {style.line}" in thread


def test_the_stylesheet_is_shared_by_everyone_and_revalidated(client, auth, make):
    reader = make.user()
    auth.sign_in(reader.email, reader.password)
    assert client.get("/profile").status_code == 200  # signed in: pages are no-store, the stylesheet is not
    first = client.get("/kinds.css")
    assert "no-store" not in first.headers.get("Cache-Control", "") and first.headers.get("ETag")
    again = client.get("/kinds.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_article_page_shows_each_kind_with_its_marker_and_label(client, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    make.annotation(author, slug, QUOTE, kind=AnnotationKind.CRITIQUE)
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert 'href="/kinds.css"' in page
    for kind in AnnotationKind:
        assert (f'<span class="kind-chip kind-{kind.value}" aria-hidden="true">{kind.marker}</span> '
                f'{kind.label}') in page.replace("&amp;", "&")
        assert f'<option value="{kind.value}">{kind.label}</option>' in page
    assert 'class="hl-ref hl-ref-critique"' in page and "Critique of evidence by" in page


def test_forms_and_the_api_take_their_kinds_from_the_table():
    assert [(c.value, c.label) for c in KIND_CHOICES] == [(k.value, k.label) for k in AnnotationKind]
    assert w3c.MOTIVATION_OF_KIND == {k: KINDS[k].motivation for k in AnnotationKind}
