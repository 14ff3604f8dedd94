"""Journal clubs' rules in the services: each bad input gets a clear message and changes nothing.

An expired, forged, reused or withdrawn invitation; one sent to another address; joining twice; a
non-member posting to a group; an owner leaving without a successor; a session in the past; a prompt
on a passage that is not in the article; attendance before the session; writing in an archived club.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Article, Group, GroupInvitation, GroupMembership, GroupRole, GroupSession, User
from app.models.base import utcnow
from app.services import annotations, group_sessions, groups, invitations
from app.services.errors import BadRequest, Conflict, Forbidden, ServiceError
from app.services.visibility import can_read

QUOTE = "increased expression of TIE2, the angiopoietin receptor"


@pytest.fixture
def club(app, make):
    slug = make.demo_article()
    owner, member, stranger = (make.user(name=n, trusted=True) for n in ("Dr Owner", "Dr Member", "Dr Stranger"))
    group_id, group_slug = make.group(owner, "Neuro club", members=[member])
    return {"slug": slug, "owner": owner, "member": member, "stranger": stranger, "group_id": group_id}


def _state() -> tuple:
    """What the rules protect: memberships, invitations used, annotations, sessions."""
    return (db.session.scalar(select(func.count(GroupMembership.id))),
            db.session.scalar(select(func.count(GroupInvitation.id)).where(GroupInvitation.used_at.is_not(None))),
            db.session.scalar(select(func.count(Annotation.id))),
            db.session.scalar(select(func.count(GroupSession.id))))


def _refused(exc_type, call, message: str):
    before = _state()
    with pytest.raises(exc_type) as raised:
        call()
    db.session.rollback()
    assert message in raised.value.message
    assert _state() == before
    return raised.value


def _user(info) -> User:
    return db.session.get(User, info.id)


def test_invitation_links_are_refused_when_forged_expired_reused_withdrawn_or_for_another_address(app, make, club):
    newcomer = make.user(name="Dr Newcomer")
    with app.test_request_context():
        group = db.session.get(Group, club["group_id"])
        stranger = _user(club["stranger"])
        _, token = invitations.create_link(group, _user(club["owner"]))
        db.session.commit()
        _refused(BadRequest, lambda: invitations.accept(token[:-3] + "abc", stranger), "not valid")
        _refused(BadRequest, lambda: invitations.accept("not-a-token", stranger), "not valid")

        assert invitations.accept(token, stranger) == group
        db.session.commit()
        _refused(BadRequest, lambda: invitations.accept(token, _user(club["owner"])), "already been used")

        _, expired = invitations.create_link(group, _user(club["owner"]))
        db.session.execute(GroupInvitation.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1))
                           .where(GroupInvitation.used_at.is_(None)))
        db.session.commit()
        _refused(BadRequest, lambda: invitations.accept(expired, stranger), "has expired")

        withdrawn_row, withdrawn = invitations.create_link(group, _user(club["owner"]))
        invitations.revoke(withdrawn_row, _user(club["owner"]))
        db.session.commit()
        _refused(BadRequest, lambda: invitations.accept(withdrawn, stranger), "withdrawn")

        links: list[str] = []
        invitations.invite_by_email(group, _user(club["owner"]), "someone@hospital.example",
                                    lambda t: links.append(t) or f"https://postil.example/groups/join/{t}")
        db.session.commit()
        # The emailed link is only for that address's account.
        _refused(Forbidden, lambda: invitations.accept(links[0], _user(newcomer)), "another email address")


def test_joining_twice_is_refused_and_only_open_groups_can_be_joined_without_an_invitation(app, make, club):
    with app.app_context():
        group = db.session.get(Group, club["group_id"])
        _refused(Conflict, lambda: groups.join(group, _user(club["member"])), "already a member")
        _refused(Forbidden, lambda: groups.join(group, _user(club["stranger"])), "by invitation only")
        owner = _user(club["owner"])
        _, token = invitations.create_link(group, owner)
        db.session.commit()
    with app.test_request_context():
        _refused(Conflict, lambda: invitations.accept(token, _user(club["member"])), "already a member")


def test_a_non_member_cannot_post_to_a_group_and_nothing_is_written(app, club):
    with app.app_context():
        group = db.session.get(Group, club["group_id"])
        article = db.session.scalar(select(Article).where(Article.slug == club["slug"]))
        from app.models import Visibility

        _refused(Forbidden, lambda: annotations.create(
            article, _user(club["stranger"]), body="Let me in.", selector=annotations.anchor(article, QUOTE),
            visibility=Visibility.GROUP, group=group), "not a member of “Neuro club”")


def test_an_owner_leaves_only_after_handing_the_group_over(app, club):
    with app.app_context():
        group = db.session.get(Group, club["group_id"])
        owner, member = _user(club["owner"]), _user(club["member"])
        _refused(Conflict, lambda: groups.leave(group, owner), "hand it to another member before you leave")
        _refused(Forbidden, lambda: groups.transfer_ownership(group, member, owner.id), "Only the group's owner")
        groups.transfer_ownership(group, owner, member.id)
        db.session.commit()
        assert groups.role_of(group, member) == GroupRole.OWNER
        assert groups.role_of(group, owner) == GroupRole.MODERATOR
        groups.leave(group, owner)
        db.session.commit()
        assert groups.role_of(group, owner) is None


def test_a_member_who_leaves_keeps_their_annotations_in_the_group_and_loses_access(app, make, club):
    note = make.annotation(club["member"], club["slug"], QUOTE, body="Stays here.", group_id=club["group_id"])
    with app.app_context():
        group, member = db.session.get(Group, club["group_id"]), _user(club["member"])
        annotation = db.session.get(Annotation, note)
        assert can_read(member, annotation)
        groups.leave(group, member)
        db.session.commit()
        assert not can_read(member, annotation)
        assert can_read(_user(club["owner"]), annotation) and annotation.author_id == member.id


def test_sessions_refuse_a_start_in_the_past_and_prompts_on_words_not_in_the_article(app, make, club):
    with app.app_context():
        group = db.session.get(Group, club["group_id"])
        owner = _user(club["owner"])
        article = db.session.scalar(select(Article).where(Article.slug == club["slug"]))
        past = group_sessions.SessionPlan(title="Too late", starts_at=utcnow() - timedelta(hours=1))
        error = _refused(ServiceError, lambda: group_sessions.schedule(group, owner, article, past), "in the past")
        assert error.field == "starts_at"
        _refused(Forbidden, lambda: group_sessions.schedule(group, _user(club["member"]), article, past),
                 "owner and moderators")
    session_id = make.session(club["group_id"], club["owner"], club["slug"])
    with app.app_context():
        session = db.session.get(GroupSession, session_id)
        owner = _user(club["owner"])
        error = _refused(ServiceError, lambda: group_sessions.add_prompt(
            session, owner, exact="aspirin cures metastasis", question="Does it?"), "not found in the article")
        assert error.field == "exact"
        _refused(Conflict, lambda: group_sessions.set_attendance(session, _user(club["member"]), True),
                 "15 minutes before")
        prompt = group_sessions.add_prompt(session, owner, exact=QUOTE, question="What would staining change?")
        db.session.commit()
        assert prompt.kind.value == "question" and prompt.group_id == club["group_id"]
        assert [p.id for p in group_sessions.prompts_of(session)] == [prompt.id]


def test_an_archived_club_is_read_only(app, make, club):
    with app.app_context():
        group = db.session.get(Group, club["group_id"])
        groups.set_archived(group, _user(club["owner"]))
        db.session.commit()
        article = db.session.scalar(select(Article).where(Article.slug == club["slug"]))
        from app.models import Visibility

        _refused(Conflict, lambda: annotations.create(
            article, _user(club["member"]), body="Late.", selector=annotations.anchor(article, QUOTE),
            visibility=Visibility.GROUP, group=group), "archived")
        plan = group_sessions.SessionPlan(title="Next", starts_at=utcnow() + timedelta(days=3))
        _refused(Conflict, lambda: group_sessions.schedule(group, _user(club["owner"]), article, plan), "archived")
