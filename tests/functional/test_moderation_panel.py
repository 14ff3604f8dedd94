"""The moderation panel through the browser's eyes: access, queues in context, decisions, bulk, conflicts, queries."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, ModerationLog, Role, User, Visibility
from app.services import flags
from tests.conftest import csrf_from
from tests.statements import counting_queries

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    author = make.user(name="Dr Newcomer", profession="Breast surgeon",
                       competing_interests="Speaker fees from Acme Oncology")
    mod = make.user(role=Role.MODERATOR, name="Mod Erator")
    return {"slug": slug, "author": author, "mod": mod}


def _status(app, annotation_id: int) -> AnnotationStatus:
    with app.app_context():
        return db.session.get(Annotation, annotation_id).status


def _modified(app, annotation_id: int) -> str:
    with app.app_context():
        return db.session.get(Annotation, annotation_id).modified_at.isoformat()


def _act(client, annotation_id: int, action: str, reason: str = "", if_modified: str | None = None, next: str = ""):
    """Press `action` on an item, as seen now unless `if_modified` says what the moderator saw."""
    token = csrf_from(client.get("/moderation/").get_data(as_text=True))
    if if_modified is None:
        if_modified = _modified(client.application, annotation_id)
    return client.post(f"/moderation/annotations/{annotation_id}", data={
        "csrf_token": token, "action": action, "reason": reason, "if_modified": if_modified, "next": next},
        follow_redirects=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    for path in ("/moderation/", "/moderation/flagged", "/moderation/log", "/moderation/log.csv", "/moderation/users"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_readers_are_refused_and_see_no_moderation_link(client, auth, scene, make):
    other_id = make.annotation(make.user(), scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["author"].email)
    refused = client.get("/moderation/")
    assert refused.status_code == 403
    assert "The moderation panel is for moderators and admins." in refused.get_data(as_text=True)
    assert "The moderation panel is for moderators and admins." in client.get("/moderation/users").get_data(
        as_text=True)
    # With a valid token, so that the refusal is the permission check and not the missing token.
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post(f"/moderation/annotations/{other_id}", data={
        "csrf_token": token, "action": "approve", "reason": "", "if_modified": _modified(make.app, other_id)})
    assert response.status_code == 403
    assert _status(make.app, other_id) == S.PENDING
    assert "/moderation" not in client.get("/").get_data(as_text=True)


def test_users_tab_is_for_admins_only(client, auth, scene, make):
    auth.sign_in(scene["mod"].email)
    assert client.get("/moderation/users").status_code == 403
    assert 'href="/moderation/users"' not in client.get("/moderation/").get_data(as_text=True)
    auth.sign_out()
    admin = make.user(role=Role.ADMIN)
    auth.sign_in(admin.email)
    page = client.get("/moderation/users")
    assert page.status_code == 200 and "Dr Newcomer" in page.get_data(as_text=True)


def test_pending_item_is_shown_in_context_with_its_author(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, body="Is **TMEM** scored in humans?",
                                    status=S.PENDING)
    make.annotation(scene["author"], scene["slug"], QUOTE, body="An older one.", status=S.PUBLISHED)
    auth.sign_in(scene["mod"].email)
    page = client.get("/moderation/").get_data(as_text=True)
    assert f'id="item-{annotation_id}"' in page
    assert "<strong>TMEM</strong>" in page
    assert "representative of the spectrum of human tumors" in page            # the quoted passage
    assert 'href="/articles/chemotherapy-metastases#:~:text=' in page          # the spot in the article
    assert "Chemotherapy: a cause of metastases?" in page
    assert "Dr Newcomer" in page and "Breast surgeon" in page                 # author with specialty
    assert "Speaker fees from Acme Oncology" in page                           # competing interests
    assert "1 published · 1 pending · 0 hidden · 0 removed" in page            # history
    assert f'name="if_modified" value="{_modified(make.app, annotation_id)}"' in page


def test_nav_badge_counts_waiting_items_for_moderators_only(client, auth, scene, make):
    make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    badge = re.compile(r'Moderation <span class="badge" aria-hidden="true">2</span><span class="visually-hidden"> '
                       r'\(2 waiting\)</span>')
    for who in (scene["mod"], make.user(role=Role.ADMIN)):
        auth.sign_in(who.email)
        page = client.get("/").get_data(as_text=True)
        assert badge.search(page) and 'href="/moderation/"' in page, who.role
        auth.sign_out()
    # The author of the waiting items, another reader and a visitor see neither the count nor the link.
    for who in (scene["author"], make.user(), None):
        if who is not None:
            auth.sign_in(who.email)
        page = client.get("/").get_data(as_text=True)
        assert "Sign out" in page if who is not None else "Sign in" in page
        assert "waiting)" not in page and 'href="/moderation/"' not in page
        if who is not None:
            auth.sign_out()


def test_approving_from_the_panel_publishes_and_confirms(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    page = _act(client, annotation_id, "approve", if_modified=_modified(make.app, annotation_id),
                next="/moderation/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Approved annotation {annotation_id} by Dr Newcomer" in text
    assert "No annotation is waiting for approval" in text
    assert _status(make.app, annotation_id) == S.PUBLISHED


def test_hiding_needs_a_reason_and_says_so(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    text = _act(client, annotation_id, "hide", reason="  ").get_data(as_text=True)
    assert "Give a reason" in text
    assert _status(make.app, annotation_id) == S.PENDING
    text = _act(client, annotation_id, "hide", reason="Anecdote presented as evidence").get_data(as_text=True)
    assert f"Hid annotation {annotation_id}" in text and "the author sees your reason" in text
    assert _status(make.app, annotation_id) == S.HIDDEN


def test_second_moderator_acting_on_a_stale_page_gets_a_clear_conflict(client, auth, scene, make, app):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    seen = _modified(app, annotation_id)
    other = make.user(role=Role.MODERATOR)
    auth.sign_in(other.email)
    _act(client, annotation_id, "hide", reason="Off topic", if_modified=seen)
    auth.sign_out()
    auth.sign_in(scene["mod"].email)
    response = _act(client, annotation_id, "approve", if_modified=seen)
    text = response.get_data(as_text=True)
    assert "changed since you loaded it" in text and "Nothing was changed" in text
    assert _status(app, annotation_id) == S.HIDDEN
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ModerationLog.id))) == 1


def test_moderator_cannot_approve_their_own_annotation_in_the_panel(client, auth, scene, make):
    own = make.annotation(scene["mod"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    page = client.get("/moderation/").get_data(as_text=True)
    item = page[page.index(f'id="item-{own}"'):]
    assert 'value="approve"' not in item.split("</article>")[0]
    assert "another moderator has to approve" in item
    text = _act(client, own, "approve").get_data(as_text=True)
    assert "your own annotation" in text
    assert _status(make.app, own) == S.PENDING


def test_bulk_approval_of_a_selection(client, auth, scene, make, app):
    ids = [make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING) for _ in range(3)]
    auth.sign_in(scene["mod"].email)
    token = csrf_from(client.get("/moderation/").get_data(as_text=True))
    data = {"csrf_token": token, "action": "approve", "reason": "", "ids": [str(i) for i in ids[:2]],
            "next": "/moderation/"}
    data.update({f"modified-{i}": _modified(app, i) for i in ids[:2]})
    text = client.post("/moderation/bulk", data=data, follow_redirects=True).get_data(as_text=True)
    assert f"Approved 2 annotations: {ids[0]}, {ids[1]}." in text
    assert [_status(app, i) for i in ids] == [S.PUBLISHED, S.PUBLISHED, S.PENDING]


def test_bulk_action_leaves_changed_items_alone_and_says_which(client, auth, scene, make, app):
    fresh, stale = (make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING) for _ in range(2))
    auth.sign_in(scene["mod"].email)
    token = csrf_from(client.get("/moderation/").get_data(as_text=True))
    text = client.post("/moderation/bulk", data={
        "csrf_token": token, "action": "hide", "reason": "Duplicate", "ids": [str(fresh), str(stale)],
        f"modified-{fresh}": _modified(app, fresh), f"modified-{stale}": "2001-01-01T00:00:00.5+00:00",
    }, follow_redirects=True).get_data(as_text=True)
    assert f"Hid 1 annotation: {fresh}." in text
    assert f"Annotation {stale} was left as it was" in text
    assert (_status(app, fresh), _status(app, stale)) == (S.HIDDEN, S.PENDING)


def test_panel_decision_without_the_timestamp_seen_is_refused(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    text = _act(client, annotation_id, "approve", if_modified="").get_data(as_text=True)
    assert "reload the page" in text
    assert _status(make.app, annotation_id) == S.PENDING


def test_panel_posts_without_csrf_token_are_refused(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, status=S.PENDING)
    auth.sign_in(scene["mod"].email)
    response = client.post(f"/moderation/annotations/{annotation_id}", data={"action": "approve"})
    assert response.status_code == 400
    assert _status(make.app, annotation_id) == S.PENDING


def test_flagged_tab_shows_reasons_and_notes_worst_first(client, auth, scene, make, app):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, body="Buy my supplement.")
    readers = [make.user(name=f"Reader {i}") for i in range(2)]
    with app.app_context():
        reasons = (("spam", "Shop link"), ("abusive", "Insults a colleague"))
        for reader, (reason, note) in zip(readers, reasons, strict=True):
            flags.flag(db.session.get(Annotation, annotation_id), db.session.get(User, reader.id), reason, note)
        db.session.commit()
    auth.sign_in(scene["mod"].email)
    page = client.get("/moderation/flagged").get_data(as_text=True)
    assert "2 open flags" in page
    assert page.index("Abusive or harassing") < page.index("Spam or advertising")
    assert "Insults a colleague" in page and "Shop link" in page and "Reader 0" in page
    assert 'value="dismiss_flags"' in page


def test_queue_pages_run_a_fixed_number_of_queries(client, auth, scene, make, app):
    def fill(count: int) -> None:
        for n in range(count):
            parent = make.annotation(scene["author"], scene["slug"], QUOTE, body=f"Root {n}")
            reply = make.reply(make.user(trusted=True), parent)
            readers = [make.user(), make.user()]
            with app.app_context():
                for reader in readers:
                    flags.flag(db.session.get(Annotation, parent), db.session.get(User, reader.id), "off_topic")
                # Each round adds a root (pending, flagged) and a reply (hidden) to every tab.
                db.session.get(Annotation, parent).status = S.PENDING
                db.session.get(Annotation, reply).status = S.HIDDEN
                db.session.commit()

    auth.sign_in(scene["mod"].email)
    fill(1)
    tabs = ("/moderation/", "/moderation/flagged", "/moderation/hidden")
    small = {tab: _queries(app, client, tab) for tab in tabs}
    fill(6)
    large = {tab: _queries(app, client, tab) for tab in tabs}
    assert small == large
    assert max(small.values()) <= 12


def _counting(app):
    """Record the statements of the block but the transactions' own (BEGIN, COMMIT, savepoints)."""
    return counting_queries(app, keep=lambda statement: not statement.lstrip().upper().startswith(
        ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")))


def _queries(app, client, path: str) -> int:
    with _counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_detail_page_shows_the_history_and_admins_see_the_removed_text(client, auth, scene, make):
    annotation_id = make.annotation(scene["author"], scene["slug"], QUOTE, body="Mrs K. in bay 3 relapsed.")
    auth.sign_in(scene["mod"].email)
    _act(client, annotation_id, "remove", reason="Identifies a patient")
    page = client.get(f"/moderation/annotations/{annotation_id}").get_data(as_text=True)
    assert "[removed by a moderator]" in page and "Identifies a patient" in page
    assert "Mrs K." not in page                    # moderators do not see the original
    auth.sign_out()
    admin = make.user(role=Role.ADMIN)
    auth.sign_in(admin.email)
    page = client.get(f"/moderation/annotations/{annotation_id}").get_data(as_text=True)
    assert "Mrs K. in bay 3 relapsed." in page     # nothing a user wrote is lost, for admins


@pytest.mark.parametrize("with_timestamp", [True, False])
def test_bulk_action_answers_the_same_for_a_private_note_and_a_missing_id(client, auth, scene, make, app,
                                                                          with_timestamp):
    """A moderator cannot tell from the bulk action whether a private note exists (same message, same status)."""
    private = make.annotation(scene["author"], scene["slug"], QUOTE, visibility=Visibility.PRIVATE)
    missing = private + 1000
    auth.sign_in(scene["mod"].email)
    answers = {}
    for annotation_id in (private, missing):
        token = csrf_from(client.get("/moderation/").get_data(as_text=True))
        data = {"csrf_token": token, "action": "hide", "reason": "Probing", "ids": [str(annotation_id)],
                "next": "/moderation/"}
        if with_timestamp:
            data[f"modified-{annotation_id}"] = _modified(app, private)
        response = client.post("/moderation/bulk", data=data)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        flashes = re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)
        answers[annotation_id] = (response.status_code, [f.replace(str(annotation_id), "N") for f in flashes])
    assert answers[private] == answers[missing]
    assert any("no longer exists" in f for f in answers[missing][1]), answers[missing]
    with app.app_context():
        assert db.session.get(Annotation, private).status == S.PUBLISHED
