"""Build the email for an outbox row: plain text plus HTML, headers, and the checks made at send time.

Everything a message says is read from the database when it is sent, not when the event happened:
a notification whose annotation was hidden, removed, deleted or made unreadable since (group content
included, through app.services.visibility) is withheld, and so is one whose type the person has
stopped emailing. A digest leaves out the items that fail those checks and is withheld when none
remain. Links are absolute, built from POSTIL_BASE_URL.
"""
from __future__ import annotations

import email.policy
import hashlib
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.mail import unsubscribe
from app.models import Annotation, Article, Notification, OutboxMessage, User
from app.models.base import utcnow
from app.services import notifications
from app.services import preferences as prefs
from app.services.outbox import Category
from app.text.mentions import mentioned_ids, plain_mentions

EXCERPT_LENGTH = 600
# RFC 5322 allows lines of 998 characters: long enough that List-Unsubscribe stays a plain <URL>
# (RFC 8058 clients do not decode an encoded-word there).
POLICY = email.policy.SMTP.clone(max_line_length=998)


class Withheld(Exception):
    """The message must not be sent (the reason is recorded on the outbox row)."""


@dataclass
class Item:
    """One notification as an email shows it."""

    note: Notification
    link: str | None
    excerpt: str = ""


@dataclass
class Group:
    """The digest items about one article (or about no article)."""

    title: str
    link: str | None
    items: list[Item] = field(default_factory=list)


def message_id(key: str) -> str:
    """Return the Message-ID of the email for outbox key `key`: the same at every attempt."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "postil.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{host}>"


def _link(note: Notification) -> str | None:
    if note.kind in (notifications.Kind.RETRACTION, notifications.Kind.CONCERN) and note.event_key:
        study_id = note.event_key.split(":")[1]
        return url_for("studies.show", study_id=int(study_id), _external=True) if study_id.isdigit() else None
    if note.annotation_id is None or note.kind == notifications.Kind.REMOVED:
        return None
    return url_for("annotating.permalink", annotation_id=note.annotation_id, _external=True)


def _excerpt(note: Notification) -> str:
    """Return the start of the annotation text the notification is about, when it is someone else's."""
    annotation = note.annotation
    if annotation is None or note.kind in notifications.ABOUT_OWN_ANNOTATION or annotation.author_id == note.user_id:
        return ""
    text = annotation.body.strip()
    ids = mentioned_ids(text)
    if ids:
        names = {row.id: row.display_name
                 for row in db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}
        text = plain_mentions(text, names)
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rstrip() + "…"


def _recipient(user: User | None, to_address: str | None = None) -> Address:
    if user is not None:
        return Address(display_name=user.display_name, addr_spec=user.email)
    return Address(addr_spec=to_address)


def _envelope(row: OutboxMessage, to: Address, subject: str, text: str, html: str | None,
              unsubscribe_url: str | None) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    message["From"] = Address(display_name=name, addr_spec=address) if name else address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(row.key)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, cte="quoted-printable")
    if html:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _settings_url() -> str:
    return url_for("notifications.settings", _external=True)


def _notification_email(row: OutboxMessage) -> EmailMessage:
    note = db.session.get(Notification, row.notification_id) if row.notification_id else None
    user = db.session.get(User, row.user_id) if row.user_id else None
    if note is None or user is None:
        raise Withheld("the notification or its recipient no longer exists")
    event_type = prefs.event_type_of(note.kind)
    if prefs.delivery_for(user.id, event_type) != prefs.Delivery.INSTANT:
        raise Withheld("the recipient no longer wants this email")
    if not notifications.is_visible(note, user):
        raise Withheld("the content is no longer readable by the recipient")
    item = Item(note, _link(note), _excerpt(note))
    stop = unsubscribe.link(user.id, event_type)
    context = {"user": user, "item": item, "event": prefs.EVENT_TYPES[event_type], "unsubscribe_url": stop,
               "settings_url": _settings_url()}
    subject = note.message if len(note.message) <= 120 else note.message[:119] + "…"
    return _envelope(row, _recipient(user), subject, render_template("email/notification.txt", **context),
                     render_template("email/notification.html", **context), stop)


def _digest_groups(user: User, ids: list[int], period: str) -> list[Group]:
    notes = db.session.scalars(
        select(Notification).where(Notification.id.in_(ids), Notification.user_id == user.id)
        .options(joinedload(Notification.annotation).joinedload(Annotation.article))
        .order_by(Notification.created_at.desc(), Notification.id.desc())).unique().all()
    choices = prefs.choices_of(user.id)
    groups: dict[object, Group] = {}
    for note in notes:
        if choices[prefs.event_type_of(note.kind)] != period or not notifications.is_visible(note, user):
            continue
        article: Article | None = note.annotation.article if note.annotation is not None else None
        key = article.id if article is not None else None
        if key not in groups:
            groups[key] = Group(article.title if article else "Other news",
                                url_for("main.article", slug=article.slug, _external=True) if article else None)
        groups[key].items.append(Item(note, _link(note), _excerpt(note)))
    return list(groups.values())


def _digest_email(row: OutboxMessage) -> EmailMessage:
    user = db.session.get(User, row.user_id) if row.user_id else None
    period = row.payload.get("period")
    if user is None or period not in (prefs.Delivery.DAILY, prefs.Delivery.WEEKLY):
        raise Withheld("the digest's recipient no longer exists")
    groups = _digest_groups(user, list(row.payload.get("notifications") or []), period)
    count = sum(len(g.items) for g in groups)
    if not count:
        raise Withheld("nothing in the digest is still readable or wanted by the recipient")
    stop = unsubscribe.link(user.id, period)
    context = {"user": user, "groups": groups, "count": count, "period": period, "unsubscribe_url": stop,
               "settings_url": _settings_url()}
    subject = f"Your {period} Postil digest: {count} {'update' if count == 1 else 'updates'}"
    return _envelope(row, _recipient(user), subject, render_template("email/digest.txt", **context),
                     render_template("email/digest.html", **context), stop)


def _account_email(row: OutboxMessage) -> EmailMessage:
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None and not row.to_address:
        raise Withheld("the recipient no longer exists")
    payload = row.payload or {}
    return _envelope(row, _recipient(user, row.to_address), payload.get("subject", "Postil"),
                     payload.get("text", ""), payload.get("html"), None)


def compose(row: OutboxMessage) -> EmailMessage:
    """Return the email for `row`, checked against the database as it is now; raise Withheld when it must not go."""
    builders = {Category.NOTIFICATION: _notification_email, Category.DIGEST: _digest_email,
                Category.ACCOUNT: _account_email}
    if row.category not in builders:
        raise Withheld(f"unknown category {row.category!r}")
    return builders[row.category](row)
