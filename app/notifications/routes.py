"""A reader's notifications: the list, mark-all-read, notification settings and one-click unsubscribe."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.extensions import csrf, db
from app.mail import unsubscribe as unsubscribe_links
from app.models import User
from app.notifications import bp
from app.notifications.forms import preferences_form
from app.services import notifications as notification_service
from app.services import preferences as preference_service
from app.services.errors import ServiceError
from app.services.pagination import page_number

LINK_LABELS = {"reply": "See the reply", "thread_reply": "See the reply", "mention": "Read it",
               "followed": "Read it", "answer_accepted": "See the answer", "answer_chosen": "See your reply"}


@bp.route("/notifications")
@login_required
def index():
    """List the signed-in user's notifications, newest first."""
    page = notification_service.page_of(current_user, page_number(request.args.get("page")))
    return render_template("notifications/index.html", notes=page, form=EmptyForm(), link_labels=LINK_LABELS)


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Mark one of the user's notifications read and go to what it is about."""
    note = notification_service.open_notification(current_user, notification_id)
    if note is None:
        abort(404)
    db.session.commit()
    return redirect(target_of(note))


def target_of(note) -> str:
    """Return where a notification leads: the study, the annotation to re-attach, the annotation, or the list."""
    key = (note.event_key or "").split(":")
    if note.kind in ("retraction", "concern", "correction") and len(key) > 1 and key[1].isdigit():
        return url_for("studies.show", study_id=int(key[1]))
    if note.annotation_id and note.kind in ("reworded", "changed", "orphaned"):
        return url_for("annotating.reattach", annotation_id=note.annotation_id)
    if note.annotation_id and note.kind != "removed":
        return url_for("annotating.permalink", annotation_id=note.annotation_id)
    return url_for("notifications.index")


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Show and save how the signed-in reader hears about each type of event."""
    choices = preference_service.choices_of(current_user.id)
    form = preferences_form(choices, current_user.auto_follow, formdata=request.form if request.method == "POST"
                            else None)
    if form.validate_on_submit():
        try:
            preference_service.set_choices(
                current_user, {key: getattr(form, key).data for key in preference_service.EVENT_TYPES},
                auto_follow=form.auto_follow.data)
        except ServiceError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("notifications.settings"), code=303)
    return render_template("notifications/settings.html", form=form,
                           event_types=preference_service.EVENT_TYPES), 422 if form.errors or form.form_errors else 200


def _unsubscribe_page(status: int = 200, **context):
    return render_template("notifications/unsubscribe.html", **context), status


@bp.route("/unsubscribe", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe():
    """Stop one kind of email from a signed link: GET asks, POST (the button, or a mail client's one-click) does it.

    The signed, expiring token is the authority here, not a session, so a mail client can POST
    `List-Unsubscribe=One-Click` (RFC 8058) without a CSRF token; a forged or expired link changes nothing.
    """
    token = request.args.get("token", "")
    try:
        link = unsubscribe_links.read_token(token)
    except unsubscribe_links.InvalidLink as exc:
        return _unsubscribe_page(400, error=exc.message, expired=exc.expired)
    user = db.session.get(User, link.user_id)
    scope_label = _scope_label(link.scope)
    if user is None or scope_label is None:
        return _unsubscribe_page(400, error="This unsubscribe link names nothing Postil sends any more.",
                                 expired=False)
    if request.method == "GET":
        return _unsubscribe_page(token=token, scope_label=scope_label, done=False, error=None)
    try:
        preference_service.stop_email(user, link.scope)
    except ServiceError as exc:
        db.session.rollback()
        return _unsubscribe_page(exc.status, error=exc.message, expired=False)
    db.session.commit()
    return _unsubscribe_page(token=token, scope_label=scope_label, done=True, error=None)


def _scope_label(scope: str) -> str | None:
    """Name what an unsubscribe link stops, for the page."""
    if scope in preference_service.EVENT_TYPES:
        return f"emails about {preference_service.EVENT_TYPES[scope].label.lower()}"
    if scope in (preference_service.Delivery.DAILY, preference_service.Delivery.WEEKLY):
        return f"the {scope} digest email"
    return None


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
