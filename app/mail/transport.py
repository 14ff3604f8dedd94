"""Hand a message to the configured SMTP server with smtplib, or write it to the log in development.

Every failure becomes a `DeliveryError` saying whether it may succeed later; the worker decides
what to do (retry with backoff). No caller in a web request ever reaches this module.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("postil.mail")


class DeliveryError(Exception):
    """The server did not accept the message; nothing was delivered."""


class SmtpTransport:
    """An SMTP client for one server (STARTTLS and login when configured)."""

    def __init__(self, host: str, port: int, use_tls: bool, username: str | None, password: str | None,
                 timeout: float):
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` to the server; raise DeliveryError when it is not accepted for every recipient."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        if refused:
            raise DeliveryError(f"recipients refused: {refused}"[:500])


class LogTransport:
    """Write messages to the `postil.mail` log instead of sending them (development without MAIL_SERVER)."""

    def send(self, message: EmailMessage) -> None:
        """Log the whole message."""
        log.info("email (no MAIL_SERVER configured, not sent):\n%s", message.as_string())


def from_config() -> SmtpTransport | LogTransport:
    """Return the transport the app's configuration names."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return LogTransport()
    return SmtpTransport(config["MAIL_SERVER"], int(config["MAIL_PORT"]), bool(config["MAIL_USE_TLS"]),
                         config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD"),
                         float(config["MAIL_TIMEOUT_SECONDS"]))
