"""Following, "new since your last visit", and My activity."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, ArticleVisit, Follow, FollowTarget, Notification, Study
from tests.conftest import AuthActions, csrf_from

QUOTE = "TMEM sites"
OTHER = "rebastinib, a TIE2 inhibitor"


@pytest.fixture
def scene(make):
    slug = make.demo_article()
    return slug, make.user(name="Dr Rea Reader", trusted=True), make.user(name="Dr Wes Writer", trusted=True)


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).sign_in(user.email, user.password)
    return client


def post(client, path, data, page="/following"):
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).get_data(as_text=True)), **data})


def article_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(Article.id).where(Article.slug == slug))


def age_visit(app, user, slug, hours=2):
    """Pretend `hours` have passed: every visit and annotation so far happened that much earlier."""
    with app.app_context():
        for visit in db.session.scalars(select(ArticleVisit)):
            visit.last_seen_at -= timedelta(hours=hours)
            visit.new_since -= timedelta(hours=hours)
        for annotation in db.session.scalars(select(Annotation)):
            annotation.created_at -= timedelta(hours=hours)
        db.session.commit()


def test_following_each_kind_of_thing_and_refusing_twice(app, make, scene):
    slug, reader, writer = scene
    thread = make.annotation(writer, slug, QUOTE)
    with app.app_context():
        study = db.session.scalar(select(Study.id).order_by(Study.id))
    client = signed_in(app, reader)
    targets = {"article": article_id(app, slug), "thread": thread, "study": study, "tag": "Taxanes",
               "person": writer.id}
    for kind, target in targets.items():
        response = post(client, "/following", {"type": kind, "target": target, "next": "/following"})
        assert response.status_code == 303, (kind, response.get_data(as_text=True))
    again = post(client, "/following", {"type": "tag", "target": "taxanes"})
    assert again.status_code == 409 and "You already follow this tag" in again.get_data(as_text=True)
    page = client.get("/following").get_data(as_text=True)
    for name in ("Chemotherapy: a cause of metastases?", "taxanes", "Dr Wes Writer", "“TMEM sites”"):
        assert name in page
    for bad, message in (({"type": "planet", "target": "1"}, "Cannot follow a “planet”"),
                         ({"type": "article", "target": "99999"}, "There is no article"),
                         ({"type": "person", "target": reader.id}, "You cannot follow yourself")):
        response = post(client, "/following", bad)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert post(client, "/following/remove", {"type": "tag", "target": "taxanes"}).status_code == 303
    assert post(client, "/following/remove", {"type": "tag", "target": "taxanes"}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Follow.id)).where(Follow.user_id == reader.id)) == 4


def test_a_private_note_cannot_be_followed_by_anyone_else(app, make, scene):
    from app.models import Visibility

    slug, reader, writer = scene
    private = make.annotation(writer, slug, QUOTE, visibility=Visibility.PRIVATE)
    response = post(signed_in(app, reader), "/following", {"type": "thread", "target": private})
    assert response.status_code == 400 and "There is no thread" in response.get_data(as_text=True)


def test_starting_or_replying_follows_the_thread_unless_turned_off(app, make, scene):
    slug, reader, writer = scene
    root = make.annotation(writer, slug, QUOTE)
    make.reply(reader, root, "I reply, so I follow.")
    with app.app_context():
        followers = set(db.session.scalars(select(Follow.user_id).where(Follow.target_type == FollowTarget.THREAD,
                                                                       Follow.target == str(root))))
    assert followers == {reader.id, writer.id}
    third = make.user(name="Dr Quiet", trusted=True)
    client = signed_in(app, third)
    page = client.get("/notifications/settings").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "reply": "instant", "mention": "instant", "followed": "daily",
            "answer": "instant", "anchoring": "instant", "moderation": "app", "evidence": "instant", "updates": "app"}
    assert client.post("/notifications/settings", data=form).status_code == 303  # auto_follow unticked
    make.reply(third, root, "I reply quietly.")
    # The others in the thread hear about it; the quiet reader follows nothing.
    with app.app_context():
        assert db.session.scalar(select(Follow.id).where(Follow.user_id == third.id)) is None
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind.in_(
            ["reply", "thread_reply"]))))
    assert {reader.id, writer.id} <= told


def test_new_since_last_visit_markers_and_jump_link_are_per_reader(app, make, scene):
    slug, reader, writer = scene
    old = make.annotation(writer, slug, QUOTE, body="Old news.")
    client = signed_in(app, reader)
    first = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "since your last visit" not in first.split('id="reader-bar"')[1].split("</div>")[0]
    age_visit(app, reader, slug)
    fresh = make.annotation(writer, slug, OTHER, body="Fresh news.")
    reply = make.reply(writer, old, "A fresh reply.")
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    # The jump link is the annotation's permalink, which opens whichever page of threads holds it.
    assert any(f'<a class="new-link" href="/annotations/{new}" data-new-link="{new}">' in page
               for new in (fresh, reply))
    assert "2 new</span> since your last visit" in page
    assert f'data-new="{fresh}">' in page and f'data-new="{reply}">' in page
    assert f'data-new="{old}" hidden>' in page
    # The markers stay for the whole visit (a reload), and never reach another reader or the cache.
    assert "2 new</span>" in client.get(f"/articles/{slug}").get_data(as_text=True)
    other = signed_in(app, make.user(name="Dr Other", trusted=True)).get(f"/articles/{slug}").get_data(as_text=True)
    assert "new</span> since your last visit" not in other and f'data-new="{fresh}" hidden>' in other
    anonymous = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
    assert "data-new=" not in anonymous
    # The writer's own annotations are never new to them.
    writer_client = signed_in(app, writer)
    writer_client.get(f"/articles/{slug}")
    age_visit(app, writer, slug)
    assert "new</span> since" not in writer_client.get(f"/articles/{slug}").get_data(as_text=True)


def test_my_activity_lists_replies_open_questions_followed_news_and_mentions(app, make, scene):
    from app.models import AnnotationKind, Visibility

    slug, reader, writer = scene
    question = make.annotation(reader, slug, QUOTE, body="Any human data?", kind=AnnotationKind.QUESTION)
    client = signed_in(app, reader)
    client.get(f"/articles/{slug}")
    with app.app_context():
        study = db.session.scalar(select(Study.id).order_by(Study.id))
    post(client, "/following", {"type": "article", "target": article_id(app, slug)})
    post(client, "/following", {"type": "study", "target": study})
    age_visit(app, reader, slug)
    with app.app_context():
        for row in db.session.scalars(select(Follow)):
            row.created_at -= timedelta(hours=3)
        db.session.commit()
    make.reply(writer, question, "Yes, 20 patients.")
    make.annotation(writer, slug, OTHER, body=f"Linked, @[Rea](/people/{reader.id})", study_id=study)
    make.annotation(writer, slug, OTHER, body="SECRET private", visibility=Visibility.PRIVATE, study_id=study)
    page = client.get("/activity").get_data(as_text=True)
    sections = page.split("<h2")
    assert "1 new reply" in sections[1]
    assert "Any human data?" not in sections[2] and "TMEM sites" in sections[2]
    assert "Article: " in sections[3] and "Study: " in sections[3] and "<strong>2 new</strong>" in sections[3]
    assert "Dr Wes Writer mentioned you" in sections[4]
    assert "SECRET" not in page


def test_activity_and_notification_pages_use_a_fixed_number_of_queries(app, make, scene):
    from tests.functional.test_annotating import count_queries

    slug, reader, writer = scene
    root = make.annotation(reader, slug, QUOTE)
    client = signed_in(app, reader)
    make.reply(writer, root, "one")
    make.annotation(writer, slug, OTHER, body=f"@[Rea](/people/{reader.id}) first")
    counts = {path: count_queries(app, client, path) for path in ("/activity", "/notifications", "/following")}
    for i in range(30):
        make.reply(writer, root, f"reply {i}")
        make.annotation(writer, slug, OTHER, body=f"@[Rea](/people/{reader.id}) {i}")
    assert {path: count_queries(app, client, path) for path in counts} == counts


def test_only_followers_of_the_very_things_asked_for_are_found_whatever_their_keys(app, make, scene):
    """A person's id and a thread's id can be the same number: following one is not following the other."""
    from app.models.base import utcnow
    from app.services import follows

    _, reader, writer = scene
    both = make.user(name="Dr Both", trusted=True)
    with app.app_context():
        for user, kind, key in ((reader, FollowTarget.PERSON, "5"), (writer, FollowTarget.THREAD, "7"),
                                (both, FollowTarget.PERSON, "7"), (both, FollowTarget.THREAD, "5")):
            db.session.add(Follow(user_id=user.id, target_type=kind, target=key, created_at=utcnow()))
        db.session.commit()
        found = follows.followers_of([(FollowTarget.THREAD, "5"), (FollowTarget.PERSON, "7")])
    # Dr Both follows the thread and the person, and hears as a follower of the thread, the first asked for.
    assert found == {both.id: FollowTarget.THREAD}
