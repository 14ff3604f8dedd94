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
from app.services import accounts, signup
from app.services.errors import ServiceError

log = logging.getLogger("postil.security")

CHECK_EMAIL_MESSAGE = ("Check your email: we sent a message to the address you gave. If it is new to Postil, "
                       "follow the link in it to confirm the address and finish signing up (it works once, "
                       "for 3 days); if it already had an account, the message says so. Nothing arrived? "
                       "Look in your spam folder, or sign up again.")
UNCONFIRMED_MESSAGE = ("Confirm your email address first: follow the link in the email we sent when you signed up. "
                       "Lost it? Sign up again with the same address to get a new one.")


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
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    form = SignUpForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # Hashing the password (scrypt) happens before anything is looked up or written: no transaction
        # may be open (and holding SQLite's write lock) while it does.
        db.session.rollback()
        back = safe_next(form.next.data)
        try:
            newcomer = signup.Newcomer(
                email=form.email.data, password=form.password.data, display_name=form.display_name.data,
                profession=form.profession.data, affiliation=form.affiliation.data,
                competing_interests=_interests_from(form))
            user = signup.sign_up(newcomer, back,
                                  link_for=lambda token: url_for("auth.confirm_email", token=token, _external=True),
                                  sign_in_link=url_for("auth.sign_in", next=back, _external=True))
            db.session.commit()
        except IntegrityError:  # the same address, a moment ago: answered alike
            db.session.rollback()
            log.warning("sign-up raced with another for the same address ip=%s", request.remote_addr)
        except ServiceError as exc:
            db.session.rollback()
            _apply_service_error(form, exc)
        else:
            if user is None:
                log.warning("sign-up with an existing address ip=%s", request.remote_addr)
            else:
                log.info("sign-up user=%s ip=%s", user.id, request.remote_addr)
        if not form.errors and not form.form_errors:
            # The same answer whether or not the address had an account: sign-up tells nobody which exist.
            return redirect(url_for("auth.check_email"))
    return render_template("auth/sign_up.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/sign-up/check-email")
def check_email():
    return render_template("auth/check_email.html", message=CHECK_EMAIL_MESSAGE)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def confirm_email(token: str):
    """Ask, then confirm the address a one-time link names, sign the newcomer in and take them back."""
    try:
        confirmation = signup.read_token(token)
    except ServiceError as exc:
        return render_template("auth/confirm_email.html", problem=exc.message, form=None), 400
    form = EmptyForm()
    # A POST, not the GET: mail scanners that open links must not use the link up.
    if form.validate_on_submit():
        signup.confirm(confirmation)
        db.session.commit()
        log.info("email confirmed user=%s ip=%s", confirmation.user.id, request.remote_addr)
        _sign_in(confirmation.user, remember=False)
        flash(f"Welcome to Postil, {confirmation.user.display_name}: your address is confirmed and you are signed in.",
              "success")
        return redirect(safe_next(confirmation.next_path) or url_for("main.index"), code=303)
    return render_template("auth/confirm_email.html", problem=None, form=form, user=confirmation.user)


def _account_id(email: str) -> int | str:
    """Return the id of the account using `email` (for the security log), or "-"."""
    db.session.rollback()
    user = accounts.find_by_email(email or "")
    return user.id if user is not None else "-"


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
        if user is not None and not user.email_confirmed:
            form.form_errors.append(UNCONFIRMED_MESSAGE)
            return render_template("auth/sign_in.html", form=form), 422
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
