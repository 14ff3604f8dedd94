"""The command line: `flask --app wsgi <command>`.

- `users`: accounts, roles, passwords and API tokens;
- `demo`: `seed-demo`;
- `content`: `studies import|export` and `articles import`;
- `retractions`: `studies retractions import` (the Retraction Watch CSV);
- `operations`: `backup` and `restore`;
- `notifications`: `notifications send|digest|status` (the email outbox);
- `search`: `search reindex`.

Every command fails the same way (`app.cli.errors.fail`).
"""
from __future__ import annotations

from flask import Flask

from app.cli import content, demo, notifications, operations, retractions, search, users


def init_app(app: Flask) -> None:
    """Register every command group."""
    app.cli.add_command(users.users_cli)
    app.cli.add_command(demo.seed_demo)
    if "retractions" not in content.studies_cli.commands:
        content.studies_cli.add_command(retractions.retractions_cli)
    app.cli.add_command(content.studies_cli)
    app.cli.add_command(content.articles_cli)
    app.cli.add_command(operations.backup_command)
    app.cli.add_command(operations.restore_command)
    app.cli.add_command(notifications.notifications_cli)
    app.cli.add_command(search.search_cli)
