"""The search index's documents: plain text derived from articles, annotations and studies.

Rows here are derived data, rewritten in the same transaction as what they come from
(app.services.search.index) and rebuilt from scratch by `flask search reindex`. Who may read a
document is never stored here: searches join the live annotation, article and study rows and
apply app.services.visibility, so a moderation decision or a change of visibility takes effect in
search the moment it is committed.

Each engine's index sits beside this table, outside the models (see the search_1 migration):
SQLite keeps an FTS5 table `search_fts` whose content is this table, maintained by triggers (it
also indexes a generated `type_token` column, so that the engine can keep one type's matches);
PostgreSQL keeps a generated `tsv` column with a GIN index.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime


class SearchDocument(db.Model):
    """One unit of searchable text: an article passage (or head), an annotation, or a study."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("annotation_id"),
        UniqueConstraint("study_id"),
        Index("ix_search_documents_doc_type_dated", "doc_type", "dated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"),
                                                      nullable=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), nullable=True)
    # An article's block index (its id is b-<position> on the page); -1 is the title and standfirst.
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str] = mapped_column(Text, default="")
    # When the thing was written or published: sorting by newest and the date facet.
    dated: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<SearchDocument {self.id} {self.doc_type}>"


# The engines' own index objects, created by the search_1 migration and unknown to the models.
ENGINE_INDEX_TABLES = ("search_fts",)
ENGINE_INDEX_COLUMNS = {("search_documents", "tsv"), ("search_documents", "type_token")}
ENGINE_INDEX_NAMES = {"ix_search_documents_tsv"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic's autogenerate to leave the engines' full-text objects alone (they are not models)."""
    if type_ == "table" and name and name.startswith(ENGINE_INDEX_TABLES):
        return False
    if type_ == "column" and (obj.table.name, name) in ENGINE_INDEX_COLUMNS:
        return False
    return not (type_ == "index" and name in ENGINE_INDEX_NAMES)
