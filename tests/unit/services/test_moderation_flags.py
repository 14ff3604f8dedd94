"""Flags: who may flag what, once; automatic hiding at the threshold or at once for patient data; dismissal."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Flag, ModerationLog, Notification, Role, User, Visibility
from app.models.base import utcnow
from app.services import flags, moderation, moderation_queue
from app.services.errors import Conflict, Forbidden, ServiceError

QUOTE = "are the models used really representative of the spectrum of human tumors?"
S = AnnotationStatus


@pytest.fixture
def setup(make):
    slug = make.demo_article()
    author = make.user(name="Dr Author")
    readers = [make.user(name=f"Reader {i}") for i in range(4)]
    mod = make.user(role=Role.MODERATOR)
    annotation_id = make.annotation(author, slug, QUOTE, body="Tamoxifen is useless, trust me.")
    return {"slug": slug, "author": author, "readers": readers, "mod": mod, "id": annotation_id}


def _get(annotation_id: int) -> Annotation:
    return db.session.get(Annotation, annotation_id)


def _user(info) -> User:
    return db.session.get(User, info.id)


def _flag(info, annotation_id, reason="misrepresents_evidence", note=""):
    flag = flags.flag(_get(annotation_id), _user(info), reason, note)
    db.session.commit()
    return flag


def test_reader_flags_once_with_a_reason_and_the_open_count_follows(app, setup):
    with app.app_context():
        flag = _flag(setup["readers"][0], setup["id"], "spam", "Links to a supplement shop")
        assert (flag.reason.value, flag.note) == ("spam", "Links to a supplement shop")
        assert _get(setup["id"]).open_flags == 1
        with pytest.raises(Conflict, match="already flagged"):
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "abusive")
        db.session.rollback()
        assert _get(setup["id"]).open_flags == 1
        assert db.session.scalar(select(db.func.count(Flag.id))) == 1


def test_threshold_of_distinct_readers_hides_automatically_until_a_moderator_decides(app, setup):
    readers = setup["readers"]
    with app.app_context():
        _flag(readers[0], setup["id"])
        _flag(readers[1], setup["id"])
        assert _get(setup["id"]).status == S.PUBLISHED
        _flag(readers[2], setup["id"])
        annotation = _get(setup["id"])
        assert (annotation.status, annotation.open_flags) == (S.HIDDEN, 3)
        entry = db.session.scalar(select(ModerationLog).where(ModerationLog.action == "auto_hide"))
        assert entry.moderator_id is None
        assert entry.reason == "Hidden automatically after 3 flags"
        note = db.session.scalar(select(Notification).where(Notification.user_id == setup["author"].id))
        assert note.kind == "hidden" and "Hidden automatically after 3 flags" in note.message
        assert moderation_queue.waiting_count() == 1


def test_threshold_follows_configuration(app, setup):
    app.config["FLAGS_TO_HIDE"] = 1
    try:
        with app.app_context():
            _flag(setup["readers"][0], setup["id"], "off_topic")
            assert _get(setup["id"]).status == S.HIDDEN
    finally:
        app.config["FLAGS_TO_HIDE"] = 3


def _establish(make, setup, info, days: int = 30, approved: int = 1) -> None:
    """Give `info` standing: an account `days` old with `approved` published public annotations."""
    for _ in range(approved):
        make.annotation(info, setup["slug"], QUOTE, body="An approved comment.")
    with make.app.app_context():
        _user(info).created_at = utcnow() - timedelta(days=days)
        db.session.commit()


def test_a_patient_data_flag_from_an_established_reader_hides_at_once(app, make, setup):
    _establish(make, setup, setup["readers"][0])
    with app.app_context():
        _flag(setup["readers"][0], setup["id"], "patient_data", "Gives the patient's initials and ward")
        annotation = _get(setup["id"])
        assert annotation.status == S.HIDDEN
        assert "patient data" in annotation.moderation_reason
        assert db.session.scalar(select(Flag)).hid_annotation


@pytest.mark.parametrize("who", ["brand-new account", "old account without an approved annotation",
                                 "new account with an approved annotation"])
def test_a_patient_data_flag_without_standing_leads_the_queue_marked_urgent_but_hides_nothing(app, make, setup, who):
    flagger = setup["readers"][0]
    if who != "brand-new account":
        _establish(make, setup, flagger, days=30 if who.startswith("old") else 0,
                   approved=0 if "without" in who else 1)
    older = make.annotation(make.user(), setup["slug"], QUOTE, body="Flagged twice for spam, earlier.")
    with app.app_context():
        _flag(setup["readers"][1], older, "spam")
        _flag(setup["readers"][2], older, "spam")
        _flag(flagger, setup["id"], "patient_data", "Names a patient")
        assert _get(setup["id"]).status == S.PUBLISHED
        page = moderation_queue.queue("flagged")
        assert [item.annotation.id for item in page.items] == [setup["id"], older]
        assert page.items[0].urgent and not page.items[1].urgent


def test_a_moderators_patient_data_flag_hides_at_once_and_is_not_capped(app, setup):
    app.config["FLAG_AUTO_HIDES_PER_DAY"] = 0
    try:
        with app.app_context():
            _flag(setup["mod"], setup["id"], "patient_data")
            assert _get(setup["id"]).status == S.HIDDEN
    finally:
        app.config["FLAG_AUTO_HIDES_PER_DAY"] = 3


def test_standing_follows_configuration(app, setup):
    app.config.update(FLAG_HIDE_MIN_ACCOUNT_DAYS=0, FLAG_HIDE_MIN_APPROVED=0)
    try:
        with app.app_context():
            _flag(setup["readers"][0], setup["id"], "patient_data")
            assert _get(setup["id"]).status == S.HIDDEN
    finally:
        app.config.update(FLAG_HIDE_MIN_ACCOUNT_DAYS=7, FLAG_HIDE_MIN_APPROVED=1)


def test_one_readers_flags_hide_at_most_the_daily_allowance(app, make, setup, caplog):
    flagger = setup["readers"][0]
    _establish(make, setup, flagger)
    targets = [make.annotation(setup["author"], setup["slug"], QUOTE, body=f"Comment {n}.") for n in range(4)]
    with app.app_context():
        for target in targets:
            _flag(flagger, target, "patient_data")
        assert [_get(t).status for t in targets] == [S.HIDDEN] * 3 + [S.PUBLISHED]
        assert flags.automatic_hides_today(_user(flagger)) == 3
        assert "automatic hide withheld" in caplog.text
        # The fourth is still reported: it leads the queue, marked urgent.
        assert moderation_queue.queue("flagged").items[0].annotation.id == targets[3]
        # A day later the allowance is back.
        for flag in db.session.scalars(select(Flag).where(Flag.user_id == flagger.id)):
            flag.created_at = utcnow() - timedelta(days=1, minutes=1)
        db.session.commit()
        assert flags.automatic_hides_today(_user(flagger)) == 0


def test_the_allowance_also_bounds_hides_at_the_flag_threshold(app, make, setup):
    app.config["FLAG_AUTO_HIDES_PER_DAY"] = 0
    try:
        with app.app_context():
            for reader in setup["readers"][:3]:
                _flag(reader, setup["id"], "off_topic")
            assert (_get(setup["id"]).status, _get(setup["id"]).open_flags) == (S.PUBLISHED, 3)
    finally:
        app.config["FLAG_AUTO_HIDES_PER_DAY"] = 3


def test_other_needs_a_note_and_notes_have_a_limit(app, setup):
    with app.app_context():
        with pytest.raises(ServiceError) as caught:
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "other", "  ")
        assert caught.value.field == "note"
        db.session.rollback()
        with pytest.raises(ServiceError) as caught:
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "spam", "x" * 1001)
        assert caught.value.field == "note"
        db.session.rollback()
        with pytest.raises(ServiceError) as caught:
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "i-dont-like-it")
        assert caught.value.field == "reason"
        db.session.rollback()
        _flag(setup["readers"][0], setup["id"], "other", "x" * 1000)


def test_nobody_flags_their_own_annotation(app, setup):
    with app.app_context(), pytest.raises(Forbidden, match="your own"):
        flags.flag(_get(setup["id"]), _user(setup["author"]), "spam")


def test_nobody_flags_what_they_cannot_read(app, setup, make):
    pending = make.annotation(setup["author"], setup["slug"], QUOTE, status=S.PENDING)
    private = make.annotation(setup["author"], setup["slug"], QUOTE, visibility=Visibility.PRIVATE)
    with app.app_context():
        for annotation_id in (pending, private):
            with pytest.raises(Forbidden, match="can read"):
                flags.flag(_get(annotation_id), _user(setup["readers"][0]), "spam")
            # Moderators read pending items only in the panel; they decide there instead of flagging.
            with pytest.raises(Forbidden):
                flags.flag(_get(annotation_id), _user(setup["mod"]), "spam")


def test_suspended_reader_cannot_flag_and_is_told_why(app, setup):
    with app.app_context():
        reader = _user(setup["readers"][0])
        reader.suspended_indefinitely = True
        reader.suspension_reason = "Repeated abuse"
        db.session.commit()
        with pytest.raises(Forbidden, match="suspended.*Repeated abuse"):
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "spam")


def test_dismissing_flags_on_an_automatically_hidden_annotation_publishes_it_again(app, setup):
    with app.app_context():
        for reader in setup["readers"][:3]:
            _flag(reader, setup["id"])
        moderation.transition(_get(setup["id"]), "dismiss_flags", _user(setup["mod"]), "A fair, sourced opinion")
        db.session.commit()
        annotation = _get(setup["id"])
        assert (annotation.status, annotation.open_flags, annotation.moderation_reason) == (S.PUBLISHED, 0, None)
        open_flags = db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None))).all()
        assert open_flags == []
        resolved = db.session.scalars(select(Flag)).all()
        assert {f.resolved_by_id for f in resolved} == {setup["mod"].id}
        assert moderation_queue.waiting_count() == 0
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == setup["author"].id)
                                   .order_by(Notification.id)).all()
        assert kinds == ["hidden", "restored"]


def test_dismissing_flags_on_a_published_annotation_keeps_it_published(app, setup):
    with app.app_context():
        _flag(setup["readers"][0], setup["id"])
        moderation.transition(_get(setup["id"]), "dismiss_flags", _user(setup["mod"]))
        db.session.commit()
        assert (_get(setup["id"]).status, _get(setup["id"]).open_flags) == (S.PUBLISHED, 0)


def test_a_moderator_decision_resolves_open_flags(app, setup):
    with app.app_context():
        _flag(setup["readers"][0], setup["id"])
        moderation.transition(_get(setup["id"]), "hide", _user(setup["mod"]), "Misleading")
        db.session.commit()
        assert _get(setup["id"]).open_flags == 0
        assert db.session.scalar(select(Flag)).resolved_at is not None
        # Hidden by a moderator, so nothing is waiting and there are no flags to dismiss.
        assert moderation_queue.waiting_count() == 0
        with pytest.raises(Conflict, match="no open flags"):
            moderation.transition(_get(setup["id"]), "dismiss_flags", _user(setup["mod"]))


def test_a_flag_changes_modified_so_a_decision_on_an_older_view_conflicts(app, setup):
    with app.app_context():
        _flag(setup["readers"][0], setup["id"])
        seen = _get(setup["id"]).modified_at.isoformat()
        _flag(setup["readers"][1], setup["id"], "patient_data")
        with pytest.raises(Conflict):
            moderation.transition(_get(setup["id"]), "dismiss_flags", _user(setup["mod"]), if_modified=seen)


def test_deleted_annotations_cannot_be_flagged(app, setup):
    with app.app_context():
        _get(setup["id"]).deleted_at = utcnow()
        db.session.commit()
        with pytest.raises(Forbidden):
            flags.flag(_get(setup["id"]), _user(setup["readers"][0]), "spam")
