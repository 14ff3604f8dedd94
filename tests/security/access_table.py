"""Who may do what: every route of Postil, with the answer each kind of visitor must get.

The keys are every (method, rule) of `app.url_map` except static files; a route added without a
row here fails tests/security/test_security_access.py. Each key lists one or more cases: a concrete
path built from the security world's objects (`{a_private}` is reader A's private annotation, see
tests/security/conftest.py), an optional form or JSON body, and the outcome for each visitor, in
the order of ROLES: anonymous, reader A, reader B, a suspended reader, a moderator, an admin, a
suspended moderator, a suspended admin, a journal club's moderator and its owner. A suspended account
of any role reads only, so the two suspended staff get the suspended reader's answer unless a row says
otherwise; the club's moderator and owner are readers outside everything but their club, so they get
reader B's answer unless a row says otherwise. In the club (`{club}`), reader A is a member and reader
B, the suspended reader and the site's moderator and admin are outside it: `in_club` rows give the
answers of the club's member, moderator and owner and of everyone outside.

An outcome is a status code, or SIGN_IN for a redirect to the sign-in page. Bodies of unsafe
requests are deliberately incomplete where possible, so that a visitor who is let in gets a
validation answer (422, or the moderation panel's 303 back to the queue) and nothing changes: the
world stays the same from one case to the next. Requests that necessarily use something up (delete,
revoke) name a `fresh` object, created anew for each request. Cases that end the visitor's session
say so, and the walk signs that visitor in again afterwards.

IDOR (insecure direct object reference) is covered by the object ids: reader B asking for reader
A's private note gets 404 (it is not there for B), asking to change A's public one gets 403, and a
moderator cannot approve their own annotation (403).
"""
from __future__ import annotations

from dataclasses import dataclass

from tests.security.conftest import DRAFT_SLUG, ROLES

SIGN_IN = "sign in"


def by_role(anonymous, reader_a, reader_b, suspended, moderator, admin, *, suspended_moderator=None,
            suspended_admin=None, group_moderator=None, group_owner=None) -> tuple:
    """Return the outcomes in ROLES order; suspended staff answer as the suspended reader, the club's
    moderator and owner as reader B, unless given."""
    return (anonymous, reader_a, reader_b, suspended, moderator, admin,
            suspended if suspended_moderator is None else suspended_moderator,
            suspended if suspended_admin is None else suspended_admin,
            reader_b if group_moderator is None else group_moderator,
            reader_b if group_owner is None else group_owner)


def in_club(member, moderator=None, owner=None, *, outsider=404, suspended=None, anonymous=SIGN_IN) -> tuple:
    """Return the outcomes of a journal club's route: its member (reader A), moderator and owner, and
    everyone outside it (reader B, the site's moderator and admin; the suspended reader too unless given)."""
    return by_role(anonymous, member, outsider, outsider if suspended is None else suspended, outsider, outsider,
                   group_moderator=member if moderator is None else moderator,
                   group_owner=(member if moderator is None else moderator) if owner is None else owner)


def everyone(outcome) -> tuple:
    return (outcome,) * len(ROLES)


def signed_in(outcome, anonymous=SIGN_IN) -> tuple:
    """Any signed-in visitor gets `outcome`; the anonymous one is sent to sign in."""
    return by_role(anonymous, outcome, outcome, outcome, outcome, outcome)


def writers(outcome, anonymous=SIGN_IN) -> tuple:
    """Readers, moderators and admins get `outcome`; a suspended account may only read (403)."""
    return by_role(anonymous, outcome, outcome, 403, outcome, outcome)


def moderators(outcome, anonymous=SIGN_IN) -> tuple:
    return by_role(anonymous, 403, 403, 403, outcome, outcome)


def admins(outcome, anonymous=SIGN_IN) -> tuple:
    return by_role(anonymous, 403, 403, 403, 403, outcome)


def panel(outcome, group=None, anonymous=SIGN_IN) -> tuple:
    """The moderation panel: site moderators get `outcome`, the club's moderator and owner `group` (default the
    same), readers 403."""
    group = outcome if group is None else group
    return by_role(anonymous, 403, 403, 403, outcome, outcome, group_moderator=group, group_owner=group)


@dataclass(frozen=True)
class Case:
    """One request of the walk and the outcome expected for each visitor."""

    path: str
    expect: tuple
    form: dict | None = None
    json: dict | None = None
    fresh: str | None = None  # a placeholder of `path` whose object is created anew for every request
    ends_session: bool = False


