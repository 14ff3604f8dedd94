"""Article list and article page."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import Response, abort, current_app, g, has_request_context, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS
from app.extensions import db
from app.main import bp
from app.models import AnnotationKind, Article, ArticleStatus, FollowTarget
from app.security.loaders import NO_PUBLISHED_ARTICLE, get_published_article_or_404
from app.services import accounts, follows, helpful, layers, reader_pages, visits
from app.services import articles as article_service
from app.services.evidence_map import evidence_map
from app.services.moderation_queue import waiting_count
from app.services.notifications import unread_count
from app.services.pagination import page_number
from app.services.reading import SORTS, UNANSWERED, Discussion, Filters, discussion, outline
from app.services.shared_pages import (
    NO_MARKS,
    ReaderMarks,
    Role,
    apply_edits,
    own_annotations,
    page_cache,
    reader_edits,
    share,
)
from app.services.visibility import PUBLIC_LAYER, Layer
from app.text.compression import GZIP, IDENTITY, CompressedPage, choose, gzip_bytes, gzip_personalised
from app.text.diff import word_diff
from app.text.kinds import KINDS


@bp.app_context_processor
def inject_globals():
    return {"view_functions": current_app.view_functions, "moderation_waiting": _moderation_waiting(),
            "word_diff": word_diff,
            "unread_notifications": _unread_notifications(),
            "design_labels": DESIGNS, "evidence_meanings": EVIDENCE_LEVELS,
            "annotation_kinds": list(AnnotationKind), "sort_labels": SORTS, "marks": NO_MARKS}


def _signed_in_user():
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    return current_user


def _moderation_waiting() -> int:
    """Count the items waiting for a moderator, only for moderators (one COUNT query a request)."""
    user = _signed_in_user()
    return _once_a_request("moderation_waiting", user, waiting_count) if user is not None and user.is_moderator else 0


def _unread_notifications() -> int:
    """Count the signed-in user's unread notifications (one COUNT query a request)."""
    user = _signed_in_user()
    return _once_a_request("unread_notifications", user, unread_count) if user is not None else 0


def _once_a_request(name: str, user, count) -> int:
    """Return `count(user)`, worked out once a request: a page rendered from two templates (the article
    page and its content) asks twice, and nothing a view does between its templates changes it."""
    kept = g.setdefault("postil_counts", {})
    if (name, user.id) not in kept:
        kept[(name, user.id)] = count(user)
    return kept[(name, user.id)]


@bp.app_template_filter("datetime")
def format_datetime(value) -> str:
    """Format an aware datetime for readers: 27 Nov 2026, 14:05 UTC."""
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


@bp.route("/kinds.css")
def kind_styles():
    """Serve the annotation kinds' colours and line styles, generated from their table (app/text/kinds.py)."""
    response = Response(_kind_stylesheet(), mimetype="text/css")
    # Like a static file: the same for everyone, revalidated by its ETag.
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


@cache
def _kind_stylesheet() -> str:
    # Rendered without the pages' context processors: nothing here depends on the request or the reader.
    return current_app.jinja_env.get_template("main/kinds.css").render(kinds=KINDS)


@bp.route("/")
def index():
    items = db.session.scalars(
        select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.created_at.desc())
    ).all()
    return render_template("main/index.html", articles=items)


def filters_from_request() -> Filters:
    """Read the thread filters from the query string, ignoring values that make no sense."""
    kind = request.args.get("kind") or None
    if kind not in {*AnnotationKind, UNANSWERED}:
        kind = None
    tag = (request.args.get("tag") or "").strip().lower()[:40] or None
    author = request.args.get("author", type=int)
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "position"
    words = " ".join(request.args.get("q", "").split())
    return Filters(kind=kind, tag=tag, author=author, mine=mine, sort=sort, q=words)


def render_article_page(article: Article, status: int = 200, reader: ReaderState | None = None,
                        layer: Layer = PUBLIC_LAYER):
    """Render the article with its highlights, threads and references for the current viewer, in `layer`."""
    marks = reader.marks if reader else NO_MARKS
    content_html, _ = _article_content(article, "personal", filters_from_request(), marks, layer,
                                       page=_requested_page())
    return render_template("main/article.html", article=article, content_html=content_html, reader=reader), status


def _requested_page() -> int | None:
    """Return the page of threads asked for (`threads`), or None to find the one holding `open` (else the first)."""
    if "threads" in request.args:
        return page_number(request.args.get("threads"))
    return None if request.args.get("open", type=int) else 1


