"""The signed-in user's notifications: the list, newest first, and marking them all read."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.extensions import db
from app.notifications import bp
from app.services import notifications as notification_service
from app.services.pagination import page_number


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
