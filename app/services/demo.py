"""The demo: the chemotherapy-and-metastases commentary, its references, two accounts, example annotations."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AnnotationKind, Role, User
from app.models.user import NONE_DECLARED
from app.services import accounts, importing
from app.services import annotations as annotation_service

ARTICLE_FILE = "chemotherapy-metastases.md"
REFERENCES_FILE = "references.json"
DEMO_ADMIN = ("admin@postil.example", "Dr Ada Admin", "Medical oncologist (site editor)")
DEMO_CLINICIAN = ("clinician@postil.example", "Dr Chris Clinician", "General practitioner")

# Example annotations on the article's open questions: (quote, kind, body, tags, study key).
EXAMPLES = [
    ("are the models used really representative of the spectrum of human tumors?", AnnotationKind.QUESTION,
     "Murine orthotopic and transgenic models differ from human breast cancer in stroma and immune context. "
     "Has anyone seen TMEM scoring in **human** post-NAC specimens beyond the 20 patients mentioned?",
     ["preclinical models"], "karagiannis2017"),
    ("increased expression of TIE2, the angiopoietin receptor", AnnotationKind.QUESTION,
     "Are these TIE2-expressing perivascular macrophages the cells rebastinib acts on in the murine models? "
     "If so, TIE2 staining of macrophages in human TMEM sites after NAC would be the obvious next measurement.",
     ["tie2", "macrophages"], "karagiannis2017"),
    ("it makes sense to continue the current chemotherapy therapy for breast cancer", AnnotationKind.PRACTICE,
     "Agreed for practice today: the survival benefit of neoadjuvant chemotherapy comes from randomised trials, "
     "while the prometastatic signal so far comes from mouse models.",
     ["practice"], None),
]


@dataclass
class DemoResult:
    """What seeding did, and the passwords of accounts it created (printed once)."""

    article_slug: str
    created_users: dict[str, str]
    annotations_created: int


def _demo_dir() -> Path:
    return Path(current_app.config["DEMO_CONTENT_DIR"])


def _ensure_user(email: str, name: str, profession: str, role: Role) -> tuple[User, str | None]:
    user = accounts.find_by_email(email)
    if user is not None:
        return user, None
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    user = accounts.register(email=email, password=password, display_name=name, profession=profession,
                             affiliation="Postil demo", competing_interests=NONE_DECLARED, role=role)
    user.trusted = True
    return user, password


def seed() -> DemoResult:
    """Load the demo content; running it again changes nothing and creates no duplicates."""
    folder = _demo_dir()
    admin, admin_pw = _ensure_user(*DEMO_ADMIN, Role.ADMIN)
    clinician, clinician_pw = _ensure_user(*DEMO_CLINICIAN, Role.READER)
    # The same path as `flask articles import FILE.md --references FILE`.
    article = importing.import_article((folder / ARTICLE_FILE).read_text(encoding="utf-8"), Path(ARTICLE_FILE).stem,
                                       editor=admin, note="Demo article",
                                       references=(folder / REFERENCES_FILE).read_bytes(),
                                       references_name=REFERENCES_FILE).article
    created = 0
    has_examples = db.session.scalar(select(Annotation.id).where(Annotation.article_id == article.id).limit(1))
    if not has_examples:
        created = _add_examples(article, clinician)
    passwords = {u.email: pw for u, pw in ((admin, admin_pw), (clinician, clinician_pw)) if pw}
    return DemoResult(article_slug=article.slug, created_users=passwords, annotations_created=created)


def _add_examples(article, author: User) -> int:
    count = 0
    for quote, kind, body, tags, study_key in EXAMPLES:
        annotation_service.create_for_demo(article, author, quote=quote, kind=kind, body=body, tags=tags,
                                           study_key=study_key)
        count += 1
    return count
