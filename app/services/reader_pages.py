"""Signed-in readers' article pages, kept whole per session and checked against what they show.

A signed-in reader's article page is the shared member content with their switches flipped, inside
a chrome that names them (their name, unread notifications, the moderation queue's count, the
CSRF token). Rendering it costs a dozen small queries and the joining of the page's compressed
blocks; reading it again a few seconds later, when nothing it shows has changed, should cost
neither. So the finished gzip response is kept per session (`ReaderPage`) with:

- its fingerprint: one statement (`check_statement`) returning the article's page key (every
  change anyone could see on the article alters it) and every row the reader's side of the page is
  built from: the session, the account, the visit, their helpful votes on the article, their
  follows, their journal clubs, the count of their unread notifications and, for moderators, of
  the items waiting for them. The statement is built once, when the page is rendered, and kept as
  SQL text to re-run as is: a change to the account or the memberships it was built with shows in
  its own rows;
- the moment the page stops being valid whatever the database says: when the view would next
  record the visit (at most a minute away), when the session expires, when a suspension ends.

`app.main.fast_pages` answers from it before Flask when the database's key and fingerprint still
match (on SQLite, not even read when nothing was committed since they last did).

The fingerprint is read after the visit is written and before anything else the page shows: a
change landing in between shows in what is rendered but not in the fingerprint, which then never
matches again. (The page key, read first of all, is read again after it: a page whose key moved
meanwhile is not kept.) The page is kept only when Flask's response set no cookie (the session did
not change).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, func, literal, null, select, type_coerce, union_all
from sqlalchemy.sql import Select

from app.models import ArticleVisit, Follow, FollowTarget, User, UserSession
from app.models.base import UTCDateTime, utcnow
from app.services import follows, groups, helpful
from app.services.articles import PAGE_KEY_COLUMNS, PageKey, published_at
from app.services.moderation_queue import waiting_statement
from app.services.notifications import unread_statement

# The key under which the view leaves, in the WSGI environ, what the middleware needs to keep the page.
ENVIRON_KEY = "postil.reader_page"
# However quiet the database, a kept page is rendered again after this long.
LONGEST = timedelta(minutes=5)


def _text(*columns):
    """Return the columns as one string ('|'-separated, '-' for NULL), alike on SQLite and PostgreSQL."""
    parts = [func.coalesce(cast(column, String), "-") for column in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(literal("|")).op("||")(part)
    return joined


def _row(label: str, value, until=None):
    # Every column is read as the database sends it (no result processing), on the first run as on the next.
    until = until if until is not None else cast(null(), UTCDateTime)
    return (literal(label, String).label("label"), value.label("value"), type_coerce(until, String).label("until"))


def _rows_of(label: str, statement: Select, *names: str) -> Select:
    sub = statement.subquery()
    return select(*_row(label, _text(*[sub.c[name] for name in names])))


def check_statement(user: User, key: PageKey, session_digest: str) -> Select:
    """Return the one statement whose rows are the article's page key and everything of `user`'s own on the page.

    Each row is (label, value as text, a moment after which the page may change by itself or NULL).
    Built with the queries the page itself runs (votes, follows, clubs, counts), as they are.
    """
    article_id = key.id
    parts = [
        select(*_row("page", _text(*PAGE_KEY_COLUMNS))).where(*published_at(key.slug)),
        select(*_row("session", _text(UserSession.user_id, UserSession.revoked_at), UserSession.expires_at))
        .where(UserSession.digest == session_digest),
        select(*_row("account", _text(User.role, User.display_name, User.time_zone, User.suspended_until,
                                      User.suspended_indefinitely, User.trusted, User.email_confirmed),
                     User.suspended_until)).where(User.id == user.id),
        select(*_row("visit", _text(ArticleVisit.new_since, ArticleVisit.last_seen_at)))
        .where(ArticleVisit.user_id == user.id, ArticleVisit.article_id == article_id),
        _rows_of("vote", helpful.voted_statement(user.id, article_id), "annotation_id"),
        _rows_of("thread", follows.followed_statement(user.id, FollowTarget.THREAD), "target"),
        _rows_of("article", follows.followed_statement(user.id, FollowTarget.ARTICLE)
                 .where(Follow.target == str(article_id)), "target"),
        _rows_of("club", groups.memberships_statement(user.id).order_by(None),
                 "id", "role", "name", "slug", "archived_at"),
        select(*_row("unread", _text(unread_statement(user).scalar_subquery()))),
    ]
    if user.is_moderator:
        parts.append(select(*_row("waiting", _text(waiting_statement(user).scalar_subquery()))))
    return union_all(*parts)


class Check:
    """`check_statement` to run again: the SQL as the database received it, and its values.

    The first read (`Fingerprint.read`) runs the statement, which SQLAlchemy compiles once per shape
    and keeps; what it sent is kept to send again as is. Text, not the statement: a Core statement
    of this size holds some 270 kB of objects, and a kept page would carry one for as long as it
    lives. The text is about 5 kB.
    """

    __slots__ = ("statement", "sql", "params")

    def __init__(self, statement: Select):
        self.statement: Select | None = statement
        self.sql: str = ""
        self.params: tuple | dict = ()

    def run(self, connection):
        """Run the check on `connection` (the app's or the page cache's own, of the same database); return its rows."""
        if self.statement is None:
            return connection.exec_driver_sql(self.sql, self.params).all()
        result = connection.execute(self.statement)
        rows = result.all()
        self.sql, self.params, self.statement = result.context.statement, result.context.parameters[0], None
        return rows


def check_sql(user: User, key: PageKey, session_digest: str) -> Check:
    """Return `check_statement`, to run (`Fingerprint.read`) and run again as is."""
    return Check(check_statement(user, key, session_digest))


def _moment(value) -> datetime | None:
    """Read a moment as the database returns it untyped: a datetime, or SQLite's text (UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Fingerprint:
    """What a check returned: its rows (in a stable order), and until when they hold by themselves."""

    rows: tuple
    until: datetime | None

    @classmethod
    def read(cls, connection, check: Check) -> Fingerprint:
        """Run the check (`check_sql`) on `connection` (the app's or the page cache's own)."""
        rows = check.run(connection)
        now = utcnow()
        moments = [moment for moment in (_moment(row[2]) for row in rows) if moment is not None and moment > now]
        # The moments are compared too: a session given a new end is a new fingerprint.
        return cls(tuple(sorted((row[0], row[1], str(row[2])) for row in rows)), min(moments, default=None))


@dataclass
class ReaderPage:
    """A signed-in reader's finished article page, and what says whether it still holds."""

    check: Check
    fingerprint: Fingerprint
    valid_until: datetime
    status: str = "200 OK"
    headers: list = field(default_factory=list)
    body: bytes = b""
    # (connection, PRAGMA data_version) when the fingerprint last matched, on SQLite.
    checked: tuple | None = None

    @property
    def nbytes(self) -> int:
        """The bytes the entry holds: the page, the check's text and values, the fingerprint and the headers."""
        return (len(self.body) + len(self.check.sql) + 64 * len(self.check.params) + 64 * len(self.fingerprint.rows)
                + 2048)

    def holds(self, now: datetime) -> bool:
        return now < self.valid_until


def pending_page(check: Check, fingerprint: Fingerprint, visit_due: datetime) -> ReaderPage:
    """Return the page to keep once the response is known, valid until the first moment it may change alone."""
    moments = [visit_due, utcnow() + LONGEST]
    if fingerprint.until is not None:
        moments.append(fingerprint.until)
    return ReaderPage(check=check, fingerprint=fingerprint, valid_until=min(moments))
