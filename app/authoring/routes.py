"""Authoring routes for editors: the article list with drafts, the editor, live preview, revisions and diffs."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.authoring import bp
from app.authoring.forms import ArticleForm, StatusForm
from app.extensions import db
from app.models import ArticleStatus
from app.security.loaders import get_article_or_404
from app.security.permissions import Permission, require
from app.services import anchoring, authoring
from app.services import articles as article_service
from app.services.errors import ServiceError
from app.text.markdown import normalise_source

PREVIEW_MAX_LENGTH = 500_000


def _apply_error(form: ArticleForm, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field in ("source", "note") else form.source
    field.errors = list(field.errors) + [exc.message]


def _locked_article_or_404(slug: str):
    return authoring.lock_article(slug) or abort(404, description="There is no article at this address.")


def _revision_or_404(article, version: int):
    return authoring.get_revision(article, version) or abort(404, description=f"This article has no version {version}.")


def _action_status(action: str | None) -> ArticleStatus | None:
    return {"publish": ArticleStatus.PUBLISHED, "draft": ArticleStatus.DRAFT}.get(action or "")


@bp.route("/admin/articles")
@require(Permission.EDIT_ARTICLES)
def index():
    return render_template("authoring/index.html", articles=authoring.all_articles())


@bp.route("/admin/articles/new", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def create():
    form = ArticleForm()
    if request.method == "GET":
        form.source.data = authoring.new_article_template()
    if form.validate_on_submit():
        try:
            result = authoring.create_article(form.source.data, current_user, note=form.note.data,
                                              publish=request.form.get("action") == "publish")
        except ServiceError as exc:
            db.session.rollback()
            _apply_error(form, exc)
            return render_template("authoring/editor.html", form=form, article=None), exc.status
        db.session.commit()
        flash(result.message(), "success")
        return redirect(url_for("authoring.view", slug=result.article.slug))
    return render_template("authoring/editor.html", form=form, article=None), 422 if form.errors else 200


@bp.route("/admin/articles/<slug>/edit", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def edit(slug: str):
    form = ArticleForm()
    if request.method == "GET":
        article = get_article_or_404(slug)
        form.source.data = authoring.compose_source(article)
        form.base_version.data = article.version
        form.base_fingerprint.data = authoring.fingerprint(article)
        return render_template("authoring/editor.html", form=form, article=article)
    article = _locked_article_or_404(slug)
    conflict_rows = None
    if form.validate_on_submit() and request.form.get("action") == "check":
        return _anchor_preview(form, article)
    if form.validate_on_submit():
        try:
            result = authoring.update_article(
                article, form.source.data, current_user, base_version=form.base_version.data,
                base_fingerprint=form.base_fingerprint.data, note=form.note.data,
                status=_action_status(request.form.get("action")))
        except authoring.StaleVersion as exc:
            db.session.rollback()
            _apply_error(form, exc)
            # Show what changed between the newer saved version and the editor's text; saving again
            # from here is a deliberate choice made with that difference in view.
            current = authoring.compose_source(article)
            conflict_rows = authoring.diff_lines(current, normalise_source(form.source.data))
            form.base_version.data, form.base_version.raw_data = article.version, [str(article.version)]
            form.base_fingerprint.data = authoring.fingerprint(article)
            return render_template("authoring/editor.html", form=form, article=article,
                                   conflict_rows=conflict_rows), 409
        except ServiceError as exc:
            db.session.rollback()
            _apply_error(form, exc)
            return render_template("authoring/editor.html", form=form, article=article), exc.status
        db.session.commit()
        flash(result.message(), "success")
        return redirect(url_for("authoring.view", slug=article.slug))
    db.session.rollback()
    return render_template("authoring/editor.html", form=form, article=article), 422


def _anchor_preview(form: ArticleForm, article):
    """Show, without saving, which annotations the edited text would reword, change or orphan."""
    try:
        changes = authoring.anchor_preview(article, form.source.data, current_user)
    except ServiceError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return render_template("authoring/editor.html", form=form, article=article), exc.status
    db.session.rollback()
    return render_template("authoring/editor.html", form=form, article=article, anchor_changes=changes)


@bp.route("/admin/articles/preview", methods=["POST"])
@require(Permission.EDIT_ARTICLES)
def preview():
    payload = request.get_json(silent=True)
    source = payload.get("source") if isinstance(payload, dict) else None
    if not isinstance(source, str):
        return jsonify({"error": {"code": "bad_request", "message": 'Send JSON {"source": "..."}.'}}), 400
    if len(source) > PREVIEW_MAX_LENGTH:
        return jsonify({"error": {"code": "payload_too_large", "message": "The article is too long to preview."}}), 413
    result = authoring.preview(source)
    return jsonify({"html": render_template("authoring/_preview.html", preview=result),
                    "unknown_keys": result.unknown_keys, "problems": result.problems})


@bp.route("/admin/articles/<slug>")
@require(Permission.EDIT_ARTICLES)
def view(slug: str):
    article = get_article_or_404(slug)
    return render_template("authoring/view.html", article=article, status_form=StatusForm(),
                           references=article_service.references_of(article),
                           anchor_changes=anchoring.revision_report(article, current_user))


@bp.route("/admin/articles/<slug>/status", methods=["POST"])
@require(Permission.EDIT_ARTICLES)
def change_status(slug: str):
    article = _locked_article_or_404(slug)
    form = StatusForm()
    target = _action_status(request.form.get("action"))
    if form.validate_on_submit() and target is not None:
        try:
            authoring.set_status(article, target, form.base_version.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Published: readers can see it now." if target == ArticleStatus.PUBLISHED
                  else "Unpublished: it is a draft again, and readers get a \u201cnot found\u201d page.", "success")
    else:
        db.session.rollback()
        flash("Choose to publish or unpublish.", "error")
    return redirect(url_for("authoring.view", slug=slug))


@bp.route("/admin/articles/<slug>/revisions")
@require(Permission.EDIT_ARTICLES)
def revisions(slug: str):
    article = get_article_or_404(slug)
    return render_template("authoring/revisions.html", article=article, rows=authoring.revision_history(article))


@bp.route("/admin/articles/<slug>/revisions/<int:version>")
@require(Permission.EDIT_ARTICLES)
def revision(slug: str, version: int):
    article = get_article_or_404(slug)
    return render_template("authoring/revision.html", article=article,
                           revision=_revision_or_404(article, version))


@bp.route("/admin/articles/<slug>/diff")
@require(Permission.EDIT_ARTICLES)
def diff(slug: str):
    article = get_article_or_404(slug)
    new_version = request.args.get("to", type=int) or article.version
    old_version = request.args.get("from", type=int) or max(new_version - 1, 1)
    old = _revision_or_404(article, old_version)
    new = _revision_or_404(article, new_version)
    versions = [row.revision.version for row in authoring.revision_history(article)]
    return render_template("authoring/diff.html", article=article, diff=authoring.diff_revisions(old, new),
                           versions=versions)
