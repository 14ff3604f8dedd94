"""Article authoring: Markdown with front matter, drafts and publishing, revisions and their diffs.

An article is either a draft (only editors see it) or published. Saving goes through
``articles.save_article``, which renders once, refuses unknown ``[@keys]`` and records a revision
whenever the text changes; this module adds what an editing session needs around it: the source as
the editor sees it (front matter + body), optimistic concurrency (the form carries the version and
a fingerprint of the source it was based on, so saving over someone else's newer save is refused
instead of silently overwriting it), publishing, re-anchoring counts, and readable diffs.
"""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Annotation, Article, ArticleRevision, ArticleStatus, Citation, Study, User
from app.services import articles
from app.services.errors import Conflict, ServiceError
from app.text.diff import word_diff
from app.text.markdown import normalise_source, render_article, split_front_matter

NOTE_MAX_LENGTH = 300
# Unchanged lines shown around each change in a diff; longer unchanged runs are folded.
DIFF_CONTEXT = 2
# What each anchor state says, for one annotation and for several.
ANCHOR_STATE_WORDS = {
    "anchored": ("kept its place", "kept their place"),
    "moved": ("moved with its passage", "moved with their passage"),
    "reworded": ("sits on a reworded passage (badge and diff shown)",
                 "sit on reworded passages (badge and diff shown)"),
    "changed": ("sits on a passage whose figures changed (detached until its author confirms)",
                "sit on passages whose figures changed (detached until their authors confirm)"),
    "orphaned": ("lost its passage (orphaned)", "lost their passage (orphaned)"),
}


class StaleVersion(Conflict):
    """The article changed since the editor opened it; their text must not overwrite the newer one."""


def find_article(slug: str) -> Article | None:
    """Return the article with this slug whatever its status, with its references loaded, or None."""
    return db.session.scalar(select(Article).where(Article.slug == slug)
                             .options(selectinload(Article.citations).selectinload(Citation.study)))


def all_articles() -> list[Article]:
    """Return every article, drafts included, most recently changed first."""
    return list(db.session.scalars(select(Article).order_by(Article.updated_at.desc(), Article.id.desc())))


def compose_source(article: Article) -> str:
    """Return the article as the editor writes it: YAML front matter, a blank line, the Markdown body."""
    meta: dict = {"title": article.title}
    if article.standfirst:
        meta["standfirst"] = article.standfirst
    if article.source:
        meta["source"] = article.source
    if article.commented_work_key:
        meta["commented_work"] = article.commented_work_key
    if article.tags:
        meta["tags"] = list(article.tags)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None)
    return f"---\n{front}---\n\n{article.body_source.lstrip(chr(10))}\n"


def fingerprint(article: Article) -> str:
    """Return a short digest of the article's source, front matter included (the base of an edit)."""
    return hashlib.sha256(compose_source(article).encode("utf-8")).hexdigest()[:32]


def new_article_template() -> str:
    """Return the starting text of the new-article form."""
    return ("---\ntitle: \nstandfirst: \nsource: \ncommented_work: \ntags: []\n---\n\n"
            "Write the commentary here. Cite a study with its key, e.g. [@chabner2018].\n")


# --- Preview ---------------------------------------------------------------------------------------------


@dataclass
class Preview:
    """What the live preview shows: the rendered article, its references, and problems to fix."""

    title: str = ""
    standfirst: str = ""
    # Rendered by app.text.markdown (CommonMark with raw HTML off): safe to insert as it is.
    body_html: str = ""
    references: list[tuple[int, Study]] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def preview(source: str) -> Preview:
    """Render an article source as it would be saved, without writing anything."""
    result = Preview()
    try:
        meta, body = split_front_matter(source)
    except ValueError as exc:
        result.problems.append(str(exc))
        meta, body = {}, normalise_source(source)
    result.title = str(meta.get("title") or "").strip()
    result.standfirst = str(meta.get("standfirst") or "")
    if not result.title:
        result.problems.append("The front matter needs a title.")
    keys = render_article(body).citation_keys
    studies = _studies_by_key(keys)
    rendered = render_article(body, known_keys=set(studies))
    result.body_html = rendered.html
    result.references = [(n, studies[k]) for n, k in enumerate(rendered.citation_keys, start=1)]
    result.unknown_keys = rendered.unknown_keys
    commented = meta.get("commented_work")
    if commented and not _studies_by_key([str(commented)]):
        result.problems.append(f"commented_work: no study has the key {commented}.")
    return result


def _studies_by_key(keys: list[str]) -> dict[str, Study]:
    if not keys:
        return {}
    return {s.citation_key: s for s in db.session.scalars(select(Study).where(Study.citation_key.in_(keys)))}


# --- Saving ----------------------------------------------------------------------------------------------


