"""Journal clubs in the API: groups, memberships, invitations and sessions.

It reuses the services the pages use, so every rule (only the owner manages members, an owner cannot
leave without a successor, an invitation admits one person once, a session starts in the future, a
prompt's passage is in the article) is checked once for both. A group is there (200) for its members
only: anyone else gets 404, as for a private note. A member who may not do something gets 403.
"""
from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify, url_for
from sqlalchemy import select

from app.api import bp, w3c
from app.api.auth import api_permission, api_signed_in, current_api_user
from app.api.contract import Response as Documented
from app.api.contract import json_body, operation
from app.api.errors import api_abort
from app.api.serializers import serialize_annotation
from app.extensions import db
from app.groups.links import invitation_url
from app.models import (
    Article,
    ArticleStatus,
    Group,
    GroupInvitation,
    GroupMembership,
    GroupRole,
    GroupSession,
    JoinPolicy,
)
from app.security.permissions import Permission
from app.services import group_sessions, groups, invitations
from app.services.errors import ServiceError
from app.services.groups import GroupSettings
from app.services.visibility import is_member

NO_GROUP = "There is no journal club here, or you are not one of its members."


def group_iri(group: Group) -> str:
    """Return a group's IRI in the API (what annotations carry as `postil:group`)."""
    return url_for("api.get_group", slug=group.slug, _external=True)


def _group_of_member(slug: str) -> Group:
    group = groups.find(slug)
    viewer = current_api_user()
    if group is None or viewer is None or not is_member(viewer.id, group.id):
        api_abort(404, NO_GROUP)
    return group


def serialize_group(group: Group, role: GroupRole) -> dict:
    """Return a group as one of its members sees it."""
    return {"id": group_iri(group), "slug": group.slug, "name": group.name, "description": group.description,
            "join_policy": group.join_policy.value, "premoderate_new_members": bool(group.premoderate_new_members),
            "archived": group.is_archived, "created": w3c.timestamp(group.created_at), "role": role.value,
            "members": groups.member_count(group), "url": url_for("groups.show", slug=group.slug, _external=True)}


def _serialize_member(row: GroupMembership) -> dict:
    return {"user": row.user_id, "name": row.user.display_name, "profession": row.user.profession or "",
            "role": row.role.value, "joined": w3c.timestamp(row.joined_at)}


def _serialize_invitation(row: GroupInvitation, token: str | None = None) -> dict:
    data = {"id": row.id, "email": row.email, "created": w3c.timestamp(row.created_at),
            "expires": w3c.timestamp(row.expires_at), "used": row.used_at is not None}
    if token:
        data["url"] = invitation_url(token)
    return data


def serialize_session(session: GroupSession, facts: group_sessions.AttendanceFacts) -> dict:
    """Return a session with its prompts' IRIs, its attendance and the caller's (`facts`)."""
    article = session.article
    return {"id": session.id, "group": group_iri(session.group), "article": w3c.article_iri(article.slug),
            "title": session.title, "starts_at": w3c.timestamp(session.starts_at),
            "ends_at": w3c.timestamp(group_sessions.ends_at(session)), "duration_minutes": session.duration_minutes,
            "agenda": session.agenda, "agenda_html": session.agenda_html,
            "prompts": [w3c.annotation_iri(article.slug, p.id) for p in group_sessions.prompts_of(session)],
            "attended": session.id in facts.attended, "attendees": facts.counts.get(session.id, 0),
            "url": url_for("groups.session", slug=session.group.slug, session_id=session.id, _external=True)}


def _settings(data: dict, group: Group | None = None) -> GroupSettings:
    def value(name, default):
        return data[name] if name in data else (getattr(group, name) if group is not None else default)

    return GroupSettings(name=value("name", ""), description=value("description", ""),
                         join_policy=value("join_policy", "invitation"),
                         premoderate_new_members=value("premoderate_new_members", False))


# --- Groups ------------------------------------------------------------------------------------------

@bp.get("/groups")
@api_signed_in
@operation("The caller's journal clubs.", {200: Documented("Groups, by name.", "GroupList")},
           operation_id="listGroups")
