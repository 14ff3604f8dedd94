"""Every HTML listing pages the same way: one pager, filters kept across pages, any page number answered."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Action, Role, User
from app.services import moderation, notifications

HUGE = "99999999999999999999999"


def _pager_links(html: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for rel, href in re.findall(r'<a rel="(prev|next)" href="([^"]+)"', html)}


def test_the_log_pages_by_fifty_and_keeps_its_filters(client, auth, make, app):
    moderator, admin = make.user(role=Role.MODERATOR), make.user(role=Role.ADMIN)
    with app.app_context():
        actor, target = db.session.get(User, admin.id), db.session.get(User, moderator.id)
        for number in range(55):
            moderation.record(actor, Action.TRUST, target_user_id=target.id, reason=f"entry {number}")
        moderation.record(actor, Action.UNTRUST, target_user_id=target.id, reason="another action")
        db.session.commit()
    auth.sign_in(moderator.email)

    first = client.get("/moderation/log?action=trust").get_data(as_text=True)
    assert "55 entries" in first and "Page 1 of 2" in first and "another action" not in first
    assert first.count("<tr>") == 1 + 50
    assert _pager_links(first) == {"next": "/moderation/log?page=2&action=trust"}
    second = client.get("/moderation/log?page=2&action=trust").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count("<tr>") == 1 + 5
    assert _pager_links(second) == {"prev": "/moderation/log?page=1&action=trust"}


def test_notifications_page_newest_first(client, auth, make, app):
    reader = make.user()
    with app.app_context():
        for number in range(51):
            notifications.notify(reader.id, notifications.Kind.REPLY, f"Message number {number}.")
        db.session.commit()
    auth.sign_in(reader.email)
    first = client.get("/notifications").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Message number 50." in first and "Message number 0." not in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Message number 0." in second and "Message number 1." not in second
    assert _pager_links(second) == {"prev": "/notifications?page=1"}


@pytest.mark.parametrize("path", ["/moderation/flagged", "/moderation/log", "/moderation/users", "/notifications",
                                  "/studies"])
@pytest.mark.parametrize("page", [HUGE, "-4", "two"])
def test_any_page_number_gets_a_page_not_an_error(client, auth, make, path, page):
    admin = make.user(role=Role.ADMIN)
    auth.sign_in(admin.email)
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
