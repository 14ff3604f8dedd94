"""Journal clubs and their members: create, change, join, leave, remove, promote, hand over, archive.

Roles: the owner (one per group) manages members and settings; owners and moderators schedule
sessions and moderate the group's annotations; members read and write in the group. Only the owner
changes membership, and the owner cannot leave or be removed without first handing the group to a
successor, so a group always has an owner. Leaving deletes the membership row: access ends at once
(app.services.visibility reads membership on every check), and the member's annotations stay in the
group under their name.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Group, GroupMembership, GroupRole, JoinPolicy, User
from app.models.base import utcnow
from app.services.articles import slugify
from app.services.errors import Conflict, Forbidden, ServiceError
from app.text.sanitize import clean_text

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
MAX_SLUG_LENGTH = 80
# Words taken by the pages under /groups/ (and the article page's layer names).
RESERVED_SLUGS = frozenset({"new", "join", "invitations", "public", "mine", "group"})


@dataclass(frozen=True)
class GroupSettings:
    """What an owner sets about a group (already read from a form or a request body)."""

    name: str
    description: str = ""
    join_policy: JoinPolicy = JoinPolicy.INVITATION
    premoderate_new_members: bool = False


def _clean_settings(settings: GroupSettings) -> GroupSettings:
    name = clean_text(settings.name or "")
    if not name:
        raise ServiceError("Give the group a name, e.g. “Oncology registrars' journal club”.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"The name is too long: {len(name)} characters, {MAX_NAME_LENGTH} at most.", "name")
    description = clean_text(settings.description or "")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise ServiceError(f"The description is too long: {len(description):,} characters, "
                           f"{MAX_DESCRIPTION_LENGTH:,} at most.", "description")
    return GroupSettings(name, description, JoinPolicy(settings.join_policy), bool(settings.premoderate_new_members))


def _free_slug(name: str) -> str:
    base = slugify(name)[:MAX_SLUG_LENGTH - 4].strip("-") or "group"
    if base in RESERVED_SLUGS:
        base = f"{base}-club"
    taken = set(db.session.scalars(select(Group.slug).where(Group.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create(owner: User, settings: GroupSettings) -> Group:
    """Create a group with `owner` as its owner; flush, don't commit. Raises ServiceError naming the field."""
    settings = _clean_settings(settings)
    group = Group(slug=_free_slug(settings.name), name=settings.name, description=settings.description,
                  join_policy=settings.join_policy, premoderate_new_members=settings.premoderate_new_members,
                  created_by_id=owner.id, created_at=utcnow())
    db.session.add(group)
    db.session.flush()
    db.session.add(GroupMembership(group_id=group.id, user_id=owner.id, role=GroupRole.OWNER, joined_at=utcnow()))
    db.session.flush()
    return group


def update(group: Group, actor: User, settings: GroupSettings) -> Group:
    """Change a group's name, description, join policy and pre-moderation (its owner only); flush."""
    require_role(group, actor, GroupRole.OWNER)
    _writable(group)
    settings = _clean_settings(settings)
    group.name, group.description = settings.name, settings.description
    group.join_policy, group.premoderate_new_members = settings.join_policy, settings.premoderate_new_members
    db.session.flush()
    return group


def find(slug: str) -> Group | None:
    """Return the group at `slug`, or None."""
    return db.session.scalar(select(Group).where(Group.slug == slug))


def membership(group_id: int, user_id: int | None) -> GroupMembership | None:
    """Return `user_id`'s membership of the group, or None (one query)."""
    if user_id is None:
        return None
    return db.session.scalar(select(GroupMembership).where(GroupMembership.group_id == group_id,
                                                           GroupMembership.user_id == user_id))


def role_of(group: Group, user: User | None) -> GroupRole | None:
    """Return `user`'s role in `group`, or None for anyone else (anonymous included)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    row = membership(group.id, user.id)
    return row.role if row is not None else None


_RANK = {GroupRole.OWNER: 0, GroupRole.MODERATOR: 1, GroupRole.MEMBER: 2}


def require_role(group: Group, user: User, least: GroupRole) -> GroupRole:
    """Return `user`'s role when it is `least` or above; raise Forbidden otherwise (or when suspended)."""
    role = role_of(group, user)
    if role is None or _RANK[role] > _RANK[least]:
        who = {GroupRole.OWNER: "the group's owner", GroupRole.MODERATOR: "the group's owner and moderators",
               GroupRole.MEMBER: "members of the group"}[least]
        raise Forbidden(f"Only {who} can do this in “{group.name}”.")
    if user.is_suspended:
        raise Forbidden("Your account is suspended: you can read but not write.")
    return role


def _writable(group: Group) -> None:
    if group.is_archived:
        raise Conflict(f"“{group.name}” is archived: its discussion can be read but nothing in it changes.")


def require_writable(group: Group) -> None:
    """Raise Conflict when `group` is archived (read-only)."""
    _writable(group)


@dataclass(frozen=True)
class MyGroup:
    """A group the reader belongs to, with their role."""

    group: Group
    role: GroupRole


