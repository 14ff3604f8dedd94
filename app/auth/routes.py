"""Sign-up, sign-in, sign-out, profile and password views."""
from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from app.auth import bp
from app.auth.forms import EmptyForm, PasswordForm, ProfileForm, SignInForm, SignUpForm
from app.database.engine import reading_only
from app.extensions import db, limiter, login_manager
from app.models import User
from app.models.user import NONE_DECLARED
from app.services import accounts
from app.services.errors import ServiceError

log = logging.getLogger("postil.security")

SIGNED_UP_MESSAGE = ("If this email address is new to Postil, your account is ready: sign in with it. "
                     "If you already had an account, sign in with your existing password.")


@login_manager.user_loader
def load_user(session_secret: str) -> User | None:
    """Load the account of the live session whose secret the session or remember-me cookie holds."""
    return accounts.user_for_session(session_secret)


login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.unauthorized_handler
def unauthorized():
    """Send a browser to sign in (and back); tell the page's script 401, so that it keeps what was typed."""
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify({"error": {"code": "unauthorized", "message": "Your session has ended: sign in again. "
                                                                     "Nothing was saved."}}), 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for("auth.sign_in", next=safe_next(request.full_path.rstrip("?"))))


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a same-site relative path, else None.

    The percent-decoded form must be safe too: a proxy or browser that decodes `/%2F/evil` or
    `/%5Cevil` once would otherwise turn it into a link to another site.
    """
    if not target:
        return None
    target = target.strip()
    for form in (target, unquote(target)):
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc or not form.startswith("/") or form.startswith("//"):
            return None
    return target


def _interests_from(form) -> str | None:
    if form.interests_choice.data == "none":
        return NONE_DECLARED
    text = (form.competing_interests.data or "").strip()
    if not text:
        raise ServiceError("Describe your competing interests, or choose \"None declared\".", "competing_interests")
    return text


def _apply_service_error(form, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        # register() hashes the password (scrypt) before it looks anything up: no transaction may be
        # open (and holding SQLite's write lock) while it does.
        db.session.rollback()
        try:
            user = accounts.register(
                email=form.email.data, password=form.password.data, display_name=form.display_name.data,
                profession=form.profession.data, affiliation=form.affiliation.data,
                competing_interests=_interests_from(form))
            db.session.commit()
        except (accounts.EmailTaken, IntegrityError):  # IntegrityError: the same address, a moment ago
            return _signed_up_or_taken(existing_id=_account_id(form.email.data))
        except ServiceError as exc:
            db.session.rollback()
            _apply_service_error(form, exc)
        else:
            log.info("sign-up user=%s ip=%s", user.id, request.remote_addr)
            return _signed_up_or_taken()
    return render_template("auth/sign_up.html", form=form), 422 if form.errors else 200


def _account_id(email: str) -> int | str:
    """Return the id of the account using `email` (for the security log), or "-"."""
    db.session.rollback()
    user = accounts.find_by_email(email or "")
    return user.id if user is not None else "-"


def _signed_up_or_taken(existing_id: int | str | None = None):
    """Answer a sign-up the same way whether the address was new or already had an account.

    Saying "this address is taken" would tell anyone which addresses have accounts, so both
    cases send the person to sign in with the same words; the existing account is untouched.
    """
    if existing_id is not None:
        log.warning("sign-up with an existing address user=%s ip=%s", existing_id, request.remote_addr)
    flash(SIGNED_UP_MESSAGE, "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def sign_in():
    # Everything up to a successful check only reads, and the password check (scrypt) must hold no
    # write lock: a stream of failed sign-ins would otherwise keep everyone's annotations waiting.
    with reading_only():
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form = SignInForm(next=request.args.get("next", ""))
        user = accounts.authenticate(form.email.data, form.password.data) if form.validate_on_submit() else None
        if user is None:
            if form.is_submitted() and not form.errors:
                # The account id (when the address has one) helps spot guessing against one account.
                log.warning("sign-in failed user=%s ip=%s", _account_id(form.email.data), request.remote_addr)
                form.form_errors.append("Email or password is wrong.")
            return render_template("auth/sign_in.html", form=form), 422 if form.errors or form.form_errors else 200
    _sign_in(user, remember=form.remember.data)
    log.info("sign-in user=%s ip=%s", user.id, request.remote_addr)
    return redirect(safe_next(form.next.data) or url_for("main.index"))


def _sign_in(user: User, remember: bool) -> None:
    """Start a new server-side session for `user` in a cleared cookie session (nothing planted before carries over)."""
    accounts.start_session(user)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)


def _sign_out() -> None:
    """End this browser's session on the server and forget everything the cookie session held."""
    if current_user.is_authenticated:
        accounts.end_session(current_user.session_secret)
        db.session.commit()
    logout_user()
    session.clear()


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    form = EmptyForm()
    if form.validate_on_submit():
        _sign_out()
        flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.end_all_sessions(current_user)
        db.session.commit()
        log.info("signed out everywhere user=%s ip=%s", current_user.id, request.remote_addr)
        logout_user()
        session.clear()
        flash("You are signed out on every device.", "info")
    return redirect(url_for("main.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        declared = current_user.competing_interests
        form.interests_choice.data = "none" if declared in (None, NONE_DECLARED) else "declare"
        form.competing_interests.data = "" if declared in (None, NONE_DECLARED) else declared
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, display_name=form.display_name.data,
                                    profession=form.profession.data, affiliation=form.affiliation.data,
                                    competing_interests=_interests_from(form), orcid=form.orcid.data,
                                    time_zone=form.time_zone.data or current_user.time_zone)
        except ServiceError as exc:
            db.session.rollback()
            _apply_service_error(form, exc)
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, password_form=PasswordForm(prefix="pw"),
                           empty_form=EmptyForm()), 422 if form.errors else 200


@bp.route("/profile/password", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            # Checking the current password and hashing the new one (scrypt, twice) hold no write lock.
            with reading_only():
                password_hash = accounts.new_password_hash(current_user, form.current_password.data,
                                                           form.new_password.data)
        except ServiceError as exc:
            if exc.field == "current_password":
                log.warning("password change refused: wrong current password user=%s ip=%s", current_user.id,
                            request.remote_addr)
            form_field = {"current_password": "current_password", "new_password": "new_password"}.get(exc.field)
            getattr(form, form_field or "new_password").errors = [exc.message]
        else:
            accounts.replace_password(current_user, password_hash, keep_session=current_user.session_secret)
            db.session.commit()
            log.info("password changed user=%s ip=%s", current_user.id, request.remote_addr)
            # This session stays signed in; every other session and API token has ended.
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.profile"))
    profile_form = ProfileForm(obj=current_user)
    return render_template("auth/profile.html", form=profile_form, password_form=form,
                           empty_form=EmptyForm()), 422
