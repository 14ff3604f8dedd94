"""Download the discussion of an article or one's own annotations (streamed), and import annotations."""
from __future__ import annotations

from flask import Response, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from app.exports import bp
from app.exports import writers as exports
from app.exports.forms import ImportAnnotationsForm
from app.extensions import db
from app.models import Visibility
from app.security.loaders import get_published_article_or_404
from app.security.permissions import Permission, require
from app.services import annotation_import, layers
from app.services.errors import ServiceError

_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonld": "application/ld+json; charset=utf-8",
          "md": "text/markdown; charset=utf-8"}


def _download(lines, ext: str, filename: str) -> Response:
    response = Response(stream_with_context(lines), content_type=_MEDIA[ext])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.route("/articles/<slug>/discussion.<ext>")
def article_discussion(slug: str, ext: str):
    if ext not in _MEDIA:
        raise NotFound(description="The discussion downloads as .csv, .jsonld (W3C Web Annotation) or .md (Markdown).")
    article = get_published_article_or_404(slug)
    viewer = _viewer()
    try:
        layer = layers.layer_for(request.args.get("layer"), viewer)
    except layers.NotAMember:
        raise NotFound(description="There is no journal club layer here for you.") from None
    query = exports.article_query(article, viewer, layer)
    stem = f"{article.slug}-discussion"
    if ext == "csv":
        return _download(exports.csv_lines(exports.stream(query)), ext, f"{stem}.csv")
    total = exports.count(query)
    if ext == "md":
        return _download(exports.markdown_lines(article, exports.stream(query), total), ext, f"{stem}.md")
    return _download(exports.jsonld_lines(exports.stream(query), viewer, total=total,
                                          collection_id=url_for("exports.article_discussion", slug=slug, ext=ext,
                                                                _external=True),
                                          label=f"Discussion of \u201c{article.title}\u201d"), ext, f"{stem}.jsonld")


@bp.route("/profile/annotations.<ext>")
@login_required
def my_annotations(ext: str):
    if ext not in ("csv", "jsonld"):
        raise NotFound(description="Your annotations download as .csv or .jsonld (W3C Web Annotation).")
    query = exports.person_query(current_user)
    stem = f"postil-annotations-{current_user.id}"
    if ext == "csv":
        return _download(exports.csv_lines(exports.stream(query)), ext, f"{stem}.csv")
    return _download(exports.jsonld_lines(exports.stream(query), current_user, total=exports.count(query),
                                          collection_id=url_for("exports.my_annotations", ext=ext, _external=True),
                                          label=f"Every annotation written by {current_user.display_name}"),
                     ext, f"{stem}.jsonld")


@bp.route("/articles/<slug>/import-annotations", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def import_annotations(slug: str):
    article = get_published_article_or_404(slug)
    form = ImportAnnotationsForm()
    report = None
    if form.validate_on_submit():
        try:
            report = annotation_import.import_annotations(article, current_user, form.file.data.read(),
                                                          Visibility(form.visibility.data))
        except ServiceError as exc:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [exc.message]
        else:
            db.session.commit()
    status = 422 if request.method == "POST" and report is None else 200
    return render_template("exports/import.html", article=article, form=form, report=report), status