def list_groups():
    """List the caller's journal clubs with their role in each."""
    return jsonify({"items": [serialize_group(g.group, g.role) for g in groups.groups_of(current_api_user())]})


@bp.post("/groups")
@api_permission(Permission.ANNOTATE)
@operation("Create a journal club; the caller is its owner.", {201: Documented("Created.", "Group")},
           body="GroupInput", operation_id="createGroup")
def create_group():
    """Create a journal club owned by the caller."""
    group = groups.create(current_api_user(), _settings(json_body()))
    db.session.commit()
    return jsonify(serialize_group(group, GroupRole.OWNER)), 201


@bp.get("/groups/<slug>")
@api_signed_in
@operation("A journal club (its members only).", {200: Documented("The group.", "Group")}, errors=(404,),
           operation_id="getGroup")
def get_group(slug: str):
    """Return a group to one of its members."""
    group = _group_of_member(slug)
    return jsonify(serialize_group(group, groups.role_of(group, current_api_user())))


@bp.patch("/groups/<slug>")
@api_permission(Permission.ANNOTATE)
@operation("Change a journal club's settings, or archive or reopen it (its owner).",
           {200: Documented("The group now.", "Group")}, body="GroupPatch", errors=(403, 404, 409),
           operation_id="updateGroup")
def update_group(slug: str):
    """Change a group's name, description, join policy, pre-moderation, or archive it (the owner)."""
    group = _group_of_member(slug)
    viewer = current_api_user()
    groups.require_role(group, viewer, GroupRole.OWNER)
    data = json_body()
    if "archived" in data and data["archived"] != group.is_archived:
        groups.set_archived(group, viewer, data["archived"])
    if set(data) - {"archived"}:
        groups.update(group, viewer, _settings(data, group))
    db.session.commit()
    return jsonify(serialize_group(group, groups.role_of(group, viewer)))


# --- Members -----------------------------------------------------------------------------------------

@bp.get("/groups/<slug>/members")
@api_signed_in
@operation("A journal club's members, owner first.", {200: Documented("The members.", "MembershipList")},
           errors=(404,), operation_id="listMembers")
def list_members(slug: str):
    """List a group's members (to its members)."""
    group = _group_of_member(slug)
    return jsonify({"items": [_serialize_member(m) for m in groups.members(group)]})


@bp.post("/groups/<slug>/members")
@api_permission(Permission.ANNOTATE)
@operation("Join an open journal club (a second join is 409; a club by invitation only is not there: 404).",
           {201: Documented("Joined.", "Membership")}, errors=(403, 404, 409), operation_id="joinGroup")
def join_group(slug: str):
    """Join an open group as the caller."""
    group = groups.find(slug)
    viewer = current_api_user()
    if group is None or (group.join_policy != JoinPolicy.OPEN and not is_member(viewer.id, group.id)):
        api_abort(404, NO_GROUP)
    row = groups.join(group, viewer)
    db.session.commit()
    return jsonify(_serialize_member(row)), 201


@bp.patch("/groups/<slug>/members/<int:user_id>")
@api_permission(Permission.ANNOTATE)
@operation("Change a member's role (the owner): moderator, member, or owner to hand the group over.",
           {200: Documented("The membership now.", "Membership")}, body="MembershipPatch",
           errors=(403, 404, 409), operation_id="updateMember")
def update_member(slug: str, user_id: int):
    """Make a member a moderator or a member, or hand the group over to them (the owner)."""
    group = _group_of_member(slug)
    viewer = current_api_user()
    groups.require_role(group, viewer, GroupRole.OWNER)  # who may comes before what the body says
    role = json_body()["role"]
    if role == GroupRole.OWNER.value:
        row = groups.transfer_ownership(group, viewer, user_id)
    else:
        row = groups.set_role(group, viewer, user_id, role)
    db.session.commit()
    return jsonify(_serialize_member(row))


