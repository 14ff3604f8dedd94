"""`flask users ...`: create accounts, change roles, suspend, reset passwords, issue API tokens.

Role changes and suspensions go through the moderation service, as the panel's do: the same rules
(the last active admin keeps their powers) and the same log, where they appear as made from the
command line.
"""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup

from app.cli.errors import fail
from app.extensions import db
from app.models import User
from app.services import accounts, sanctions, tokens
from app.services.errors import ServiceError

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Email address (the sign-in name).")
@click.option("--name", required=True, help="Display name, e.g. 'Dr Jane Smith'.")
@click.option("--role", default="reader", show_default=True, help="reader, moderator or admin.")
@click.option("--profession", default="", help="Profession or specialty.")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (never from the command line).")
def create_user(email: str, name: str, role: str, profession: str, password_stdin: bool) -> None:
    """Create an account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.register(email=email, password=password, display_name=name, profession=profession,
                                 role=accounts.parse_role(role))
    except ServiceError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
def set_role(email: str, role: str) -> None:
    """Change the role of the account with EMAIL to ROLE (reader, moderator, admin)."""
    try:
        new_role = accounts.parse_role(role)
    except ServiceError as exc:
        fail(exc.message)
    user = _account(email)
    if user.role == new_role:
        click.echo(f"{user.email} is already {new_role.value}.")
        return
    try:
        sanctions.change_role(user, None, new_role, reason="Set at the command line")
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"{user.email} is now {new_role.value}.")


def _account(email: str) -> User:
    """Return the account with `email`, or fail saying there is none."""
    user = accounts.find_by_email(email)
    if user is None:
        fail(f"No account with the email {email!r}.")
    return user


def _parse_day(_context, _parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-31.") from None


@users_cli.command("suspend")
@click.argument("email")
@click.option("--until", "until", callback=_parse_day, default=None,
              help="Suspended until the start of this day (YYYY-MM-DD, UTC); without it, indefinitely.")
@click.option("--reason", required=True, help="Why; the account's owner is shown it when they sign in.")
def suspend(email: str, until: date | None, reason: str) -> None:
    """Suspend the account with EMAIL: it may read only; its sessions and API tokens end at once."""
    user = _account(email)
    try:
        sanctions.suspend(user, None, reason, until=until)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"{user.email} is {sanctions.suspension_state(user)}: they can read but not write, and their "
               "sessions and API tokens have ended.")


@users_cli.command("unsuspend")
@click.argument("email")
@click.option("--reason", default="", help="Why the suspension ends early (for the log).")
def unsuspend(email: str, reason: str) -> None:
    """Lift the suspension of the account with EMAIL now."""
    user = _account(email)
    try:
        sanctions.lift_suspension(user, None, reason)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"The suspension of {user.email} is lifted.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="Name shown in the profile's token list.")
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it alone on standard output (it is shown only this once)."""
    user = _account(email)
    try:
        _, secret = tokens.create(user, name)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(secret)


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the new password from standard input.")
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL (read from standard input); every session of that account ends."""
    password = sys.stdin.readline().rstrip("\r\n")
    user = _account(email)
    try:
        accounts.set_password(user, password)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


