"""The one way a command fails: roll back, say why on standard error, exit with status 1."""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from app.extensions import db


def fail(message: str) -> NoReturn:
    """Undo the command's unsaved changes, print "Error: <message>" on standard error and exit 1."""
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
