"""Invitations to a journal club: a signed, expiring, single-use link, or the same link sent to an address.

The link carries the invitation's number and a random secret, signed with the app's secret key
(itsdangerous); the database keeps only the secret's SHA-256 digest. A link is refused, changing
nothing, when it was altered or forged, has expired, was used or withdrawn, or (sent to an address)
is opened by another account. Accepting marks the invitation used with a conditional UPDATE, so two
people opening the same link at once cannot both join with it.

An invitation by email reaches its address through the outbox (app.services.outbox.queue_account_email),
and, when the address belongs to an account, through that person's notifications as well.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Group, GroupInvitation, GroupMembership, GroupRole, User
from app.models.base import utcnow
from app.services import groups, notifications, outbox
from app.services.accounts import find_by_email, normalise_email
from app.services.errors import BadRequest, Conflict, Forbidden

SALT = "postil.group-invitation"
INVITATION_DAYS = 14
INVITATION_KIND = "group_invitation"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new(group: Group, actor: User, email: str | None) -> tuple[GroupInvitation, str]:
    groups.require_role(group, actor, GroupRole.OWNER)
    groups.require_writable(group)
    secret = secrets.token_urlsafe(24)
    now = utcnow()
    invitation = GroupInvitation(group_id=group.id, created_by_id=actor.id, email=email, digest=_digest(secret),
                                 created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    return invitation, _serializer().dumps({"i": invitation.id, "s": secret})


def create_link(group: Group, actor: User) -> tuple[GroupInvitation, str]:
    """Create a single-use invitation link (the owner only); return it and its token (shown once). Flush."""
    return _new(group, actor, None)


def invite_by_email(group: Group, actor: User, address: str, link_for: Callable[[str], str]) -> GroupInvitation:
    """Invite `address` (the owner only): email the link, and notify the account holding it; flush.

    `link_for(token)` returns the absolute address of the link (the caller knows the app's URLs).
    Raises ServiceError (field "email") for a malformed address and Conflict when its account is
    already a member.
    """
    email = normalise_email(address)
    account = find_by_email(email)
    if account is not None and groups.membership(group.id, account.id) is not None:
        raise Conflict(f"{account.display_name} is already a member of “{group.name}”.", "email")
    invitation, token = _new(group, actor, email)
    link = link_for(token)
    expires = f"{invitation.expires_at:%d %b %Y}"
    text = (f"{actor.display_name} invites you to join “{group.name}”, a journal club on Postil.\n\n"
            f"Accept the invitation (it works once, until {expires}, for this address):\n{link}\n\n"
            "If you did not expect this invitation, ignore this email.\n")
    outbox.queue_account_email(key=f"group-invitation:{invitation.id}", subject=f"Invitation to “{group.name}”",
                               text=text, user=account, to_address=None if account else email)
    if account is not None:
        notifications.notify(account.id, INVITATION_KIND,
                             f"{actor.display_name} invited you to join the journal club “{group.name}”. The "
                             f"link is in the email sent to {email}; it works until {expires}.",
                             actor_id=actor.id, event_key=f"group-invitation:{invitation.id}", emailed=True)
    return invitation


def read(token: str) -> GroupInvitation:
    """Return the invitation a token names; raise BadRequest when forged, expired, used or withdrawn."""
    try:
        data = _serializer().loads(token or "", max_age=INVITATION_DAYS * 86400 + 3600)
    except SignatureExpired:
        raise BadRequest("This invitation has expired: ask the group's owner for a new one.", "token") from None
    except BadSignature:
        raise BadRequest("This invitation link is not valid: it may have been cut or changed. Use the whole link, "
                         "or ask the group's owner for a new one.", "token") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("s"), str):
        raise BadRequest("This invitation link is not valid: ask the group's owner for a new one.", "token")
    invitation = db.session.get(GroupInvitation, data["i"])
    if invitation is None or not secrets.compare_digest(invitation.digest, _digest(data["s"])):
        raise BadRequest("This invitation link is not valid: ask the group's owner for a new one.", "token")
    if invitation.revoked_at is not None:
        raise BadRequest("This invitation was withdrawn by the group's owner.", "token")
    if invitation.used_at is not None:
        raise BadRequest("This invitation has already been used: each link admits one person once. Ask the "
                         "group's owner for a new one.", "token")
    if invitation.expires_at <= utcnow():
        raise BadRequest("This invitation has expired: ask the group's owner for a new one.", "token")
    return invitation


def accept(token: str, user: User) -> Group:
    """Join the group a valid invitation names; raise as `read` does, Forbidden or Conflict. Flush."""
    invitation = read(token)
    group = invitation.group
    if user.is_suspended:
        raise Forbidden("Your account is suspended: you can read but not join groups.")
    if invitation.email and invitation.email != user.email.lower():
        raise Forbidden("This invitation was sent to another email address: sign in with the account for that "
                        "address, or ask the group's owner to invite this one.")
    if groups.membership(group.id, user.id) is not None:
        raise Conflict(f"You are already a member of “{group.name}”.")
    used = db.session.execute(update(GroupInvitation).where(GroupInvitation.id == invitation.id,
                                                            GroupInvitation.used_at.is_(None))
                              .values(used_at=utcnow(), used_by_id=user.id))
    if used.rowcount != 1:
        raise BadRequest("This invitation has already been used: each link admits one person once.", "token")
    groups.add_member(group, user)
    db.session.refresh(invitation)
    return group


def revoke(invitation: GroupInvitation, actor: User) -> None:
    """Withdraw an unused invitation (the owner only); flush."""
    groups.require_role(invitation.group, actor, GroupRole.OWNER)
    if invitation.used_at is not None:
        raise Conflict("This invitation was already used; remove the member instead.")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    db.session.flush()


def open_invitations(group: Group) -> list[GroupInvitation]:
    """Return the group's invitations still usable, newest first."""
    return list(db.session.scalars(select(GroupInvitation).where(
        GroupInvitation.group_id == group.id, GroupInvitation.used_at.is_(None),
        GroupInvitation.revoked_at.is_(None), GroupInvitation.expires_at > utcnow())
        .order_by(GroupInvitation.created_at.desc(), GroupInvitation.id.desc())))


def find_open(group: Group, invitation_id: int) -> GroupInvitation | None:
    """Return the group's invitation with this number, or None."""
    return db.session.scalar(select(GroupInvitation).where(GroupInvitation.group_id == group.id,
                                                           GroupInvitation.id == invitation_id))


def pending_for(user: User) -> int:
    """Count the open email invitations waiting for `user`'s address (for the groups page)."""
    return db.session.scalar(select(func.count(GroupInvitation.id)).where(
        GroupInvitation.email == user.email.lower(), GroupInvitation.used_at.is_(None),
        GroupInvitation.revoked_at.is_(None), GroupInvitation.expires_at > utcnow(),
        GroupInvitation.group_id.not_in(select(GroupMembership.group_id).where(GroupMembership.user_id == user.id))))
