"""A journal club's sessions: scheduling, the session page, prompts, attendance, the discussion export (printable
page and Markdown) and each member's CPD record (printable page and CSV)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.forms import EmptyForm
from app.exports.journal_club import cpd_csv as cpd_csv_text
from app.exports.journal_club import discussion_markdown, study_line
from app.extensions import db
from app.groups import bp
from app.groups.forms import PromptForm, SessionForm
from app.groups.routes import press
from app.models import Article, ArticleStatus, GroupRole
from app.security.loaders import get_group_or_404, get_group_session_or_404, get_published_article_or_404
from app.security.permissions import Permission, require
from app.services import group_reading, group_sessions, groups
from app.services.errors import Forbidden, ServiceError
from app.text.clock import BadTime, describe, local, to_utc, zone, zone_names

NOT_YET = ("The discussion and the CPD record of a session are ready once it has started ({when}): come back "
           "then.")


def _published_articles() -> list[Article]:
    return list(db.session.scalars(select(Article).where(Article.status == ArticleStatus.PUBLISHED)
                                   .order_by(Article.title)))


def _moderator_of(group) -> None:
    role = groups.role_of(group, current_user)
    if role is None or not role.moderates:
        abort(403, description="Only the group's owner and moderators schedule sessions and write prompts.")


@bp.route("/<slug>/sessions/new", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def new_session(slug: str):
    """Schedule a session on an article: local date and time in a time zone, length, agenda (owner, moderators)."""
    group = get_group_or_404(slug)
    _moderator_of(group)
    form = SessionForm()
    articles = _published_articles()
    form.article.choices = [(a.slug, a.title) for a in articles]
    form.time_zone.choices = list(zone_names())
    if request.method == "GET":
        form.time_zone.data = current_user.time_zone
        form.article.data = request.args.get("article") or (articles[0].slug if articles else "")
    if form.validate_on_submit():
        try:
            article = get_published_article_or_404(form.article.data)
            starts = _starts_at(form)
            session = group_sessions.schedule(group, current_user, article, group_sessions.SessionPlan(
                title=form.title.data or "", starts_at=starts, duration_minutes=form.duration_minutes.data or 0,
                agenda=form.agenda.data or ""))
        except Forbidden as exc:
            db.session.rollback()
            abort(403, description=exc.message)
        except ServiceError as exc:
            db.session.rollback()
            name = {"starts_at": "day"}.get(exc.field or "", exc.field or "title")
            field = getattr(form, name, form.title)
            field.errors = [*field.errors, exc.message]
        else:
            db.session.commit()
            flash(f"The session is scheduled for {describe(session.starts_at, current_user.time_zone)}. The "
                  "members are told. Add the prompts below.", "success")
            return redirect(url_for("groups.session", slug=group.slug, session_id=session.id), code=303)
    return render_template("groups/session_form.html", group=group, form=form), 422 if form.errors else 200


def _starts_at(form: SessionForm):
    """Return the form's local date and time as UTC; raise ServiceError naming the time zone or the time."""
    try:
        zone(form.time_zone.data)
    except BadTime as exc:
        raise ServiceError(str(exc), "time_zone") from None
    try:
        return to_utc(form.day.data, form.time.data, form.time_zone.data)
    except BadTime as exc:
        raise ServiceError(str(exc), "time") from None


