"""Opening a notification marks it read and leads to what it is about; nobody else can open it."""
import re

from app.models import Notification
from tests.conftest import AuthActions

QUOTE = "are the models used really representative of the spectrum of human tumors?"


def test_opening_a_notification_marks_it_read_and_leads_to_the_reply(app, client, auth, make):
    slug = make.demo_article()
    author, replier = make.user(trusted=True), make.user(trusted=True, name="Dr Replier")
    root = make.annotation(author, slug, QUOTE, body="Which models?")
    reply = make.reply(replier, root, "Orthotopic ones.")
    auth.sign_in(author.email)
    page = client.get("/notifications").get_data(as_text=True)
    assert "(1 unread)" in page
    link = re.search(r'href="(/notifications/\d+)">See the reply<', page).group(1)

    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == f"/annotations/{reply}"
    page = client.get("/notifications").get_data(as_text=True)
    assert "unread)" not in page and "is-unread" not in page
    with app.app_context():
        assert Notification.query.filter_by(read_at=None).count() == 0

    other = app.test_client()
    AuthActions(other).sign_in(replier.email)
    assert other.get(link).status_code == 404
