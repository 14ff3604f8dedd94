"""The article page's layers for one reader: Public, each of their journal clubs, and Mine, with counts.

Which layer a request asks for is read here and checked against membership on every request (a
reader who left a group asks for its layer in vain at once); what each layer contains is
app.services.visibility.layer_clause. Only the public layer is ever served from the shared page
cache: group layers and "mine" are rendered for the reader who asks.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import Annotation, Group, User
from app.services import groups
from app.services.visibility import (
    GROUP,
    MINE,
    MINE_LAYER,
    PUBLIC,
    PUBLIC_LAYER,
    Layer,
    is_member,
    readable_clause,
)

GROUP_PREFIX = "group:"


class NotAMember(Exception):
    """The reader asked for the layer of a group they do not belong to (or that does not exist)."""


def layer_for(param: str | None, viewer: User | None) -> Layer:
    """Return the layer the `layer` query parameter names for `viewer`; raise NotAMember for another group's.

    Anonymous readers, an empty value and values that name no layer get the public layer.
    """
    value = (param or "").strip()
    if viewer is None or not getattr(viewer, "is_authenticated", False) or value in ("", PUBLIC):
        return PUBLIC_LAYER
    if value == MINE:
        return MINE_LAYER
    if value.startswith(GROUP_PREFIX):
        group = groups.find(value[len(GROUP_PREFIX):])
        if group is None or not is_member(viewer.id, group.id):
            raise NotAMember(value)
        return Layer(GROUP, group)
    return PUBLIC_LAYER


def group_layer(group: Group) -> Layer:
    """Return the layer of `group` (for links and exports; membership is checked by the caller)."""
    return Layer(GROUP, group)


@dataclass(frozen=True)
class LayerChoice:
    """One entry of the layer switch: its label, its query value, how many threads it has, and if it is shown."""

    label: str
    param: str
    count: int
    current: bool
    archived: bool = False


def choices(article_id: int, viewer: User, current: Layer) -> list[LayerChoice]:
    """Return the layer switch of `viewer` on an article: Public, each of their groups, Mine (two queries)."""
    mine_expr = case((Annotation.author_id == viewer.id, 1), else_=0)
    rows = db.session.execute(
        select(Annotation.group_id, func.count(Annotation.id), func.coalesce(func.sum(mine_expr), 0))
        .where(Annotation.article_id == article_id, Annotation.parent_id.is_(None), Annotation.deleted_at.is_(None),
               readable_clause(viewer))
        .group_by(Annotation.group_id)).all()
    counts = {group_id: count for group_id, count, _mine in rows}
    mine = sum(int(m) for _g, _c, m in rows)
    entries = [LayerChoice("Public", PUBLIC, counts.get(None, 0), current.kind == PUBLIC)]
    for item in groups.groups_of(viewer):
        group = item.group
        entries.append(LayerChoice(group.name, GROUP_PREFIX + group.slug, counts.get(group.id, 0),
                                   current.kind == GROUP and current.group is not None and current.group.id == group.id,
                                   archived=group.is_archived))
    entries.append(LayerChoice("Mine", MINE, mine, current.kind == MINE))
    return entries