@bp.route("/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def edit_session(slug: str, session_id: int):
    """Change a session that has not started: its title, time, length or agenda (owner, moderators).

    Its article stays (the prompts are pinned to its passages); the members are told of a new time.
    """
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    _moderator_of(group)
    if group_sessions.has_started(meeting):
        abort(409, description="This session has already started: it stays in the group's record as it was.")
    form = SessionForm()
    del form.article
    form.time_zone.choices = list(zone_names())
    if request.method == "GET":
        starts = local(meeting.starts_at, current_user.time_zone)
        form.title.data, form.day.data = meeting.title, starts.date()
        form.time.data = starts.time().replace(second=0, microsecond=0)
        form.time_zone.data = starts.tzinfo.key  # the reader's zone, or UTC when theirs is unknown
        form.duration_minutes.data, form.agenda.data = meeting.duration_minutes, meeting.agenda
        form.seen.data = group_sessions.fingerprint(meeting)
    status = 200
    if form.validate_on_submit():
        try:
            moved = group_sessions.reschedule(meeting, current_user, group_sessions.SessionPlan(
                title=form.title.data or "", starts_at=_starts_at(form),
                duration_minutes=form.duration_minutes.data or 0, agenda=form.agenda.data or ""),
                seen=form.seen.data or None)
        except Forbidden as exc:
            db.session.rollback()
            abort(403, description=exc.message)
        except ServiceError as exc:
            db.session.rollback()
            if exc.field == "seen":
                # What they typed stays in the form; saving again (having compared) writes it over the change.
                form.form_errors.append(exc.message)
                form.seen.data = group_sessions.fingerprint(meeting)
                status = 409
            else:
                name = {"starts_at": "day"}.get(exc.field or "", exc.field or "title")
                field = getattr(form, name, form.title)
                field.errors = [*field.errors, exc.message]
        else:
            db.session.commit()
            told = " The members are told of the new time." if moved else ""
            flash(f"The session is saved: {describe(meeting.starts_at, current_user.time_zone)}.{told}", "success")
            return redirect(url_for("groups.session", slug=group.slug, session_id=meeting.id), code=303)
    if form.errors and status == 200:
        status = 422
    return render_template("groups/session_form.html", group=group, form=form, meeting=meeting), status


@bp.route("/<slug>/sessions/<int:session_id>")
@login_required
def session(slug: str, session_id: int):
    """Show a session to members: when (in the reader's time zone), the agenda, prompts, attendance, exports."""
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    return _session_page(group, meeting, PromptForm())


def _session_page(group, meeting, prompt_form: PromptForm, status: int = 200):
    return render_template("groups/session.html", group=group, meeting=meeting,
                           role=groups.role_of(group, current_user), prompts=group_sessions.prompts_of(meeting),
                           attended=group_sessions.attendance(meeting, current_user.id),
                           attendees=group_sessions.attendees(meeting), started=group_sessions.has_started(meeting),
                           ends_at=group_sessions.ends_at(meeting), prompt_form=prompt_form, form=EmptyForm(),
                           local=local, describe=describe), status


@bp.route("/<slug>/sessions/<int:session_id>/prompts", methods=["POST"])
@require(Permission.ANNOTATE)
def add_prompt(slug: str, session_id: int):
    """Pin a question to a passage of the session's article (owner, moderators); a passage not there is refused."""
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    _moderator_of(group)
    form = PromptForm()
    if form.validate_on_submit():
        try:
            group_sessions.add_prompt(meeting, current_user, exact=form.exact.data, question=form.body.data)
        except Forbidden as exc:
            db.session.rollback()
            abort(403, description=exc.message)
        except ServiceError as exc:
            db.session.rollback()
            field = form.exact if exc.field in ("exact", "target") else form.body
            field.errors = [*field.errors, exc.message]
        else:
            db.session.commit()
            flash("The prompt is pinned to the passage; it comes first in the group's layer.", "success")
            return redirect(url_for("groups.session", slug=group.slug, session_id=meeting.id) + "#prompts", code=303)
    return _session_page(group, meeting, form, 422)


@bp.route("/<slug>/sessions/<int:session_id>/attendance", methods=["POST"])
@require(Permission.ANNOTATE)
def attendance(slug: str, session_id: int):
    """Mark one's attendance of a session (`attended=0` withdraws it)."""
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    attended = request.form.get("attended", "1") != "0"
    return press(url_for("groups.session", slug=group.slug, session_id=meeting.id),
                 lambda: group_sessions.set_attendance(meeting, current_user, attended),
                 "Your attendance is recorded: your CPD record of this session counts it." if attended
                 else "Your attendance is withdrawn.")


@bp.route("/<slug>/sessions/<int:session_id>/cancel", methods=["POST"])
@require(Permission.ANNOTATE)
def cancel_session(slug: str, session_id: int):
    """Cancel a session that has not started (owner, moderators)."""
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    return press(url_for("groups.session", slug=group.slug, session_id=meeting.id),
                 lambda: group_sessions.cancel(meeting, current_user),
                 "The session is cancelled; its prompts stay in the group's layer as questions.",
                 then=url_for("groups.show", slug=group.slug))


def _started_session(slug: str, session_id: int):
    """Return the group and its session once the session has started (404 for outsiders, 409 before then)."""
    group = get_group_or_404(slug)
    meeting = get_group_session_or_404(group, session_id)
    if not group_sessions.has_started(meeting):
        abort(409, description=NOT_YET.format(when=describe(meeting.starts_at, current_user.time_zone)))
    return group, meeting


def _download(text: str, content_type: str, filename: str) -> Response:
    response = Response(text, content_type=f"{content_type}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/<slug>/sessions/<int:session_id>/discussion")
@bp.route("/<slug>/sessions/<int:session_id>/discussion.<ext>")
@login_required
def discussion(slug: str, session_id: int, ext: str = "html"):
    """Export the group's discussion of the session's article: a printable page, or Markdown (`.md`)."""
    if ext not in ("html", "md"):
        abort(404, description="The discussion exports as a printable page or as .md (Markdown).")
    group, meeting = _started_session(slug, session_id)
    data = group_reading.session_discussion(meeting, current_user,
                                            url_for("annotating.annotate", slug=meeting.article.slug))
    article_url = url_for("main.article", slug=meeting.article.slug, layer=f"group:{group.slug}", _external=True)
    if ext == "md":
        text = "".join(discussion_markdown(data, meeting, group.name, article_url, current_user.time_zone))
        return _download(text, "text/markdown", f"{group.slug}-session-{meeting.id}-discussion.md")
    return render_template("groups/discussion_print.html", group=group, meeting=meeting, discussion=data,
                           article_url=article_url, describe=describe)


@bp.route("/<slug>/sessions/<int:session_id>/cpd")
@bp.route("/<slug>/sessions/<int:session_id>/cpd.<ext>")
@login_required
def cpd(slug: str, session_id: int, ext: str = "html"):
    """Download one's own CPD record of a session: a printable page, or CSV (`.csv`)."""
    if ext not in ("html", "csv"):
        abort(404, description="The CPD record downloads as a printable page or as .csv.")
    group, meeting = _started_session(slug, session_id)
    record = group_reading.cpd_record(meeting, current_user)
    article_url = url_for("main.article", slug=meeting.article.slug, _external=True)
    record_url = url_for("groups.cpd", slug=group.slug, session_id=meeting.id, _external=True)
    if ext == "csv":
        return _download(cpd_csv_text(record, article_url, record_url), "text/csv",
                         f"cpd-{group.slug}-session-{meeting.id}-{current_user.id}.csv")
    return render_template("groups/cpd.html", record=record, group=group, meeting=meeting, article_url=article_url,
                           describe=describe, study_line=study_line, quote_of=group_reading.quote_of,
                           role=groups.role_of(group, current_user), owner_role=GroupRole.OWNER)
