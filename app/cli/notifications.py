"""`flask notifications ...`: deliver the email outbox and build digests (for a service manager or cron)."""
from __future__ import annotations

import signal
import threading

import click
from flask.cli import AppGroup

from app.cli.errors import fail
from app.extensions import db
from app.mail import worker
from app.services import digests, outbox
from app.services.errors import ServiceError

notifications_cli = AppGroup("notifications", help="Send notification email and digests.")


@notifications_cli.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop (for cron).")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds between passes when running as a loop.")
def send(once: bool, interval: float) -> None:
    """Deliver the outbox: as a loop (stop with Ctrl+C or SIGTERM), or one pass with --once."""
    if once:
        click.echo(f"Outbox: {worker.run_once()}.")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"Delivering the outbox every {interval:g} seconds; stop with Ctrl+C.")
    worker.run_forever(interval, stop)


@notifications_cli.command("digest")
@click.option("--period", required=True, type=click.Choice(["daily", "weekly"]),
              help="Which digest to build: run daily and weekly from cron.")
@click.option("--send/--no-send", "deliver", default=True, show_default=True,
              help="Deliver the outbox right after building the digests.")
def digest(period: str, deliver: bool) -> None:
    """Queue a digest email for everyone with notifications waiting for PERIOD, then deliver them."""
    try:
        queued = digests.build(period)
    except ServiceError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(f"Queued {queued} {period} {'digest' if queued == 1 else 'digests'}.")
    if deliver:
        click.echo(f"Outbox: {worker.run_once()}.")


@notifications_cli.command("status")
def status() -> None:
    """Count outbox messages by status (pending, sent, withheld, failed, unconfirmed)."""
    counts = outbox.counts()
    if not counts:
        click.echo("The outbox is empty.")
    for name, n in sorted(counts.items()):
        click.echo(f"{name}: {n}")
