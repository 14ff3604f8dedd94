"""Annotating in the browser: forms that work without JavaScript, and the page fragments the script swaps."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.annotating import bp
from app.annotating.forms import (
    GROUP_AUDIENCE_PREFIX,
    AnnotationForm,
    EditForm,
    FlagForm,
    ReattachForm,
    ReplyForm,
    audience_choices,
)
from app.auth.forms import EmptyForm
from app.database.engine import begin_writing, reads_before_writing, running_again
from app.extensions import db, limiter
from app.models import Annotation, AnnotationKind, AnnotationStatus, Group, Visibility
from app.security.loaders import get_annotation_or_404, get_published_article_or_404
from app.security.permissions import Permission, can, require
from app.services import anchoring, groups
from app.services import annotations as annotation_service
from app.services import appraisals as appraisal_service
from app.services import flags as flag_service
from app.services.articles import references_of
from app.services.errors import Conflict, Forbidden, ServiceError
from app.services.premoderation import initial_status
from app.services.visibility import can_read
from app.text.markdown import render_article


def _annotation_limit() -> str:
    """Return the configured rate of new annotations and replies per client (RATELIMIT_ANNOTATIONS)."""
    return current_app.config["RATELIMIT_ANNOTATIONS"]


def _study_choices(article) -> list[SelectChoice]:
    from app.bibliography.appraisal import tool_for_design

    # data-tool lets the page's script suggest the risk-of-bias tool fitting the study's design.
    return [SelectChoice("", "None")] + [
        SelectChoice(str(c.study_id), f"[{c.position}] {c.study.title[:90]}",
                     render_kw={"data-tool": tool_for_design(c.study.design)}) for c in references_of(article)]


def _field_error(form, exc: ServiceError, default: str = "body") -> None:
    name = {"target": "exact", "study": "study_id", "anchor": default, "group": "visibility"}.get(
        exc.field or "", exc.field or default)
    field = getattr(form, name, None) or getattr(form, default)
    field.errors = list(field.errors) + [exc.message]


@bp.route("/articles/<slug>/annotate", methods=["GET", "POST"])
@reads_before_writing
@require(Permission.ANNOTATE)
@limiter.limit(_annotation_limit, methods=["POST"], exempt_when=running_again)
def annotate(slug: str):
    # A save reads only the article's text and name; its page (GET, or a refused save) shows its references.
    article = get_published_article_or_404(slug, references=request.method == "GET")
    form = AnnotationForm()
    if form.validate_on_submit():
        try:
            selector = annotation_service.anchor(article, form.exact.data, *_positions(form))
            visibility, group = _audience(form.visibility.data)
            prepared = annotation_service.prepare(
                article, current_user, body=form.body.data, selector=selector,
                kind=AnnotationKind(form.kind.data), tags=form.tags.data, study_id=form.study_id.data or None,
                visibility=visibility, group=group, status=initial_status(current_user, visibility, group))
            appraisal = _appraisal_from_request()
            # Everything above only read: the write lock is taken from here to the commit.
            if begin_writing():
                annotation_service.confirm_reads(prepared, article, current_user, group)
            created = annotation_service.save(prepared, article, current_user)
            if appraisal is not None:
                appraisal_service.set_appraisal(created, appraisal)
            # Built before the commit, which expires what the session holds: nothing is read again after it.
            answer = _saved(created.id, _created_message(created), 201)
        except (ServiceError, ValueError) as exc:
            db.session.rollback()
            _field_error(form, exc if isinstance(exc, ServiceError) else ServiceError(str(exc), "exact"))
        else:
            db.session.commit()
            return answer()
    _offer_choices(form, article)
    return _form_page(form, "annotating/annotate.html", article=article,
                      paragraph=_paragraph(article, request.args.get("block", type=int)),
                      appraisal_values_in=_appraisal_input())


def _offer_choices(form: AnnotationForm, article) -> None:
    """Fill the annotate form's lists (linked study, audience) for its page; a save needs neither."""
    form.study_id.choices = _study_choices(article)
    my_groups = [g.group for g in groups.groups_of(current_user, include_archived=False)]
    form.visibility.choices = audience_choices(my_groups)
    if request.method == "GET" and (request.args.get("layer") or "").startswith(GROUP_AUDIENCE_PREFIX):
        # Annotating from a group's layer: that group is the audience offered first.
        form.visibility.data = next((c.value for c in form.visibility.choices
                                     if c.value == request.args["layer"]), "public")


