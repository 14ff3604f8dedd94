"""API tokens on the profile page: create one (its secret shown once), list them, revoke one."""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.auth import bp
from app.auth.forms import EmptyForm, PasswordForm, ProfileForm
from app.extensions import db, limiter
from app.models.user import NONE_DECLARED
from app.security.permissions import suspension_message
from app.services import tokens
from app.services.errors import ServiceError

log = logging.getLogger("postil.security")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(message="Give the token a name."),
                                                 Length(max=tokens.MAX_NAME_LENGTH)],
                       description="What will use it, for example \"Reference manager on my laptop\".")


def _account_key() -> str:
    # Keyed by the signed-in account (never by an Authorization header: this is a browser form).
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


@bp.context_processor
def _token_helpers():
    def token_form() -> TokenForm:
        return g.get("token_form") or TokenForm(formdata=None)

    def api_tokens() -> list:
        return tokens.active_tokens(current_user) if current_user.is_authenticated else []

    return {"token_form": token_form, "api_tokens": api_tokens}


def _profile_page(status: int, **context):
    """Render the profile page as a GET shows it, plus the token section's `context`."""
    # Same prefill as auth.routes.profile on GET; formdata=None so this POST's fields do not leak in.
    form = ProfileForm(formdata=None, obj=current_user)
    declared = current_user.competing_interests
    form.interests_choice.data = "none" if declared in (None, NONE_DECLARED) else "declare"
    form.competing_interests.data = "" if declared in (None, NONE_DECLARED) else declared
    return render_template("auth/profile.html", form=form, password_form=PasswordForm(prefix="pw", formdata=None),
                           empty_form=EmptyForm(formdata=None), **context), status


@bp.route("/profile/tokens", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_TOKENS"], key_func=_account_key)
def create_token():
    if current_user.is_suspended:
        abort(403, description=suspension_message(current_user))
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = tokens.create(current_user, form.name.data)
        except ServiceError as exc:
            db.session.rollback()
            form.name.errors = list(form.name.errors) + [exc.message]
        else:
            db.session.commit()
            log.info("api token created user=%s token=%s ip=%s", current_user.id, token.id, request.remote_addr)
            # Rendered, not redirected: the secret exists only in this response, never in a cookie or a URL.
            return _profile_page(201, new_token=secret, new_token_name=token.name)
    g.token_form = form
    return _profile_page(422)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400, description="The form's security token is missing; reload the page and try again.")
    token = tokens.owned_token(current_user, token_id)
    if token is None:
        abort(404, description="There is no such token among yours; it may already be revoked.")
    tokens.revoke(token)
    db.session.commit()
    log.info("api token revoked user=%s token=%s ip=%s", current_user.id, token.id, request.remote_addr)
    flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("auth.profile") + "#api-tokens")
