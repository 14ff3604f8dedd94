"""The search page as a reader uses it: results by type, facets, pages, identifiers, bad input."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from app.extensions import db
from app.models import AnnotationKind, Study
from tests.functional.search.conftest import QUOTE


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _hrefs(html: str) -> list[str]:
    """Return where each result leads, in order."""
    return re.findall(r'<h3 class="hit-title"><a href="([^"]+)"|<a href="([^"]+)" class="hit-link"', html) and [
        a or b for a, b in re.findall(r'<h3 class="hit-title"><a href="([^"]+)"|<a href="([^"]+)" class="hit-link"',
                                      html)]


def test_an_empty_search_shows_the_syntax_help_without_an_error(client, corpus):
    html = _page(client, "/search")
    assert "All words must match" in html and "kind:question" in html
    assert "NAC</span> ↔ <span class=\"syn\">neoadjuvant chemotherapy" in html.replace("nac", "NAC")
    assert 'role="alert"' not in html


def test_every_page_has_the_header_search_box_and_the_search_page_fills_it(client, corpus):
    for path in ("/", f"/articles/{corpus.slug}", "/studies", "/sign-in"):
        assert 'id="site-search-q"' in _page(client, path)
    html = _page(client, "/search?q=tie2+macrophages")
    assert re.search(r'id="site-search-q"[^>]*value="tie2 macrophages"|value="tie2 macrophages"[^>]*id="site-search-q"',
                     html)
    assert re.search(r'src="/static/js/search.js\?v=[0-9a-f]+"', html)


def test_a_search_finds_the_passage_and_the_annotation_with_the_words_marked(client, corpus):
    html = _page(client, "/search?q=tie2+macrophages")
    assert f'href="/articles/{corpus.slug}#b-1"' in html
    assert f'href="/annotations/{corpus.ids["question"]}"' in html
    assert "<mark>macrophages</mark>" in html and "<mark>TIE2</mark>" in html
    assert "Dr Reader Alpha</strong>, Pathologist" in html
    tabs = dict(re.findall(r'<a href="/search\?q=tie2\+macrophages(?:&amp;type=(\w+))?"[^>]*>\w+ '
                           r'<span class="count">(\d+)</span>', html))
    assert tabs == {"": "2", "article": "1", "annotation": "1", "study": "0"}
    assert "1 reply" in html


def test_snippets_escape_what_readers_wrote(app, client, make, corpus):
    make.annotation(corpus.users["reader_a"], corpus.slug, QUOTE,
                    body='Watch out: `<script>alert("x")</script>` and <b>xylophones</b>')
    html = _page(client, "/search?q=xylophones")
    assert '<script>alert("x")' not in html and "<b>xylophones</b>" not in html
    assert "<mark>xylophones</mark>" in html
    # FTS5 returns the text as written, shown escaped; PostgreSQL's ts_headline leaves tag-like text out.
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_facet_links_add_a_filter_to_the_query_and_a_chip_removes_it(client, corpus):
    html = _page(client, "/search?q=rebastinib")
    link = re.search(r'<a href="([^"]+)">Critique of evidence</a>', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["q"] == ["rebastinib kind:critique"]
    narrowed = _page(client, link)
    assert "1 result for" in narrowed and f'href="/annotations/{corpus.ids["critique"]}"' in narrowed
    chip = re.search(r'<a href="([^"]+)" aria-label="Remove filter kind critique"', narrowed).group(1)
    assert parse_qs(urlsplit(chip.replace("&amp;", "&")).query)["q"] == ["rebastinib"]


def test_facets_count_only_what_the_viewer_may_read(client, auth, corpus):
    html = _page(client, "/search?q=macrophage*")
    assert "Dr Reader Alpha" in html
    assert re.search(r"Dr Reader Alpha</a> <span class=\"count\"[^>]*>1</span>", html)
    auth.sign_in(corpus.users["reader_a"].email)
    mine = _page(client, "/search?q=macrophage*")
    assert re.search(r"Dr Reader Alpha</a> <span class=\"count\"[^>]*>2</span>", mine)
    assert "Only you can see this" in mine


def test_results_are_paged_twenty_at_a_time_with_stable_urls(client, make, corpus):
    author = corpus.users["reader_b"]
    for n in range(25):
        make.annotation(author, corpus.slug, QUOTE, body=f"Pagination note number {n} about okapis.")
    first = _page(client, "/search?q=okapis&type=annotation")
    assert len(_hrefs(first)) == 20 and "page 1 of 2" in first
    next_url = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_url).query) == {"q": ["okapis"], "type": ["annotation"], "page": ["2"]}
    second = _page(client, next_url)
    assert len(_hrefs(second)) == 5 and 'start="21"' in second
    assert set(_hrefs(first)).isdisjoint(_hrefs(second))
    assert _page(client, next_url) == second
    assert "Nothing you can read matches" not in _page(client, "/search?q=okapis&type=annotation&page=abc")
    assert _hrefs(_page(client, "/search?q=okapis&type=annotation&page=99")) == []


def test_newest_first_puts_the_latest_annotation_on_top(client, make, corpus):
    first = make.annotation(corpus.users["reader_a"], corpus.slug, QUOTE, body="Capybaras, first.")
    last = make.annotation(corpus.users["reader_a"], corpus.slug, QUOTE, body="Capybaras capybaras, last.",
                           kind=AnnotationKind.QUESTION)
    hrefs = _hrefs(_page(client, "/search?q=capybaras&type=annotation&sort=newest"))
    assert hrefs == [f"/annotations/{last}", f"/annotations/{first}"]


def test_a_doi_pmid_or_pmcid_typed_alone_opens_its_study(app, client, corpus):
    with app.app_context():
        study = db.session.query(Study).filter_by(citation_key="karagiannis2017").one()
        db.session.execute(update(Study).where(Study.id == study.id).values(pmid="28679654", pmcid="PMC5609456"))
        db.session.commit()
        study_id = study.id
    for typed in ("10.1126/scitranslmed.aan0026", "https://doi.org/10.1126/SCITRANSLMED.AAN0026", "PMID: 28679654",
                  "PMC5609456"):
        response = client.get("/search", query_string={"q": typed})
        assert response.status_code == 302 and response.headers["Location"] == f"/studies/{study_id}", typed
    html = _page(client, "/search?q=10.9999/unknown.doi")
    assert "No study in Postil has the DOI 10.9999/unknown.doi" in html


def test_bad_input_gets_a_clear_message_never_a_server_error(client, corpus):
    long_html = _page(client, "/search?q=" + "x" * 10_000, status=400)
    assert "10,000 characters long; search accepts at most 500" in long_html
    assert "Unknown type “poem”" in _page(client, "/search?q=a&type=poem", status=400)
    assert "is not a date" in _page(client, "/search?q=a&from=yesterday", status=400)
    assert "ends before it starts" in _page(client, "/search?q=a&from=2026-02-01&to=2026-01-01", status=400)
    assert "kind:poem was left out" in _page(client, "/search?q=tie2+kind:poem")
    for typed in ('"', "*", "^", ":", "NEAR", "AND", "(", ")", "-", "((tie2", "tie2 NEAR/2 x", "' OR 1=1 --",
                  "\x01\x1b\u200b", "a:b:c", "tag:", "-*", "\\"):
        assert client.get("/search", query_string={"q": typed}).status_code == 200, typed
    # Postil refuses NUL characters in every request, with its own message.
    assert client.get("/search", query_string={"q": "a\x00b"}).status_code == 400


def test_the_date_range_narrows_results_and_the_date_facet_sets_it(client, corpus):
    html = _page(client, "/search?q=metastasis")
    link = re.search(r'<a href="([^"]+)">Past 7 days</a>', html).group(1).replace("&amp;", "&")
    assert "from=" in link
    recent = _page(client, link)
    assert 'Studies <span class="count">0</span>' in recent and 'Annotations <span class="count">1</span>' in recent
    # Studies are dated by publication; the eLetter without a date is outside every range.
    older = _page(client, "/search?q=metastasis&to=2020-01-01")
    assert 'Studies <span class="count">2</span>' in older and 'Annotations <span class="count">0</span>' in older


def test_only_moderators_search_the_moderation_queue(client, auth, corpus):
    auth.sign_in(corpus.users["reader_a"].email)
    assert client.get("/search?q=wallabies&scope=queue").status_code == 403
    auth.sign_out()
    auth.sign_in(corpus.users["moderator"].email)
    html = _page(client, "/search?q=wallabies&scope=queue")
    assert f'href="/moderation/annotations/{corpus.ids["pending"]}"' in html
    assert "Waiting for a moderator" in html
    assert f'/annotations/{corpus.ids["pending"]}"' not in _page(client, "/search?q=wallabies")


def test_the_article_discussion_filters_threads_with_the_search_engine(client, auth, corpus):
    html = _page(client, f"/articles/{corpus.slug}?q=macrophages")
    threads = re.findall(r'<li class="thread[^"]*" id="a-(\d+)"', html)
    assert threads == [str(corpus.ids["question"])]
    assert 'id="filter-q"' in html and 'value="macrophages"' in html
    by_reply = re.findall(r'<li class="thread[^"]*" id="a-(\d+)"', _page(client, f"/articles/{corpus.slug}?q=NAC"))
    assert by_reply == [str(corpus.ids["question"])]
    assert "No annotation matches" in _page(client, f"/articles/{corpus.slug}?q=zanzibar")
    auth.sign_in(corpus.users["reader_a"].email)
    mine = re.findall(r'<li class="thread[^"]*" id="a-(\d+)"', _page(client, f"/articles/{corpus.slug}?q=zanzibar"))
    assert mine == [str(corpus.ids["private"])]
    assert "at most 500" in _page(client, f"/articles/{corpus.slug}?q=" + "y" * 600)