def _article_content(article: Article, mode: str, filters: Filters, marks: ReaderMarks = NO_MARKS,
                     layer: Layer = PUBLIC_LAYER, page: int | None = 1) -> tuple[Markup, Discussion]:
    """Render the page's main content: "anonymous", "member" (any signed-in reader) or "personal".

    `page` is the page of threads shown (None: the one holding the thread `open` names; one past the
    last: the last). Returns the content and the discussion it shows.
    """
    viewer = current_user if mode == "personal" else None
    data = discussion(article, viewer, filters, annotate_url=url_for("annotating.annotate", slug=article.slug),
                      layer=layer, page=page or 1, open_id=None if page else request.args.get("open", type=int),
                      per_page=current_app.config["DISCUSSION_PAGE_THREADS"],
                      page_url=_page_url(article.slug, filters, layer), cache_as=None if mode == "personal" else mode)
    return Markup(render_template("main/_article_content.html", article=article, discussion=data, filters=filters,
                                  references=article_service.references_of(article), mode=mode, marks=marks,
                                  evidence=evidence_map(article, viewer, layer))), data


def _page_url(slug: str, filters: Filters, layer: Layer):
    """Return the function giving the address of a page of threads, with the filters and layer shown."""
    base = {name: value for name, value in (("q", filters.q), ("kind", filters.kind), ("tag", filters.tag),
                                            ("author", filters.author), ("mine", "1" if filters.mine else None),
                                            ("sort", None if filters.sort == "position" else filters.sort),
                                            ("layer", None if layer.shared else layer.param)) if value}

    def page_url(number: int) -> str:
        return url_for("main.article", slug=slug, **base, **({"threads": number} if number > 1 else {}))
    return page_url


def layer_from_request() -> Layer:
    """Return the layer the page asks for (`layer`), or answer 404 for a group the reader does not belong to."""
    try:
        return layers.layer_for(request.args.get("layer"), current_user)
    except layers.NotAMember:
        abort(404, description="There is no journal club layer here for you: you are not a member of this group, "
                               "or it does not exist.")


@bp.route("/articles/<slug>")
def article(slug: str):
    """Serve the article page, from the page cache when nothing on it is specific to the viewer.

    Anonymous readers get a whole cached page, pre-compressed. Signed-in readers, whatever their
    role, get the cached "member" content with the switches on their own annotations (and their
    role's) flipped; only readers with annotations others cannot see (private, pending, hidden),
    filtered views and the layers of journal clubs and "mine" are rendered for the request
    (membership is checked on every request).
    """
    key = article_service.page_key(slug) or abort(404, description=NO_PUBLISHED_ARTICLE)
    filters = filters_from_request()
    layer = layer_from_request()
    personal = filters.active or session.get("_flashes") or not layer.shared
    coding = choose(request.headers.get("Accept-Encoding"), (GZIP,))
    if not current_user.is_authenticated:
        if personal:
            return _send_rendered(*render_article_page(get_published_article_or_404(slug), layer=layer))
        return _send_page(_anonymous_page(slug, key, filters))
    # Read before the reader's fingerprint: a change to them moves the page key, which is read again after it.
    own = None if personal else own_annotations(key.id, current_user.id)
    kept_as = key if own is not None and not own.personal and coding == GZIP else None
    reader = _reader_state(key.id, layer, keep_as=kept_as)
    if own is None or own.personal:
        return _send_rendered(*render_article_page(get_published_article_or_404(slug), reader=reader, layer=layer))
    page = _shared_page(slug, key)
    content = page_cache.get(("member", key, page))
    if content is None:
        html, shown = _article_content(get_published_article_or_404(slug), "member", filters, page=page)
        content = share(html)
        _keep_shared(("member", key, shown.page), content, shown, key)
    role = Role(accepts_answers=current_user.is_moderator, reattaches=current_user.is_admin)
    edits = reader_edits(content, own.ids, reader.marks, role)
    if coding != GZIP:
        return _compressed(render_template("main/article.html", article=key, reader=reader,
                                           content_html=Markup(apply_edits(content.html, edits))).encode(), IDENTITY)
    # The page around the shared content is rendered per request; the content's compressed blocks
    # are reused, and only those holding this reader's switches are compressed again.
    page = render_template("main/article.html", article=key, reader=reader, content_html=Markup(_CONTENT_SLOT))
    head, _, tail = page.partition(_CONTENT_SLOT)
    if reader.kept is not None:
        request.environ[reader_pages.ENVIRON_KEY] = reader.kept  # kept whole for this session by fast_pages
    return _compressed(gzip_personalised(head, content.html, content.blocks, edits, tail), GZIP)


# Where the shared content goes in a signed-in reader's page: NUL never occurs in a page (Postil refuses it).
_CONTENT_SLOT = "\x00postil-shared-content\x00"


def _anonymous_page(slug: str, key, filters: Filters) -> CompressedPage:
    number = _shared_page(slug, key)
    page = page_cache.get(("page", key, number))
    if page is None:
        article_obj = get_published_article_or_404(slug)
        content_html, shown = _article_content(article_obj, "anonymous", filters, page=number)
        page = CompressedPage.of(render_template("main/article.html", article=article_obj,
                                                 content_html=content_html).encode())
        _keep_shared(("page", key, shown.page), page, shown, key)
    return page


