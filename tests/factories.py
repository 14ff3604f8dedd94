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

        from app.models import Article, User
        from app.services import annotations

        with self.app.app_context():
            article = db.session.scalar(select(Article).where(Article.slug == slug))
            user = db.session.get(User, author.id)
            created = annotations.create(article, user, body=body, selector=annotations.anchor(article, quote),
                                         kind=kind, visibility=visibility, tags=tags, **extra)
            db.session.commit()
            return created.id

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
