"""Command-line interface: `flask --app wsgi users ...`, `seed-demo`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app import cli_ops
from app import cli_studies
from app.extensions import db
from app.services import accounts
from app.services.errors import ServiceError

users_cli = AppGroup("users", help="Manage accounts.")


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


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
        _fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
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
        _fail(exc.message)
    user = accounts.find_by_email(email)
    if user is None:
        _fail(f"No account with the email {email!r}.")
    accounts.set_role(user, new_role)
    db.session.commit()
    click.echo(f"{user.email} is now {new_role.value}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="Name shown in the profile's token list.")
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it alone on standard output (it is shown only this once)."""
    from app.services import tokens

    user = accounts.find_by_email(email)
    if user is None:
        _fail(f"No account with the email {email!r}.")
    try:
        _, secret = tokens.create(user, name)
    except ServiceError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(secret)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo article, its references, demo accounts and example annotations (idempotent)."""
    from app.services import demo

    try:
        result = demo.seed()
    except ServiceError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Demo article: /articles/{result.article_slug}")
    if result.created_users:
        lines = [f"  {email}  password: {password}" for email, password in result.created_users.items()]
        click.echo("Demo accounts created:")
        click.echo("\n".join(lines))
        _remember_demo_credentials(lines)
    else:
        click.echo("Demo accounts already exist; their passwords were shown when they were created. "
                   "Reset one with: flask --app wsgi users reset-password EMAIL --password-stdin")
    if result.annotations_created:
        click.echo(f"Added {result.annotations_created} example annotations.")


def _remember_demo_credentials(lines: list[str]) -> None:
    """Keep the demo passwords in the instance folder (owner-only) so `make run` can show them again."""
    import os
    from pathlib import Path

    from flask import current_app

    path = Path(current_app.instance_path) / "demo-credentials.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the new password from standard input.")
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL (read from standard input); every session of that account ends."""
    password = sys.stdin.readline().rstrip("\r\n")
    user = accounts.find_by_email(email)
    if user is None:
        _fail(f"No account with the email {email!r}.")
    try:
        accounts.set_password(user, password)
    except ServiceError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    cli_ops.init_app(app)
    cli_studies.init_app(app)
