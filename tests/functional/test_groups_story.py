"""The journal clubs issue's "done when", on the demo, through the web pages and the API.

An admin creates a journal club, invites the demo clinician by link, schedules a session on the
chemotherapy article with two prompts; the clinician answers a prompt in the group's layer; a reader
outside the group sees none of it anywhere (the article page, its counts, the API, search); after the
session the clinician marks their attendance and downloads their CPD record.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import GroupSession
from app.models.base import utcnow
from app.services import accounts, demo
from tests.conftest import AuthActions, csrf_from
from tests.factories import PASSWORD

PROMPT_ONE = "are the models used really representative of the spectrum of human tumors?"
PROMPT_TWO = "increased expression of TIE2, the angiopoietin receptor"
ANSWER = "Our club thinks the quokkaclub models overstate dissemination: orthotopic tumours are not human ones."


def _seed_demo(app) -> str:
    with app.app_context():
        result = demo.seed()
        for email in (demo.DEMO_ADMIN[0], demo.DEMO_CLINICIAN[0]):
            accounts.set_password(accounts.find_by_email(email), PASSWORD)
        db.session.commit()
        return result.article_slug


def _signed_in(app, email: str):
    client = app.test_client()
    assert AuthActions(client).sign_in(email, PASSWORD).status_code == 302
    return client


def _post(client, page_path: str, path: str, data: dict):
    token = csrf_from(client.get(page_path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _discussion_total(page: str) -> int:
    return int(re.search(r'id="discussion-heading">Discussion <span class="muted">\((\d+) annotation', page).group(1))


def test_a_journal_club_meets_on_the_demo_and_nobody_outside_it_sees_anything(app, make):
    slug = _seed_demo(app)
    admin = _signed_in(app, demo.DEMO_ADMIN[0])
    clinician = _signed_in(app, demo.DEMO_CLINICIAN[0])
    outsider_info = make.user(name="Dr Out Sider", trusted=True)
    outsider = _signed_in(app, outsider_info.email)
    anonymous = app.test_client()
    public_before = _discussion_total(anonymous.get(f"/articles/{slug}").get_data(as_text=True))

    # The admin creates the club, by invitation only (the default).
    created = _post(admin, "/groups/new", "/groups/new", {
        "name": "Oncology journal club", "description": "Registrars and consultants, monthly.",
        "join_policy": "invitation"})
    assert created.status_code == 303
    group_path = created.headers["Location"]
    group_slug = group_path.rsplit("/", 1)[1]

    # ... invites the clinician by link, who opens it and joins.
    page = _post(admin, f"{group_path}/invitations", f"{group_path}/invitations", {"kind": "link"})
    assert page.status_code == 201
    link = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    invitation_path = link.replace("http://127.0.0.1:5000", "").replace("http://localhost", "")
    assert "Join “Oncology journal club”" in clinician.get(invitation_path).get_data(as_text=True)
    joined = _post(clinician, invitation_path, invitation_path, {})
    assert joined.status_code == 303 and joined.headers["Location"].endswith(group_path)
    # The link admits one person once: used again, it is refused with a message and changes nothing.
    reused = _post(outsider, "/groups/", invitation_path, {})
    assert reused.status_code == 400 and "already been used" in reused.get_data(as_text=True)

    # ... schedules a session on the chemotherapy article with two prompts.
    when = (utcnow() + timedelta(days=7)).date()
    scheduled = _post(admin, f"{group_path}/sessions/new", f"{group_path}/sessions/new", {
        "article": slug, "title": "Does neoadjuvant chemotherapy promote metastasis?", "day": when.isoformat(),
        "time": "18:30", "time_zone": "Europe/London", "duration_minutes": "60",
        "agenda": "1. The mouse models\n2. TIE2 and TMEM\n3. What we tell patients"})
    assert scheduled.status_code == 303, scheduled.get_data(as_text=True)[-2000:]
    session_path = scheduled.headers["Location"]
    for passage, question in ((PROMPT_ONE, "How far do these models carry over to our patients?"),
                              (PROMPT_TWO, "Would TIE2 staining change anything we do?")):
        pinned = _post(admin, session_path, f"{session_path}/prompts", {"exact": passage, "body": question})
        assert pinned.status_code == 303
    # A prompt on words that are not in the article is refused, saying so.
    refused = _post(admin, session_path, f"{session_path}/prompts",
                    {"exact": "chemotherapy cures every cancer", "body": "Really?"})
    assert refused.status_code == 422 and "not found in the article" in refused.get_data(as_text=True)

    # The clinician reads the group's layer: the prompts come first, and answers the first one.
    layer = clinician.get(f"/articles/{slug}?layer=group:{group_slug}").get_data(as_text=True)
    threads = re.findall(r'<li class="thread kind-(\w+)" id="a-(\d+)"', layer)
    assert [kind for kind, _ in threads[:2]] == ["question", "question"]
    assert layer.index("How far do these models carry over") < layer.index("Would TIE2 staining")
    assert "Prompt for “Does neoadjuvant chemotherapy promote metastasis?”" in layer
    prompt_id = threads[0][1]
    answer = _post(clinician, f"/articles/{slug}?layer=group:{group_slug}", f"/annotations/{prompt_id}/replies",
                   {"body": ANSWER})
    assert answer.status_code == 302
    answer_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    layer = clinician.get(f"/articles/{slug}?layer=group:{group_slug}").get_data(as_text=True)
    assert "quokkaclub" in layer and _discussion_total(layer) == 2

    # A reader outside the group sees none of it: page, counts, layer, annotations, API, search.
    for visitor in (outsider, anonymous):
        page = visitor.get(f"/articles/{slug}").get_data(as_text=True)
        assert "quokkaclub" not in page and "How far do these models carry over" not in page
        assert "Oncology journal club" not in page
        assert _discussion_total(page) == public_before
        for path in (f"/api/annotations/{prompt_id}", f"/api/annotations/{answer_id}",
                     f"/api/articles/{slug}/annotations/{answer_id}"):
            assert visitor.get(path).status_code == 404
        container = visitor.get(f"/api/articles/{slug}/annotations/").get_data(as_text=True)
        assert "quokkaclub" not in container and f"/annotations/{prompt_id}\"" not in container
        assert "overstate dissemination" not in visitor.get("/search?q=quokkaclub").get_data(as_text=True)
        assert visitor.get("/api/search?q=quokkaclub").get_json()["total"] == 0
        articles = visitor.get("/api/articles").get_json()
        assert all(item["annotation_count"] == public_before for item in articles["items"] if item["slug"] == slug)
    assert outsider.get(f"/articles/{slug}?layer=group:{group_slug}").status_code == 404
    assert outsider.get(group_path).status_code == 404
    assert outsider.get(f"{session_path}/cpd.csv").status_code == 404
    # The clinician finds their answer by search, as a member.
    assert "overstate dissemination" in clinician.get("/search?q=quokkaclub").get_data(as_text=True)

    # The session happens (the clock moves on); the clinician marks attendance and downloads the record.
    session_id = int(session_path.rsplit("/", 1)[1])
    with app.app_context():
        db.session.execute(update(GroupSession).where(GroupSession.id == session_id)
                           .values(starts_at=utcnow() - timedelta(minutes=70)))
        db.session.commit()
    assert _post(clinician, session_path, f"{session_path}/attendance", {}).status_code == 303
    record = clinician.get(f"{session_path}/cpd.csv")
    assert record.status_code == 200 and record.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(record.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert row["participant"] == demo.DEMO_CLINICIAN[1] and row["attended"] == "yes"
    assert row["duration_minutes"] == "60" and row["cpd_hours"] == "1"
    assert row["article"] == "Chemotherapy: a cause of metastases?"
    assert "CEBM level" in row["studies_discussed"] and "quokkaclub" in row["my_annotations"]
    assert row["prompts"] == "2" and row["prompts_answered"] == "1"
    assert row["time_zone"] == "UTC"  # the clinician never chose another zone
    printable = clinician.get(f"{session_path}/cpd").get_data(as_text=True)
    assert "Continuing professional development record" in printable and "quokkaclub" in printable
    assert "1 hour" in printable and "Evidence discussed" in printable