def groups_of(user: User | None, *, include_archived: bool = True) -> list[MyGroup]:
    """Return the groups `user` belongs to with their role, by name (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = memberships_statement(user.id)
    if not include_archived:
        stmt = stmt.where(Group.archived_at.is_(None))
    return [MyGroup(group, role) for group, role in db.session.execute(stmt)]


def memberships_statement(user_id: int) -> Select:
    """Return the query of `groups_of`: each group of the user, with their role in it, by name."""
    return (select(Group, GroupMembership.role).join(GroupMembership, GroupMembership.group_id == Group.id)
            .where(GroupMembership.user_id == user_id).order_by(func.lower(Group.name), Group.id))


def open_groups(user: User | None, limit: int = 50) -> list[Group]:
    """Return open, active groups `user` does not belong to, by name."""
    stmt = select(Group).where(Group.join_policy == JoinPolicy.OPEN, Group.archived_at.is_(None))
    if user is not None and getattr(user, "is_authenticated", False):
        stmt = stmt.where(Group.id.not_in(select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)))
    return list(db.session.scalars(stmt.order_by(func.lower(Group.name)).limit(limit)))


def members(group: Group) -> list[GroupMembership]:
    """Return the group's members, owner first, then moderators, then by name (one query)."""
    order = {GroupRole.OWNER.value: 0, GroupRole.MODERATOR.value: 1, GroupRole.MEMBER.value: 2}
    rows = db.session.scalars(select(GroupMembership).where(GroupMembership.group_id == group.id)
                              .options(joinedload(GroupMembership.user))).all()
    return sorted(rows, key=lambda m: (order[m.role.value], m.user.display_name.lower(), m.user_id))


def member_count(group: Group) -> int:
    """Count the group's members."""
    return db.session.scalar(select(func.count(GroupMembership.id)).where(GroupMembership.group_id == group.id))


def add_member(group: Group, user: User, role: GroupRole = GroupRole.MEMBER) -> GroupMembership:
    """Make `user` a member; raise Conflict when they already are or the group is archived; flush."""
    _writable(group)
    if membership(group.id, user.id) is not None:
        raise Conflict(f"You are already a member of “{group.name}”.")
    row = GroupMembership(group_id=group.id, user_id=user.id, role=role, joined_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def join(group: Group, user: User) -> GroupMembership:
    """Join an open group; raise Conflict for a second join, Forbidden for a group by invitation only."""
    if membership(group.id, user.id) is not None:
        raise Conflict(f"You are already a member of “{group.name}”.")
    if group.join_policy != JoinPolicy.OPEN:
        raise Forbidden(f"“{group.name}” is by invitation only: ask its owner for an invitation.")
    if user.is_suspended:
        raise Forbidden("Your account is suspended: you can read but not join groups.")
    return add_member(group, user)


def leave(group: Group, user: User) -> None:
    """Leave `group` (access ends at once; annotations stay). The owner must hand the group over first."""
    row = membership(group.id, user.id)
    if row is None:
        raise Conflict(f"You are not a member of “{group.name}”.")
    if row.role == GroupRole.OWNER:
        raise Conflict(f"You own “{group.name}”: hand it to another member before you leave, or archive it.",
                       "owner")
    db.session.delete(row)
    db.session.flush()


def remove_member(group: Group, actor: User, user_id: int) -> User:
    """Remove a member (the owner only; never the owner); return the person removed. Flush."""
    require_role(group, actor, GroupRole.OWNER)
    row = _member_row(group, user_id)
    if row.role == GroupRole.OWNER:
        raise Conflict("The owner cannot be removed: hand the group to another member first.", "member")
    person = row.user
    db.session.execute(delete(GroupMembership).where(GroupMembership.id == row.id))
    db.session.flush()
    return person


def _member_row(group: Group, user_id: int) -> GroupMembership:
    row = membership(group.id, user_id)
    if row is None:
        raise ServiceError(f"This person is not a member of “{group.name}”.", "member")
    return row


def set_role(group: Group, actor: User, user_id: int, role: GroupRole | str) -> GroupMembership:
    """Make a member a moderator or a plain member (the owner only); flush."""
    require_role(group, actor, GroupRole.OWNER)
    try:
        role = GroupRole(role)
    except ValueError:
        raise ServiceError("Choose “moderator” or “member”.", "role") from None
    if role == GroupRole.OWNER:
        raise ServiceError("To make someone the owner, hand the group over to them.", "role")
    row = _member_row(group, user_id)
    if row.role == GroupRole.OWNER:
        raise Conflict("The owner's role changes only by handing the group over.", "role")
    row.role = role
    db.session.flush()
    return row


def transfer_ownership(group: Group, actor: User, user_id: int) -> GroupMembership:
    """Hand the group to another member (the owner only); the previous owner becomes a moderator. Flush."""
    require_role(group, actor, GroupRole.OWNER)
    row = _member_row(group, user_id)
    if row.user_id == actor.id:
        raise ServiceError("You already own this group: choose another member.", "member")
    if row.user.is_suspended:
        raise ServiceError(f"{row.user.display_name}'s account is suspended: choose another member.", "member")
    previous = membership(group.id, actor.id)
    previous.role = GroupRole.MODERATOR
    row.role = GroupRole.OWNER
    db.session.flush()
    return row


def set_archived(group: Group, actor: User, archived: bool = True) -> Group:
    """Archive a group (read-only from then on) or reopen it (the owner only); flush."""
    require_role(group, actor, GroupRole.OWNER)
    group.archived_at = utcnow() if archived else None
    db.session.flush()
    return group


def moderated_group_ids(user: User | None):
    """Return a SELECT of the ids of the groups `user` owns or moderates (for use inside a condition)."""
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else -1
    return select(GroupMembership.group_id).where(GroupMembership.user_id == user_id,
                                                  GroupMembership.role.in_((GroupRole.OWNER, GroupRole.MODERATOR)))


def moderates_any(user: User | None) -> bool:
    """Tell whether `user` owns or moderates at least one group (and may write)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_suspended:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(moderated_group_ids(user).subquery())))