def _keep_shared(cache_key: tuple, value, shown: Discussion, key) -> None:
    """Cache a shared rendering under the page of threads it shows, and where each thread is for the next."""
    page_cache.put(cache_key, value, family=(cache_key[0], key.id, shown.page))
    page_cache.put(("thread-pages", key), shown.page_of, family=("thread-pages", key.id))


def _shared_page(slug: str, key) -> int:
    """Return the page of threads the shared (public, unfiltered) page shows: asked for, or holding `open`.

    Bounded by the last page once a rendering of this state said how many there are.
    """
    page = _requested_page()
    pages = page_cache.get(("thread-pages", key))
    if page is None and pages is None:
        pages = outline(get_published_article_or_404(slug), None).pages_by_root(
            current_app.config["DISCUSSION_PAGE_THREADS"])
        page_cache.put(("thread-pages", key), pages, family=("thread-pages", key.id))
    if page is None:
        return pages.get(request.args.get("open", type=int), 1)
    return min(page, max(pages.values(), default=1)) if pages is not None else page


def _compressed(body: bytes, coding: str) -> Response:
    response = Response(body, mimetype="text/html")
    if coding != IDENTITY:
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    return response


def _send_page(page: CompressedPage) -> Response:
    """Answer with the cached page in the coding the reader accepts, or 304 when they hold that very variant."""
    coding = choose(request.headers.get("Accept-Encoding"))
    etag = page.etag(coding)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.vary.add("Accept-Encoding")
    else:
        response = _compressed(page.body(coding), coding)
    response.set_etag(etag)
    # Readers' browsers keep the page but ask each time whether it changed (a 304 costs no body).
    response.cache_control.no_cache = True
    return response


def _send_rendered(html: str, status: int) -> Response:
    """Answer with a page rendered for this request, gzipped quickly when the reader accepts it.

    Not when the query string is echoed on the page (the filters' words) beside the reader's CSRF
    token: compressing a secret together with text an attacker chooses lets the size betray the
    secret (BREACH). The cached paths keep the per-request head, which holds the token, in a deflate
    run of its own.
    """
    coding = choose(request.headers.get("Accept-Encoding"), (GZIP,))
    if coding == GZIP and not request.query_string:
        response = _compressed(gzip_bytes(html.encode(), level=1), GZIP)
    else:
        response = _compressed(html.encode(), IDENTITY)
    response.status_code = status
    return response


@dataclass(frozen=True)
class ReaderState:
    """The signed-in reader's side of an article page: their marks, and whether they follow the article."""

    marks: ReaderMarks
    follows_article: bool
    # The layer switch (Public, the reader's journal clubs, Mine) and the layer shown.
    layers: tuple = ()
    layer: Layer = PUBLIC_LAYER
    # The page to keep whole for this session once rendered (app.services.reader_pages), if it may be.
    kept: reader_pages.ReaderPage | None = None


def _reader_state(article_id: int, layer: Layer = PUBLIC_LAYER, keep_as=None) -> ReaderState:
    """Record the reader's visit and gather what is theirs on the page (a fixed number of small queries).

    The visit is written in its own short transaction, opened by the write itself, so that a GET
    never turns a read transaction into a write one (which SQLite may refuse under concurrency).
    With `keep_as` (the page key the content is drawn for), the reader's fingerprint is read next,
    before anything the page shows, so that the page can be kept for the session
    (app.services.reader_pages).
    """
    user_id = current_user.id
    state = visits.state_for(user_id, article_id)
    if state.write:
        db.session.rollback()
        visits.store(user_id, article_id, state)
        db.session.commit()
    kept = None
    if keep_as is not None and current_user.session_secret:
        connection = db.session.connection()
        check = reader_pages.check_sql(current_user, keep_as, accounts.session_digest(current_user))
        fingerprint = reader_pages.Fingerprint.read(connection, check)
        if article_service.page_key(keep_as.slug) == keep_as:  # else the content may be older than the fingerprint
            kept = reader_pages.pending_page(check, fingerprint, state.due)
    threads = {int(k) for k in follows.followed_keys(user_id, FollowTarget.THREAD) if k.isdigit()}
    marks = ReaderMarks(voted=frozenset(helpful.voted_ids(user_id, article_id)), followed_threads=frozenset(threads),
                        new=tuple(visits.new_ids(article_id, current_user, state.new_since, layer)))
    following = follows.find(user_id, FollowTarget.ARTICLE, str(article_id)) is not None
    return ReaderState(marks=marks, follows_article=following,
                       layers=tuple(layers.choices(article_id, current_user, layer)), layer=layer, kept=kept)
