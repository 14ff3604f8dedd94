"""Moderation panel routes: the queues, decisions one at a time or in bulk, the log and its CSV, accounts.

The queues and the log are open to site moderators and to journal clubs' owners and moderators, each
seeing what they moderate (app.services.moderation_scope); accounts are for admins.
"""
from __future__ import annotations

import csv
import io
from functools import wraps
from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from app.auth.routes import safe_next
from app.extensions import db
from app.models import ACTION_LABELS, Action, Role
from app.models.base import utcnow
from app.moderation import bp
from app.moderation.forms import ActionForm, BulkForm, ReasonForm, RoleForm, SuspendForm
from app.security.loaders import get_annotation_for_review_or_404, get_user_or_404
from app.security.permissions import Permission, require, suspension_message
from app.services import groups, moderation, moderation_log, moderation_queue, moderation_scope, sanctions
from app.services.errors import ServiceError
from app.services.flags import REASON_LABELS
from app.services.pagination import page_number
from app.services.visibility import is_public

CSV_COLUMNS = ("time_utc", "actor_id", "actor", "action", "annotation_id", "target_user_id", "target_user",
               "old_status", "new_status", "reason", "group")
# Cells a spreadsheet would read as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The bulk actions offered on each queue (the service still checks each item).
BULK_ACTIONS = {"pending": ("approve", "hide", "remove"), "flagged": ("dismiss_flags", "hide", "remove"),
                "hidden": ("restore", "remove")}
ACTION_VERBS = {"approve": "Approved", "hide": "Hid", "restore": "Restored", "remove": "Removed",
                "dismiss_flags": "Dismissed the flags on"}


# Account pages: sign in, then be a site moderator, then an admin.
moderators_only = require(Permission.MODERATE, refusal="The moderation panel is for moderators and admins.")


def panel_only(view):
    """Decorate a page of the queues or the log: site moderators, and journal clubs' owners and moderators."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not moderation_scope.has_panel(current_user):
            if current_user.is_suspended:
                abort(403, description=suspension_message(current_user))
            abort(403, description="The moderation panel is for moderators and admins. The owners and moderators "
                                   "of journal clubs use it for their groups.")
        return view(*args, **kwargs)

    return login_required(wrapped)


@bp.app_template_filter("text_fragment")
def text_fragment(quote_text: str | None) -> str:
    """Return a #:~:text= fragment that makes the browser scroll to and highlight `quote_text`."""
    words = (quote_text or "").split()
    if not words:
        return ""

    def enc(part: str) -> str:
        return quote(part, safe="").replace("-", "%2D")

    if len(words) <= 8:
        return "#:~:text=" + enc(" ".join(words))
    return "#:~:text=" + enc(" ".join(words[:4])) + "," + enc(" ".join(words[-4:]))


def _context() -> dict:
    return {"flag_labels": REASON_LABELS, "action_labels": ACTION_LABELS, "is_public": is_public,
            "allowed_actions": moderation.allowed_actions, "actor_name": moderation_log.actor_name,
            "read_is_logged": moderation_scope.read_is_logged}


def _back(default_state: str = "pending"):
    target = safe_next(request.form.get("next")) or url_for("moderation.queue", state=default_state)
    return redirect(target, code=303)


def _group_filter():
    """Return the group chosen in the `group` query parameter among those the viewer moderates, or None."""
    slug = request.args.get("group") or ""
    mine = [g.group for g in groups.groups_of(current_user) if g.role.moderates]
    return next((g for g in mine if g.slug == slug), None), mine


@bp.route("/", defaults={"state": "pending"})
@bp.route("/<any(pending, flagged, hidden):state>")
@panel_only
def queue(state: str):
    """Show one queue (pending, flagged, hidden) with everything a decision needs, in the viewer's scope."""
    chosen, moderated = _group_filter()
    page = moderation_queue.queue(state, page_number(request.args.get("page")), viewer=current_user,
                                  group_id=chosen.id if chosen else None)
    bulk_form = BulkForm(next=request.full_path)
    bulk_form.action.choices = [c for c in bulk_form.action.choices if c.value in BULK_ACTIONS[state]]
    return render_template("moderation/queue.html", queue=page, bulk_form=bulk_form, tab=state,
                           group_choice=chosen, moderated_groups=moderated, **_context())


@bp.route("/annotations/<int:annotation_id>")
@panel_only
def detail(annotation_id: int):
    """Show one annotation under review with its flags, its history and (admins) its earlier texts.

    A site moderator's opening of a journal club's flagged annotation is written to the log first.
    """
    annotation = get_annotation_for_review_or_404(annotation_id)
    if moderation.log_group_read(current_user, annotation) is not None:
        db.session.commit()
        annotation = get_annotation_for_review_or_404(annotation_id)
    item = moderation_queue.review_items([annotation], all_flags=True)[0]
    return render_template("moderation/detail.html", item=item, history=moderation_queue.history_of(annotation),
                           tab=None, counts=moderation_queue.queue_counts(current_user), **_context())


