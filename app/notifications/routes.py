"""Notification list, mark-all-read, and flagging an annotation."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.extensions import db, limiter
from app.notifications import bp
from app.notifications.forms import FlagForm
from app.security.loaders import get_annotation_or_404
from app.services import flags as flag_service
from app.services import notifications as notification_service
from app.services.errors import Conflict, Forbidden, ServiceError
from app.services.pagination import page_number
from app.services.visibility import can_read


def _flag_page(**context) -> str:
    return render_template("notifications/flag.html", flag_labels=flag_service.REASON_LABELS, **context)


@bp.route("/notifications")
@login_required
def index():
    """List the signed-in user's notifications, newest first."""
    page = notification_service.page_of(current_user, page_number(request.args.get("page")))
    return render_template("notifications/index.html", notes=page, form=EmptyForm())


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every notification of the signed-in user read."""
    form = EmptyForm()
    if form.validate_on_submit():
        count = notification_service.mark_all_read(current_user)
        db.session.commit()
        flash("All notifications are marked as read." if count else "There was nothing unread.", "success")
    return redirect(url_for("notifications.index"), code=303)


@bp.route("/annotations/<int:annotation_id>/flag", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def flag(annotation_id: int):
    """Show the flag form for an annotation the user can read and did not write, and record the flag."""
    annotation = get_annotation_or_404(annotation_id)
    if annotation.is_deleted:
        abort(404, description="This annotation was deleted by its author.")
    try:
        flag_service.check_can_flag(annotation, current_user)
    except Forbidden as exc:
        abort(403, description=exc.message)
    form = FlagForm()
    existing = flag_service.existing_flag(annotation, current_user)
    if existing is not None:
        if request.method == "POST":
            return _flag_page(annotation=annotation, form=form, existing=existing,
                              message=flag_service.ALREADY_FLAGGED), 409
        return _flag_page(annotation=annotation, form=form, existing=existing, message=None)
    if form.validate_on_submit():
        try:
            flag_service.flag(annotation, current_user, form.reason.data, form.note.data)
        except Conflict as exc:
            db.session.rollback()
            return _flag_page(annotation=annotation, form=form,
                              existing=flag_service.existing_flag(annotation, current_user), message=exc.message), 409
        except ServiceError as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "", None) or form.note
            field.errors = list(field.errors) + [exc.message]
        else:
            db.session.commit()
            flash("Thank you: the moderators will review this annotation. The author is not told who flagged it.",
                  "success")
            if can_read(current_user, annotation):
                return redirect(url_for("annotating.permalink", annotation_id=annotation.id), code=303)
            return redirect(url_for("main.article", slug=annotation.article.slug), code=303)
    status = 422 if form.errors else 200
    return _flag_page(annotation=annotation, form=form, existing=None, message=None), status
