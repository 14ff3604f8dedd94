"""An article's evidence map: the cited studies by design and CEBM level, the critiques and notices about them,
and the claims (sentences citing a study) with the discussion about each.

Counts include only annotations the viewer may read (app.services.visibility), so the map on a
cached page shows public annotations and a reader's own page adds their own. One query reads the
annotations' kinds and positions; the studies and their notices come with the article.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select

from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS
from app.bibliography.figures import evidence_pyramid_svg
from app.bibliography.notices import NOTICE_LABELS, human_date
from app.extensions import db
from app.models import Annotation, AnnotationKind, Article, Study, StudyNotice, User
from app.services.notices import preload_notices
from app.services.visibility import PUBLIC_LAYER, Layer, layer_clause
from app.text.claims import citing_sentences, mark_citations

_SEVERITY = {kind: rank for rank, kind in enumerate(NOTICE_LABELS)}


def notices_of(study: Study) -> list[StudyNotice]:
    """Return a study's notices, worst kind first, then newest first."""
    return sorted(study.notices, key=lambda n: (_SEVERITY[n.kind.value], -(n.notice_date.toordinal()
                                                                          if n.notice_date else 0), n.id))


def notice_badge_text(notice: StudyNotice) -> str:
    """Return a notice's badge words, e.g. "Retracted 2 May 2024"."""
    word = NOTICE_LABELS[notice.kind.value][1]
    return f"{word} {human_date(notice.notice_date)}".strip()


def tooltip_id(number: int) -> str:
    """Return the id of the element describing reference `number`'s citation markers."""
    return f"cite-tip-{number}"


@dataclass
class CitedStudy:
    """A study as the article cites it, with what the map says about it."""

    number: int
    key: str
    study: Study
    critiques: int = 0
    questions: int = 0
    notices: list[StudyNotice] = field(default_factory=list)

    @property
    def design_label(self) -> str:
        return DESIGNS.get(self.study.design or "", "Design not stated")

    @property
    def level(self) -> int | None:
        return self.study.evidence_level

    @property
    def retraction(self) -> StudyNotice | None:
        return next((n for n in self.notices if n.kind.value == "retraction"), None)

    @property
    def tooltip(self) -> str:
        """Return the words the citation marker's tooltip shows."""
        level = (f"CEBM level {self.level}: {EVIDENCE_LEVELS[self.level]}" if self.level
                 else "CEBM level: not graded")
        parts = [f"Reference {self.number}", self.design_label, level]
        parts += [notice_badge_text(n) for n in self.notices]
        return " \u00b7 ".join(parts)


@dataclass
class Claim:
    """A sentence that cites studies, and how much of the discussion is about it."""

    text: str
    anchor: str
    cited: list[CitedStudy]
    critiques: int = 0
    questions: int = 0


@dataclass
class EvidenceMap:
    """Everything the evidence panel and the claims table show."""

    cited: list[CitedStudy]
    claims: list[Claim]
    pyramid_svg: Markup
    levels: dict[int, list[int]]
    ungraded: list[int]

    @property
    def retracted(self) -> list[CitedStudy]:
        """Return the cited studies with a retraction notice (or marked retracted by an editor)."""
        return [c for c in self.cited if c.retraction is not None or (c.study.retracted and not c.notices)]


def _cited(article: Article) -> list[CitedStudy]:
    citations = sorted(article.citations, key=lambda c: c.position)
    preload_notices([c.study for c in citations])
    return [CitedStudy(c.position, c.key, c.study, notices=notices_of(c.study)) for c in citations]


def evidence_map(article: Article, viewer: User | None, layer: Layer = PUBLIC_LAYER) -> EvidenceMap:
    """Build the evidence map of `article` for `viewer` (None: what everyone may read) in the page's `layer`."""
    cited = _cited(article)
    by_study = {c.study.id: c for c in cited}
    by_key = {c.key: c for c in cited}
    rows = db.session.execute(
        select(Annotation.kind, Annotation.start, Annotation.end, Annotation.study_id)
        .where(Annotation.article_id == article.id, Annotation.parent_id.is_(None),
               Annotation.deleted_at.is_(None), Annotation.anchor_state != "orphaned",
               Annotation.kind.in_((AnnotationKind.CRITIQUE, AnnotationKind.QUESTION)),
               layer_clause(viewer, layer))).all()
    sentences = citing_sentences(article.body_html, article.body_text)
    claims = [Claim(s.text, s.anchors[s.keys[0]], [by_key[k] for k in s.keys if k in by_key]) for s in sentences]
    spans = [(s.start, s.end) for s in sentences]
    for kind, start, end, study_id in rows:
        is_critique = kind == AnnotationKind.CRITIQUE
        if study_id in by_study:
            if is_critique:
                by_study[study_id].critiques += 1
            else:
                by_study[study_id].questions += 1
        if start is None or end is None:
            continue
        for claim, (claim_start, claim_end) in zip(claims, spans, strict=True):
            if start < claim_end and end > claim_start:
                if is_critique:
                    claim.critiques += 1
                else:
                    claim.questions += 1
    levels: dict[int, list[int]] = {}
    for c in cited:
        if c.level:
            levels.setdefault(c.level, []).append(c.number)
    svg = evidence_pyramid_svg(levels, title=f"Levels of evidence of the {len(cited)} cited "
                                             f"stud{'y' if len(cited) == 1 else 'ies'}",
                               title_id="evidence-pyramid-title")
    return EvidenceMap(cited=cited, claims=claims, pyramid_svg=Markup(svg), levels=levels,
                       ungraded=[c.number for c in cited if not c.level])


def mark_body(article: Article, html: str) -> str:
    """Point the article's citation markers at their tooltips and badge those of noticed studies."""
    cited = _cited(article)
    described_by = {c.key: tooltip_id(c.number) for c in cited}
    badges = {}
    for c in cited:
        if c.notices:
            worst = c.notices[0]
            badges[c.key] = (f'<span class="cite-notice cite-notice-{escape(worst.kind.value)}" data-nc>'
                             f'{escape(NOTICE_LABELS[worst.kind.value][1])}</span>')
    return mark_citations(html, described_by, badges)
