"""Annotating in the browser: forms that work without JavaScript, and the page fragments the script swaps."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.annotating import bp
from app.annotating.forms import AnnotationForm, EditForm, ReattachForm, ReplyForm
from app.extensions import db, limiter
from app.models import Annotation, AnnotationKind, Visibility
from app.security.permissions import Permission, can, require
from app.services import annotations as annotation_service
from app.services import articles as article_service
from app.services.errors import ServiceError
from app.services.moderation import initial_status
from app.services.visibility import can_read, is_public


def get_annotation_or_404(annotation_id: int, *, editable: bool = False) -> Annotation:
    """Load an annotation the current user may read (404 otherwise); with `editable`, one they may change (403)."""
    annotation = db.session.get(Annotation, annotation_id)
    if annotation is None or not can_read(current_user, annotation):
        abort(404, description="There is no annotation at this address, or you may not read it.")
    if annotation.article.status.value != "published" and not can(current_user, Permission.EDIT_ARTICLES):
        abort(404, description="There is no annotation at this address, or you may not read it.")
    if editable and not (can(current_user, Permission.ANNOTATE) and annotation.author_id == current_user.id):
        abort(403, description="Only the author can change this annotation.")
    return annotation


def _study_choices(article) -> list[SelectChoice]:
    return [SelectChoice("", "None")] + [SelectChoice(str(c.study_id), f"[{c.position}] {c.study.title[:90]}")
                                         for c in article.citations]


def _field_error(form, exc: ServiceError, default: str = "body") -> None:
    name = {"target": "exact", "study": "study_id"}.get(exc.field or "", exc.field or default)
    field = getattr(form, name, None) or getattr(form, default)
    field.errors = list(field.errors) + [exc.message]


@bp.route("/articles/<slug>/annotate", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
@limiter.limit(lambda: __import__("flask").current_app.config.get("RATELIMIT_ANNOTATIONS", "30 per minute"),
               methods=["POST"])
def annotate(slug: str):
    article = article_service.get_published_or_404(slug)
    form = AnnotationForm()
    form.study_id.choices = _study_choices(article)
    if form.validate_on_submit():
        try:
            selector = annotation_service.anchor(article, form.exact.data, *_positions(form))
            visibility = Visibility(form.visibility.data)
            created = annotation_service.create(
                article, current_user, body=form.body.data, selector=selector,
                kind=AnnotationKind(form.kind.data), tags=form.tags.data, study_id=form.study_id.data or None,
                visibility=visibility, status=initial_status(current_user, visibility))
        except (ServiceError, ValueError) as exc:
            db.session.rollback()
            _field_error(form, exc if isinstance(exc, ServiceError) else ServiceError(str(exc), "exact"))
        else:
            db.session.commit()
            return _after_save(created, _created_message(created), 201)
    return _form_page(form, "annotating/annotate.html", article=article,
                      paragraph=_paragraph(article, request.args.get("block", type=int)))


def _paragraph(article, block: int | None) -> str | None:
    """Return the canonical text of top-level block number `block`, if there is one."""
    if block is None:
        return None
    from app.text.markdown import render_article

    blocks = render_article(article.body_source).blocks
    return blocks[block].text if 0 <= block < len(blocks) else None


def _positions(form) -> tuple:
    try:
        start = int(form.start.data) if form.start.data not in (None, "") else None
        end = int(form.end.data) if form.end.data not in (None, "") else None
    except ValueError:
        start = end = None
    return start, end, form.prefix.data or "", form.suffix.data or ""


def _created_message(annotation: Annotation) -> str:
    if annotation.status.value == "pending":
        return "Your annotation is saved and waiting for a moderator; only you can see it until then."
    if annotation.visibility == Visibility.PRIVATE:
        return "Your private note is saved; only you can see it."
    return "Your annotation is published."


def _edited_message(annotation: Annotation, was_public: bool) -> str:
    if was_public and annotation.status.value == "pending":
        return ("Your changes are saved and wait for a moderator, as your new annotations do: until they are "
                "approved, only you can see this annotation.")
    return "Your changes are saved."


@bp.route("/annotations/<int:annotation_id>")
def permalink(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id)
    target = annotation.root_id or annotation.id
    return redirect(url_for("main.article", slug=annotation.article.slug, open=target) + f"#a-{annotation.id}")


@bp.route("/annotations/<int:annotation_id>/replies", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
@limiter.limit(lambda: __import__("flask").current_app.config.get("RATELIMIT_ANNOTATIONS", "30 per minute"),
               methods=["POST"])
def reply(annotation_id: int):
    parent = get_annotation_or_404(annotation_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            visibility = parent.visibility
            created = annotation_service.create(parent.article, current_user, body=form.body.data, parent=parent,
                                                visibility=visibility,
                                                status=initial_status(current_user, visibility))
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            return _after_save(created, _created_message(created), 201)
    return _form_page(form, "annotating/reply.html", parent=parent)


@bp.route("/annotations/<int:annotation_id>/edit", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def edit(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id, editable=True)
    if annotation.is_deleted:
        abort(409, description="This annotation was deleted and can no longer be edited.")
    form = EditForm(obj=annotation) if request.method == "GET" else EditForm()
    if request.method == "GET":
        form.kind.data = annotation.kind.value
        form.tags.data = ", ".join(annotation.tags or [])
    was_public = is_public(annotation)
    if form.validate_on_submit():
        try:
            annotation_service.edit(annotation, body=form.body.data,
                                    kind=AnnotationKind(form.kind.data) if form.kind.data else None,
                                    tags=form.tags.data)
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            return _after_save(annotation, _edited_message(annotation, was_public))
    return _form_page(form, "annotating/edit.html", annotation=annotation)


@bp.route("/annotations/<int:annotation_id>/delete", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def delete(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id, editable=True)
    from app.auth.forms import EmptyForm

    form = EmptyForm()
    if form.validate_on_submit():
        annotation_service.delete(annotation)
        db.session.commit()
        if _wants_json():
            return jsonify({"id": annotation.id, "message": "Your annotation is deleted."})
        flash("Your annotation is deleted. Replies to it stay in the discussion.", "success")
        return redirect(url_for("main.article", slug=annotation.article.slug))
    return render_template("annotating/delete.html", annotation=annotation, form=form)


@bp.route("/annotations/<int:annotation_id>/reattach", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def reattach(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id)
    if annotation.author_id != current_user.id and not current_user.is_admin:
        abort(403, description="Only the author or an admin can re-attach this annotation.")
    if annotation.parent_id is not None:
        abort(404, description="Replies follow their thread and cannot be re-attached.")
    form = ReattachForm()
    if request.method == "GET":
        form.exact.data = annotation.exact or annotation.original_exact
    if form.validate_on_submit():
        try:
            annotation_service.reattach(annotation, form.exact.data)
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc, default="exact")
        else:
            db.session.commit()
            return _after_save(annotation, "The annotation is attached to the passage again.")
    return _form_page(form, "annotating/reattach.html", annotation=annotation)


def _wants_json() -> bool:
    """Tell whether the page's script sent the form (it answers with JSON, not a redirect)."""
    return request.headers.get("X-Requested-With") == "fetch"


def _after_save(annotation: Annotation, message: str, status: int = 200):
    """Answer a successful save: JSON for the page's script (which then re-reads the cached page), else a redirect."""
    url = url_for("annotating.permalink", annotation_id=annotation.id)
    if _wants_json():
        return jsonify({"id": annotation.id, "message": message, "url": url}), status
    flash(message, "success")
    return redirect(url)


def _form_page(form, template: str, **context):
    """Answer a form that was not saved (or not sent yet): its page, or its field errors as JSON for the script."""
    if _wants_json():
        return jsonify({"errors": form.errors}), 422
    return render_template(template, form=form, **context), 422 if form.errors else 200
