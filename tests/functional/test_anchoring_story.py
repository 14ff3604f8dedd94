"""Issue 10's "done when", walked through the web on the demo article.

An admin changes a figure inside an annotated passage: the annotation shows "the passage was
changed" with both wordings, its author is notified, and after two further revisions it still says
so; a passage that only moved shows no warning; a reworded passage shows its diff; an orphan comes
back when a later revision restores its words; the author re-attaches an orphan by picking a
suggested passage. The admin sees the re-anchoring before saving.
"""
import html
import re

from app.models import Role
from tests.conftest import AuthActions, csrf_from
from tests.functional.test_reading_story import _edit_article, _highlighted

FIGURE = "These TMEM sites show three significant changes characteristic of tumor invasion"
MOVES = "rebastinib, a TIE2 inhibitor"
REWORDED = "are the models used really representative of the spectrum of human tumors?"
COMES_BACK = ("Could the responses to taxanes considered prometastatic not be a transitory consequence of vascular "
              "damage, a known characteristic of taxanes' action?")
REWRITTEN = "it makes sense to continue the current chemotherapy therapy for breast cancer"
NEW_WORDING = "we should keep giving chemotherapy to women with breast cancer"


def _annotate(client, slug: str, quote: str, body: str) -> int:
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    response = client.post(f"/articles/{slug}/annotate", data={
        "csrf_token": csrf_from(page), "exact": quote, "body": body, "kind": "critique", "visibility": "public"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _thread(page: str, annotation_id: int) -> str:
    """Return the HTML of one thread of the discussion column."""
    start = page.index(f'id="a-{annotation_id}"')
    end = page.find('<li class="thread', start + 1)
    return page[start:end if end != -1 else len(page)]


def _text(fragment: str) -> str:
    """Return what a screen reader would read of a fragment, "[removed: ...]" labels included."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r"\s+([\]”?.,])", r"\1", text)


def _first_revision(source: str) -> str:
    return (source.replace("three significant changes", "four significant changes")
            .replace("However, these studies raise", "Other groups have since reported similar findings. "
                     "However, these studies raise")
            .replace("human tumors?", "human tumours?")
            .replace(" " + COMES_BACK, ""))


def test_figures_warnings_recall_and_reattachment_on_the_demo(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True, name="Dr Ann Otator")
    admin = make.user(role=Role.ADMIN, name="Dr Ed Itor")
    web, editor = app.test_client(), app.test_client()
    AuthActions(web).sign_in(author.email)
    AuthActions(editor).sign_in(admin.email)
    ids = {quote: _annotate(web, slug, quote, f"Note on {quote[:20]}") for quote in
           (FIGURE, MOVES, REWORDED, COMES_BACK, REWRITTEN)}

    # Before saving, the admin previews the re-anchoring: nothing is saved yet.
    page = editor.get(f"/admin/articles/{slug}/edit").get_data(as_text=True)
    source = html.unescape(re.search(r'<textarea[^>]*name="source"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1))
    preview = editor.post(f"/admin/articles/{slug}/edit", data={
        "csrf_token": csrf_from(page), "source": _first_revision(source), "note": "",
        "base_version": "1", "base_fingerprint": re.search(r'name="base_fingerprint"[^>]*value="([^"]*)"',
                                                           page).group(1), "action": "check"})
    report = _text(preview.get_data(as_text=True))
    assert preview.status_code == 200 and "Nothing was saved yet" in report
    assert "3 annotations change state" in report
    assert "passage changed (detached until confirmed)" in report and "“three” became “four”" in report
    assert "orphaned (passage not found)" in report and "reworded (badge and diff shown)" in report
    assert editor.get("/api/articles/" + slug).get_json()["version"] == 1

    saved = _edit_article(editor, slug, _first_revision)
    assert "Annotations re-anchored by version 2" in _text(saved)

    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    # The figure changed: detached, both wordings shown side by side, and its author told.
    figure = _text(_thread(page, ids[FIGURE]))
    assert "The passage was changed" in figure
    assert "Written on “These TMEM sites show [removed: three]" in figure
    assert "Now “These TMEM sites show [added: four]" in figure
    assert _highlighted(page, ids[FIGURE]) == ""
    # Only moved: highlighted, a quiet note and no warning badge.
    moved = _text(_thread(page, ids[MOVES]))
    assert _highlighted(page, ids[MOVES]) == MOVES
    assert "Moved with the text" in moved and "Reworded" not in moved and "changed" not in moved
    # Reworded: highlighted on its new words, with a badge and the word-level diff.
    reworded = _text(_thread(page, ids[REWORDED]))
    assert _highlighted(page, ids[REWORDED]) == REWORDED.replace("tumors", "tumours")
    assert "Reworded" in reworded and "[removed: tumors]" in reworded and "[added: tumours]" in reworded
    # Gone: an orphan with the words it was written on.
    assert "These passages could not be found" in page.replace("these passages", "These passages")
    assert _highlighted(page, ids[COMES_BACK]) == ""

    notes = _text(web.get("/notifications").get_data(as_text=True))
    assert "changed the figures, units, negations or comparisons in the passage of your annotation" in notes
    assert "rewords the passage of your annotation" in notes
    assert "no longer contains the passage of your annotation" in notes
    assert notes.count("Confirm or re-attach it") == 2 and notes.count("Re-attach it") == 1

    # Two further revisions: the warning stays, and the deleted sentence comes back.
    _edit_article(editor, slug, lambda s: s.replace("interesting editorial", "thoughtful editorial")
                  .replace(REWRITTEN, NEW_WORDING))
    _edit_article(editor, slug, lambda s: s.replace("a known characteristic of taxanes' action?",
                                                    "a known characteristic of taxanes' action?").replace(
        "leaving a drug-resistant clone?", "leaving a drug-resistant clone? " + COMES_BACK))
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    assert "The passage was changed" in _text(_thread(page, ids[FIGURE]))
    assert _highlighted(page, ids[FIGURE]) == ""
    assert _highlighted(page, ids[COMES_BACK]) == COMES_BACK
    assert "Reworded" in _text(_thread(page, ids[REWORDED]))
    served = web.get(f"/api/annotations/{ids[FIGURE]}").get_json()
    assert served["anchor"]["state"] == "changed" and served["anchor"]["article_version"] == 4
    assert served["anchor"]["original"] == {"exact": FIGURE, "article_version": 1}
    assert served["target"]["selector"] == [{"type": "TextQuoteSelector", "exact": FIGURE}]
    # The author was told once, when it changed, not at every revision.
    assert _text(web.get("/notifications").get_data(as_text=True)).count("changed the figures") == 1

    # The author re-attaches the orphan by picking the best suggested passage.
    form = web.get(f"/annotations/{ids[REWRITTEN]}/reattach").get_data(as_text=True)
    choices = re.findall(r'<input type="radio" name="candidate" id="candidate-\d" value="([^"]+)">\s*<label[^>]*>'
                         r'(.*?)</label>', form, re.S)
    assert 1 <= len(choices) <= 3, form[form.find("<main"):][:3000]
    value, label = choices[0]
    assert NEW_WORDING in _text(label) and "match" in _text(label)
    web.post(f"/annotations/{ids[REWRITTEN]}/reattach", data={"csrf_token": csrf_from(form), "candidate": value,
                                                              "action": "attach"})
    assert _highlighted(web.get(f"/articles/{slug}").get_data(as_text=True), ids[REWRITTEN]) == NEW_WORDING

    # Confirming the changed figure attaches the annotation to the new wording; the warning ends there.
    form = web.get(f"/annotations/{ids[FIGURE]}/reattach").get_data(as_text=True)
    web.post(f"/annotations/{ids[FIGURE]}/reattach", data={"csrf_token": csrf_from(form), "action": "confirm"})
    page = web.get(f"/articles/{slug}").get_data(as_text=True)
    assert _highlighted(page, ids[FIGURE]) == FIGURE.replace("three", "four")
    assert "The passage was changed" not in _text(_thread(page, ids[FIGURE]))


def test_a_stale_choice_or_an_empty_form_changes_nothing_and_says_why(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    admin = make.user(role=Role.ADMIN)
    web, editor = app.test_client(), app.test_client()
    AuthActions(web).sign_in(author.email)
    AuthActions(editor).sign_in(admin.email)
    annotation_id = _annotate(web, slug, REWRITTEN, "Agreed.")
    _edit_article(editor, slug, lambda s: s.replace(REWRITTEN, NEW_WORDING))
    form = web.get(f"/annotations/{annotation_id}/reattach").get_data(as_text=True)
    value = re.search(r'name="candidate" id="candidate-1" value="([^"]+)"', form).group(1)

    empty = web.post(f"/annotations/{annotation_id}/reattach", data={"csrf_token": csrf_from(form)})
    assert empty.status_code == 422
    assert "Choose one of the suggested passages, or type the words" in _text(empty.get_data(as_text=True))

    _edit_article(editor, slug, lambda s: s.replace("interesting editorial", "thoughtful editorial"))
    stale = web.post(f"/annotations/{annotation_id}/reattach", data={"csrf_token": csrf_from(form),
                                                                     "candidate": value})
    assert stale.status_code == 422
    assert "The article was revised while you were choosing" in _text(stale.get_data(as_text=True))
    assert web.get(f"/api/annotations/{annotation_id}").get_json()["anchor"]["state"] == "orphaned"