def _audience(value: str | None) -> tuple[Visibility, Group | None]:
    """Read the form's audience: "public", "private" or "group:<slug>"; raise ServiceError for anything else."""
    value = (value or "public").strip()
    if value.startswith(GROUP_AUDIENCE_PREFIX):
        group = groups.find(value[len(GROUP_AUDIENCE_PREFIX):])
        if group is None:
            raise ServiceError("There is no such journal club: choose who can read the annotation again.", "group")
        return Visibility.GROUP, group
    if value not in (Visibility.PUBLIC.value, Visibility.PRIVATE.value):
        raise ServiceError("Choose who can read the annotation: everyone, one of your journal clubs, or only you.",
                           "group")
    return Visibility(value), None


def _appraisal_input() -> dict:
    """Return the appraisal fields as submitted (to show them again with an error)."""
    names = {"tool": "appraisal_tool", "domain": "appraisal_domain", "judgement": "appraisal_judgement",
             "grade_factor": "appraisal_grade", "domain_text": "appraisal_domain_text"}
    return {key: (request.form.get(name) or "")[:200] for key, name in names.items()}


def _appraisal_from_request():
    """Return the validated appraisal the form describes, or None; raise ServiceError."""
    given = _appraisal_input()
    return appraisal_service.read_appraisal(given["tool"], given["domain"], given["judgement"],
                                            given["grade_factor"], given["domain_text"])


def _paragraph(article, block: int | None) -> str | None:
    """Return the canonical text of top-level block number `block`, if there is one."""
    if block is None:
        return None
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
    if annotation.group is not None:
        if annotation.status.value == "pending":
            return (f"Your annotation is saved and waiting for a moderator of “{annotation.group.name}”; only you "
                    "can see it until then.")
        return f"Your annotation is saved in “{annotation.group.name}”: only its members can read it."
    if annotation.status.value == "pending":
        return "Your annotation is saved and waiting for a moderator; only you can see it until then."
    if annotation.visibility == Visibility.PRIVATE:
        return "Your private note is saved; only you can see it."
    return "Your annotation is published."


def _edited_message(annotation: Annotation, was_published: bool) -> str:
    if was_published and annotation.status.value == "pending":
        where = f" of “{annotation.group.name}”" if annotation.group is not None else ""
        return (f"Your changes are saved and wait for a moderator{where}, as your new annotations do: until they "
                "are approved, only you can see this annotation.")
    return "Your changes are saved."


def _audience_value(annotation: Annotation) -> str:
    """Return an annotation's audience as the forms name it: "public", "private" or "group:<slug>"."""
    if annotation.group is not None:
        return GROUP_AUDIENCE_PREFIX + annotation.group.slug
    return annotation.visibility.value


def _edit_audience_choices(annotation: Annotation) -> list[SelectChoice]:
    """Return the create form's audiences for the author, with the annotation's own group if no longer offered."""
    choices = audience_choices([g.group for g in groups.groups_of(current_user, include_archived=False)])
    if annotation.group is not None and _audience_value(annotation) not in {c.value for c in choices}:
        choices.insert(1, SelectChoice(_audience_value(annotation), f"{annotation.group.name}: members only"))
    return choices


