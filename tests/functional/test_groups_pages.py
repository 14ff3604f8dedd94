"""Journal clubs' pages: invitations by email, open clubs, managing members, sessions in each reader's time
zone, the discussion export and the refusals a person sees."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import GroupMembership, GroupRole
from app.models.base import utcnow
from tests.conftest import AuthActions, csrf_from, send_outbox

QUOTE = "increased expression of TIE2, the angiopoietin receptor"


def _client(app, user):
    client = app.test_client()
    assert AuthActions(client).sign_in(user.email).status_code == 302
    return client


def _post(client, page: str, path: str, data: dict, **kwargs):
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).get_data(as_text=True)), **data}, **kwargs)


def test_an_email_invitation_reaches_the_address_and_the_account_with_a_link_from_the_base_url(app, make,
                                                                                               smtp_server):
    owner = make.user(name="Dr Own Er")
    invitee = make.user(name="Dr In Vitee", email="invitee@hospital.example")
    _, slug = make.group(owner, "Respiratory club")
    client = _client(app, owner)
    sent = _post(client, f"/groups/{slug}/invitations", f"/groups/{slug}/invitations",
                 {"email-email": "Invitee@Hospital.example"}, follow_redirects=True)
    assert "The invitation is on its way to Invitee@Hospital.example." in sent.get_data(as_text=True)
    refused = _post(client, f"/groups/{slug}/invitations", f"/groups/{slug}/invitations", {"email-email": "nobody"})
    assert refused.status_code == 422 and "Email address is not valid" in refused.get_data(as_text=True)

    # An address with no account yet gets the link too.
    _post(client, f"/groups/{slug}/invitations", f"/groups/{slug}/invitations", {"email-email": "new@ward.example"})
    send_outbox(app)
    mail, second = sorted(smtp_server.received, key=lambda m: m.recipients[0])
    assert mail.recipients == ["invitee@hospital.example"] and "Respiratory club" in mail.message["Subject"]
    assert second.recipients == ["new@ward.example"] and "/groups/join/" in second.text
    link = re.search(r"(http\S+/groups/join/\S+)", mail.text).group(1)
    assert link.startswith(app.config["BASE_URL"])
    person = _client(app, invitee)
    assert "Dr Own Er invited you to join the journal club “Respiratory club”" in person.get(
        "/notifications").get_data(as_text=True)
    path = link[len(app.config["BASE_URL"]):]
    assert _post(person, path, path, {}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(GroupMembership.role).where(GroupMembership.user_id == invitee.id)) == (
            GroupRole.MEMBER)


@pytest.mark.parametrize("delivery", ["instant", "daily"])
def test_an_invitation_is_emailed_once_whatever_the_invitees_choice_for_other_updates(app, make, smtp_server,
                                                                                      delivery):
    """The invitation email is the email: its notice in the app is not mailed again, alone or in a digest."""
    from app.models import User
    from app.services import digests, preferences

    owner = make.user(name="Dr Own Er")
    invitee = make.user(name="Dr In Vitee", email="invitee@hospital.example")
    with app.app_context():
        preferences.set_choices(db.session.get(User, invitee.id), {"updates": delivery})
        db.session.commit()
    _, slug = make.group(owner, "Respiratory club")
    _post(_client(app, owner), f"/groups/{slug}/invitations", f"/groups/{slug}/invitations",
          {"email-email": invitee.email})
    with app.app_context():
        digests.build("daily")
        db.session.commit()
    send_outbox(app)
    assert [m.message["Subject"] for m in smtp_server.received] == ["Invitation to “Respiratory club”"]
    assert "Dr Own Er invited you to join the journal club “Respiratory club”" in _client(app, invitee).get(
        "/notifications").get_data(as_text=True)


def test_anyone_signed_in_joins_an_open_club_and_the_owner_manages_its_members(app, make):
    owner, reader, other = make.user(name="Dr Own Er"), make.user(name="Dr Rea Der"), make.user(name="Dr Oth Er")
    _, slug = make.group(owner, "Open journal club", policy="open")
    page = _client(app, reader).get(f"/groups/{slug}").get_data(as_text=True)
    assert "Join “Open journal club”" in page
    reader_client = _client(app, reader)
    assert _post(reader_client, f"/groups/{slug}", f"/groups/{slug}/join", {}).status_code == 303
    again = _post(reader_client, f"/groups/{slug}", f"/groups/{slug}/join", {}, follow_redirects=True)
    assert "You are already a member of “Open journal club”." in again.get_data(as_text=True)

    owner_client = _client(app, owner)
    assert _post(owner_client, f"/groups/{slug}", f"/groups/{slug}/members/{reader.id}/role",
                 {"role": "moderator"}).status_code == 303
    assert "Moderator" in owner_client.get(f"/groups/{slug}").get_data(as_text=True)
    # The owner leaving without a successor is told how, and stays the owner.
    refused = _post(owner_client, f"/groups/{slug}", f"/groups/{slug}/leave", {}, follow_redirects=True)
    assert "hand it to another member before you leave" in refused.get_data(as_text=True)
    assert _post(owner_client, f"/groups/{slug}", f"/groups/{slug}/members/{reader.id}/owner", {}).status_code == 303
    assert _post(owner_client, f"/groups/{slug}", f"/groups/{slug}/leave", {}).status_code == 303
    # The new owner removes nobody who is not there, and a member cannot manage anyone.
    make.join(_group_id(app, slug), other)
    other_client = _client(app, other)
    assert _post(other_client, f"/groups/{slug}", f"/groups/{slug}/members/{reader.id}/remove", {}).status_code == 403


def _group_id(app, slug: str) -> int:
    from app.models import Group

    with app.app_context():
        return db.session.scalar(select(Group.id).where(Group.slug == slug))


def test_a_session_is_entered_and_shown_in_each_readers_time_zone_and_a_past_start_is_refused(app, make):
    article = make.demo_article()
    owner, member = make.user(name="Dr Own Er"), make.user(name="Dr Mem Ber")
    _, slug = make.group(owner, "Global club", members=[member])
    owner_client = _client(app, owner)
    form = f"/groups/{slug}/sessions/new"
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    refused = _post(owner_client, form, form, {"article": article, "day": yesterday, "time": "18:30",
                                               "time_zone": "Europe/London", "duration_minutes": "60"})
    assert refused.status_code == 422 and "would start in the past" in refused.get_data(as_text=True)
    skipped = _post(owner_client, form, form, {"article": article, "day": "2030-03-31", "time": "01:30",
                                               "time_zone": "Europe/London", "duration_minutes": "60"})
    assert skipped.status_code == 422 and "clocks go forward" in skipped.get_data(as_text=True)
    created = _post(owner_client, form, form, {"article": article, "day": "2030-07-15", "time": "18:30",
                                               "time_zone": "Europe/London", "duration_minutes": "90",
                                               "agenda": "- **Models**\n- <script>x</script>"})
    assert created.status_code == 303
    session_path = created.headers["Location"]
    member_client = _client(app, member)
    assert "Mon 15 Jul 2030, 17:30 (UTC)" in member_client.get(session_path).get_data(as_text=True)
    profile = member_client.get("/profile").get_data(as_text=True)
    saved = member_client.post("/profile", data={
        "csrf_token": csrf_from(profile), "display_name": "Dr Mem Ber", "profession": "", "affiliation": "",
        "interests_choice": "none", "competing_interests": "", "orcid": "", "time_zone": "Asia/Kolkata"})
    assert saved.status_code == 302
    page = member_client.get(session_path).get_data(as_text=True)
    assert "Mon 15 Jul 2030, 23:00 (Asia/Kolkata, IST)" in page
    # The agenda is sanitised Markdown: the script is text, never markup.
    assert "<strong>Models</strong>" in page and "<script>x</script>" not in page
    # Exports wait for the session to start.
    assert member_client.get(f"{session_path}/cpd").status_code == 409


def test_a_moderator_moves_a_session_and_the_members_hear_of_the_new_time_once(app, make):
    article = make.demo_article()
    owner, member = make.user(name="Dr Own Er"), make.user(name="Dr Mem Ber")
    group_id, slug = make.group(owner, "Moving club", members=[member])
    session_id = make.session(group_id, owner, article, title="Models session",
                              prompts=[(QUOTE, "Which model fits?")])
    edit = f"/groups/{slug}/sessions/{session_id}/edit"
    member_client, owner_client = _client(app, member), _client(app, owner)
    assert member_client.get(edit).status_code == 403
    page = owner_client.get(edit).get_data(as_text=True)
    assert 'value="Models session"' in page and 'name="article"' not in page
    fields = {"title": "Models session", "day": "2030-07-15", "time": "18:30", "time_zone": "Europe/London",
              "duration_minutes": "90", "agenda": "- Models"}

    # Bad input is named, and changes nothing.
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    refused = _post(owner_client, edit, edit, {**fields, "day": yesterday})
    assert refused.status_code == 422 and "would start in the past" in refused.get_data(as_text=True)
    moved = _post(owner_client, edit, edit, fields, follow_redirects=True).get_data(as_text=True)
    assert "The members are told of the new time." in moved
    session_page = member_client.get(f"/groups/{slug}/sessions/{session_id}").get_data(as_text=True)
    assert "Mon 15 Jul 2030, 17:30 (UTC)" in session_page and "Which model fits?" in session_page
    # Only the agenda changes: nobody is told again.
    _post(owner_client, edit, edit, {**fields, "agenda": "- Models\n- Doses"})
    _post(owner_client, edit, edit, {**fields, "agenda": "- Models\n- Doses\n- Time"})
    notes = member_client.get("/notifications").get_data(as_text=True)
    assert notes.count("Dr Own Er moved a session of “Moving club”: “Models session”, now Mon 15 Jul 2030, "
                       "17:30 (UTC) (90 minutes).") == 1
    assert "Doses" in member_client.get(f"/groups/{slug}/sessions/{session_id}").get_data(as_text=True)

    # Once it has started, it stays in the record as it was.
    started = make.session(group_id, owner, article, starts_in_minutes=-5, title="Started session")
    late = f"/groups/{slug}/sessions/{started}/edit"
    assert owner_client.get(late).status_code == 409


def test_two_moderators_changing_a_session_at_once_never_lose_what_either_wrote(app, make):
    article = make.demo_article()
    owner, moderator = make.user(name="Dr Own Er"), make.user(name="Dr Mod Erator")
    group_id, slug = make.group(owner, "Busy club", moderators=[moderator])
    session_id = make.session(group_id, owner, article, title="Models session")
    edit = f"/groups/{slug}/sessions/{session_id}/edit"
    owner_client, moderator_client = _client(app, owner), _client(app, moderator)
    owner_form, moderator_form = owner_client.get(edit).get_data(as_text=True), moderator_client.get(
        edit).get_data(as_text=True)
    fields = {"title": "Models session", "day": "2030-07-15", "time": "18:30", "time_zone": "UTC",
              "duration_minutes": "60"}

    def seen(page: str) -> str:
        return re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', page).group(1)

    saved = owner_client.post(edit, data={"csrf_token": csrf_from(owner_form), "seen": seen(owner_form), **fields,
                                          "agenda": "- The owner's agenda"})
    assert saved.status_code == 303
    clash = moderator_client.post(edit, data={"csrf_token": csrf_from(moderator_form), "seen": seen(moderator_form),
                                              **fields, "agenda": "- The moderator's agenda"})
    page = clash.get_data(as_text=True)
    assert clash.status_code == 409
    assert "Someone else changed this session while you were editing it." in page
    assert "- The moderator&#39;s agenda" in page  # what they typed is still in the form
    session_page = f"/groups/{slug}/sessions/{session_id}"
    assert "<li>The owner's agenda</li>" in owner_client.get(session_page).get_data(as_text=True)
    # Having compared, they save again: now it is theirs.
    again = moderator_client.post(edit, data={"csrf_token": csrf_from(page), "seen": seen(page), **fields,
                                              "agenda": "- The owner's agenda\n- The moderator's agenda"})
    assert again.status_code == 303
    shown = owner_client.get(session_page).get_data(as_text=True)
    assert "<li>The owner's agenda</li>" in shown and "<li>The moderator's agenda</li>" in shown


def test_the_discussion_export_puts_prompts_first_with_their_accepted_answers(app, make):
    article = make.demo_article()
    owner, member = make.user(name="Dr Own Er"), make.user(name="Dr Mem Ber")
    group_id, slug = make.group(owner, "Export club", members=[member])
    session_id = make.session(group_id, owner, article, starts_in_minutes=-30, title="Export session",
                              prompts=[(QUOTE, "Prompted question about TIE2?")])
    make.annotation(member, article, QUOTE, body="An earlier comment in the club.", group_id=group_id)
    owner_client = _client(app, owner)
    page = owner_client.get(f"/articles/{article}?layer=group:{slug}").get_data(as_text=True)
    prompt_id = int(re.findall(r'<li class="thread kind-question" id="a-(\d+)"', page)[0])
    reply = make.reply(member, prompt_id, "The answer the owner accepts.")
    accepted = _post(owner_client, f"/annotations/{reply}/accept", f"/annotations/{reply}/accept", {})
    assert accepted.status_code == 303
    markdown = owner_client.get(f"/groups/{slug}/sessions/{session_id}/discussion.md").get_data(as_text=True)
    assert markdown.index("# Prompts") < markdown.index("Prompted question about TIE2?") < markdown.index(
        "# Discussion") < markdown.index("An earlier comment in the club.")
    assert "**Dr Mem Ber**, Medical oncologist — **accepted answer**" in markdown
    printable = owner_client.get(f"/groups/{slug}/sessions/{session_id}/discussion").get_data(as_text=True)
    assert "Accepted answer" in printable and "Prompted question about TIE2?" in printable


def test_a_clubs_layer_page_and_sessions_cost_the_same_queries_for_one_item_or_many(app, make):
    from tests.functional.test_annotating import count_queries

    article = make.demo_article()
    owner, member = make.user(name="Dr Own Er", trusted=True), make.user(name="Dr Mem Ber", trusted=True)
    group_id, slug = make.group(owner, "Busy club", members=[member])
    make.annotation(member, article, QUOTE, body="The first note.", group_id=group_id)
    make.session(group_id, owner, article, prompts=[(QUOTE, "A first prompt?")])
    client = _client(app, member)
    paths = (f"/articles/{article}?layer=group:{slug}", f"/groups/{slug}", f"/api/groups/{slug}/sessions")
    for path in paths:  # the first view of the article records the reader's visit (a write of its own)
        client.get(path)
    few = [count_queries(app, client, path) for path in paths]
    for n in range(12):
        note = make.annotation(member if n % 2 else owner, article, QUOTE, body=f"Note {n}.", group_id=group_id)
        make.reply(owner, note, f"Reply {n}.")
        make.session(group_id, owner, article, starts_in_minutes=60 * (n + 2), prompts=[(QUOTE, f"Prompt {n}?")])
    many = [count_queries(app, client, path) for path in paths]
    assert many == few
