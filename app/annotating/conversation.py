"""Marking annotations helpful and accepting a reply as the answer to a question, in the browser.

Each action has a page (GET) with a button, reached by the links in the shared article page when
scripts are off, and a POST that the page's script sends directly (answered with JSON).
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.annotating import bp
from app.annotating.routes import get_annotation_or_404
from app.auth.forms import EmptyForm
from app.extensions import db
from app.security.permissions import Permission, require
from app.services import answers, helpful
from app.services.errors import ServiceError


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _done(annotation_id: int, message: str, status: int = 200, **data):
    if _wants_json():
        return jsonify({"id": annotation_id, "message": message, **data}), status
    flash(message, "success")
    return redirect(url_for("annotating.permalink", annotation_id=annotation_id), code=303)


def _refused(template: str, exc: ServiceError, **context):
    db.session.rollback()
    if _wants_json():
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    return render_template(template, form=EmptyForm(), message=exc.message, **context), exc.status


def _live_annotation(annotation_id: int):
    annotation = get_annotation_or_404(annotation_id)
    if annotation.is_deleted:
        abort(404, description="This annotation was deleted by its author.")
    return annotation


@bp.route("/annotations/<int:annotation_id>/helpful", methods=["GET"])
@require(Permission.ANNOTATE)
def helpful_page(annotation_id: int):
    """Show whether the reader found the annotation helpful, with the button to say so or to withdraw it."""
    annotation = _live_annotation(annotation_id)
    if annotation.author_id == current_user.id:
        abort(403, description=helpful.OWN)
    return render_template("annotating/helpful.html", annotation=annotation, form=EmptyForm(), message=None,
                           voted=helpful.has_voted(annotation.id, current_user.id))


@bp.route("/annotations/<int:annotation_id>/helpful", methods=["POST"])
@require(Permission.ANNOTATE)
def mark_helpful(annotation_id: int):
    """Record that the reader found the annotation helpful (once; never one's own)."""
    annotation = _live_annotation(annotation_id)
    try:
        count = helpful.vote(annotation, current_user)
    except ServiceError as exc:
        return _refused("annotating/helpful.html", exc, annotation=annotation,
                        voted=helpful.has_voted(annotation.id, current_user.id))
    db.session.commit()
    return _done(annotation.id, "Marked as helpful.", 201, helpful_count=count, voted=True)


@bp.route("/annotations/<int:annotation_id>/helpful/withdraw", methods=["POST"])
@require(Permission.ANNOTATE)
def withdraw_helpful(annotation_id: int):
    """Take back the reader's "helpful"."""
    annotation = _live_annotation(annotation_id)
    try:
        count = helpful.withdraw(annotation, current_user)
    except ServiceError as exc:
        return _refused("annotating/helpful.html", exc, annotation=annotation, voted=False)
    db.session.commit()
    return _done(annotation.id, "Your “helpful” is withdrawn.", helpful_count=count, voted=False)


def _reply_and_question(reply_id: int):
    reply = _live_annotation(reply_id)
    try:
        question = answers.question_of(reply)
    except ServiceError as exc:
        abort(exc.status, description=exc.message)
    return reply, question


@bp.route("/annotations/<int:annotation_id>/accept", methods=["GET", "POST"])
@require(Permission.ANNOTATE)
def accept_answer(annotation_id: int):
    """Ask, then accept this reply as the answer to the question at the top of its thread."""
    reply, question = _reply_and_question(annotation_id)
    if not answers.can_choose(current_user, question):
        abort(403, description=answers.NOT_ASKER)
    form = EmptyForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("annotating/accept.html", annotation=reply, question=question, form=form,
                               message=None)
    try:
        answers.accept(question, reply, current_user)
    except ServiceError as exc:
        return _refused("annotating/accept.html", exc, annotation=reply, question=question)
    db.session.commit()
    return _done(reply.id, "The question is answered: this reply is shown under it as the accepted answer.")


@bp.route("/annotations/<int:annotation_id>/answer/withdraw", methods=["POST"])
@require(Permission.ANNOTATE)
def withdraw_answer(annotation_id: int):
    """Leave the question without an accepted answer."""
    question = _live_annotation(annotation_id)
    try:
        answers.withdraw(question, current_user)
    except ServiceError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
        abort(exc.status, description=exc.message)
    db.session.commit()
    return _done(question.id, "The question has no accepted answer any more.")
