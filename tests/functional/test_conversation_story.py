"""The issue's "Done when" story on the demo, end to end through the web forms, the sender and a real SMTP server.

A reader asks a question mentioning a colleague; the colleague gets an email from the test SMTP
server and replies; the asker gets an email whose link works and accepts the reply; the thread
shows "Answered"; a third reader following the article gets it all in a daily digest whose one-click
unsubscribe works; and a private note mentioning everyone reaches no one.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind, User
from tests.conftest import AuthActions, csrf_from

SLUG = "chemotherapy-metastases"
QUESTION_QUOTE = "TMEM sites"
PRIVATE_TEXT = "PRIVATE-NOTE: my own doubts about the TMEM scoring"


def signed_in(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email, user.password).status_code == 302
    return client


def token_of(client, path="/"):
    return csrf_from(client.get(path).get_data(as_text=True))


def local(url: str) -> str:
    """Return the path and query of an absolute link (the test client serves http://localhost)."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost", url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_done_when_question_mention_reply_answer_digest_and_unsubscribe(app, make, runner, smtp_server):
    run(runner, "seed-demo")
    asker = make.user(name="Dr Asha Asker", trusted=True, email="asker@example.org")
    colleague = make.user(name="Dr Colm Colleague", trusted=True, email="colleague@example.org")
    follower = make.user(name="Dr Fen Follower", trusted=True, email="follower@example.org")
    with app.app_context():
        article_id = db.session.scalar(select(Annotation.article_id).limit(1))

    # The third reader follows the article from its page.
    fen = signed_in(app, follower)
    response = fen.post("/following", data={"csrf_token": token_of(fen, f"/articles/{SLUG}"), "type": "article",
                                            "target": article_id, "next": f"/articles/{SLUG}"})
    assert response.status_code == 303
    assert "Following this article" in fen.get(f"/articles/{SLUG}").get_data(as_text=True)

    # The asker asks a question mentioning the colleague, and writes a private note mentioning everyone.
    asha = signed_in(app, asker)
    mention = f"@[Dr Colm Colleague](/people/{colleague.id})"
    form = {"csrf_token": token_of(asha, f"/articles/{SLUG}"), "exact": QUESTION_QUOTE, "kind": "question",
            "visibility": "public", "body": f"{mention}, have TMEM sites been scored in human post-NAC tissue?"}
    assert asha.post(f"/articles/{SLUG}/annotate", data=form).status_code == 302
    private = {**form, "visibility": "private", "kind": "comment",
               "body": f"{PRIVATE_TEXT} @[Colm](/people/{colleague.id}) @[Fen](/people/{follower.id})"}
    assert asha.post(f"/articles/{SLUG}/annotate", data=private).status_code == 302
    with app.app_context():
        question = db.session.scalar(select(Annotation).where(Annotation.kind == AnnotationKind.QUESTION,
                                                              Annotation.author_id == asker.id))
        question_id = question.id
        assert f'href="/people/{colleague.id}"' in question.body_html and "@Dr Colm Colleague" in question.body_html

    assert "sent 1," in run(runner, "notifications", "send", "--once")
    mails = smtp_server.to("colleague@example.org")
    assert len(mails) == 1, [m.message["Subject"] for m in smtp_server.received]
    mail = mails[0]
    assert mail.message["Subject"] == "Dr Asha Asker mentioned you on “Chemotherapy: a cause of metastases?”."
    assert mail.message["To"].addresses[0].addr_spec == "colleague@example.org"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "human post-NAC tissue" in mail.text and "human post-NAC tissue" in mail.html
    permalink = f"http://localhost/annotations/{question_id}"
    assert permalink in mail.links()

    # The colleague follows the link, lands on the thread and replies.
    colm = signed_in(app, colleague)
    landing = colm.get(local(permalink))
    assert landing.status_code == 302 and f"open={question_id}" in landing.headers["Location"]
    assert "human post-NAC tissue" in colm.get(landing.headers["Location"]).get_data(as_text=True)
    reply = {"csrf_token": token_of(colm, f"/annotations/{question_id}/replies"),
             "body": "Yes: Karagiannis scored TMEM in 20 patients before and after NAC."}
    created = colm.post(f"/annotations/{question_id}/replies", data=reply)
    assert created.status_code == 302
    reply_id = int(created.headers["Location"].rsplit("/", 1)[1])

    run(runner, "notifications", "send", "--once")
    to_asker = smtp_server.to("asker@example.org")
    assert [m.message["Subject"] for m in to_asker] == [
        "Dr Colm Colleague replied to your annotation on “Chemotherapy: a cause of metastases?” (“TMEM sites”)."]
    answer_link = f"http://localhost/annotations/{reply_id}"
    assert answer_link in to_asker[0].links() and "20 patients" in to_asker[0].text
    assert asha.get(local(answer_link)).status_code == 302

    # The asker accepts the reply; every reader now sees "Answered" with the answer under the question.
    accept_page = asha.get(f"/annotations/{reply_id}/accept")
    assert accept_page.status_code == 200
    accepted = asha.post(f"/annotations/{reply_id}/accept",
                         data={"csrf_token": csrf_from(accept_page.get_data(as_text=True))})
    assert accepted.status_code == 303
    for client in (app.test_client(), fen, colm, asha):
        page = client.get(f"/articles/{SLUG}").get_data(as_text=True)
        thread = page[page.index(f'id="a-{question_id}"'):]
        assert "Answered" in thread[:thread.index("</article>")]
        assert thread.index("Accepted answer") < thread.index("20 patients")
        if client is not asha:
            assert PRIVATE_TEXT not in page
    run(runner, "notifications", "send", "--once")
    assert any("accepted as the answer" in m.message["Subject"] for m in smtp_server.to("colleague@example.org"))

    # The follower gets both in the daily digest, grouped under the article, with working links.
    assert not smtp_server.to("follower@example.org")
    output = run(runner, "notifications", "digest", "--period", "daily")
    assert "Queued 1 daily digest" in output
    digest = smtp_server.to("follower@example.org")
    assert len(digest) == 1
    digest = digest[0]
    # RFC 8058: the URL in angle brackets, as sent, and the one-click marker.
    assert digest.raw_header("List-Unsubscribe").startswith("<http://localhost/unsubscribe?token=")
    assert digest.raw_header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert "@Dr Colm Colleague, have TMEM sites" in digest.text  # the mention as readers see it
    assert digest.message["Subject"] == "Your daily Postil digest: 2 updates"
    assert "== Chemotherapy: a cause of metastases? ==" in digest.text
    text = digest.text
    assert text.index("Dr Colm Colleague replied") < text.index("Dr Asha Asker annotated")  # newest first
    for link in (f"http://localhost/annotations/{question_id}", answer_link):
        assert link in digest.links()
        assert fen.get(local(link)).status_code == 302

    # Nobody ever received the private note, nor an email because of it.
    for received in smtp_server.received:
        assert PRIVATE_TEXT not in received.message.as_string()
    assert not any("Fen" in m.text and "mentioned you" in m.text for m in smtp_server.to("follower@example.org"))

    # One click (RFC 8058): a POST from the mail client, without a session or a CSRF token.
    unsubscribe = digest.message["List-Unsubscribe"].strip("<>")
    one_click = app.test_client().post(local(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "You will no longer receive the daily digest email" in one_click.get_data(as_text=True)
    with app.app_context():
        from app.services.preferences import Delivery, choices_of

        assert choices_of(follower.id)["followed"] == Delivery.APP
    # Another answer later reaches the follower in the app only.
    more = {"csrf_token": token_of(colm, f"/annotations/{question_id}/replies"), "body": "And a second thought."}
    assert colm.post(f"/annotations/{question_id}/replies", data=more).status_code == 302
    run(runner, "notifications", "digest", "--period", "daily")
    assert len(smtp_server.to("follower@example.org")) == 1
    assert "And a second thought" not in "".join(m.text for m in smtp_server.to("follower@example.org"))
    assert "Dr Colm Colleague replied" in fen.get("/notifications").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, follower.id).auto_follow
