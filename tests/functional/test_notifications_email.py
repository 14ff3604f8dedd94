"""Email delivery: the outbox, retries, at-most-once sending, send-time checks, unsubscribe links, account email.

Every test talks to a real SMTP server (aiosmtpd on 127.0.0.1) or to a port where nothing listens.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Notification, OutboxMessage, User
from app.models.base import utcnow
from tests.conftest import AuthActions, csrf_from, send_outbox
from tests.mail import free_port

QUOTE = "TMEM sites"


@pytest.fixture
def people(make):
    slug = make.demo_article()
    author = make.user(name="Dr Ann Author", trusted=True, email="author@example.org")
    replier = make.user(name="Dr Rob Replier", trusted=True, email="replier@example.org")
    return slug, author, replier


def outbox_rows(app) -> list[tuple]:
    with app.app_context():
        return [(r.status, r.attempts, r.category) for r in db.session.scalars(select(OutboxMessage)
                                                                               .order_by(OutboxMessage.id))]


def signed_in(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email, user.password).status_code == 302
    return client


def test_a_reply_is_emailed_at_once_with_working_links_and_per_type_unsubscribe(app, make, people, smtp_server):
    slug, author, replier = people
    root = make.annotation(author, slug, QUOTE, body="Are TMEM scores reproducible?")
    reply = make.reply(replier, root, "Only with a trained pathologist.")
    assert outbox_rows(app) == [("pending", 0, "notification")]  # written with the reply, nothing sent yet
    assert smtp_server.received == []

    report = send_outbox(app)
    assert (report.sent, report.retrying) == (1, 0)
    [mail] = smtp_server.received
    assert mail.recipients == ["author@example.org"]
    assert mail.message["From"].addresses[0].addr_spec == "no-reply@postil.test"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert "Only with a trained pathologist." in mail.text
    assert mail.message.get_body(preferencelist=("html",)) is not None
    link = f"http://localhost/annotations/{reply}"
    assert link in mail.links()
    client = signed_in(app, author)
    followed = client.get(link.removeprefix("http://localhost"), follow_redirects=True)
    assert "Only with a trained pathologist." in followed.get_data(as_text=True)

    # The link stops emails about replies only: other types keep their choice, replies stay in the app.
    unsubscribe = mail.raw_header("List-Unsubscribe").strip("<>").removeprefix("http://localhost")
    page = app.test_client().get(unsubscribe)
    assert page.status_code == 200 and "Stop emails about replies?" in page.get_data(as_text=True)
    assert app.test_client().post(unsubscribe).status_code == 200
    with app.app_context():
        from app.services.preferences import Delivery, choices_of

        choices = choices_of(author.id)
        assert choices["reply"] == Delivery.APP and choices["mention"] == Delivery.INSTANT
    make.reply(replier, root, "A second reply.")
    send_outbox(app)
    assert len(smtp_server.received) == 1
    assert "A second reply" not in "".join(m.text for m in smtp_server.received)
    assert "Dr Rob Replier replied" in client.get("/notifications").get_data(as_text=True)


def test_a_forged_altered_or_expired_unsubscribe_link_changes_nothing(app, make, people, monkeypatch):
    _, author, _ = people
    with app.app_context():
        from app.mail.unsubscribe import make_token

        token = make_token(author.id, "reply")
    client = app.test_client()
    for bad in ("forged", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), ""):
        for method in ("GET", "POST"):
            response = client.open(f"/unsubscribe?token={bad}", method=method)
            assert response.status_code == 400
            assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "UNSUBSCRIBE_MAX_AGE_DAYS", -1)
    response = client.post(f"/unsubscribe?token={token}")
    assert response.status_code == 400 and "has expired" in response.get_data(as_text=True)
    with app.app_context():
        from app.models import NotificationPreference

        assert db.session.scalar(select(func.count(NotificationPreference.id))) == 0


def test_a_mail_server_that_is_down_never_fails_a_request_and_the_outbox_retries_later(app, make, people,
                                                                                      monkeypatch):
    slug, author, replier = people
    root = make.annotation(author, slug, QUOTE, body="Question for anyone.")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    client = signed_in(app, replier)
    token = csrf_from(client.get(f"/annotations/{root}/replies").get_data(as_text=True))
    response = client.post(f"/annotations/{root}/replies", data={"csrf_token": token, "body": "An answer."})
    assert response.status_code == 302  # the web request never talks to the mail server

    report = send_outbox(app)
    assert (report.sent, report.retrying) == (0, 1)
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert (row.status, row.attempts) == ("pending", 1)
        assert "ConnectionRefusedError" in row.last_error
        retry_at = row.next_attempt_at
    assert retry_at > utcnow() + timedelta(seconds=30)
    assert send_outbox(app).retrying == 0  # not due yet: nothing attempted

    from tests.mail import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        assert send_outbox(app, now=retry_at + timedelta(seconds=1)).sent == 1
        assert send_outbox(app, now=retry_at + timedelta(hours=1)).sent == 0
        assert [m.recipients for m in server.received] == [["author@example.org"]]
    finally:
        server.stop()


def test_a_refusing_server_gets_the_same_message_again_later_with_the_same_message_id(app, make, people,
                                                                                     smtp_server):
    slug, author, replier = people
    make.reply(replier, make.annotation(author, slug, QUOTE), "Reply.")
    smtp_server.refusing = True
    assert send_outbox(app).retrying == 1
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert "451" in row.last_error
        from app.mail.compose import message_id

        expected_id = message_id(row.key)
        later = row.next_attempt_at
    smtp_server.refusing = False
    assert send_outbox(app, now=later).sent == 1
    [mail] = smtp_server.received
    assert mail.message["Message-ID"] == expected_id


def test_after_the_last_attempt_a_message_is_kept_as_failed(app, make, people, smtp_server, monkeypatch):
    slug, author, replier = people
    make.reply(replier, make.annotation(author, slug, QUOTE), "Reply.")
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    smtp_server.refusing = True
    now = utcnow()
    assert send_outbox(app, now=now).retrying == 1
    assert send_outbox(app, now=now + timedelta(days=1)).failed == 1
    assert outbox_rows(app) == [("failed", 2, "notification")]
    assert send_outbox(app, now=now + timedelta(days=2)).failed == 0


def test_a_crash_between_sending_and_marking_never_sends_twice(app, make, people, smtp_server, monkeypatch):
    slug, author, replier = people
    make.reply(replier, make.annotation(author, slug, QUOTE), "Reply.")
    from app.mail import worker

    def crash(_row_id):
        raise SystemExit("the sender was killed")

    monkeypatch.setattr(worker, "mark_sent", crash)
    with pytest.raises(SystemExit):
        send_outbox(app)
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    assert len(smtp_server.received) == 1
    assert outbox_rows(app) == [("sending", 1, "notification")]
    assert send_outbox(app).sent == 0
    report = send_outbox(app, now=utcnow() + timedelta(hours=1))
    assert (report.sent, report.unconfirmed) == (0, 1)
    assert outbox_rows(app) == [("unconfirmed", 1, "notification")]
    assert len(smtp_server.received) == 1


def test_content_hidden_or_deleted_after_the_event_is_withheld_at_send_time(app, make, people, smtp_server):
    slug, author, replier = people
    moderator = make.user(role="moderator", name="Dr Mod")
    root = make.annotation(author, slug, QUOTE)
    hidden = make.reply(replier, root, "SECRET-HIDDEN reply.")
    deleted = make.reply(replier, root, "SECRET-DELETED reply.")
    with app.app_context():
        from app.services import annotations, moderation

        moderation.transition(db.session.get(Annotation, hidden), "hide", db.session.get(User, moderator.id),
                              reason="Off topic")
        annotations.delete(db.session.get(Annotation, deleted))
        db.session.commit()
    report = send_outbox(app)
    assert (report.sent, report.withheld) == (0, 2)
    assert smtp_server.received == []
    page = signed_in(app, author).get("/notifications").get_data(as_text=True)
    assert "Dr Rob Replier replied" not in page  # gone from the app too, while it cannot be read


def test_changing_ones_choice_before_sending_withholds_the_email(app, make, people, smtp_server):
    slug, author, replier = people
    make.reply(replier, make.annotation(author, slug, QUOTE), "Reply.")
    with app.app_context():
        from app.services import preferences

        preferences.set_choices(db.session.get(User, author.id), {"reply": "weekly"})
        db.session.commit()
    assert send_outbox(app).withheld == 1
    assert smtp_server.received == []


def test_off_means_no_notification_at_all_and_app_means_no_email(app, make, people, smtp_server):
    slug, author, replier = people
    with app.app_context():
        from app.services import preferences

        preferences.set_choices(db.session.get(User, author.id), {"reply": "off"})
        db.session.commit()
    root = make.annotation(author, slug, QUOTE)
    make.reply(replier, root, "Ignored reply.")
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == author.id)) == 0
        preferences.set_choices(db.session.get(User, author.id), {"reply": "app"})
        db.session.commit()
    make.reply(replier, root, "Seen in the app.")
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == author.id)) == 1
    assert outbox_rows(app) == []


def test_account_email_ignores_preferences_and_has_no_unsubscribe_link(app, make, people, smtp_server):
    _, author, _ = people
    with app.app_context():
        from app.services import outbox, preferences

        user = db.session.get(User, author.id)
        preferences.set_choices(user, {key: "off" for key in preferences.EVENT_TYPES})
        assert outbox.queue_account_email(key="confirm:1", subject="Confirm your address", user=user,
                                          text="Open http://localhost/confirm/abc to confirm.") is not None
        assert outbox.queue_account_email(key="confirm:1", subject="Again", user=user, text="Again") is None
        outbox.queue_account_email(key="invite:7", subject="You are invited", to_address="guest@example.org",
                                   text="Join the journal club.", html="<p>Join the journal club.</p>")
        db.session.commit()
    assert send_outbox(app).sent == 2
    confirm, invite = smtp_server.received
    assert confirm.recipients == ["author@example.org"] and confirm.message["Subject"] == "Confirm your address"
    assert confirm.raw_header("List-Unsubscribe") == "" and invite.recipients == ["guest@example.org"]
    assert "journal club" in invite.html


def test_without_a_mail_server_messages_are_written_to_the_log(app, make, people, caplog):
    slug, author, replier = people
    make.reply(replier, make.annotation(author, slug, QUOTE), "Logged reply.")
    with caplog.at_level("INFO", logger="postil.mail"):
        assert send_outbox(app).sent == 1
    assert "no MAIL_SERVER configured" in caplog.text and "author@example.org" in caplog.text


def test_digests_group_by_article_are_built_once_and_weekly_is_separate(app, make, people, runner, smtp_server):
    slug, author, replier = people
    with app.app_context():
        from app.services import preferences

        preferences.set_choices(db.session.get(User, author.id), {"reply": "weekly"})
        db.session.commit()
    root = make.annotation(author, slug, QUOTE)
    make.reply(replier, root, "First.")
    make.reply(replier, root, "Second.")
    assert "Queued 0 daily digests" in runner.invoke(args=["notifications", "digest", "--period", "daily"]).output
    result = runner.invoke(args=["notifications", "digest", "--period", "weekly"])
    assert "Queued 1 weekly digest" in result.output and "sent 1" in result.output
    assert "Queued 0 weekly digests" in runner.invoke(args=["notifications", "digest", "--period", "weekly"]).output
    [digest] = smtp_server.received
    assert digest.message["Subject"] == "Your weekly Postil digest: 2 updates"
    assert digest.text.index("Second.") < digest.text.index("First.")
    bad = runner.invoke(args=["notifications", "digest", "--period", "hourly"])
    assert bad.exit_code != 0
    status = runner.invoke(args=["notifications", "status"]).output
    assert "sent: 1" in status


def test_marking_a_study_retracted_tells_its_followers_and_citers_once(app, make, people, smtp_server):
    from app.models import Study
    from app.services import follows, studies

    slug, author, replier = people
    with app.app_context():
        study = db.session.scalar(select(Study).order_by(Study.id))
        study_id = study.id
        follows.follow(db.session.get(User, replier.id), "study", study_id)
        db.session.commit()
    make.annotation(author, slug, QUOTE, body="Cites it.", study_id=study_id)
    with app.app_context():
        study = db.session.get(Study, study_id)
        record = studies.record_of(study)
        record.retracted, record.retraction_note = True, "Retracted for image duplication."
        studies.update_study(study, record)
        db.session.commit()
        studies.update_study(study, record)  # still retracted: nobody is told again
        db.session.commit()
    assert send_outbox(app).sent == 2
    assert sorted(r for m in smtp_server.received for r in m.recipients) == ["author@example.org",
                                                                             "replier@example.org"]
    mail = smtp_server.received[0]
    assert "was retracted" in mail.message["Subject"] and f"http://localhost/studies/{study_id}" in mail.links()
    reader = signed_in(app, replier)
    page = reader.get("/notifications").get_data(as_text=True)
    link = re.search(r'href="(/notifications/\d+)">See the study', page).group(1)
    assert reader.get(link).headers["Location"] == f"/studies/{study_id}"
