"""Article list and article page."""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import select

from app.extensions import db
from app.main import bp
from app.models import Article, ArticleStatus
from app.services import articles as article_service


@bp.app_context_processor
def inject_globals():
    from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS

    return {"view_functions": current_app.view_functions, "moderation_waiting": 0,
            "design_labels": DESIGNS, "evidence_meanings": EVIDENCE_LEVELS}


@bp.route("/")
def index():
    items = db.session.scalars(
        select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.created_at.desc())
    ).all()
    return render_template("main/index.html", articles=items)


@bp.route("/articles/<slug>")
def article(slug: str):
    item = article_service.get_published_or_404(slug)
    references = article_service.references_of(item)
    return render_template("main/article.html", article=item, references=references)