@dataclass
class SaveResult:
    """What a save did: the article, whether its text changed (a new revision) and how annotations moved."""

    article: Article
    created: bool
    changed: bool
    anchors: dict[str, int]

    def message(self) -> str:
        """Return the confirmation shown to the editor."""
        article = self.article
        state = "published" if article.status == ArticleStatus.PUBLISHED else "a draft (readers cannot see it)"
        if self.created:
            return f"Created \u201c{article.title}\u201d as {state}."
        if not self.changed:
            return f"Saved \u201c{article.title}\u201d ({state}); the text did not change, so there is no new revision."
        text = f"Saved version {article.version} of \u201c{article.title}\u201d ({state})."
        return f"{text} {describe_anchors(self.anchors)}"


def describe_anchors(counts: dict[str, int]) -> str:
    """Say how many annotations kept, moved or lost their passage."""
    total = sum(counts.values())
    if not total:
        return "No annotations needed re-anchoring."
    parts = [f"{counts[state]} {ANCHOR_STATE_WORDS[state][counts[state] != 1]}" for state in ANCHOR_STATE_WORDS
             if counts.get(state)]
    parts += [f"{n} {state}" for state, n in counts.items() if state not in ANCHOR_STATE_WORDS and n]
    return f"Annotations re-anchored ({total}): " + "; ".join(parts) + "."


def anchor_counts(article: Article, viewer: User | None = None) -> dict[str, int]:
    """Return, per anchor state, the annotations re-anchored on the article's current version.

    With a `viewer`, only the annotations they may read are counted (an editor's confirmation never
    reveals how many private notes a page holds); without one (the command line), all of them.
    """
    from app.services.visibility import readable_clause

    query = (select(Annotation.anchor_state, func.count(Annotation.id))
             .where(Annotation.article_id == article.id, Annotation.parent_id.is_(None),
                    Annotation.exact.is_not(None), Annotation.anchor_version == article.version,
                    Annotation.created_version < article.version))
    if viewer is not None:
        query = query.where(readable_clause(viewer))
    rows = db.session.execute(query.group_by(Annotation.anchor_state))
    return {state: count for state, count in rows}


def _parse(source: str) -> articles.ArticleInput:
    if not source or not source.strip():
        raise ServiceError("The article is empty: write front matter with a title, then the text.", "source")
    data = articles.parse_markdown_file(source)
    if not data.body.strip():
        raise ServiceError("The article has no text after its front matter.", "source")
    if data.commented_work and not _studies_by_key([data.commented_work]):
        raise ServiceError(f"commented_work: no study has the key {data.commented_work}. "
                           "Use the citation key of a study (see the studies list).", "source")
    return data


def _clean_note(note: str | None) -> str:
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX_LENGTH:
        raise ServiceError(f"Keep the revision note under {NOTE_MAX_LENGTH} characters.", "note")
    return note


def create_article(source: str, editor: User, note: str = "", publish: bool = False) -> SaveResult:
    """Create an article from Markdown with front matter, as a draft unless `publish`.

    Raises ServiceError for a bad source or unknown citation keys, Conflict when the address is taken;
    nothing is written then.
    """
    data = _parse(source)
    note = _clean_note(note) or "First version"
    slug = articles.slugify(data.slug or data.title)
    taken = find_article(slug)
    if taken is not None:
        raise Conflict(f"An article already uses the address /articles/{slug} (\u201c{taken.title}\u201d). "
                       "Give this one another title or a slug: line in the front matter.", "source")
    data.slug = slug
    data.body = data.body.lstrip("\n")
    status = ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT
    article = articles.save_article(data, editor=editor, note=note, status=status)
    return SaveResult(article, created=True, changed=True, anchors={})


def lock_article(slug: str) -> Article | None:
    """Return the article for an edit, holding its row lock (PostgreSQL) until the commit; None if none."""
    return db.session.scalar(select(Article).where(Article.slug == slug).with_for_update())


def check_base(article: Article, base_version: int | None, base_fingerprint: str | None) -> None:
    """Raise StaleVersion unless the article is still the version (and source) the editor started from."""
    if base_version == article.version and (not base_fingerprint or base_fingerprint == fingerprint(article)):
        return
    latest = article.revisions[-1] if article.revisions else None
    who = ""
    if latest is not None and latest.created_by_id:
        editor = db.session.get(User, latest.created_by_id)
        who = f" by {editor.display_name}" if editor else ""
    raise StaleVersion(
        f"Someone else saved this article{who} while you were editing (it is now version {article.version}; "
        f"you started from version {base_version}). Your text was not saved and is kept below: compare it "
        "with the current version, reload the editor, and apply your changes again.", "source")


def update_article(article: Article, source: str, editor: User, *, base_version: int | None,
                   base_fingerprint: str | None = None, note: str = "",
                   status: ArticleStatus | None = None) -> SaveResult:
    """Save a new source for `article` (locked by the caller) unless someone saved since `base_version`.

    `status` publishes or unpublishes in the same save; None keeps the current one. Raises StaleVersion,
    ServiceError (bad source, unknown keys: nothing changes).
    """
    check_base(article, base_version, base_fingerprint)
    data = _parse(source)
    if data.slug and articles.slugify(str(data.slug)) != article.slug:
        raise ServiceError(f"The address of an existing article cannot change (it stays /articles/{article.slug}); "
                           "remove the slug: line.", "source")
    data.slug = article.slug
    if data.body.lstrip("\n") == article.body_source.lstrip("\n"):
        # Blank lines before the text are not part of it: keep the stored form so nothing "changes".
        data.body = article.body_source
    note = _clean_note(note)
    status = status or article.status
    before = article.version
    article = articles.save_article(data, editor=editor, note=note, status=status)
    changed = article.version != before
    if article.status != status:
        article.status = status
    articles.bump_display(article.id)
    return SaveResult(article, created=False, changed=changed,
                      anchors=anchor_counts(article, editor) if changed else {})