A_NOTE = "/annotations/{a_public}"
A_PRIVATE = "/annotations/{a_private}"
API_A = "/api/annotations/{a_public}"
API_PRIVATE = "/api/annotations/{a_private}"
ARTICLE = "/articles/{slug}"
DRAFT = f"/articles/{DRAFT_SLUG}"
ADMIN_DRAFT = f"/admin/articles/{DRAFT_SLUG}"
STALE_DECISION = {"action": "approve", "if_modified": "2001-01-01T00:00:00Z"}
# Private notes and others' pending annotations are not there for anyone but their author.
ONLY_A = by_role(404, 200, 404, 404, 404, 404)
CONTAINER = "/api/articles/{slug}/annotations/"
DRAFT_CONTAINER = f"/api/articles/{DRAFT_SLUG}/annotations/"
# Reader B's and the moderator's pending annotations: their author and the moderation panel (moderators
# and admins open them by their IRI too); others, and everyone for annotations on a draft, get 404.
# A journal club's notes: its members only (site moderators read a flagged one in the panel, never here).
AS_READ = {"a_public": everyone(200), "a_private": ONLY_A,
           "b_pending": by_role(404, 404, 200, 404, 200, 200, group_moderator=404, group_owner=404),
           "m_pending": by_role(404, 404, 404, 404, 200, 200), "a_draft": everyone(404),
           "g_note": in_club(200, anonymous=404), "g_flagged": in_club(200, anonymous=404)}
# Changing: only the author (422 for the empty body they send); a suspended account may not write (403).
AS_CHANGED = {"a_public": by_role(401, 422, 403, 403, 403, 403), "a_private": by_role(401, 422, 404, 403, 404, 404),
              "b_pending": by_role(401, 404, 422, 403, 403, 403, group_moderator=404, group_owner=404),
              "g_note": in_club(422, 403, anonymous=401, suspended=403)}
CLUB = "/groups/{club}"
SESSION = CLUB + "/sessions/{g_session}"
PAST = CLUB + "/sessions/{g_past}"
API_CLUB = "/api/groups/{club}"
API_SESSION = API_CLUB + "/sessions/{g_session}"
ANNOTATION_CASES = {
    "GET": [Case(f"{{{name}}}", expect) for name, expect in AS_READ.items()],
    "OPTIONS": [Case(f"{{{name}}}", expect) for name, expect in AS_READ.items()],
    "PUT": [Case(f"{{{name}}}", expect, json={}) for name, expect in AS_CHANGED.items()],
    "PATCH": [Case(f"{{{name}}}", expect, json={}) for name, expect in AS_CHANGED.items()],
    "DELETE": [Case("{a_public}", by_role(401, 204, 403, 403, 403, 403), fresh="a_public"),
               Case("{a_private}", by_role(401, 204, 404, 403, 404, 404), fresh="a_private")],
}
# Every annotation answers at its canonical IRI (in its article's container) and at the earlier short one.
ANNOTATION_IRIS = ("/api/articles/{{slug}}/annotations/{id}",)
SHORT_IRIS = ("/api/annotations/{id}",)

