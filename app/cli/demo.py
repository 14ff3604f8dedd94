"""`flask seed-demo`: load the demo article, its references, demo accounts and example annotations."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.errors import fail
from app.extensions import db
from app.services import demo
from app.services.errors import ServiceError


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo article, its references, demo accounts and example annotations (idempotent)."""
    try:
        result = demo.seed()
    except ServiceError as exc:
        fail(exc.message)
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
    path = Path(current_app.instance_path) / "demo-credentials.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