@bp.route("/annotations/<int:annotation_id>", methods=["POST"])
@panel_only
def act(annotation_id: int):
    """Apply one decision to one annotation, refusing it if the annotation changed since the page was loaded."""
    annotation = get_annotation_for_review_or_404(annotation_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return _back()
    action = form.action.data
    try:
        moderation.transition(annotation, action, current_user, form.reason.data, if_modified=form.if_modified.data)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Annotation {annotation_id}: {exc.message}", "error")
        return _back()
    db.session.commit()
    verb = ACTION_VERBS.get(action, action)
    outcome = {"hidden": " It is hidden; the author sees your reason.",
               "removed": " Its text is redacted for everyone.",
               "published": " It is visible to readers."}.get(annotation.status.value, "")
    flash(f"{verb} annotation {annotation_id} by {annotation.author.display_name}.{outcome}", "success")
    return _back()


@bp.route("/bulk", methods=["POST"])
@panel_only
def bulk():
    """Apply one decision to the selected annotations; report those left alone."""
    form = BulkForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return _back()
    selection: dict[int, str | None] = {}
    for raw in request.form.getlist("ids"):
        if raw.isdigit():
            selection[int(raw)] = request.form.get(f"modified-{raw}") or None
    try:
        result = moderation.bulk_transition(selection, form.action.data, current_user, form.reason.data)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back()
    db.session.commit()
    verb = ACTION_VERBS.get(form.action.data, form.action.data)
    if result.done:
        noun = "annotation" if len(result.done) == 1 else "annotations"
        flash(f"{verb} {len(result.done)} {noun}: {', '.join(map(str, result.done))}.", "success")
    for annotation_id, message in result.refused:
        flash(f"Annotation {annotation_id} was left as it was: {message}", "error")
    return _back()


# --- The log -------------------------------------------------------------------------------------

def _log_filters() -> tuple[moderation_log.LogFilters, str | None]:
    try:
        return moderation_log.parse_log_filters(request.args), None
    except ServiceError as exc:
        return moderation_log.LogFilters(), exc.message


@bp.route("/log")
@panel_only
def log():
    """Show the log, filtered by actor, action and dates (a group's moderators: their groups' entries)."""
    filters, error = _log_filters()
    entries = moderation_log.log_page(filters, page_number(request.args.get("page")), viewer=current_user)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("moderation/log.html", entries=entries, filters=filters, error=error,
                           actors=moderation_log.log_actors(), args=args, actions=list(Action), tab="log",
                           counts=moderation_queue.queue_counts(current_user), **_context()), 422 if error else 200


def csv_cell(value) -> str:
    """Return `value` as CSV cell text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_row(entry) -> list[str]:
    return [csv_cell(v) for v in (
        entry.created_at.strftime("%Y-%m-%d %H:%M:%S"), entry.moderator_id or "",
        entry.moderator.display_name if entry.moderator else moderation_log.actor_name(entry).lower(), entry.action,
        entry.annotation_id or "",
        entry.target_user_id or "", entry.target_user.display_name if entry.target_user else "",
        entry.old_status or "", entry.new_status or "", entry.reason, entry.group.name if entry.group else "")]


@bp.route("/log.csv")
@panel_only
def log_csv():
    """Download the filtered log as CSV, streamed."""
    filters, error = _log_filters()
    if error:
        abort(422, description=error)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for entry in moderation_log.log_entries(filters, viewer=current_user):
            writer.writerow(_csv_row(entry))
            if buffer.tell() > 16_384:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"postil-moderation-log-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- Accounts (admins) ---------------------------------------------------------------------------

@bp.route("/users")
@moderators_only
@require(Permission.ADMINISTER)
def users():
    """List accounts (admins), with their history and the sanctions they can receive."""
    query = request.args.get("q", "")
    rows = sanctions.users_page(query, page_number(request.args.get("page")))
    return render_template("moderation/users.html", rows=rows, query=query, tab="users",
                           counts=moderation_queue.queue_counts(current_user), suspend_form=SuspendForm(),
                           reason_form=ReasonForm(),
                           role_form=RoleForm(), roles=list(Role), today=utcnow().date(), **_context())


def _account_change(user_id: int, form, change, success: str):
    user = get_user_or_404(user_id)
    back = redirect(safe_next(request.form.get("next")) or url_for("moderation.users"), code=303)
    if not form.validate_on_submit():
        flash(f"{user.display_name}: " + " ".join(e for errors in form.errors.values() for e in errors), "error")
        return back
    try:
        change(user, form)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"{user.display_name}: {exc.message}", "error")
        return back
    db.session.commit()
    flash(success.format(name=user.display_name, user=user), "success")
    return back


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@moderators_only
@require(Permission.ADMINISTER)
def suspend(user_id: int):
    """Suspend an account until a date or indefinitely."""
    return _account_change(
        user_id, SuspendForm(),
        lambda user, form: sanctions.suspend(user, current_user, form.reason.data, until=form.until.data),
        "{name} is suspended: they can read but not write, moderate or administer, and their sessions and "
        "API tokens have ended.")


@bp.route("/users/<int:user_id>/lift", methods=["POST"])
@moderators_only
@require(Permission.ADMINISTER)
def lift(user_id: int):
    """Lift an account's suspension."""
    return _account_change(
        user_id, ReasonForm(), lambda user, form: sanctions.lift_suspension(user, current_user, form.reason.data),
        "The suspension of {name} is lifted.")


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@moderators_only
@require(Permission.ADMINISTER)
def role(user_id: int):
    """Give an account another role."""
    return _account_change(
        user_id, RoleForm(),
        lambda user, form: sanctions.change_role(user, current_user, form.role.data, form.reason.data),
        "{name} is now {user.role.value}; their sessions have ended.")


@bp.route("/users/<int:user_id>/trust", methods=["POST"])
@moderators_only
@require(Permission.ADMINISTER)
def trust(user_id: int):
    """Mark an account trusted, or withdraw it."""
    trusted = request.form.get("trusted") == "1"
    return _account_change(
        user_id, ReasonForm(),
        lambda user, form: sanctions.set_trusted(user, current_user, trusted, form.reason.data),
        "{name} is now trusted: their annotations are published without waiting." if trusted
        else "{name} is no longer trusted.")

