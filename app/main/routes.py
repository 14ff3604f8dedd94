"""Article list and article page."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.main import bp
from app.models import Article, ArticleStatus
from app.services import articles as article_service
from app.services.reading import KIND_LABELS, Filters, discussion
from app.text.highlight import KIND_MARKERS


@bp.app_context_processor
def inject_globals():
    from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS

    return {"view_functions": current_app.view_functions, "moderation_waiting": 0,
            "design_labels": DESIGNS, "evidence_meanings": EVIDENCE_LEVELS,
            "kind_labels": {k.value: v for k, v in KIND_LABELS.items()}, "kind_markers": KIND_MARKERS}


@bp.app_template_filter("datetime")
def format_datetime(value) -> str:
    """Format an aware datetime for readers: 27 Nov 2026, 14:05 UTC."""
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


@bp.route("/")
def index():
    items = db.session.scalars(
        select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.created_at.desc())
    ).all()
    return render_template("main/index.html", articles=items)


def filters_from_request() -> Filters:
    """Read the thread filters from the query string, ignoring values that make no sense."""
    kind = request.args.get("kind") or None
    if kind not in {k for k in (None, "comment", "question", "critique", "support", "practice")}:
        kind = None
    tag = (request.args.get("tag") or "").strip().lower()[:40] or None
    author = request.args.get("author", type=int)
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    return Filters(kind=kind, tag=tag, author=author, mine=mine)


def render_article_page(article: Article, status: int = 200):
    """Render the article with its highlights, threads and references."""
    filters = filters_from_request()
    data = discussion(article, current_user, filters)
    references = article_service.references_of(article)
    open_id = request.args.get("open", type=int)
    return render_template("main/article.html", article=article, references=references, discussion=data,
                           filters=filters, open_id=open_id), status


@bp.route("/articles/<slug>")
def article(slug: str):
    return render_article_page(article_service.get_published_or_404(slug))
