"""Study pages, the studies index, admin forms, import and export downloads."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.utils import secure_filename

from app.bibliography import (
    DESIGNS,
    EVIDENCE_LEVELS,
    BibliographyError,
    StudyRecord,
    format_vancouver_html,
    suggest_level,
)
from app.errors import error_response
from app.extensions import db
from app.models import FollowTarget
from app.security.loaders import get_article_or_404, get_published_article_or_404, get_study_or_404
from app.security.permissions import Permission, can, require
from app.services import follows, importing, study_reading
from app.services import studies as study_service
from app.services.appraisals import summarise
from app.services.duplicates import DuplicateStudy
from app.services.errors import ServiceError
from app.services.notices import preload_notices
from app.services.pagination import page_number
from app.studies import bp
from app.studies.forms import ImportForm, StudyForm

# File extension in a download URL -> export format.
DOWNLOAD_FORMATS = {"ris": "ris", "bib": "bibtex", "json": "csl-json"}
DOWNLOAD_LABELS = (("ris", "RIS"), ("bib", "BibTeX"), ("json", "CSL-JSON"))


@bp.app_context_processor
def inject_study_helpers():
    return {"study_downloads": DOWNLOAD_LABELS}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    megabytes = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    return error_response(413, f"The file is larger than the {megabytes:g} MB upload limit, so nothing was "
                               "imported. Export fewer references at a time (or split the file) and try again.")


def filters_from_request() -> study_reading.StudyFilters:
    """Read the index filters from the query string, ignoring values that make no sense."""
    design = request.args.get("design") or None
    level = request.args.get("level", type=int)
    return study_reading.StudyFilters(
        design=design if design in DESIGNS else None,
        evidence_level=level if level in EVIDENCE_LEVELS else None,
        q=" ".join((request.args.get("q") or "").split())[:200])


@bp.route("/studies")
def index():
    filters = filters_from_request()
    pagination = study_reading.search_studies(filters, page=page_number(request.args.get("page")))
    preload_notices(pagination.items)
    return render_template("studies/index.html", pagination=pagination, filters=filters,
                           can_edit=can(current_user, Permission.EDIT_ARTICLES))


@bp.app_template_global("vancouver")
def vancouver_html(study) -> Markup:
    """Return the study's Vancouver reference as safe HTML (escaped text)."""
    try:
        return Markup(format_vancouver_html(study_service.record_of(study)))
    except BibliographyError:
        return escape(study.title)


@bp.route("/studies/<int:study_id>")
def show(study_id: int):
    study = get_study_or_404(study_id)
    annotations = study_reading.linked_annotations(study, current_user)
    return render_template("studies/show.html", study=study, citation_html=vancouver_html(study),
                           suggested_level=suggest_level(study.design) if study.design in DESIGNS else None,
                           citing=study_reading.citing_articles(study), annotations=annotations,
                           appraisals=summarise(annotations, study.title),
                           can_edit=can(current_user, Permission.EDIT_ARTICLES), following=_following(study.id))


def _following(study_id: int) -> bool:
    """Tell whether the signed-in reader follows the study."""
    return current_user.is_authenticated and follows.find(current_user.id, FollowTarget.STUDY,
                                                          str(study_id)) is not None


def _record_from(form: StudyForm) -> StudyRecord | None:
    try:
        return StudyRecord(**form.record_values())
    except BibliographyError as exc:
        form.form_errors.append(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        return None


def _apply_error(form: StudyForm, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _save_study(form: StudyForm, save, template: str, **context):
    duplicate = None
    if form.validate_on_submit() and (record := _record_from(form)) is not None:
        try:
            study = save(record)
        except DuplicateStudy as exc:
            db.session.rollback()
            _apply_error(form, exc)
            duplicate = exc.existing
        except ServiceError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash(f"Study saved. Articles cite it as [@{study.citation_key}].", "success")
            return redirect(url_for("studies.show", study_id=study.id))
    failed = request.method == "POST"
    status = 409 if duplicate is not None else (422 if failed else 200)
    return render_template(template, form=form, duplicate=duplicate, **context), status


@bp.route("/studies/new", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def create():
    form = StudyForm()
    if request.method == "GET":
        # "Enter it by hand" after a failed lookup keeps the identifier that was pasted.
        for name in ("doi", "pmid", "pmcid"):
            getattr(form, name).data = (request.args.get(name) or "")[:255] or None
    return _save_study(form, study_service.create_study, "studies/form.html", study=None)


@bp.route("/studies/<int:study_id>/edit", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def edit(study_id: int):
    study = get_study_or_404(study_id)
    form = StudyForm()
    form.allow_type_of(study)
    if request.method == "GET":
        form.fill_from(study)
    return _save_study(form, lambda record: study_service.update_study(study, record), "studies/form.html",
                       study=study)


@bp.route("/studies/import", methods=["GET", "POST"])
@require(Permission.EDIT_ARTICLES)
def import_file():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = importing.import_file(upload.read(), form.format.data or None, upload.filename)
        except ServiceError as exc:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [exc.message]
        else:
            db.session.commit()
    status = 422 if request.method == "POST" and report is None else 200
    return render_template("studies/import.html", form=form, report=report), status


# --- Downloads ---------------------------------------------------------------------------------------------


def _format_of(ext: str) -> str:
    try:
        return DOWNLOAD_FORMATS[ext]
    except KeyError:
        raise NotFound(description="Studies download as .ris (RIS), .bib (BibTeX) or .json (CSL-JSON).") from None


def download(studies: list, ext: str, stem: str) -> Response:
    """Answer with the studies as a reference file to save."""
    exported = study_service.export_studies(studies, _format_of(ext), secure_filename(stem) or "references")
    response = Response(exported.text, content_type=f"{exported.mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@bp.route("/studies/<int:study_id>.<ext>")
def export_one(study_id: int, ext: str):
    study = get_study_or_404(study_id)
    return download([study], ext, study.citation_key or f"study-{study.id}")


@bp.route("/studies/export.<ext>")
def export_all(ext: str):
    _format_of(ext)
    return download(study_service.all_studies(), ext, "postil-studies")


@bp.route("/articles/<slug>/references.<ext>")
def export_article(slug: str, ext: str):
    _format_of(ext)
    if can(current_user, Permission.EDIT_ARTICLES):
        article = get_article_or_404(slug)
    else:
        article = get_published_article_or_404(slug)
    return download(study_service.studies_of_article(article), ext, f"{article.slug}-references")