TABLE: dict[tuple[str, str], list[Case]] = {
    # --- Reading -----------------------------------------------------------------------------------
    ("GET", "/"): [Case("/", everyone(200))],
    ("GET", "/healthz"): [Case("/healthz", everyone(200))],
    ("GET", "/kinds.css"): [Case("/kinds.css", everyone(200))],
    # A journal club's layer is its members' (anonymous readers get the public page, which is all they read).
    ("GET", "/articles/<slug>"): [Case(ARTICLE, everyone(200)), Case(DRAFT, everyone(404)),
                                  Case(ARTICLE + "?layer=group:{club}", in_club(200, anonymous=200)),
                                  Case(ARTICLE + "?layer=mine", everyone(200))],
    ("GET", "/articles/<slug>/references.<ext>"): [
        Case(ARTICLE + "/references.ris", everyone(200)),
        Case(DRAFT + "/references.bib", by_role(404, 404, 404, 404, 404, 200))],
    ("GET", "/annotations/<int:annotation_id>"): [
        Case(A_NOTE, everyone(302)),
        Case(A_PRIVATE, by_role(404, 302, 404, 404, 404, 404)),
        Case("/annotations/{b_pending}", by_role(404, 404, 302, 404, 404, 404, group_moderator=404, group_owner=404)),
        Case("/annotations/{g_note}", in_club(302, anonymous=404)),
        # Annotations on a draft are hidden with it, from their author too; admins edit drafts.
        Case("/annotations/{a_draft}", by_role(404, 404, 404, 404, 404, 302))],
    ("GET", "/studies"): [Case("/studies", everyone(200))],
    # Search answers everyone, with only what each visitor may read (tests/security/test_security_search.py);
    # the moderation queue is searched by moderators only.
    ("GET", "/search"): [Case("/search?q=TMEM", everyone(200)),
                         Case("/search?q=TMEM&scope=queue", moderators(200)),
                         Case("/search?q=" + "x" * 600, everyone(400))],
    ("GET", "/studies/<int:study_id>"): [Case("/studies/{study}", everyone(200))],
    ("GET", "/studies/<int:study_id>.<ext>"): [Case("/studies/{study}.ris", everyone(200))],
    ("GET", "/studies/export.<ext>"): [Case("/studies/export.json", everyone(200))],
    # Exports hold what the visitor may read on the page (private notes only for their author).
    ("GET", "/articles/<slug>/discussion.<ext>"): [
        Case(ARTICLE + "/discussion.csv", everyone(200)), Case(ARTICLE + "/discussion.jsonld", everyone(200)),
        Case(ARTICLE + "/discussion.md", everyone(200)), Case(DRAFT + "/discussion.csv", everyone(404))],
    ("GET", "/profile/annotations.<ext>"): [Case("/profile/annotations.jsonld", signed_in(200)),
                                            Case("/profile/annotations.csv", signed_in(200))],

    # --- Accounts ----------------------------------------------------------------------------------
    ("GET", "/sign-up"): [Case("/sign-up", signed_in(302, anonymous=200))],
    ("POST", "/sign-up"): [Case("/sign-up", signed_in(302, anonymous=422), form={})],
    ("GET", "/sign-up/check-email"): [Case("/sign-up/check-email", everyone(200))],
    # The link is the proof (anyone holding it, signed in or not); a forged one is refused alike.
    ("GET", "/confirm-email/<token>"): [Case("/confirm-email/forged", everyone(400))],
    ("POST", "/confirm-email/<token>"): [Case("/confirm-email/forged", everyone(400), form={})],
    ("GET", "/sign-in"): [Case("/sign-in", signed_in(302, anonymous=200))],
    ("POST", "/sign-in"): [Case("/sign-in", signed_in(302, anonymous=422), form={})],
    ("POST", "/sign-out"): [Case("/sign-out", everyone(302), ends_session=True)],
    ("POST", "/sign-out-everywhere"): [Case("/sign-out-everywhere", signed_in(302), ends_session=True)],
    ("GET", "/profile"): [Case("/profile", signed_in(200))],
    ("POST", "/profile"): [Case("/profile", signed_in(422), form={"display_name": ""})],
    ("POST", "/profile/password"): [Case("/profile/password", signed_in(422), form={})],
    # A suspended account reads only: no new API token either.
    ("POST", "/profile/tokens"): [Case("/profile/tokens", writers(422), form={})],
    ("POST", "/profile/tokens/<int:token_id>/revoke"): [
        Case("/profile/tokens/{a_token}/revoke", by_role(SIGN_IN, 302, 404, 404, 404, 404), fresh="a_token")],
    ("GET", "/notifications"): [Case("/notifications", signed_in(200))],
    ("POST", "/notifications/read"): [Case("/notifications/read", signed_in(303))],
    # Only its own reader opens a notification (and so marks it read); for anyone else it is not there.
    ("GET", "/notifications/<int:notification_id>"): [
        Case("/notifications/{a_notification}", by_role(SIGN_IN, 302, 404, 404, 404, 404))],
    ("GET", "/notifications/settings"): [Case("/notifications/settings", signed_in(200))],
    ("POST", "/notifications/settings"): [Case("/notifications/settings", signed_in(422), form={})],
    # The signed link is the authority, not a session: a valid one asks, a forged one changes nothing.
    ("GET", "/unsubscribe"): [Case("/unsubscribe?token={unsub_a}", everyone(200)),
                              Case("/unsubscribe?token=forged", everyone(400))],
    ("POST", "/unsubscribe"): [Case("/unsubscribe?token=forged", everyone(400), form={})],

    # --- Following, activity and profiles ----------------------------------------------------------
    ("GET", "/following"): [Case("/following", signed_in(200))],
    ("POST", "/following"): [Case("/following", writers(400), form={})],
    ("POST", "/following/remove"): [Case("/following/remove", writers(400), form={})],
    ("GET", "/following/confirm"): [
        Case("/following/confirm?type=thread&target={a_public}", writers(200)),
        # A private note is not there to follow for anyone but its author.
        Case("/following/confirm?type=thread&target={a_private}", by_role(SIGN_IN, 200, 400, 403, 400, 400))],
    ("GET", "/activity"): [Case("/activity", signed_in(200))],
    ("GET", "/people/<int:user_id>"): [
        Case("/people/{reader_a}", everyone(200)),
        # Reader B has no public annotation: only signed-in readers (who may mention B) find B.
        Case("/people/{reader_b}", signed_in(200, anonymous=404))],
    ("GET", "/people/search"): [Case("/people/search?q=Dr", signed_in(200))],

    # --- Annotating in the browser -----------------------------------------------------------------
    ("GET", "/articles/<slug>/annotate"): [Case(ARTICLE + "/annotate", writers(200)),
                                           Case(DRAFT + "/annotate", writers(404))],
    ("POST", "/articles/<slug>/annotate"): [Case(ARTICLE + "/annotate", writers(422), form={"body": ""}),
                                            Case(DRAFT + "/annotate", writers(404), form={"body": ""})],
    ("GET", "/articles/<slug>/import-annotations"): [Case(ARTICLE + "/import-annotations", writers(200)),
                                                     Case(DRAFT + "/import-annotations", writers(404))],
    ("POST", "/articles/<slug>/import-annotations"): [
        Case(ARTICLE + "/import-annotations", writers(422), form={}),
        Case(DRAFT + "/import-annotations", writers(404), form={})],
    ("GET", "/annotations/<int:annotation_id>/replies"): [
        Case(A_NOTE + "/replies", writers(200)),
        Case(A_PRIVATE + "/replies", by_role(SIGN_IN, 200, 404, 403, 404, 404)),
        Case("/annotations/{g_note}/replies", in_club(200, suspended=403))],
    ("POST", "/annotations/<int:annotation_id>/replies"): [
        Case(A_NOTE + "/replies", writers(422), form={"body": ""}),
        Case(A_PRIVATE + "/replies", by_role(SIGN_IN, 422, 404, 403, 404, 404), form={"body": ""}),
        Case("/annotations/{g_note}/replies", in_club(422, suspended=403), form={"body": ""})],
    ("GET", "/annotations/<int:annotation_id>/edit"): [
        Case(A_NOTE + "/edit", by_role(SIGN_IN, 200, 403, 403, 403, 403)),
        Case(A_PRIVATE + "/edit", by_role(SIGN_IN, 200, 404, 403, 404, 404))],
    ("POST", "/annotations/<int:annotation_id>/edit"): [
        Case(A_NOTE + "/edit", by_role(SIGN_IN, 422, 403, 403, 403, 403), form={"body": ""}),
        Case(A_PRIVATE + "/edit", by_role(SIGN_IN, 422, 404, 403, 404, 404), form={"body": ""})],
    ("GET", "/annotations/<int:annotation_id>/delete"): [
        Case(A_NOTE + "/delete", by_role(SIGN_IN, 200, 403, 403, 403, 403)),
        Case(A_PRIVATE + "/delete", by_role(SIGN_IN, 200, 404, 403, 404, 404))],
    ("POST", "/annotations/<int:annotation_id>/delete"): [
        Case(A_NOTE + "/delete", by_role(SIGN_IN, 302, 403, 403, 403, 403), fresh="a_public"),
        Case(A_PRIVATE + "/delete", by_role(SIGN_IN, 302, 404, 403, 404, 404), fresh="a_private")],
    ("GET", "/annotations/<int:annotation_id>/reattach"): [
        Case(A_NOTE + "/reattach", by_role(SIGN_IN, 200, 403, 403, 403, 200)),
        Case(A_PRIVATE + "/reattach", by_role(SIGN_IN, 200, 404, 403, 404, 404))],
    ("POST", "/annotations/<int:annotation_id>/reattach"): [
        Case(A_NOTE + "/reattach", by_role(SIGN_IN, 422, 403, 403, 403, 422), form={"exact": ""}),
        Case(A_PRIVATE + "/reattach", by_role(SIGN_IN, 422, 404, 403, 404, 404), form={"exact": ""})],
    ("GET", "/annotations/<int:annotation_id>/flag"): [
        Case(A_NOTE + "/flag", by_role(SIGN_IN, 403, 200, 403, 200, 200)),
        Case(A_PRIVATE + "/flag", by_role(SIGN_IN, 403, 404, 404, 404, 404)),
        Case("/annotations/{b_pending}/flag", by_role(SIGN_IN, 404, 403, 404, 404, 404, group_moderator=404,
                                                      group_owner=404)),
        Case("/annotations/{g_note}/flag", in_club(403, 200))],
    ("POST", "/annotations/<int:annotation_id>/flag"): [
        Case(A_NOTE + "/flag", by_role(SIGN_IN, 403, 422, 403, 422, 422), form={}),
        Case(A_PRIVATE + "/flag", by_role(SIGN_IN, 403, 404, 404, 404, 404), form={})],

    ("GET", "/annotations/<int:annotation_id>/helpful"): [
        Case(A_NOTE + "/helpful", by_role(SIGN_IN, 403, 200, 403, 200, 200)),
        Case(A_PRIVATE + "/helpful", by_role(SIGN_IN, 403, 404, 403, 404, 404))],
    ("POST", "/annotations/<int:annotation_id>/helpful"): [
        Case(A_NOTE + "/helpful", by_role(SIGN_IN, 403, 303, 403, 303, 303), fresh="a_public"),
        Case(A_PRIVATE + "/helpful", by_role(SIGN_IN, 403, 404, 403, 404, 404))],
    ("POST", "/annotations/<int:annotation_id>/helpful/withdraw"): [
        Case(A_NOTE + "/helpful/withdraw", by_role(SIGN_IN, 409, 409, 403, 409, 409))],
    ("GET", "/annotations/<int:annotation_id>/accept"): [
        Case("/annotations/{m_reply}/accept", by_role(SIGN_IN, 200, 403, 403, 200, 200)),
        Case(A_NOTE + "/accept", by_role(SIGN_IN, 400, 400, 403, 400, 400))],
    ("POST", "/annotations/<int:annotation_id>/accept"): [
        Case("/annotations/{m_reply}/accept", by_role(SIGN_IN, 303, 403, 403, 303, 303), fresh="m_reply")],
    ("POST", "/annotations/<int:annotation_id>/answer/withdraw"): [
        Case("/annotations/{a_question}/answer/withdraw", by_role(SIGN_IN, 409, 403, 403, 409, 409))],

    # --- Moderation panel --------------------------------------------------------------------------
    # The queues and the log: site moderators, and a journal club's moderator and owner (their club's items).
    ("GET", "/moderation/"): [Case("/moderation/", panel(200))],
    ("GET", "/moderation/<any(pending, flagged, hidden):state>"): [
        Case("/moderation/flagged", panel(200)), Case("/moderation/flagged?group={club}", panel(200))],
    ("GET", "/moderation/annotations/<int:annotation_id>"): [
        Case("/moderation/annotations/{b_pending}", panel(200, group=404)),
        # A private note is for its author only, also in the moderation panel.
        Case("/moderation/annotations/{a_private}", panel(404, group=404)),
        # A club's note: its moderators; site moderators only while it is flagged (and that is logged).
        Case("/moderation/annotations/{g_note}", panel(404, group=200)),
        Case("/moderation/annotations/{g_flagged}", panel(200, group=200))],
    ("POST", "/moderation/annotations/<int:annotation_id>"): [
        Case("/moderation/annotations/{b_pending}", panel(303, group=404), form={}),
        Case("/moderation/annotations/{a_private}", panel(404, group=404), form={}),
        Case("/moderation/annotations/{g_note}", panel(404, group=303), form={})],
    ("POST", "/moderation/bulk"): [Case("/moderation/bulk", panel(303), form={})],
    ("GET", "/moderation/log"): [Case("/moderation/log", panel(200))],
    ("GET", "/moderation/log.csv"): [Case("/moderation/log.csv", panel(200))],
    ("GET", "/moderation/users"): [Case("/moderation/users", admins(200))],
    ("POST", "/moderation/users/<int:user_id>/suspend"): [
        Case("/moderation/users/{reader_b}/suspend", admins(303), form={})],
    ("POST", "/moderation/users/<int:user_id>/lift"): [
        Case("/moderation/users/{reader_b}/lift", admins(303), form={})],
    ("POST", "/moderation/users/<int:user_id>/role"): [
        Case("/moderation/users/{reader_b}/role", admins(303), form={})],
    ("POST", "/moderation/users/<int:user_id>/trust"): [
        Case("/moderation/users/{reader_b}/trust", admins(303), form={})],

    # --- Editing articles and studies (admins) -----------------------------------------------------
    ("GET", "/admin/articles"): [Case("/admin/articles", admins(200))],
    ("GET", "/admin/articles/new"): [Case("/admin/articles/new", admins(200))],
    ("POST", "/admin/articles/new"): [Case("/admin/articles/new", admins(422), form={})],
    ("POST", "/admin/articles/preview"): [Case("/admin/articles/preview", admins(200), json={"source": "Draft"})],
    ("GET", "/admin/articles/<slug>"): [Case(ADMIN_DRAFT, admins(200))],
    ("GET", "/admin/articles/<slug>/edit"): [Case(ADMIN_DRAFT + "/edit", admins(200))],
    ("POST", "/admin/articles/<slug>/edit"): [Case(ADMIN_DRAFT + "/edit", admins(422), form={})],
    ("POST", "/admin/articles/<slug>/status"): [Case(ADMIN_DRAFT + "/status", admins(302), form={})],
    ("GET", "/admin/articles/<slug>/revisions"): [Case(ADMIN_DRAFT + "/revisions", admins(200))],
    ("GET", "/admin/articles/<slug>/revisions/<int:version>"): [Case(ADMIN_DRAFT + "/revisions/1", admins(200))],
    ("GET", "/admin/articles/<slug>/diff"): [Case(ADMIN_DRAFT + "/diff", admins(200))],
    ("GET", "/studies/new"): [Case("/studies/new", admins(200))],
    ("POST", "/studies/new"): [Case("/studies/new", admins(422), form={})],
    ("GET", "/studies/<int:study_id>/edit"): [Case("/studies/{study}/edit", admins(200))],
    ("POST", "/studies/<int:study_id>/edit"): [Case("/studies/{study}/edit", admins(422), form={})],
    ("GET", "/studies/lookup"): [Case("/studies/lookup", admins(200))],
    # A pasted identifier is read before anything else: a mistyped one asks no outside service.
    ("POST", "/studies/lookup"): [Case("/studies/lookup", admins(422), form={"identifier": "not an identifier"})],
    ("POST", "/studies/lookup/save"): [Case("/studies/lookup/save", admins(422), form={})],
    ("GET", "/studies/import"): [Case("/studies/import", admins(200))],
    ("POST", "/studies/import"): [Case("/studies/import", admins(422), form={})],

    # --- The JSON API (anonymous callers get 401 where an account is needed) -------------------------
    ("GET", "/api/openapi.json"): [Case("/api/openapi.json", everyone(200))],
    ("GET", "/api/context.jsonld"): [Case("/api/context.jsonld", everyone(200))],
    ("GET", "/api/articles"): [Case("/api/articles", everyone(200))],
    ("GET", "/api/articles/<slug>"): [Case("/api/articles/{slug}", everyone(200)),
                                      Case(f"/api/articles/{DRAFT_SLUG}", everyone(404))],
    **{(method, rule): cases for rule in ("/api/articles/<slug>/annotations/", "/api/articles/<slug>/annotations")
       for method, cases in {
           "GET": [Case(CONTAINER, everyone(200)), Case(DRAFT_CONTAINER, everyone(404))],
           "OPTIONS": [Case(CONTAINER, everyone(200)), Case(DRAFT_CONTAINER, everyone(404))],
           "POST": [Case(CONTAINER, writers(422, anonymous=401), json={}),
                    Case(DRAFT_CONTAINER, writers(404, anonymous=401), json={})]}.items()},
    **{(method, rule): [Case(path.format(id=case.path), case.expect, json=case.json, fresh=case.fresh)
                        for case in cases for path in paths]
       for rule, paths in (("/api/articles/<slug>/annotations/<int:annotation_id>", ANNOTATION_IRIS),
                           ("/api/annotations/<int:annotation_id>", SHORT_IRIS))
       for method, cases in ANNOTATION_CASES.items()},
    ("POST", "/api/annotations/<int:annotation_id>/flags"): [
        Case(API_A + "/flags", by_role(401, 403, 422, 403, 422, 422), json={"reason": "not-a-reason"}),
        Case(API_PRIVATE + "/flags", by_role(401, 403, 404, 403, 404, 404), json={"reason": "not-a-reason"})],
    ("GET", "/api/users/<int:user_id>"): [
        Case("/api/users/{reader_a}", everyone(200)),
        # Reader B has written nothing others can read yet: only B finds B.
        Case("/api/users/{reader_b}", by_role(404, 404, 200, 404, 404, 404, group_moderator=404, group_owner=404))],
    ("GET", "/api/follows"): [Case("/api/follows", signed_in(200, anonymous=401))],
    ("POST", "/api/follows"): [Case("/api/follows", writers(422, anonymous=401), json={})],
    ("DELETE", "/api/follows/<int:follow_id>"): [
        Case("/api/follows/{a_follow}", by_role(401, 204, 404, 403, 404, 404), fresh="a_follow")],
    ("GET", "/api/notifications"): [Case("/api/notifications", signed_in(200, anonymous=401))],
    ("POST", "/api/notifications/read"): [Case("/api/notifications/read", signed_in(200, anonymous=401))],
    ("GET", "/api/notifications/preferences"): [
        Case("/api/notifications/preferences", signed_in(200, anonymous=401))],
    ("PATCH", "/api/notifications/preferences"): [
        Case("/api/notifications/preferences", signed_in(422, anonymous=401), json={"preferences": {"nope": "app"}})],
    ("POST", "/api/annotations/<int:annotation_id>/helpful"): [
        Case(API_A + "/helpful", by_role(401, 403, 201, 403, 201, 201), fresh="a_public"),
        Case(API_PRIVATE + "/helpful", by_role(401, 403, 404, 403, 404, 404))],
    ("DELETE", "/api/annotations/<int:annotation_id>/helpful"): [
        Case(API_A + "/helpful", by_role(401, 409, 409, 403, 409, 409))],
    ("PUT", "/api/annotations/<int:annotation_id>/answer"): [
        Case("/api/annotations/{a_question}/answer", writers(422, anonymous=401), json={})],
    ("DELETE", "/api/annotations/<int:annotation_id>/answer"): [
        Case("/api/annotations/{a_question}/answer", by_role(401, 409, 403, 403, 409, 409))],
    ("GET", "/api/studies"): [Case("/api/studies", everyone(200))],
    ("GET", "/api/studies/<int:study_id>"): [Case("/api/studies/{study}", everyone(200))],
    ("GET", "/api/search"): [Case("/api/search?q=TMEM", everyone(200)),
                             Case("/api/search?q=TMEM&scope=queue", moderators(200, anonymous=401)),
                             Case("/api/search?q=TMEM&type=poem", everyone(400))],
    ("GET", "/api/moderation/queue"): [Case("/api/moderation/queue", moderators(200, anonymous=401))],
    ("GET", "/api/moderation/log"): [Case("/api/moderation/log", moderators(200, anonymous=401))],
    ("POST", "/api/moderation/annotations/<int:annotation_id>"): [
        # Nobody approves their own annotation: the moderator's is refused, the admin's answer is
        # about the stale timestamp (409), so nothing changes either way.
        Case("/api/moderation/annotations/{m_pending}", by_role(401, 403, 403, 403, 403, 409),
             json=STALE_DECISION),
        Case("/api/moderation/annotations/{b_pending}", moderators(409, anonymous=401), json=STALE_DECISION),
        Case("/api/moderation/annotations/{a_private}", moderators(404, anonymous=401), json=STALE_DECISION)],

    # --- Journal clubs -----------------------------------------------------------------------------
    # Outside the club its pages are not there (404); inside, the owner manages it, the owner and the
    # moderators schedule and write prompts, members read and take part. Refused forms change nothing.
    ("GET", "/groups/"): [Case("/groups/", signed_in(200))],
    ("GET", "/groups/new"): [Case("/groups/new", writers(200))],
    ("POST", "/groups/new"): [Case("/groups/new", writers(422), form={})],
    ("GET", "/groups/<slug>"): [Case(CLUB, in_club(200)),
                                # An open club shows how to join to anyone signed in (not its discussion).
                                Case("/groups/{open_club}", signed_in(200), fresh="open_club")],
    ("GET", "/groups/<slug>/settings"): [Case(CLUB + "/settings", in_club(403, 403, 200, suspended=403))],
    ("POST", "/groups/<slug>/settings"): [
        Case(CLUB + "/settings", in_club(403, 403, 422, suspended=403), form={"name": ""})],
    # Reopening a club that is open changes nothing.
    ("POST", "/groups/<slug>/archive"): [
        Case(CLUB + "/archive", in_club(403, 403, 303, suspended=403), form={"archived": "0"})],
    ("POST", "/groups/<slug>/join"): [
        # The club is by invitation only: its members are told they belong already, the others do not find it.
        Case(CLUB + "/join", in_club(303, suspended=403), form={}),
        Case("/groups/{open_club}/join", writers(303), form={}, fresh="open_club")],
    ("POST", "/groups/<slug>/leave"): [
        # A fresh club of the same people: the owner is refused (no successor) on the page they left.
        Case("/groups/{club_fresh}/leave", in_club(303), form={}, fresh="club_fresh")],
    **{("POST", f"/groups/<slug>/members/<int:user_id>/{verb}"): [
        # Reader B is no member: the owner is told so; nothing changes.
        Case(CLUB + f"/members/{{reader_b}}/{verb}", in_club(403, 403, 303, suspended=403), form=form)]
       for verb, form in (("remove", {}), ("role", {"role": "moderator"}), ("owner", {}))},
    ("GET", "/groups/<slug>/invitations"): [Case(CLUB + "/invitations", in_club(403, 403, 200, suspended=403))],
    ("POST", "/groups/<slug>/invitations"): [
        Case(CLUB + "/invitations", in_club(403, 403, 422, suspended=403), form={})],
    ("POST", "/groups/<slug>/invitations/<int:invitation_id>/revoke"): [
        Case(CLUB + "/invitations/{g_invitation}/revoke", in_club(403, 403, 303, suspended=403), form={},
             fresh="g_invitation")],
    # The signed link is the authority: a valid one shows the club to anyone signed in; a used, forged or
    # someone else's one is refused and changes nothing.
    ("GET", "/groups/join/<token>"): [Case("/groups/join/{g_token}", signed_in(200)),
                                      Case("/groups/join/forged", signed_in(400))],
    ("POST", "/groups/join/<token>"): [Case("/groups/join/{g_used_token}", signed_in(400), form={}),
                                       Case("/groups/join/{g_email_token}", signed_in(403), form={})],
    ("GET", "/groups/<slug>/sessions/new"): [Case(CLUB + "/sessions/new", in_club(403, 200, suspended=403))],
    ("POST", "/groups/<slug>/sessions/new"): [
        Case(CLUB + "/sessions/new", in_club(403, 422, suspended=403), form={})],
    ("GET", "/groups/<slug>/sessions/<int:session_id>"): [Case(SESSION, in_club(200))],
    # A session is changed until it starts; after, it stays in the record as it was (409).
    ("GET", "/groups/<slug>/sessions/<int:session_id>/edit"): [
        Case(SESSION + "/edit", in_club(403, 200, suspended=403)),
        Case(PAST + "/edit", in_club(403, 409, suspended=403))],
    ("POST", "/groups/<slug>/sessions/<int:session_id>/edit"): [
        Case(SESSION + "/edit", in_club(403, 422, suspended=403), form={}),
        Case(PAST + "/edit", in_club(403, 409, suspended=403), form={})],
    ("POST", "/groups/<slug>/sessions/<int:session_id>/prompts"): [
        Case(SESSION + "/prompts", in_club(403, 422, suspended=403), form={})],
    # Too early to mark attendance, too late to cancel: each is told so on the session's page.
    ("POST", "/groups/<slug>/sessions/<int:session_id>/attendance"): [
        Case(SESSION + "/attendance", in_club(303, suspended=403), form={})],
    ("POST", "/groups/<slug>/sessions/<int:session_id>/cancel"): [
        Case(PAST + "/cancel", in_club(403, 303, suspended=403), form={})],
    # The discussion and the CPD record exist once the session has started.
    ("GET", "/groups/<slug>/sessions/<int:session_id>/discussion"): [
        Case(PAST + "/discussion", in_club(200)), Case(SESSION + "/discussion", in_club(409))],
    ("GET", "/groups/<slug>/sessions/<int:session_id>/discussion.<ext>"): [
        Case(PAST + "/discussion.md", in_club(200)), Case(PAST + "/discussion.pdf", in_club(404))],
    ("GET", "/groups/<slug>/sessions/<int:session_id>/cpd"): [
        Case(PAST + "/cpd", in_club(200)), Case(SESSION + "/cpd", in_club(409))],
    ("GET", "/groups/<slug>/sessions/<int:session_id>/cpd.<ext>"): [Case(PAST + "/cpd.csv", in_club(200))],
    ("GET", "/api/groups"): [Case("/api/groups", signed_in(200, anonymous=401))],
    ("POST", "/api/groups"): [Case("/api/groups", writers(422, anonymous=401), json={})],
    ("GET", "/api/groups/<slug>"): [Case(API_CLUB, in_club(200, anonymous=401))],
    ("PATCH", "/api/groups/<slug>"): [Case(API_CLUB, in_club(403, 403, 422, anonymous=401, suspended=403), json={})],
    ("GET", "/api/groups/<slug>/members"): [Case(API_CLUB + "/members", in_club(200, anonymous=401))],
    # A club by invitation only is not there to join for outsiders; its members belong already (409).
    ("POST", "/api/groups/<slug>/members"): [
        Case(API_CLUB + "/members", in_club(409, anonymous=401, suspended=403), json={})],
    ("PATCH", "/api/groups/<slug>/members/<int:user_id>"): [
        Case(API_CLUB + "/members/{reader_b}", in_club(403, 403, 422, anonymous=401, suspended=403), json={})],
    ("DELETE", "/api/groups/<slug>/members/<int:user_id>"): [
        Case(API_CLUB + "/members/{reader_b}", in_club(403, 403, 422, anonymous=401, suspended=403))],
    ("GET", "/api/groups/<slug>/invitations"): [
        Case(API_CLUB + "/invitations", in_club(403, 403, 200, anonymous=401, suspended=403))],
    ("POST", "/api/groups/<slug>/invitations"): [
        Case(API_CLUB + "/invitations", in_club(403, 403, 422, anonymous=401, suspended=403),
             json={"email": "not an address"})],
    ("DELETE", "/api/groups/<slug>/invitations/<int:invitation_id>"): [
        Case(API_CLUB + "/invitations/{g_invitation}", in_club(403, 403, 204, anonymous=401, suspended=403),
             fresh="g_invitation")],
    ("POST", "/api/invitations/accept"): [Case("/api/invitations/accept", writers(422, anonymous=401), json={})],
    ("GET", "/api/groups/<slug>/sessions"): [Case(API_CLUB + "/sessions", in_club(200, anonymous=401))],
    ("POST", "/api/groups/<slug>/sessions"): [
        Case(API_CLUB + "/sessions", in_club(403, 422, anonymous=401, suspended=403), json={})],
    ("GET", "/api/groups/<slug>/sessions/<int:session_id>"): [Case(API_SESSION, in_club(200, anonymous=401))],
    ("POST", "/api/groups/<slug>/sessions/<int:session_id>/prompts"): [
        Case(API_SESSION + "/prompts", in_club(403, 422, anonymous=401, suspended=403), json={})],
    ("PUT", "/api/groups/<slug>/sessions/<int:session_id>/attendance"): [
        Case(API_SESSION + "/attendance", in_club(422, anonymous=401, suspended=403), json={})],
}
