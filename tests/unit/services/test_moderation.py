"""The moderation state machine: every transition legal and illegal, its log, concurrency, pre-moderation by trust."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Action,
    Annotation,
    AnnotationRevision,
    AnnotationStatus,
    ModerationLog,
    Notification,
    Role,
    User,
    Visibility,
)
from app.services import annotations as annotation_service
from app.services import moderation, moderation_queue, premoderation
from app.services.errors import Conflict, Forbidden, ServiceError

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def world(make):
    """An article, an author, two moderators and an admin."""

    class World:
        slug = make.demo_article()
        author = make.user(name="Dr Author")
        mod = make.user(role=Role.MODERATOR, name="Mod One")
        mod2 = make.user(role=Role.MODERATOR, name="Mod Two")
        admin = make.user(role=Role.ADMIN, name="Ada Admin")

        def annotation(self, status=S.PUBLISHED, open_flags=0, body="A comment.", author=None):
            annotation_id = make.annotation(author or self.author, self.slug, QUOTE, body=body, status=status)
            if open_flags:
                with make.app.app_context():
                    db.session.get(Annotation, annotation_id).open_flags = open_flags
                    db.session.commit()
            return annotation_id

    return World()


def _get(annotation_id: int) -> Annotation:
    return db.session.get(Annotation, annotation_id)


def _user(info) -> User:
    return db.session.get(User, info.id)


def _actor_for(action: Action, world, annotation: Annotation):
    if action == Action.AUTO_HIDE:
        return None
    if action in (Action.RESUBMIT, Action.HOLD_EDIT):
        return _user(world.author)
    return _user(world.mod)


def _reason_for(action: Action) -> str:
    return "Breaks the rules" if action in moderation.REASON_REQUIRED else ""


EVERY_PAIR = [(action, status) for action in moderation.TRANSITIONS for status in AnnotationStatus]


@pytest.mark.parametrize(("action", "status"), EVERY_PAIR, ids=[f"{a.value}-from-{s.value}" for a, s in EVERY_PAIR])
def test_every_transition_follows_the_table(app, world, action, status):
    target = moderation.TRANSITIONS[action].get(status)
    # Dismissing flags, or hiding what is hidden, needs open flags: it was hidden automatically.
    needs_flags = moderation._needs_open_flags(action, status)
    annotation_id = world.annotation(status=status, open_flags=2 if needs_flags else 0)
    with app.app_context():
        annotation = _get(annotation_id)
        actor = _actor_for(action, world, annotation)
        if target is None:
            with pytest.raises(Conflict):
                moderation.transition(annotation, action, actor, _reason_for(action))
            db.session.rollback()
            assert _get(annotation_id).status == status
            assert db.session.scalar(select(ModerationLog).where(ModerationLog.annotation_id == annotation_id)) is None
            return
        entry = moderation.transition(annotation, action, actor, _reason_for(action))
        db.session.commit()
        assert _get(annotation_id).status == target
        assert (entry.action, entry.old_status, entry.new_status) == (action.value, status.value, target.value)
        assert entry.moderator_id == (actor.id if actor else None)
        assert entry.target_user_id == world.author.id


@pytest.mark.parametrize("action", [Action.DISMISS_FLAGS, Action.HIDE])
def test_decisions_awaited_only_after_flags_need_open_flags(app, world, action):
    annotation_id = world.annotation(status=S.HIDDEN)   # hidden by a moderator: nothing awaits a decision
    with app.app_context():
        with pytest.raises(Conflict):
            moderation.transition(_get(annotation_id), action, _user(world.mod), "Still off topic")
        db.session.rollback()
        assert db.session.scalar(select(ModerationLog)) is None


def test_legal_transitions_are_exactly_the_documented_ones():
    legal = {(a.value, s.value, t.value) for a, row in moderation.TRANSITIONS.items() for s, t in row.items()}
    assert legal == {
        ("approve", "pending", "published"), ("approve", "hidden", "published"),
        ("hide", "pending", "hidden"), ("hide", "published", "hidden"), ("hide", "hidden", "hidden"),
        ("restore", "hidden", "published"),
        ("remove", "pending", "removed"), ("remove", "published", "removed"), ("remove", "hidden", "removed"),
        ("dismiss_flags", "published", "published"), ("dismiss_flags", "hidden", "published"),
        ("dismiss_flags", "pending", "pending"),
        ("auto_hide", "published", "hidden"), ("resubmit", "hidden", "pending"),
        ("hold_edit", "published", "pending"),
    }


def test_log_row_records_who_when_old_and_new_status_and_reason(app, world):
    annotation_id = world.annotation()
    with app.app_context():
        moderation.transition(_get(annotation_id), "hide", _user(world.mod), "Names a patient's ward and bed")
        db.session.commit()
        entry = db.session.scalar(select(ModerationLog).where(ModerationLog.annotation_id == annotation_id))
        assert entry.moderator_id == world.mod.id
        assert (entry.old_status, entry.new_status) == ("published", "hidden")
        assert entry.reason == "Names a patient's ward and bed"
        assert entry.created_at is not None and entry.created_at.tzinfo is not None
        annotation = _get(annotation_id)
        assert annotation.moderation_reason == "Names a patient's ward and bed"


@pytest.mark.parametrize("action", ["hide", "remove"])
def test_hiding_or_removing_needs_a_reason(app, world, action):
    annotation_id = world.annotation()
    with app.app_context():
        with pytest.raises(ServiceError) as caught:
            moderation.transition(_get(annotation_id), action, _user(world.mod), "   ")
        assert caught.value.field == "reason"
        db.session.rollback()
        assert _get(annotation_id).status == S.PUBLISHED


def test_unknown_action_is_refused(app, world):
    annotation_id = world.annotation()
    with app.app_context(), pytest.raises(ServiceError) as caught:
        moderation.transition(_get(annotation_id), "publish-everything", _user(world.mod))
    assert caught.value.field == "action"


def test_removal_redacts_the_text_keeps_the_original_for_admins_and_is_final(app, world):
    annotation_id = world.annotation(body="Patient J.S., bed 4, ward 7B, had a relapse.")
    with app.app_context():
        moderation.transition(_get(annotation_id), "remove", _user(world.mod), "Identifies a patient")
        db.session.commit()
        annotation = _get(annotation_id)
        assert annotation.status == S.REMOVED
        assert annotation.body == moderation.REDACTED_BODY and "J.S." not in annotation.body_html
        kept = db.session.scalars(select(AnnotationRevision).where(AnnotationRevision.annotation_id == annotation_id))
        assert [r.body for r in kept] == ["Patient J.S., bed 4, ward 7B, had a relapse."]
        entry = db.session.scalar(select(ModerationLog).where(ModerationLog.annotation_id == annotation_id))
        assert entry.reason == "Identifies a patient"
        for action in ("restore", "approve", "hide", "remove"):
            with pytest.raises(Conflict, match="removal is final"):
                moderation.transition(_get(annotation_id), action, _user(world.mod2), "again")
            db.session.rollback()


@pytest.mark.parametrize("action", ["approve", "restore", "dismiss_flags"])
def test_moderator_cannot_clear_their_own_annotation(app, world, action):
    status = S.PENDING if action == "approve" else S.HIDDEN
    annotation_id = world.annotation(status=status, open_flags=1 if action == "dismiss_flags" else 0,
                                     author=world.mod)
    with app.app_context():
        with pytest.raises(Forbidden):
            moderation.transition(_get(annotation_id), action, _user(world.mod))
        db.session.rollback()
        moderation.transition(_get(annotation_id), action, _user(world.mod2))
        db.session.commit()
        assert _get(annotation_id).status == (S.PUBLISHED if status != S.PENDING or action == "approve" else status)


def test_moderator_may_hide_their_own_annotation(app, world):
    annotation_id = world.annotation(author=world.mod)
    with app.app_context():
        moderation.transition(_get(annotation_id), "hide", _user(world.mod), "On reflection, off topic")
        db.session.commit()
        assert _get(annotation_id).status == S.HIDDEN


def test_readers_cannot_moderate_and_only_the_system_hides_automatically(app, world):
    reader = world.author
    annotation_id = world.annotation(status=S.PENDING, author=world.admin)
    with app.app_context():
        with pytest.raises(Forbidden):
            moderation.transition(_get(annotation_id), "approve", _user(reader))
        with pytest.raises(Forbidden):
            moderation.transition(_get(annotation_id), "auto_hide", _user(world.mod), "x")
        with pytest.raises(Forbidden):
            moderation.transition(_get(annotation_id), "resubmit", _user(world.mod))


def test_decision_on_a_stale_view_is_a_conflict_and_changes_nothing(app, world):
    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context():
        seen = _get(annotation_id).modified_at.isoformat()
    with app.app_context():
        moderation.transition(_get(annotation_id), "hide", _user(world.mod2), "Off topic")
        db.session.commit()
    with app.app_context():
        # Another moderator meanwhile restored it: the first moderator's approval on what they saw must not win.
        moderation.transition(_get(annotation_id), "restore", _user(world.mod2))
        db.session.commit()
    with app.app_context():
        annotation = _get(annotation_id)
        with pytest.raises(Conflict, match="changed since you loaded it"):
            moderation.transition(annotation, "hide", _user(world.mod), "Spam", if_modified=seen)
        db.session.rollback()
        assert _get(annotation_id).status == S.PUBLISHED
        assert db.session.scalar(select(db.func.count(ModerationLog.id))) == 2


def test_decision_with_the_current_timestamp_succeeds(app, world):
    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context():
        annotation = _get(annotation_id)
        moderation.transition(annotation, "approve", _user(world.mod), if_modified=annotation.modified_at.isoformat())
        db.session.commit()
        assert _get(annotation_id).status == S.PUBLISHED


def test_malformed_if_modified_is_refused(app, world):
    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context(), pytest.raises(ServiceError) as caught:
        moderation.transition(_get(annotation_id), "approve", _user(world.mod), if_modified="yesterday")
    assert caught.value.field == "if_modified"


def test_two_moderators_deciding_at_once_one_wins_the_other_gets_a_conflict(app, world):
    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context():
        seen = _get(annotation_id).modified_at.isoformat()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(moderator, action, reason):
        with app.app_context():
            barrier.wait()
            try:
                moderation.transition(_get(annotation_id), action, _user(moderator), reason, if_modified=seen)
                db.session.commit()
                outcomes[action] = "done"
            except Conflict:
                db.session.rollback()
                outcomes[action] = "conflict"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(world.mod, "approve", "")),
               threading.Thread(target=decide, args=(world.mod2, "hide", "Off topic"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["conflict", "done"]
    winner = next(a for a, o in outcomes.items() if o == "done")
    with app.app_context():
        assert _get(annotation_id).status == (S.PUBLISHED if winner == "approve" else S.HIDDEN)
        assert db.session.scalar(select(db.func.count(ModerationLog.id))) == 1


def test_status_changes_bump_the_article_page_cache(app, world):
    from app.models import Article

    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context():
        annotation = _get(annotation_id)
        before = db.session.get(Article, annotation.article_id).display_rev
        moderation.transition(annotation, "approve", _user(world.mod))
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Article, annotation.article_id).display_rev > before


def test_author_is_notified_of_approval_hiding_with_reason_and_removal(app, world):
    first, second, third = (world.annotation(status=S.PENDING) for _ in range(3))
    with app.app_context():
        moderation.transition(_get(first), "approve", _user(world.mod))
        moderation.transition(_get(second), "hide", _user(world.mod), "Off topic for this passage")
        moderation.transition(_get(third), "remove", _user(world.mod), "Advertising")
        db.session.commit()
        notes = db.session.scalars(select(Notification).where(Notification.user_id == world.author.id)
                                   .order_by(Notification.id)).all()
        assert [n.kind for n in notes] == ["approved", "hidden", "removed"]
        assert "Off topic for this passage" in notes[1].message
        assert "Advertising" in notes[2].message
        assert "Chemotherapy" in notes[0].message


def test_moderation_log_is_append_only(app, world):
    annotation_id = world.annotation(status=S.PENDING)
    with app.app_context():
        moderation.transition(_get(annotation_id), "approve", _user(world.mod))
        db.session.commit()
        entry = db.session.scalar(select(ModerationLog))
        entry.reason = "rewritten history"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(ModerationLog)))
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_bulk_action_changes_the_fresh_items_and_reports_the_stale_ones(app, world):
    fresh, stale, gone = world.annotation(status=S.PENDING), world.annotation(status=S.PENDING), 10 ** 6
    with app.app_context():
        selection = {fresh: _get(fresh).modified_at.isoformat(), stale: "2000-01-01T00:00:00+00:00", gone: None}
        result = moderation.bulk_transition(selection, "approve", _user(world.mod))
        db.session.commit()
        assert result.done == [fresh]
        assert {i for i, _ in result.refused} == {stale, gone}
        assert _get(fresh).status == S.PUBLISHED and _get(stale).status == S.PENDING


def test_waiting_count_is_pending_plus_flagged_plus_hidden_automatically(app, world):
    world.annotation(status=S.PENDING)
    world.annotation(status=S.PUBLISHED, open_flags=1)
    world.annotation(status=S.HIDDEN, open_flags=3)   # hidden automatically, awaiting a decision
    world.annotation(status=S.HIDDEN)                 # decided by a moderator: not waiting
    world.annotation(status=S.PUBLISHED)
    world.annotation(status=S.REMOVED)
    with app.app_context():
        assert moderation_queue.waiting_count() == 3
        assert moderation_queue.queue_counts() == {"pending": 1, "flagged": 2, "hidden": 2}


def test_flagged_queue_puts_most_flags_first_then_the_worst_reason(app, world, make):
    from app.services import flags

    readers = [make.user() for _ in range(3)]
    spam_twice = world.annotation()
    abusive_once = world.annotation()
    spam_once = world.annotation()
    with app.app_context():
        app.config["FLAGS_TO_HIDE"] = 10
        try:
            for reader in readers[:2]:
                flags.flag(_get(spam_twice), _user(reader), "spam")
            flags.flag(_get(spam_once), _user(readers[2]), "spam")
            flags.flag(_get(abusive_once), _user(readers[2]), "abusive")
            db.session.commit()
            page = moderation_queue.queue("flagged")
        finally:
            app.config["FLAGS_TO_HIDE"] = 3
        assert [item.annotation.id for item in page.items] == [spam_twice, abusive_once, spam_once]
        assert [f.reason.value for f in page.items[0].flags] == ["spam", "spam"]


# --- Pre-moderation by trust ---------------------------------------------------------------------

def _post(app, info, visibility=Visibility.PUBLIC) -> int:
    """Post an annotation as `info` with the status pre-moderation gives it."""
    from app.models import Article

    with app.app_context():
        author = _user(info)
        article = db.session.scalar(select(Article))
        created = annotation_service.create(article, author, body="Text", visibility=visibility,
                                            selector=annotation_service.anchor(article, QUOTE),
                                            status=premoderation.initial_status(author, visibility))
        db.session.commit()
        return created.id


def test_new_account_waits_for_three_approvals_then_posts_directly_and_becomes_trusted(app, world):
    waiting = [_post(app, world.author) for _ in range(3)]
    with app.app_context():
        assert [_get(i).status for i in waiting] == [S.PENDING] * 3
        for annotation_id in waiting[:2]:
            moderation.transition(_get(annotation_id), "approve", _user(world.mod))
        db.session.commit()
    fourth = _post(app, world.author)
    with app.app_context():
        assert _get(fourth).status == S.PENDING
        assert not _user(world.author).trusted
        moderation.transition(_get(waiting[2]), "approve", _user(world.mod))
        db.session.commit()
        assert _user(world.author).trusted
        trust = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "trust"))
        assert trust.moderator_id is None and trust.target_user_id == world.author.id
        assert "3 approved" in trust.reason
    direct = _post(app, world.author)
    with app.app_context():
        assert _get(direct).status == S.PUBLISHED


def test_private_annotations_and_moderators_are_never_queued(app, world):
    private = _post(app, world.author, Visibility.PRIVATE)
    by_moderator = _post(app, world.mod)
    by_admin = _post(app, world.admin)
    with app.app_context():
        assert _get(private).status == S.PUBLISHED
        assert _get(by_moderator).status == S.PUBLISHED and _get(by_admin).status == S.PUBLISHED


@pytest.mark.parametrize(("setting", "expected"), [("0", S.PUBLISHED), ("all", S.PENDING)])
def test_premoderation_count_zero_turns_it_off_and_all_queues_everyone(app, world, make, setting, expected):
    trusted = make.user(trusted=True)
    app.config["PREMODERATION_COUNT"] = setting
    try:
        fresh = _post(app, world.author)
        veteran = _post(app, trusted)
    finally:
        app.config["PREMODERATION_COUNT"] = "3"
    with app.app_context():
        assert _get(fresh).status == expected
        assert _get(veteran).status == expected


# --- Resubmission by editing ---------------------------------------------------------------------

def test_editing_a_hidden_annotation_resubmits_it_once_per_decision(app, world):
    annotation_id = world.annotation()
    with app.app_context():
        moderation.transition(_get(annotation_id), "hide", _user(world.mod), "Unsupported claim")
        db.session.commit()
    with app.app_context():
        annotation_service.edit(_get(annotation_id), body="Now with a reference [2].")
        db.session.commit()
        annotation = _get(annotation_id)
        assert (annotation.status, annotation.resubmitted) == (S.PENDING, True)
        resubmit = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "resubmit"))
        assert resubmit.moderator_id == world.author.id and (resubmit.old_status, resubmit.new_status) == (
            "hidden", "pending")
        annotation_service.edit(_get(annotation_id), body="Another tweak.")
        db.session.commit()
        assert _get(annotation_id).status == S.PENDING
        moderation.transition(_get(annotation_id), "hide", _user(world.mod), "Still unsupported")
        db.session.commit()
        assert _get(annotation_id).resubmitted is False
        annotation_service.edit(_get(annotation_id), body="Third try, with the trial's numbers.")
        db.session.commit()
        assert _get(annotation_id).status == S.PENDING
        assert db.session.scalar(select(db.func.count(ModerationLog.id)).where(
            ModerationLog.action == "resubmit")) == 2


def test_a_resubmitted_annotation_cannot_be_resubmitted_again(app, world):
    annotation_id = world.annotation(status=S.HIDDEN)
    with app.app_context():
        moderation.transition(_get(annotation_id), "resubmit", _user(world.author))
        db.session.commit()
        annotation = _get(annotation_id)
        annotation.status = S.HIDDEN  # as if seen before the resubmission
        with pytest.raises(Conflict):
            moderation.transition(annotation, "resubmit", _user(world.author))


# --- Replies -------------------------------------------------------------------------------------

def test_reply_notifies_the_parent_author_but_not_oneself_nor_before_it_is_readable(app, world, make):
    parent = world.annotation()
    replier = make.user(name="Dr Replier", trusted=True)
    newcomer = make.user(name="Dr Newcomer")
    make.reply(replier, parent, body="Good point.")
    make.reply(world.author, parent, body="Thanks!")
    with app.app_context():
        parent_annotation = _get(parent)
        waiting = annotation_service.create(parent_annotation.article, _user(newcomer), body="Me too.",
                                            parent=parent_annotation, status=S.PENDING)
        db.session.commit()
        notes = db.session.scalars(select(Notification).where(Notification.user_id == world.author.id)).all()
        assert [(n.kind, "Dr Replier" in n.message) for n in notes] == [("reply", True)]
        moderation.transition(waiting, "approve", _user(world.mod))
        db.session.commit()
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == world.author.id)).all()
        assert kinds == ["reply", "reply"]
