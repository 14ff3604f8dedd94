"""Pages holding every vector of the XSS corpus run no script in a real Chromium.

Each vector is stored where users can write: annotation bodies and tags, replies, display names and
profile fields, study fields, article titles and Markdown, flag notes, moderators' reasons (which
reach the moderation log and the authors' notifications), and search terms. The browser hooks
alert/confirm/prompt and a sentinel global before any page script runs, and records
Content-Security-Policy violations (which would mean the sanitiser let something through and only
the CSP stopped it). Every visit must land on the page it names, with its vectors in it: an error
page, where nothing hostile is shown, would prove nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.xss_corpus import load_vectors

pytestmark = pytest.mark.browser
VECTORS = [v for _, v in load_vectors()]
HOSTILE_TITLE = "XSS corpus <script>alert(1)</script>"
QUOTE = "are the models used really representative"
# Pages kept as screenshots in test-artifacts/, to look at what the hostile content looks like there.
SCREENSHOTS = {"/profile": "profile", "/notifications": "notifications", "/moderation/flagged": "moderation-flagged",
               "/moderation/log": "moderation-log"}
HOOKS = """
window.__xss_events = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { window.__xss_events.push(name); };
}
Object.defineProperty(window, '__xss', {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__xss_events.push('sentinel'); },
});
document.addEventListener('securitypolicyviolation', (e) => {
  window.__xss_events.push('csp:' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


@dataclass
class Scene:
    """The hostile content's people and objects, by plain ids."""

    slug: str = ""
    hostile: str = ""
    people: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    studies: list[tuple[int, int]] = field(default_factory=list)  # (study id, number in its title)


def _write_annotations(article, hostile, people, scene: Scene) -> None:
    """Every vector as an annotation, a tag and a reply; the reader's own notes answered by hostile names."""
    from app.extensions import db
    from app.models import AnnotationStatus, User
    from app.services import annotations

    selector = annotations.anchor(article, QUOTE)
    authors = [db.session.get(User, a.id) for a in people["authors"]]
    for i, vector in enumerate(VECTORS):
        author = authors[i % len(authors)]
        created = annotations.create(article, author, body=vector, selector=selector, tags=[vector[:40] or "x"])
        annotations.create(article, author, body=f"reply {vector}", parent=created)
        scene.ids.setdefault("published", created.id)
    reader = db.session.get(User, people["reader"].id)
    own = annotations.create(hostile, reader, body=f"My note {VECTORS[0]}",
                             selector=annotations.anchor(hostile, "A final paragraph."))
    scene.ids["own"] = own.id
    for i, author in enumerate(authors):  # each reply notifies the reader, naming its hostile author
        annotations.create(hostile, author, body=f"Answer {i}: {VECTORS[i]}", parent=own)
    newcomer = db.session.get(User, people["newcomer"].id)
    for i, vector in enumerate(VECTORS[:60]):
        pending = annotations.create(article, newcomer, body=f"Pending {i}: {vector}", selector=selector,
                                     status=AnnotationStatus.PENDING)
        scene.ids.setdefault("pending", pending.id)


def _moderate(people, scene: Scene) -> None:
    """Flag published annotations with hostile notes, hide some with hostile reasons (logged and notified)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Annotation, AnnotationStatus, User
    from app.services import flags, moderation

    reader = db.session.get(User, people["reader"].id)
    moderator = db.session.get(User, people["moderator"].id)
    published = db.session.scalars(select(Annotation).where(
        Annotation.status == AnnotationStatus.PUBLISHED, Annotation.parent_id.is_(None),
        Annotation.author_id != reader.id).order_by(Annotation.id).limit(120)).all()
    for i, annotation in enumerate(published[:60]):
        flags.flag(annotation, reader, "misrepresents_evidence", f"Flag {i}: {VECTORS[i][:900]}")
    scene.ids["flagged"] = published[0].id
    for i, annotation in enumerate(published[60:]):
        moderation.transition(annotation, "hide", moderator, reason=f"Hidden {i}: {VECTORS[-i - 1][:900]}")
    own = db.session.get(Annotation, scene.ids["own"])
    moderation.transition(own, "hide", moderator, reason=f"Hidden yours: {VECTORS[1][:900]}")


def _store_vectors(app, make) -> Scene:
    """Write every vector everywhere users can write; return who and what to visit."""
    from sqlalchemy import select

    from app.bibliography.record import StudyRecord
    from app.extensions import db
    from app.models import Article, Role
    from app.services import articles, studies

    scene = Scene(slug=make.demo_article())
    scene.people = {
        "reader": make.user(trusted=True, name=VECTORS[2][:100] or "x", profession=VECTORS[3][:120],
                            affiliation=VECTORS[4][:200], competing_interests=VECTORS[5][:2000]),
        "authors": [make.user(trusted=True, name=v[:100] or "x", profession=v[:120], competing_interests=v[:2000])
                    for v in VECTORS[:40]],
        "newcomer": make.user(name=VECTORS[6][:100] or "x", profession=VECTORS[7][:120]),
        "moderator": make.user(role=Role.MODERATOR, name="Dr Moderator"),
        "admin": make.user(role=Role.ADMIN, name="Dr Admin"),
    }
    with app.app_context():
        for i, vector in enumerate(VECTORS):
            study = studies.create_study(StudyRecord(title=f"{vector} study {i}", citation_key=f"xss{i}",
                                                     container_title=vector[:300], key_findings=vector,
                                                     population=vector, issued_year=2000 + i % 20))
            if i % 70 == 0:
                db.session.flush()
                scene.studies.append((study.id, i))
        body = "\n\n".join(VECTORS) + "\n\nA final paragraph."
        data = articles.ArticleInput(title=HOSTILE_TITLE, body=body, standfirst=VECTORS[0], slug="xss-corpus",
                                     tags=VECTORS[:5])
        articles.save_article(data, editor=None)
        # A second version, so that the revision history and the diff show hostile text on both sides.
        data.body = "\n\n".join(reversed(VECTORS)) + "\n\nA final paragraph."
        scene.hostile = articles.save_article(data, editor=None, note=VECTORS[8][:200]).slug
        article = db.session.scalar(select(Article).where(Article.slug == scene.slug))
        hostile = db.session.scalar(select(Article).where(Article.slug == scene.hostile))
        _write_annotations(article, hostile, scene.people, scene)
        _moderate(scene.people, scene)
        db.session.commit()
    return scene


def _title(text: str) -> re.Pattern:
    """Match a page title ending in `text` (browsers collapse the whitespace of hostile titles)."""
    return re.compile(re.escape(" ".join(text.split())) + r" · Postil$")


def _assert_no_script_ran(page, path: str, title: str | re.Pattern, shows: str | re.Pattern | None = None) -> None:
    """Open `path`, check it is the page named `title` (showing `shows`), and that no script of a vector ran."""
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}: that page shows no vector"
    expect(page).to_have_title(title if isinstance(title, re.Pattern) else _title(title))
    if shows:
        expect(page.get_by_text(shows).first).to_be_visible()
    # A task queued after everything the page queued while loading, so late CSP reports are in.
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")
    events = page.evaluate("window.__xss_events")
    assert events == [], f"{path}: {events}"
    if path in SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"xss-{SCREENSHOTS[path]}.png"))


def _visits_for_anyone(scene: Scene) -> list[tuple]:
    article = "Chemotherapy: a cause of metastases?"
    visits = [(f"/articles/{scene.slug}", article, "reply "), (f"/articles/{scene.hostile}", HOSTILE_TITLE,
                                                                   "A final paragraph."),
              ("/", "Articles", None), ("/studies", "Studies", None),
              (f"/annotations/{scene.ids['published']}", article, None)]
    visits += [(f"/studies?q={quote(v)}", "Studies", None) for v in VECTORS[:25]]
    visits += [(f"/articles/{scene.slug}?tag={quote(v[:40])}", article, None) for v in VECTORS[:10]]
    visits += [(f"/studies/{sid}", re.compile(rf"study {n} · Postil$"), "Articles citing this study")
               for sid, n in scene.studies]
    return visits


def _visits_for_the_reader(scene: Scene) -> list[tuple]:
    return [(f"/articles/{scene.slug}", "Chemotherapy: a cause of metastases?", "reply "),
            (f"/articles/{scene.hostile}", HOSTILE_TITLE, "My note"), ("/studies?page=2", "Studies", None),
            ("/profile", "Your profile", None), ("/notifications", "Notifications", "Hidden yours:"),
            (f"/annotations/{scene.ids['own']}/edit", "Edit your annotation", None),
            (f"/annotations/{scene.ids['published']}/replies", "Reply", None),
            (f"/annotations/{scene.ids['published'] + 2}/flag", "Flag an annotation", None)]


def _visits_for_moderators(scene: Scene) -> list[tuple]:
    return [("/moderation/", "Moderation · Pending", "Pending 0:"), ("/moderation/?page=2", "Moderation · Pending",
                                                                     None),
            ("/moderation/flagged", "Moderation · Flagged", "Flag 0:"),
            ("/moderation/hidden", "Moderation · Hidden", re.compile(r"Hidden \d+: ")),
            ("/moderation/log", "Moderation · Log", "Hidden yours:"),
            (f"/moderation/annotations/{scene.ids['flagged']}", f"Moderation · Annotation {scene.ids['flagged']}",
             "Flag 0:"),
            (f"/moderation/annotations/{scene.ids['pending']}", f"Moderation · Annotation {scene.ids['pending']}",
             "Pending 0:")]


def _visits_for_admins(scene: Scene) -> list[tuple]:
    hostile = scene.hostile
    return [("/moderation/users", "Moderation · Users", None), ("/admin/articles", "Manage articles", None),
            (f"/admin/articles/{hostile}", f"{HOSTILE_TITLE} (editor view)", "A final paragraph."),
            (f"/admin/articles/{hostile}/edit", f"Edit: {HOSTILE_TITLE}", None),
            (f"/admin/articles/{hostile}/revisions", f"History: {HOSTILE_TITLE}", None),
            (f"/admin/articles/{hostile}/diff", f"Changes: {HOSTILE_TITLE}", None),
            (f"/studies/{scene.studies[1][0]}/edit", "Edit study", None)]


def _visit_as(page, person, visits: list[tuple]) -> None:
    if person is not None:
        page.context.clear_cookies()
        sign_in(page, person.email, person.password)
    for path, title, shows in visits:
        _assert_no_script_ran(page, path, title, shows)


def test_the_hooks_record_a_script_that_runs(page, make):
    # Without this, a broken hook would make every check below pass whatever the pages did.
    make.demo_article()
    page.add_init_script(HOOKS)
    page.goto("/")
    page.evaluate("() => { alert(1); window.__xss = 1; }")
    assert page.evaluate("window.__xss_events") == ["alert", "sentinel"]


def test_no_vector_runs_anywhere(page, app, make):
    scene = _store_vectors(app, make)
    page.add_init_script(HOOKS)
    _visit_as(page, None, _visits_for_anyone(scene))
    _visit_as(page, scene.people["reader"], _visits_for_the_reader(scene))
    # Click around the discussion: opening threads runs the page's own script over hostile content.
    page.goto(f"/articles/{scene.slug}")
    page.locator(".thread .quote-link").first.click()
    expect(page.locator("mark.hl.is-active").first).to_be_visible()
    page.locator("mark.hl").first.click()
    expect(page.locator(".thread.is-open")).to_have_count(1)
    assert page.evaluate("window.__xss_events") == []
    _visit_as(page, scene.people["moderator"], _visits_for_moderators(scene))
    _visit_as(page, scene.people["admin"], _visits_for_admins(scene))
