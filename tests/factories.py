"""Test data factories: each call commits in its own app context and returns plain values."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from app.extensions import db
from app.models import AnnotationKind, Role, Visibility
from app.models.user import NONE_DECLARED

PASSWORD = "correct battery horse staple lamp"
DEMO_DIR = Path(__file__).resolve().parent.parent / "app" / "demo"
_counter = itertools.count(1)


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    password: str
    name: str


class Factory:
    """Create users, the demo article and annotations for a test."""

    def __init__(self, app):
        self.app = app

    def user(self, role: Role | str = Role.READER, email: str | None = None, name: str | None = None,
             password: str = PASSWORD, trusted: bool = False, **profile) -> UserInfo:
        from app.services import accounts

        n = next(_counter)
        email = email or f"user{n}@example.org"
        name = name or f"Dr Test {n}"
        with self.app.app_context():
            user = accounts.register(email=email, password=password, display_name=name,
                                     profession=profile.get("profession", "Medical oncologist"),
                                     affiliation=profile.get("affiliation", "Test Hospital"),
                                     competing_interests=profile.get("competing_interests", NONE_DECLARED),
                                     role=Role(role))
            user.trusted = trusted
            db.session.commit()
            return UserInfo(user.id, user.email, password, user.display_name)

    def demo_article(self) -> str:
        """Load the demo references and article (no demo users) the way seed-demo does; return the slug."""
        from app.services import importing

        with self.app.app_context():
            result = importing.import_article(
                (DEMO_DIR / "chemotherapy-metastases.md").read_text("utf-8"), "chemotherapy-metastases", None,
                references=(DEMO_DIR / "references.json").read_bytes(), references_name="references.json")
            db.session.commit()
            return result.article.slug

    def annotation(self, author: UserInfo, slug: str, quote: str, body: str = "A comment.",
                   kind: AnnotationKind = AnnotationKind.COMMENT, visibility: Visibility = Visibility.PUBLIC,
                   tags=None, **extra) -> int:
        from sqlalchemy import select

        from app.models import Article, Group, User
        from app.services import annotations

        with self.app.app_context():
            article = db.session.scalar(select(Article).where(Article.slug == slug))
            user = db.session.get(User, author.id)
            if extra.get("group_id") is not None:
                extra["group"] = db.session.get(Group, extra.pop("group_id"))
                visibility = Visibility.GROUP
            created = annotations.create(article, user, body=body, selector=annotations.anchor(article, quote),
                                         kind=kind, visibility=visibility, tags=tags, **extra)
            db.session.commit()
            return created.id

    def end_sessions(self, person: UserInfo) -> None:
        """End every session of `person` on the server, as "sign out everywhere" or an expiry would."""
        from app.models import User
        from app.services import accounts

        with self.app.app_context():
            accounts.end_all_sessions(db.session.get(User, person.id))
            db.session.commit()

    def reply(self, author: UserInfo, parent_id: int, body: str = "A reply.") -> int:
        from app.models import Annotation, User
        from app.services import annotations

        with self.app.app_context():
            parent = db.session.get(Annotation, parent_id)
            created = annotations.create(parent.article, db.session.get(User, author.id), body=body, parent=parent)
            db.session.commit()
            return created.id

    def flag(self, reader: UserInfo, annotation_id: int, reason: str = "spam", note: str = "") -> int:
        """Flag an annotation as `reader` through the flags service (which may hide it); return the flag's id."""
        from app.models import Annotation, User
        from app.services import flags

        with self.app.app_context():
            created = flags.flag(db.session.get(Annotation, annotation_id), db.session.get(User, reader.id), reason,
                                 note)
            db.session.commit()
            return created.id

    def group(self, owner: UserInfo, name: str = "Journal club", *, members=(), moderators=(),
              policy: str = "invitation", premoderate: bool = False) -> tuple[int, str]:
        """Create a journal club owned by `owner` with these members and moderators; return its id and slug."""
        from app.models import GroupRole, User
        from app.services import groups

        with self.app.app_context():
            group = groups.create(db.session.get(User, owner.id), groups.GroupSettings(
                name=name, join_policy=policy, premoderate_new_members=premoderate))
            for person in members:
                groups.add_member(group, db.session.get(User, person.id))
            for person in moderators:
                groups.add_member(group, db.session.get(User, person.id), GroupRole.MODERATOR)
            db.session.commit()
            return group.id, group.slug

    def join(self, group_id: int, person: UserInfo, role: str = "member") -> None:
        """Add `person` to a group with `role`."""
        from app.models import Group, GroupRole, User
        from app.services import groups

        with self.app.app_context():
            groups.add_member(db.session.get(Group, group_id), db.session.get(User, person.id), GroupRole(role))
            db.session.commit()

    def session(self, group_id: int, actor: UserInfo, slug: str, *, starts_in_minutes: int = 7 * 24 * 60,
                title: str = "Journal club session", prompts=()) -> int:
        """Schedule a session starting in `starts_in_minutes` (negative: it started, as if time had passed)."""
        from datetime import timedelta

        from sqlalchemy import select

        from app.models import Article, Group, User
        from app.models.base import utcnow
        from app.services import group_sessions

        with self.app.app_context():
            group, user = db.session.get(Group, group_id), db.session.get(User, actor.id)
            article = db.session.scalar(select(Article).where(Article.slug == slug))
            session = group_sessions.schedule(group, user, article, group_sessions.SessionPlan(
                title=title, starts_at=utcnow() + timedelta(days=1), duration_minutes=60))
            for quote, question in prompts:
                group_sessions.add_prompt(session, user, exact=quote, question=question)
            # Scheduled in the future as the service requires, then moved to when the test needs it.
            session.starts_at = utcnow() + timedelta(minutes=starts_in_minutes)
            db.session.commit()
            return session.id

    def invitation(self, group_id: int, owner: UserInfo, email: str | None = None, used_by: UserInfo | None = None
                   ) -> tuple[int, str]:
        """Create an invitation (a link, or to `email`), optionally already used; return its id and token."""
        from app.models import Group, GroupInvitation, User
        from app.models.base import utcnow
        from app.services import invitations

        with self.app.app_context():
            invitation, token = invitations.create_link(db.session.get(Group, group_id),
                                                        db.session.get(User, owner.id))
            if email is not None:
                invitation.email = email
            if used_by is not None:
                db.session.get(GroupInvitation, invitation.id).used_at = utcnow()
                invitation.used_by_id = used_by.id
            db.session.commit()
            return invitation.id, token