def _moved_message(annotation: Annotation) -> str:
    """Say who can read an annotation its author just moved to another audience."""
    if annotation.status.value == "pending":
        where = f" of “{annotation.group.name}”" if annotation.group is not None else ""
        return (f"Your changes are saved and wait for a moderator{where}, as your new annotations do: until they "
                "are approved, only you can see this annotation.")
    if annotation.group is not None:
        return f"Your changes are saved: only members of “{annotation.group.name}” can read it now."
    if annotation.visibility == Visibility.PRIVATE:
        return "Your changes are saved: it is a private note now, only you can see it."
    return "Your changes are saved: everyone can read it now."


@bp.route("/annotations/<int:annotation_id>")
def permalink(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id)
    target = annotation.root_id or annotation.id
    # A journal club's annotation opens in its group's layer (the reader may read it: they are a member).
    layer = f"group:{annotation.group.slug}" if annotation.group is not None else None
    return redirect(url_for("main.article", slug=annotation.article.slug, open=target, layer=layer)
                    + f"#a-{annotation.id}")


@bp.route("/annotations/<int:annotation_id>/replies", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
@limiter.limit(_annotation_limit, methods=["POST"])
def reply(annotation_id: int):
    parent = get_annotation_or_404(annotation_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            # A reply stays in its parent's audience (and its group's pre-moderation).
            visibility = parent.visibility
            created = annotation_service.create(parent.article, current_user, body=form.body.data, parent=parent,
                                                visibility=visibility,
                                                status=initial_status(current_user, visibility, parent.group))
            answer = _saved(created.id, _created_message(created), 201)  # before the commit, as for annotate
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            return answer()
    return _form_page(form, "annotating/reply.html", parent=parent)


@bp.route("/annotations/<int:annotation_id>/edit", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def edit(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id, editable=True)
    if annotation.is_deleted:
        abort(409, description="This annotation was deleted and can no longer be edited.")
    form = EditForm(obj=annotation) if request.method == "GET" else EditForm()
    form.study_id.choices = _study_choices(annotation.article)
    if request.method == "GET":
        form.kind.data = annotation.kind.value
        form.tags.data = ", ".join(annotation.tags or [])
        form.study_id.data = str(annotation.study_id or "")
    audience_before = _audience_value(annotation)
    if annotation.parent_id is None:
        form.visibility.choices = _edit_audience_choices(annotation)
        if request.method == "GET":
            form.visibility.data = audience_before
    was_published = annotation.status == AnnotationStatus.PUBLISHED and annotation.visibility != Visibility.PRIVATE
    if form.validate_on_submit():
        try:
            audience = (_audience(form.visibility.data)
                        if annotation.parent_id is None and "visibility" in request.form else None)
            annotation_service.edit(annotation, body=form.body.data,
                                    kind=AnnotationKind(form.kind.data) if form.kind.data else None,
                                    tags=form.tags.data,
                                    study_id=(form.study_id.data or None) if "study_id" in request.form else ...,
                                    audience=audience)
            if annotation.parent_id is None and annotation.study_id is not None:
                appraisal_service.set_appraisal(annotation, _appraisal_from_request())
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            if _audience_value(annotation) != audience_before:
                return _after_save(annotation, _moved_message(annotation))
            return _after_save(annotation, _edited_message(annotation, was_published))
    shown = _appraisal_input() if request.method == "POST" else (
        appraisal_service.values_of(annotation.appraisal).__dict__ if annotation.appraisal else {})
    return _form_page(form, "annotating/edit.html", annotation=annotation, appraisal_values_in=shown)


@bp.route("/annotations/<int:annotation_id>/delete", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def delete(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id, editable=True)
    form = EmptyForm()
    if form.validate_on_submit():
        annotation_service.delete(annotation)
        db.session.commit()
        if _wants_json():
            return jsonify({"id": annotation.id, "message": "Your annotation is deleted."})
        flash("Your annotation is deleted. Replies to it stay in the discussion.", "success")
        # Back to the same place: the thread (its stub keeps the replies), or the discussion.
        return redirect(url_for("main.article", slug=annotation.article.slug)
                        + f"#a-{annotation.root_id or annotation.id}")
    return render_template("annotating/delete.html", annotation=annotation, form=form)


@bp.route("/annotations/<int:annotation_id>/reattach", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def reattach(annotation_id: int):
    """Show where an annotation stands after revisions; confirm its new wording or re-attach it."""
    annotation = get_annotation_or_404(annotation_id)
    if annotation.author_id != current_user.id and not can(current_user, Permission.ADMINISTER):
        abort(403, description="Only the author or an admin can re-attach this annotation.")
    if annotation.parent_id is not None:
        abort(404, description="Replies follow their thread and cannot be re-attached.")
    form = ReattachForm()
    suggestions = anchoring.suggestions(annotation)
    version = annotation.article.version
    form.candidate.choices = [SelectChoice(f"{version}:{s.selector.start}:{s.selector.end}", s.selector.exact)
                              for s in suggestions]
    if form.validate_on_submit():
        try:
            message = _reattach_action(annotation, form)
        except ServiceError as exc:
            db.session.rollback()
            _field_error(form, exc, default="exact")
        else:
            db.session.commit()
            return _after_save(annotation, message)
    return _form_page(form, "annotating/reattach.html", annotation=annotation, suggestions=suggestions,
                      diff=anchoring.vouched_diff(annotation), facts=anchoring.fact_changes_of(annotation))


def _reattach_action(annotation: Annotation, form: ReattachForm) -> str:
    """Apply what the re-attach form asked for; return the confirmation; raise ServiceError."""
    if request.form.get("action") == "confirm":
        anchoring.confirm(annotation, current_user)
        return "The annotation stays on the passage as it reads now."
    if form.candidate.data:
        version, start, end = _candidate(form.candidate.data)
        text = annotation.article.body_text
        if version != annotation.article.version or not 0 <= start < end <= len(text):
            raise ServiceError("The article was revised while you were choosing: choose the passage again.",
                               "candidate")
        anchoring.reattach(annotation, current_user, text[start:end], start, end)
    elif (form.exact.data or "").strip():
        anchoring.reattach(annotation, current_user, form.exact.data)
    else:
        raise ServiceError("Choose one of the suggested passages, or type the words to attach the annotation to.",
                           "exact")
    return "The annotation is attached to the passage again."


def _candidate(value: str) -> tuple[int, int, int]:
    try:
        version, start, end = (int(part) for part in value.split(":"))
    except ValueError:
        raise ServiceError("That choice is not one of the suggested passages: choose again.", "candidate") from None
    return version, start, end


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


def _flag_page(**context) -> str:
    # Said before sending: a patient-data flag from this reader hides the annotation at once, or jumps the queue.
    hides_at_once = flag_service.has_standing(current_user)
    return render_template("annotating/flag.html", flag_labels=flag_service.REASON_LABELS,
                           patient_data_hides=hides_at_once, **context)


def _wants_json() -> bool:
    """Tell whether the page's script sent the form (it answers with JSON, not a redirect)."""
    return request.headers.get("X-Requested-With") == "fetch"


def _after_save(annotation: Annotation, message: str, status: int = 200):
    """Answer a successful save: JSON for the page's script (which then re-reads the cached page), else a redirect."""
    return _saved(annotation.id, message, status)()


def _saved(annotation_id: int, message: str, status: int = 200):
    """Return the answer to a save of annotation `annotation_id`, to be called once it is committed."""
    url = url_for("annotating.permalink", annotation_id=annotation_id)

    def answer():
        if _wants_json():
            return jsonify({"id": annotation_id, "message": message, "url": url}), status
        flash(message, "success")
        return redirect(url)

    return answer


def _form_page(form, template: str, **context):
    """Answer a form that was not saved (or not sent yet): its page, or its field errors as JSON for the script."""
    if _wants_json():
        return jsonify({"errors": form.errors}), 422
    return render_template(template, form=form, **context), 422 if form.errors else 200