@bp.delete("/groups/<slug>/members/<int:user_id>")
@api_permission(Permission.ANNOTATE)
@operation("Leave a journal club (one's own id) or remove a member (the owner). Access ends at once; the "
           "member's annotations stay in the group. An owner leaves only after handing the group over (409); "
           "an id that is no member's is 422.",
           {204: Documented("Done.")}, errors=(403, 404, 409, 422), operation_id="removeMember")
def remove_member(slug: str, user_id: int):
    """Leave a group, or remove a member as its owner."""
    group = _group_of_member(slug)
    viewer = current_api_user()
    if user_id == viewer.id:
        groups.leave(group, viewer)
    else:
        groups.remove_member(group, viewer, user_id)
    db.session.commit()
    return Response(status=204)


# --- Invitations -------------------------------------------------------------------------------------

@bp.get("/groups/<slug>/invitations")
@api_permission(Permission.ANNOTATE)
@operation("A journal club's invitations not used yet (its owner).", {200: Documented("Open invitations.",
                                                                                       "InvitationList")},
           errors=(403, 404), operation_id="listInvitations")
def list_invitations(slug: str):
    """List a group's open invitations (the owner)."""
    group = _group_of_member(slug)
    groups.require_role(group, current_api_user(), GroupRole.OWNER)
    return jsonify({"items": [_serialize_invitation(i) for i in invitations.open_invitations(group)]})


@bp.post("/groups/<slug>/invitations")
@api_permission(Permission.ANNOTATE)
@operation("Invite (the owner): by email when `email` is sent, else a single-use link returned once in `url`. "
           "Each invitation admits one person, once, within 14 days.",
           {201: Documented("The invitation.", "Invitation")}, body="InvitationInput", errors=(403, 404, 409),
           operation_id="createInvitation")
def create_invitation(slug: str):
    """Create an invitation link, or send one to an email address (the owner)."""
    group = _group_of_member(slug)
    viewer = current_api_user()
    groups.require_role(group, viewer, GroupRole.OWNER)  # who may comes before what the body says
    data = json_body()
    if data.get("email"):
        row, token = invitations.invite_by_email(group, viewer, data["email"], invitation_url), None
    else:
        row, token = invitations.create_link(group, viewer)
    db.session.commit()
    return jsonify(_serialize_invitation(row, token)), 201


@bp.delete("/groups/<slug>/invitations/<int:invitation_id>")
@api_permission(Permission.ANNOTATE)
@operation("Withdraw an unused invitation (the owner).", {204: Documented("Withdrawn.")}, errors=(403, 404, 409),
           operation_id="revokeInvitation")
def revoke_invitation(slug: str, invitation_id: int):
    """Withdraw an invitation (the owner)."""
    group = _group_of_member(slug)
    row = invitations.find_open(group, invitation_id)
    if row is None:
        api_abort(404, "This group has no invitation with this number.")
    invitations.revoke(row, current_api_user())
    db.session.commit()
    return Response(status=204)


@bp.post("/invitations/accept")
@api_permission(Permission.ANNOTATE)
@operation("Accept an invitation with its token (the link's last part). A forged, expired, used or withdrawn one "
           "is 400; one sent to another address 403; a second join 409. Nothing changes on refusal.",
           {201: Documented("Joined: the group.", "Group")}, body="AcceptInput", errors=(400, 403, 409),
           operation_id="acceptInvitation")
def accept_invitation():
    """Join the group an invitation names."""
    viewer = current_api_user()
    group = invitations.accept(json_body()["token"], viewer)
    db.session.commit()
    return jsonify(serialize_group(group, GroupRole.MEMBER)), 201


# --- Sessions ----------------------------------------------------------------------------------------

def _session_of(group: Group, session_id: int) -> GroupSession:
    session = group_sessions.find(group, session_id)
    if session is None:
        api_abort(404, "This group has no session with this number.")
    return session


@bp.get("/groups/<slug>/sessions")
@api_signed_in
@operation("A journal club's sessions, soonest first.", {200: Documented("Sessions.", "SessionList")},
           errors=(404,), operation_id="listSessions")
