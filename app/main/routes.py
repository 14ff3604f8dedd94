"""Article list and article page."""
from __future__ import annotations

from flask import Response, current_app, render_template, request, session
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.main import bp
from app.models import Article, ArticleStatus
from app.services import articles as article_service
from app.services.reading import KIND_LABELS, Filters, discussion, own_annotations, page_cache, personalise, share
from app.text.highlight import KIND_MARKERS


@bp.app_context_processor
def inject_globals():
    from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS

    return {"view_functions": current_app.view_functions, "moderation_waiting": _moderation_waiting(),
            "unread_notifications": _unread_notifications(),
            "design_labels": DESIGNS, "evidence_meanings": EVIDENCE_LEVELS,
            "kind_labels": {k.value: v for k, v in KIND_LABELS.items()}, "kind_markers": KIND_MARKERS}


def _signed_in_user():
    from flask import has_request_context

    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    return current_user


def _moderation_waiting() -> int:
    """Count the items waiting for a moderator, only for moderators (one COUNT query)."""
    from app.services.moderation import waiting_count

    user = _signed_in_user()
    return waiting_count() if user is not None and user.is_moderator else 0


def _unread_notifications() -> int:
    """Count the signed-in user's unread notifications (one COUNT query)."""
    from app.services.notifications import unread_count

    user = _signed_in_user()
    return unread_count(user) if user is not None else 0


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
    return Filters(kind=kind, tag=tag, author=author, mine=mine, q=" ".join(request.args.get("q", "").split()))


def render_article_page(article: Article, status: int = 200):
    """Render the article with its highlights, threads and references for the current viewer."""
    content_html = _article_content(article, "personal", filters_from_request())
    return render_template("main/article.html", article=article, content_html=content_html), status


def _article_content(article: Article, mode: str, filters: Filters) -> Markup:
    """Render the page's main content: "anonymous", "member" (any signed-in reader) or "personal"."""
    viewer = current_user if mode == "personal" else None
    data = discussion(article, viewer, filters)
    return Markup(render_template("main/_article_content.html", article=article, discussion=data, filters=filters,
                                  references=article_service.references_of(article), mode=mode))


@bp.route("/articles/<slug>")
def article(slug: str):
    """Serve the article page, from the page cache when nothing on it is specific to the viewer.

    Anonymous readers get a whole cached page. Signed-in readers get the cached "member" content
    with the controls on their own annotations switched on; only readers with annotations others
    cannot see (private, pending, hidden) and filtered views are rendered for the request.
    """
    key = article_service.page_key_or_404(slug)
    filters = filters_from_request()
    if filters.active or session.get("_flashes"):
        return render_article_page(article_service.get_published_or_404(slug))
    if not current_user.is_authenticated:
        body = page_cache.get(("page", key))
        if body is None:
            article_obj = article_service.get_published_or_404(slug)
            content_html = _article_content(article_obj, "anonymous", filters)
            body = render_template("main/article.html", article=article_obj, content_html=content_html).encode()
            page_cache.put(("page", key), body)
        return Response(body, mimetype="text/html")
    own = own_annotations(key.id, current_user.id)
    if own.personal or current_user.is_moderator:
        return render_article_page(article_service.get_published_or_404(slug))
    content = page_cache.get(("member", key))
    if content is None:
        article_obj = article_service.get_published_or_404(slug)
        content = share(_article_content(article_obj, "member", filters))
        page_cache.put(("member", key), content)
    return render_template("main/article.html", article=key, content_html=personalise(content, own.ids))
