"""Add a study by DOI, PMID or PMCID: look it up, review what the service says, save it on confirmation."""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for

from app.bibliography.notices import NoticeRecord
from app.bibliography.record import StudyRecord
from app.security.permissions import Permission, require
from app.services import study_lookup
from app.services.errors import ServiceError
from app.studies import bp
from app.studies.forms import LookupForm, ReviewForm
from app.studies.routes import _save_study

_MATCHED = {"doi": "the same DOI", "pmid": "the same PMID", "pmcid": "the same PMCID",
            "title": "the same title and year"}


def _manual_entry_url(identifier) -> str:
    if identifier is None:
        return url_for("studies.create")
    return url_for("studies.create", **{identifier.kind: identifier.value})


@bp.route("/studies/lookup", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def lookup():
    form = LookupForm()
    pasted = None
    if request.method == "GET" and request.args.get("identifier"):
        # A lookup writes nothing, so the article editor's small form can send it with GET.
        pasted = form.identifier.data = request.args["identifier"][:2000]
    elif form.validate_on_submit():
        pasted = form.identifier.data
    problem, identifier, status, headers = None, None, 200, {}
    if pasted is not None:
        try:
            found = study_lookup.look_up(pasted)
        except study_lookup.ServiceUnavailable as exc:
            problem, status = exc.message, 503
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
        except ServiceError as exc:
            problem, status = exc.message, 422
        else:
            if found.existing is not None:
                flash(f"Postil already has this study ({_MATCHED.get(found.matched_by, 'the same identifier')}); "
                      "here it is. Nothing was added.", "info")
                return redirect(url_for("studies.show", study_id=found.existing.id))
            review = ReviewForm(formdata=None)
            review.fill_from(found.record)
            review.notices.data = json.dumps([n.to_json() for n in found.notices])
            review.source.data = found.source
            return render_template("studies/review.html", form=review, lookup=found, duplicate=None)
        try:
            identifier = study_lookup.read_identifier(pasted)
        except ServiceError:
            identifier = None
    elif request.method == "POST":
        status = 422
    return render_template("studies/lookup.html", form=form, problem=problem,
                           manual_url=_manual_entry_url(identifier)), status, headers


def _notices_from(form: ReviewForm) -> list[NoticeRecord] | None:
    try:
        items = json.loads(form.notices.data or "[]")
        if not isinstance(items, list):
            raise ValueError
        return [NoticeRecord.from_json(item) for item in items]
    except (ValueError, TypeError, AttributeError):
        form.form_errors.append("The notices found with this study could not be read; look the study up again.")
        return None


@bp.route("/studies/lookup/save", methods=["POST"])
@require(Permission.EDIT_ARTICLES)
def lookup_save():
    form = ReviewForm()
    notices = _notices_from(form) if form.is_submitted() else []
    if notices is None:
        return render_template("studies/review.html", form=form, lookup=None, duplicate=None), 422

    def save(record: StudyRecord):
        return study_lookup.save_looked_up(record, notices)

    return _save_study(form, save, "studies/review.html", lookup=None)