def list_sessions(slug: str):
    """List a group's sessions (to its members)."""
    group = _group_of_member(slug)
    sessions = group_sessions.sessions_of(group)
    facts = group_sessions.attendance_facts([s.id for s in sessions], current_api_user().id)
    return jsonify({"items": [serialize_session(s, facts) for s in sessions]})


@bp.post("/groups/<slug>/sessions")
@api_permission(Permission.ANNOTATE)
@operation("Schedule a session on an article (owner, moderators): a start in the future, with its UTC offset.",
           {201: Documented("Scheduled; the members are told.", "Session")}, body="SessionInput",
           errors=(403, 404, 409), operation_id="createSession")
def create_session(slug: str):
    """Schedule a session of a group (owner, moderators)."""
    group = _group_of_member(slug)
    groups.require_role(group, current_api_user(), GroupRole.MODERATOR)  # who may comes before what the body says
    data = json_body()
    article = db.session.scalar(select(Article).where(Article.slug == data["article"],
                                                         Article.status == ArticleStatus.PUBLISHED))
    if article is None:
        raise ServiceError(f"There is no published article {data['article'][:120]!r}: send an article's slug.",
                           "article")
    starts = datetime.fromisoformat(data["starts_at"].replace("Z", "+00:00"))
    session = group_sessions.schedule(group, current_api_user(), article, group_sessions.SessionPlan(
        title=data.get("title", ""), starts_at=starts, duration_minutes=data.get("duration_minutes", 60),
        agenda=data.get("agenda", "")))
    db.session.commit()
    return jsonify(serialize_session(session, group_sessions.attendance_facts([session.id], current_api_user().id))
                   ), 201


@bp.get("/groups/<slug>/sessions/<int:session_id>")
@api_signed_in
@operation("A session of a journal club.", {200: Documented("The session.", "Session")}, errors=(404,),
           operation_id="getSession")
def get_session(slug: str, session_id: int):
    """Return a session to a member."""
    group = _group_of_member(slug)
    session = _session_of(group, session_id)
    return jsonify(serialize_session(session, group_sessions.attendance_facts([session.id], current_api_user().id)))


@bp.post("/groups/<slug>/sessions/<int:session_id>/prompts")
@api_permission(Permission.ANNOTATE)
@operation("Pin a question to a passage of the session's article (owner, moderators); a passage that is not in "
           "the article is 422.", {201: Documented("The prompt, a question annotation in the group.", "Annotation",
                                                   media_type="application/ld+json")},
           body="PromptInput", errors=(403, 404, 409), operation_id="createPrompt")
def create_prompt(slug: str, session_id: int):
    """Add a prompt to a session."""
    group = _group_of_member(slug)
    session = _session_of(group, session_id)
    viewer = current_api_user()
    groups.require_role(group, viewer, GroupRole.MODERATOR)  # who may comes before what the body says
    data = json_body()
    prompt = group_sessions.add_prompt(session, viewer, exact=data["exact"], question=data["question"],
                                       prefix=data.get("prefix", ""), suffix=data.get("suffix", ""))
    db.session.commit()
    response = jsonify(serialize_annotation(prompt, viewer))
    response.content_type = "application/ld+json"
    return response, 201


@bp.put("/groups/<slug>/sessions/<int:session_id>/attendance")
@api_permission(Permission.ANNOTATE)
@operation("Mark or withdraw the caller's attendance (from 15 minutes before the start; earlier is 409).",
           {200: Documented("The caller's attendance now.", "Attendance")}, body="AttendanceInput",
           errors=(404, 409), operation_id="setAttendance")
def set_attendance(slug: str, session_id: int):
    """Mark or withdraw the caller's attendance of a session."""
    group = _group_of_member(slug)
    session = _session_of(group, session_id)
    viewer = current_api_user()
    group_sessions.set_attendance(session, viewer, json_body()["attended"])
    db.session.commit()
    row = group_sessions.attendance(session, viewer.id)
    return jsonify({"attended": row is not None, "marked": w3c.timestamp(row.marked_at) if row else None})
