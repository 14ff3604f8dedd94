"""Follow and unfollow, the Following page, the confirmation page for links in shared pages, and My activity."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.routes import safe_next
from app.extensions import db, login_manager
from app.following import bp
from app.following.forms import FollowForm
from app.models import FollowTarget
from app.security.permissions import Permission, require
from app.services import activity, follows
from app.services.errors import BadRequest, ServiceError


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back(form: FollowForm) -> str:
    return safe_next(form.next.data) or url_for("following.index")


def _refused(form: FollowForm, exc: ServiceError):
    db.session.rollback()
    if _wants_json():
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    return render_template("following/confirm.html", form=form, target=None, following=False,
                           message=exc.message), exc.status


def _signed_in_or_redirect():
    return None if current_user.is_authenticated else login_manager.unauthorized()


@bp.route("/following")
def index():
    """List what the signed-in reader follows, with a button to stop each, and a form to follow a tag."""
    if (response := _signed_in_or_redirect()) is not None:
        return response
    form = FollowForm(type="tag", next=url_for("following.index"))
    return render_template("following/index.html", followed=follows.listing(current_user), form=form,
                           labels=follows.TYPE_LABELS, types=list(FollowTarget))


@bp.route("/following", methods=["POST"])
@require(Permission.ANNOTATE)
def follow():
    """Follow an article, thread, study, tag or person."""
    form = FollowForm()
    if not form.validate_on_submit():
        return _refused(form, BadRequest("Say what to follow: a type and a target."))
    try:
        row = follows.follow(current_user, form.type.data, form.target.data)
    except ServiceError as exc:
        return _refused(form, exc)
    db.session.commit()
    message = f"You follow this {follows.TYPE_LABELS[row.target_type]}: you will hear about new annotations."
    if _wants_json():
        return jsonify({"following": True, "message": message}), 201
    flash(message, "success")
    return redirect(_back(form), code=303)


@bp.route("/following/remove", methods=["POST"])
@require(Permission.ANNOTATE)
def unfollow():
    """Stop following a target."""
    form = FollowForm()
    if not form.validate_on_submit():
        return _refused(form, BadRequest("Say what to stop following: a type and a target."))
    try:
        follows.unfollow(current_user, form.type.data, form.target.data)
    except ServiceError as exc:
        return _refused(form, exc)
    db.session.commit()
    message = "You no longer follow it."
    if _wants_json():
        return jsonify({"following": False, "message": message})
    flash(message, "success")
    return redirect(_back(form), code=303)


@bp.route("/following/confirm")
@require(Permission.ANNOTATE)
def confirm():
    """Ask before following or unfollowing (the no-script path of the toggles in shared, cached pages)."""
    form = FollowForm(type=request.args.get("type", ""), target=request.args.get("target", ""),
                      next=safe_next(request.args.get("next")) or "")
    try:
        target = follows.resolve(current_user, form.type.data, form.target.data)
    except ServiceError as exc:
        return render_template("following/confirm.html", form=form, target=None, following=False,
                               message=exc.message), exc.status
    following = follows.find(current_user.id, target.type, target.key) is not None
    return render_template("following/confirm.html", form=form, target=target, following=following, message=None,
                           label=follows.TYPE_LABELS[target.type])


@bp.route("/activity")
def my_activity():
    """Show what came back to the reader: replies, open questions, followed content with news, mentions."""
    if (response := _signed_in_or_redirect()) is not None:
        return response
    return render_template("following/activity.html", activity=activity.of(current_user))
