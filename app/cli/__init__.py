"""The command line: `flask --app wsgi <command>`.

- `users`: accounts, roles, passwords and API tokens;
- `demo`: `seed-demo`;
- `content`: `studies import|export` and `articles import`;
- `operations`: `backup` and `restore`;
- `search`: `search reindex`.

Every command fails the same way (`app.cli.errors.fail`).
"""
from __future__ import annotations

from flask import Flask

from app.cli import content, demo, operations, search, users


def init_app(app: Flask) -> None:
    """Register every command group."""
    app.cli.add_command(users.users_cli)
    app.cli.add_command(demo.seed_demo)
    app.cli.add_command(content.studies_cli)
    app.cli.add_command(content.articles_cli)
    app.cli.add_command(operations.backup_command)
    app.cli.add_command(operations.restore_command)
    app.cli.add_command(search.search_cli)
