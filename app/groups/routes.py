"""Journal clubs: the groups page, creating and changing a group, its page, joining and leaving, members and
invitations. Sessions, prompts, attendance and the exports are in app/groups/sessions.py."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.auth.forms import EmptyForm
from app.extensions import db
from app.groups import bp
from app.groups.forms import GroupForm, InviteEmailForm, RoleForm
from app.groups.links import invitation_url
from app.models import Annotation, GroupRole, JoinPolicy
from app.security.loaders import get_group_or_404
from app.security.permissions import Permission, require
from app.services import group_reading, group_sessions, groups, invitations
from app.services.errors import Forbidden, ServiceError
from app.services.groups import GroupSettings
from app.services.moderation_queue import waiting_clause
from app.text.clock import describe


def refuse_or_report(exc: ServiceError, back: str):
    """Answer a refused button press: 403 for what the person may not do, else the message on the page they left."""
    db.session.rollback()
    if isinstance(exc, Forbidden):
        abort(403, description=exc.message)
    flash(exc.message, "error")
    return redirect(back, code=303)


def press(back: str, action, success, then: str | None = None):
    """Carry out a one-button form: refuse an expired form or a refused action on the page the person left, else
    commit, say `success` (a text, or a function of what `action` returned) and go to `then` (default `back`)."""
    if not EmptyForm().validate_on_submit():
        return refuse_or_report(ServiceError("The form expired: try again."), back)
    try:
        result = action()
    except ServiceError as exc:
        return refuse_or_report(exc, back)
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return redirect(then or back, code=303)


def _form_error(form, exc: ServiceError, default: str) -> None:
    field = getattr(form, exc.field or "", None) or getattr(form, default)
    field.errors = list(field.errors) + [exc.message]


def _settings_from(form: GroupForm) -> GroupSettings:
    return GroupSettings(name=form.name.data or "", description=form.description.data or "",
                         join_policy=JoinPolicy(form.join_policy.data or JoinPolicy.INVITATION.value),
                         premoderate_new_members=bool(form.premoderate_new_members.data))


@bp.route("/")
@login_required
def index():
    """List the reader's journal clubs, the open ones they may join, and invitations waiting for them."""
    return render_template("groups/index.html", mine=groups.groups_of(current_user),
                           open_groups=groups.open_groups(current_user),
                           invited=invitations.pending_for(current_user), form=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def create():
    """Create a journal club; its creator is its owner."""
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = groups.create(current_user, _settings_from(form))
        except ServiceError as exc:
            db.session.rollback()
            _form_error(form, exc, "name")
        else:
            db.session.commit()
            flash(f"“{group.name}” is ready. Invite its members from the Invitations page.", "success")
            return redirect(url_for("groups.show", slug=group.slug), code=303)
    return render_template("groups/form.html", form=form, group=None), 422 if form.errors else 200


@bp.route("/<slug>")
@login_required
def show(slug: str):
    """Show a group: to members its sessions, articles, members; to others (open groups) how to join."""
    group = get_group_or_404(slug, open_to_all=True)
    role = groups.role_of(group, current_user)
    if role is None:
        return render_template("groups/join.html", group=group, members=groups.member_count(group),
                               form=EmptyForm())
    sessions = group_sessions.sessions_of(group)
    upcoming = group_sessions.upcoming(group)
    moderated = role.moderates
    return render_template("groups/show.html", group=group, role=role, members=groups.members(group),
                           upcoming=upcoming, past=group_sessions.past(group),
                           articles=group_reading.discussed_articles(group, current_user, sessions),
                           waiting=_group_waiting(group) if moderated else 0, form=EmptyForm(), role_form=RoleForm())


def _group_waiting(group) -> int:
    """Count what waits for the group's moderators in this group."""
    return db.session.scalar(select(func.count(Annotation.id)).where(waiting_clause(current_user),
                                                                      Annotation.group_id == group.id))


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def settings(slug: str):
    """Change a group's name, description, join policy and pre-moderation (the owner)."""
    group = get_group_or_404(slug)
    if groups.role_of(group, current_user) != GroupRole.OWNER:
        abort(403, description="Only the group's owner changes its settings.")
    form = GroupForm(obj=group) if request.method == "GET" else GroupForm()
    if request.method == "GET":
        form.join_policy.data = group.join_policy.value
    if form.validate_on_submit():
        try:
            groups.update(group, current_user, _settings_from(form))
        except Forbidden as exc:
            db.session.rollback()
            abort(403, description=exc.message)
        except ServiceError as exc:
            db.session.rollback()
            _form_error(form, exc, "name")
        else:
            db.session.commit()
            flash("The group's settings are saved.", "success")
            return redirect(url_for("groups.show", slug=group.slug), code=303)
    return render_template("groups/form.html", form=form, group=group, empty_form=EmptyForm()), (
        422 if form.errors else 200)


@bp.route("/<slug>/archive", methods=["POST"])
@require(Permission.ANNOTATE)
def archive(slug: str):
    """Archive a group (read-only from then on), or reopen it with `archived=0` (the owner)."""
    group = get_group_or_404(slug)
    archived = request.form.get("archived", "1") != "0"
    return press(url_for("groups.show", slug=group.slug), lambda: groups.set_archived(group, current_user, archived),
                 f"“{group.name}” is archived: members still read it, nothing new is written in it." if archived
                 else f"“{group.name}” is open again.")


@bp.route("/<slug>/join", methods=["POST"])
@require(Permission.ANNOTATE)
def join(slug: str):
    """Join an open group."""
    group = get_group_or_404(slug, open_to_all=True)
    return press(url_for("groups.show", slug=group.slug), lambda: groups.join(group, current_user),
                 f"Welcome to “{group.name}”. Its layer is now on the articles it discusses.")


@bp.route("/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    """Leave a group: access ends at once; one's annotations stay in the group under one's name."""
    group = get_group_or_404(slug)
    return press(url_for("groups.show", slug=group.slug), lambda: groups.leave(group, current_user),
                 f"You left “{group.name}”. Your annotations stay in the group under your name; you no longer read it.",
                 then=url_for("groups.index"))


# --- Members (the owner) ----------------------------------------------------------------------------

def _owner_action(slug: str, change, success: str):
    group = get_group_or_404(slug)
    back = url_for("groups.show", slug=group.slug) + "#members"
    if groups.role_of(group, current_user) != GroupRole.OWNER:
        abort(403, description="Only the group's owner manages its members.")
    return press(back, lambda: change(group), lambda name: success.format(name=name, group=group.name))


@bp.route("/<slug>/members/<int:user_id>/remove", methods=["POST"])
@require(Permission.ANNOTATE)
def remove_member(slug: str, user_id: int):
    """Remove a member (the owner): they lose access at once; their annotations stay."""
    return _owner_action(slug, lambda group: groups.remove_member(group, current_user, user_id).display_name,
                         "{name} is no longer a member of “{group}”. Their annotations stay in the group.")


@bp.route("/<slug>/members/<int:user_id>/role", methods=["POST"])
@require(Permission.ANNOTATE)
def set_role(slug: str, user_id: int):
    """Make a member a moderator, or a moderator a member (the owner)."""
    role = request.form.get("role", "")
    return _owner_action(slug, lambda group: groups.set_role(group, current_user, user_id, role).user.display_name,
                         "{name}'s role in “{group}” is changed.")


@bp.route("/<slug>/members/<int:user_id>/owner", methods=["POST"])
@require(Permission.ANNOTATE)
def transfer(slug: str, user_id: int):
    """Hand the group to another member (the owner becomes a moderator)."""
    return _owner_action(slug, lambda group: groups.transfer_ownership(group, current_user, user_id).user.display_name,
                         "{name} now owns “{group}”; you are one of its moderators.")


# --- Invitations ------------------------------------------------------------------------------------

@bp.route("/<slug>/invitations", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def invite(slug: str):
    """List open invitations; create a single-use link (shown once) or send one to an email address (the owner)."""
    group = get_group_or_404(slug)
    if groups.role_of(group, current_user) != GroupRole.OWNER:
        abort(403, description="Only the group's owner invites members.")
    email_form = InviteEmailForm(prefix="email")
    link, status = None, 200
    if request.method == "POST":
        try:
            if request.form.get("kind") == "link":
                if not EmptyForm().validate_on_submit():
                    raise ServiceError("The form expired: try again.")
                _invitation, token = invitations.create_link(group, current_user)
                link = invitation_url(token)
            elif email_form.validate_on_submit():
                invitations.invite_by_email(group, current_user, email_form.email.data, invitation_url)
            else:
                status = 422
        except Forbidden as exc:
            db.session.rollback()
            abort(403, description=exc.message)
        except ServiceError as exc:
            db.session.rollback()
            _form_error(email_form, exc, "email")
            status = 422
        else:
            if status == 200:
                db.session.commit()
                status = 201
                if link is None:
                    flash(f"The invitation is on its way to {email_form.email.data.strip()}.", "success")
                    return redirect(url_for("groups.invite", slug=group.slug), code=303)
    return render_template("groups/invitations.html", group=group, email_form=email_form, link=link,
                           open_invitations=invitations.open_invitations(group), form=EmptyForm()), status


@bp.route("/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@require(Permission.ANNOTATE)
def revoke(slug: str, invitation_id: int):
    """Withdraw an unused invitation (the owner)."""
    group = get_group_or_404(slug)
    back = url_for("groups.invite", slug=group.slug)
    invitation = invitations.find_open(group, invitation_id) or abort(404, description="There is no such invitation.")
    return press(back, lambda: invitations.revoke(invitation, current_user),
                 "The invitation is withdrawn: its link no longer works.")


@bp.route("/join/<token>", methods=["GET", "POST"])
@login_required
def accept(token: str):
    """Show an invitation and accept it. A forged, expired, used or withdrawn one is refused (400), changing nothing."""
    form = EmptyForm()
    try:
        invitation = invitations.read(token)
    except ServiceError as exc:
        return render_template("groups/invitation.html", error=exc.message, invitation=None, form=form), exc.status
    group = invitation.group
    if request.method == "POST" and form.validate_on_submit():
        try:
            invitations.accept(token, current_user)
        except ServiceError as exc:
            db.session.rollback()
            return render_template("groups/invitation.html", error=exc.message, invitation=invitation,
                                   form=form), exc.status
        db.session.commit()
        flash(f"Welcome to “{group.name}”. Its layer is now on the articles it discusses.", "success")
        return redirect(url_for("groups.show", slug=group.slug), code=303)
    return render_template("groups/invitation.html", error=None, invitation=invitation, form=form,
                           member=groups.membership(group.id, current_user.id) is not None), (
        422 if request.method == "POST" else 200)



@bp.app_template_filter("local_time")
def local_time(moment) -> str:
    """Format an aware UTC datetime in the signed-in reader's time zone (UTC for anyone else)."""
    zone = current_user.time_zone if current_user.is_authenticated else None
    return describe(moment, zone) if moment else ""
