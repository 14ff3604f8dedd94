"""The reading issue's "done when", walked through the web and the API.

A newcomer selects a phrase on the demo article and annotates it, a second user replies through the
API, an admin edits the article text, and the annotation is still on the same words; an edit that
deletes the passage leaves it listed as an orphan with its original words, never on other words.
"""
import re

from app.models import Role
from tests.conftest import AuthActions, csrf_from

QUOTE = "are the models used really representative of the spectrum of human tumors?"


def _highlighted(page: str, annotation_id: int) -> str:
    pieces = re.findall(rf'<mark class="hl[^"]*" data-ids="(?:[\d ]* )?{annotation_id}(?: [\d ]*)?">([^<]*)</mark>',
                        page)
    return "".join(pieces)


def _edit_article(client, slug: str, transform) -> str:
    page = client.get(f"/admin/articles/{slug}/edit").get_data(as_text=True)
    source = re.search(r'<textarea[^>]*name="source"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    import html

    source = html.unescape(source)
    data = {"csrf_token": csrf_from(page), "source": transform(source), "note": "Copy edit",
            "base_version": re.search(r'name="base_version"[^>]*value="(\d+)"', page).group(1),
            "base_fingerprint": re.search(r'name="base_fingerprint"[^>]*value="([^"]*)"', page).group(1),
            "action": "save"}
    response = client.post(f"/admin/articles/{slug}/edit", data=data, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r"class=\"error\"[^>]*>([^<]*)", body) or body[-3000:]
    return response.get_data(as_text=True)


def test_annotation_follows_its_words_through_revisions_on_the_web_and_in_the_api(app, make):
    slug = make.demo_article()
    newcomer = make.user(trusted=True, name="Dr New Comer")
    colleague = make.user(trusted=True, name="Dr Col League")
    admin = make.user(role=Role.ADMIN, name="Dr Ed Itor")

    web = app.test_client()
    AuthActions(web).sign_in(newcomer.email)
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    response = web.post(f"/articles/{slug}/annotate", data={
        "csrf_token": csrf_from(page), "exact": QUOTE, "body": "Which models exactly?", "kind": "question",
        "visibility": "public"})
    annotation_id = int(response.headers["Location"].rsplit("/", 1)[1])

    api = app.test_client()
    AuthActions(api).sign_in(colleague.email)
    token = csrf_from(api.get(f"/articles/{slug}").get_data(as_text=True))
    reply = api.post(f"/api/articles/{slug}/annotations", headers={"X-CSRFToken": token}, json={
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "replying",
        "body": {"type": "TextualBody", "value": "Orthotopic 4T1 and MMTV-PyMT, per the paper.",
                 "format": "text/markdown"},
        "target": f"http://localhost/api/annotations/{annotation_id}"})
    assert reply.status_code == 201, reply.get_json()

    editor = app.test_client()
    AuthActions(editor).sign_in(admin.email)
    # A sentence inserted before the passage and a typo fixed after it.
    _edit_article(editor, slug, lambda s: s.replace(
        "Some questions arise about the Karagiannis study:",
        "Several points deserve scrutiny. Some questions arise about the Karagiannis study:").replace(
        "taxanes' action", "the action of taxanes"))
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    assert _highlighted(page, annotation_id) == QUOTE
    assert "Orthotopic 4T1 and MMTV-PyMT" in page
    served = api.get(f"/api/annotations/{annotation_id}").get_json()
    assert served["anchor"]["state"] == "moved" and served["anchor"]["article_version"] == 2
    text = api.get(f"/api/articles/{slug}").get_json()["text"]
    position = next(s for s in served["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert text[position["start"]:position["end"]] == QUOTE

    # The passage is rewritten away: the annotation becomes an orphan, shown with its original words.
    _edit_article(editor, slug, lambda s: s.replace(
        "are the models used really representative of the spectrum of human tumors?",
        "do murine models capture human tumour heterogeneity?"))
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    assert _highlighted(page, annotation_id) == ""
    orphans = page[page.index("Annotations whose passage changed"):]
    assert QUOTE in orphans and "Which models exactly?" in orphans
    served = api.get(f"/api/annotations/{annotation_id}").get_json()
    assert served["anchor"]["state"] == "orphaned"
    quote = next(s for s in served["target"]["selector"] if s["type"] == "TextQuoteSelector")
    assert quote["exact"] == QUOTE
    assert not any(s["type"] == "TextPositionSelector" for s in served["target"]["selector"])

    # Its author re-attaches it to the new wording.
    form = web.get(f"/annotations/{annotation_id}/reattach").get_data(as_text=True)
    web.post(f"/annotations/{annotation_id}/reattach", data={
        "csrf_token": csrf_from(form), "exact": "do murine models capture human tumour heterogeneity?"})
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    assert _highlighted(page, annotation_id) == "do murine models capture human tumour heterogeneity?"