def anchor_preview(article: Article, source: str, viewer: User) -> list:
    """Return how saving `source` would change the state of annotations `viewer` may read; write nothing.

    Raises ServiceError for a source that cannot be saved.
    """
    from app.services import anchoring

    data = _parse(source)
    text = render_article(normalise_source(data.body)).text
    return anchoring.visible_changes(anchoring.preview(article, text), viewer)


def set_status(article: Article, status: ArticleStatus, base_version: int | None) -> None:
    """Publish or unpublish `article` (locked by the caller); raise StaleVersion if it changed meanwhile."""
    check_base(article, base_version, None)
    article.status = status
    articles.bump_display(article.id)
    db.session.flush()


# --- Revisions and diffs ---------------------------------------------------------------------------------


@dataclass
class RevisionRow:
    """A revision as the history lists it."""

    revision: ArticleRevision
    editor_name: str


def revision_history(article: Article) -> list[RevisionRow]:
    """Return the article's revisions, newest first, with who made each."""
    revisions = list(db.session.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article.id)
                                        .order_by(ArticleRevision.version.desc())))
    ids = {r.created_by_id for r in revisions if r.created_by_id}
    names = {user_id: name for user_id, name in
             db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))} if ids else {}
    return [RevisionRow(r, names.get(r.created_by_id, "an import or a deleted account")) for r in revisions]


def get_revision(article: Article, version: int) -> ArticleRevision | None:
    """Return the revision `version` of `article`, or None when it has no such version."""
    return db.session.scalar(select(ArticleRevision).where(ArticleRevision.article_id == article.id,
                                                           ArticleRevision.version == version))


@dataclass
class DiffRow:
    """One row of a line diff.

    kind is "same", "added", "removed", "changed" or "folded" (a run of unchanged lines not shown).
    Segments are (op, text) pairs, op "same", "del" or "ins", so a template can mark words with
    <del>/<ins> and their text labels.
    """

    kind: str
    old_number: int | None = None
    new_number: int | None = None
    old: list[tuple[str, str]] = field(default_factory=list)
    new: list[tuple[str, str]] = field(default_factory=list)
    folded: int = 0


@dataclass
class RevisionDiff:
    """The differences between two revisions, with counts for the summary."""

    old: ArticleRevision
    new: ArticleRevision
    rows: list[DiffRow]
    title_changed: bool
    added: int
    removed: int
    changed: int


def diff_lines(old_text: str, new_text: str, context: int = DIFF_CONTEXT) -> list[DiffRow]:
    """Return the line diff of two texts with word-level marks inside changed lines."""
    a, b = old_text.split("\n"), new_text.split("\n")
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(_equal_rows(a, i1, i2, j1, context, first=not rows, last=i2 == len(a)))
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            old_parts, new_parts = word_diff(a[i1 + k], b[j1 + k])
            rows.append(DiffRow("changed", i1 + k + 1, j1 + k + 1, old_parts, new_parts))
        for k in range(i1 + pairs, i2):
            rows.append(DiffRow("removed", k + 1, None, [("del", a[k])], []))
        for k in range(j1 + pairs, j2):
            rows.append(DiffRow("added", None, k + 1, [], [("ins", b[k])]))
    return rows


def _equal_rows(a: list[str], i1: int, i2: int, j1: int, context: int, first: bool, last: bool) -> list[DiffRow]:
    def row(i: int) -> DiffRow:
        return DiffRow("same", i + 1, j1 + (i - i1) + 1, [("same", a[i])], [("same", a[i])])

    keep_before = 0 if first else context
    keep_after = 0 if last else context
    if i2 - i1 <= keep_before + keep_after + 1:
        return [row(i) for i in range(i1, i2)]
    rows = [row(i) for i in range(i1, i1 + keep_before)]
    rows.append(DiffRow("folded", folded=(i2 - i1) - keep_before - keep_after))
    rows += [row(i) for i in range(i2 - keep_after, i2)]
    return rows


def diff_revisions(old: ArticleRevision, new: ArticleRevision) -> RevisionDiff:
    """Return the readable diff from revision `old` to revision `new` (title and Markdown source)."""
    rows = diff_lines(old.body_source, new.body_source)
    kinds = [r.kind for r in rows]
    return RevisionDiff(old=old, new=new, rows=rows, title_changed=old.title != new.title,
                        added=kinds.count("added"), removed=kinds.count("removed"), changed=kinds.count("changed"))
