"""The anchoring service: history kept, warnings that persist, who is told, and what a preview may reveal."""
from sqlalchemy import select

from app.extensions import db
from app.models import AnchorRecord, Annotation, Article, Notification, Role, User, Visibility
from app.services import anchoring, annotations, articles, authoring

FIGURE = "These TMEM sites show three significant changes characteristic of tumor invasion"


def _revise(slug: str, old: str, new: str) -> Article:
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    assert old in article.body_source
    articles.save_article(articles.ArticleInput(title=article.title, body=article.body_source.replace(old, new),
                                                slug=slug), editor=None)
    db.session.commit()
    return article


def test_history_keeps_the_original_selectors_and_one_record_per_revision(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, FIGURE)
    with app.app_context():
        _revise(slug, "three significant", "four significant")
        _revise(slug, "interesting editorial", "thoughtful editorial")
        annotation = db.session.get(Annotation, annotation_id)
        records = anchoring.history(annotation)

        assert [(r.event.value, r.article_version, r.state) for r in records] == [
            ("written", 1, "anchored"), ("revision", 2, "changed"), ("revision", 3, "changed")]
        assert records[0].exact == FIGURE and "four" in records[2].exact
        assert annotation.original_exact == FIGURE and annotation.vouched_exact == FIGURE


def test_authors_hear_once_when_a_revision_changes_their_passage_and_not_about_deleted_annotations(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    kept = make.annotation(author, slug, FIGURE, visibility=Visibility.PRIVATE)
    deleted = make.annotation(author, slug, "rebastinib, a TIE2 inhibitor")
    with app.app_context():
        annotations.delete(db.session.get(Annotation, deleted))
        db.session.commit()
        _revise(slug, "three significant", "four significant")
        _revise(slug, "rebastinib, a TIE2 inhibitor", "an inhibitor of TIE2")
        _revise(slug, "interesting editorial", "thoughtful editorial")
        notes = db.session.scalars(select(Notification).where(Notification.user_id == author.id)).all()

        assert [(n.kind, n.annotation_id) for n in notes] == [("changed", kept)]
        assert db.session.get(Annotation, deleted).anchor_state == "orphaned"


def test_editing_a_changed_annotation_vouches_for_the_new_wording(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    annotation_id = make.annotation(author, slug, FIGURE)
    with app.app_context():
        _revise(slug, "three significant", "four significant")
        annotation = db.session.get(Annotation, annotation_id)
        annotations.edit(annotation, body="Four changes, then: my point stands.")
        db.session.commit()

        assert annotation.anchor_state == "anchored"
        assert annotation.vouched_exact == FIGURE.replace("three", "four")
        assert anchoring.history(annotation)[-1].event.value == "confirmed"
        _revise(slug, "interesting editorial", "thoughtful editorial")
        assert db.session.get(Annotation, annotation_id).anchor_state in ("anchored", "moved")


def test_the_preview_never_reveals_another_readers_private_note(app, make):
    slug = make.demo_article()
    author = make.user(trusted=True)
    admin = make.user(role=Role.ADMIN)
    make.annotation(author, slug, FIGURE, visibility=Visibility.PRIVATE)
    public_id = make.annotation(author, slug, "rebastinib, a TIE2 inhibitor")
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        source = authoring.compose_source(article).replace("three significant", "four significant").replace(
            "rebastinib, a TIE2 inhibitor", "an inhibitor of TIE2")

        changes = authoring.anchor_preview(article, source, db.session.get(User, admin.id))
        own = authoring.anchor_preview(article, source, db.session.get(User, author.id))

        assert [(c.annotation.id, c.after) for c in changes] == [(public_id, "orphaned")]
        assert sorted(c.after for c in own) == ["changed", "orphaned"]
        assert db.session.scalar(select(Article.version).where(Article.slug == slug)) == 1
        assert db.session.query(AnchorRecord).count() == 2
