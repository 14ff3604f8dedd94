"""`flask users ...`: create accounts, change roles, reset passwords, issue API tokens."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.cli.errors import fail
from app.extensions import db
from app.services import accounts, tokens
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
    user = accounts.find_by_email(email)
    if user is None:
        fail(f"No account with the email {email!r}.")
    accounts.set_role(user, new_role)
    db.session.commit()
    click.echo(f"{user.email} is now {new_role.value}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="Name shown in the profile's token list.")
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it alone on standard output (it is shown only this once)."""
    user = accounts.find_by_email(email)
    if user is None:
        fail(f"No account with the email {email!r}.")
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
    user = accounts.find_by_email(email)
    if user is None:
        fail(f"No account with the email {email!r}.")
    try:
        accounts.set_password(user, password)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


