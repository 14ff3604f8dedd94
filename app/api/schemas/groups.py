"""Journal clubs in the API: groups, memberships, invitations and sessions."""
from __future__ import annotations

from app.api.schemas.base import (
    COUNT,
    ID,
    IRI,
    NOT_BLANK,
    NULLABLE_TIME,
    TIME,
    WHITE_SPACE,
    nullable,
    ref,
    string,
)
from app.models import GroupRole, JoinPolicy
from app.services.group_sessions import MAX_AGENDA_LENGTH, MAX_MINUTES, MAX_TITLE_LENGTH, MIN_MINUTES
from app.services.groups import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH

GROUP_SLUG = string("The group's slug.", minLength=1, maxLength=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
ROLE = {"enum": [r.value for r in GroupRole]}
POLICY = {"enum": [p.value for p in JoinPolicy],
          "description": "invitation: members join with an invitation (the default); open: anyone signed in."}
# An ISO 8601 instant with its offset: a session's start is never read in a guessed time zone.
INSTANT_INPUT = string(
    "An ISO 8601 date and time with its UTC offset, e.g. 2026-12-15T18:30:00+00:00 or ...Z.", minLength=1,
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$",
    **{"x-errors": {"pattern": "must be a date and time with its offset, e.g. 2026-12-15T18:30:00Z."}})

_NAME = string(minLength=1, maxLength=MAX_NAME_LENGTH, pattern=NOT_BLANK,
               **{"x-errors": {"pattern": "must not be blank."}})
_DESCRIPTION = string(maxLength=MAX_DESCRIPTION_LENGTH)
_GROUP_FIELDS = {"name": _NAME, "description": _DESCRIPTION, "join_policy": POLICY,
                 "premoderate_new_members": {"type": "boolean",
                                             "description": "New members' first three annotations in the group "
                                                            "wait for a group moderator."}}

SCHEMAS = {
    "Group": {
        "type": "object",
        "required": ["id", "slug", "name", "description", "join_policy", "premoderate_new_members", "archived",
                     "created", "role", "members", "url"],
        "description": "A journal club, as one of its members sees it. Its annotations carry `postil:group`, "
                       "this IRI, and are read by its members only.",
        "properties": {"id": IRI, "slug": GROUP_SLUG, "name": string(), "description": string(),
                       "join_policy": POLICY, "premoderate_new_members": {"type": "boolean"},
                       "archived": {"type": "boolean", "description": "Read-only: nothing new is written in it."},
                       "created": TIME, "role": {**ROLE, "description": "The caller's role."},
                       "members": COUNT, "url": {**IRI, "description": "The group's page."}},
    },
    "GroupList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                                     "items": ref("Group")}}},
    "GroupInput": {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": _GROUP_FIELDS,
        "x-errors": {"additionalProperties": "holds a field a group does not have: send name, description, "
                                             "join_policy, premoderate_new_members."},
    },
    "GroupPatch": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "properties": {**_GROUP_FIELDS, "archived": {"type": "boolean", "description": "Archive or reopen."}},
        "x-errors": {"minProperties": "changes nothing: send a field to change.",
                     "additionalProperties": "holds a field a group does not have."},
    },
    "Membership": {
        "type": "object", "required": ["user", "name", "role", "joined"],
        "properties": {"user": ID, "name": string(), "profession": string(), "role": ROLE, "joined": TIME},
    },
    "MembershipList": {"type": "object", "required": ["items"],
                       "properties": {"items": {"type": "array", "items": ref("Membership")}}},
    "MembershipPatch": {
        "type": "object", "required": ["role"], "additionalProperties": False,
        "properties": {"role": {**ROLE, "description": "moderator or member; owner hands the group over (the "
                                                       "previous owner becomes a moderator)."}},
    },
    "Invitation": {
        "type": "object", "required": ["id", "email", "created", "expires", "used"],
        "properties": {"id": ID, "email": nullable(string()), "created": TIME, "expires": TIME,
                       "used": {"type": "boolean"},
                       "url": {**IRI, "description": "The invitation link: returned once, when created by link."}},
    },
    "InvitationList": {"type": "object", "required": ["items"],
                       "properties": {"items": {"type": "array", "items": ref("Invitation")}}},
    "InvitationInput": {
        "type": "object", "additionalProperties": False,
        "properties": {"email": string("Send the invitation to this address; without it, a single-use link is "
                                       "returned.", minLength=3, maxLength=254,
                                       pattern=f"^[^{WHITE_SPACE}@]+@[^{WHITE_SPACE}@]+$",
                                       **{"x-errors": {"pattern": "must be an email address."}})},
    },
    "AcceptInput": {
        "type": "object", "required": ["token"], "additionalProperties": False,
        "properties": {"token": string("The last part of the invitation link.", minLength=1, maxLength=500)},
    },
    "Session": {
        "type": "object",
        "required": ["id", "group", "article", "title", "starts_at", "ends_at", "duration_minutes", "agenda",
                     "agenda_html", "prompts", "attended", "attendees", "url"],
        "properties": {"id": ID, "group": IRI, "article": IRI, "title": string(), "starts_at": TIME,
                       "ends_at": TIME, "duration_minutes": {"type": "integer"}, "agenda": string(),
                       "agenda_html": string("The agenda rendered from Markdown and sanitised."),
                       "prompts": {"type": "array", "items": IRI,
                                   "description": "The prompts' annotation IRIs, in order."},
                       "attended": {"type": "boolean", "description": "Whether the caller marked attendance."},
                       "attendees": COUNT, "url": IRI},
    },
    "SessionList": {"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": ref("Session")}}},
    "SessionInput": {
        "type": "object", "required": ["article", "starts_at"], "additionalProperties": False,
        "properties": {"article": string("The article's slug.", minLength=1, maxLength=120),
                       "title": string(maxLength=MAX_TITLE_LENGTH),
                       "starts_at": INSTANT_INPUT,
                       "duration_minutes": {"type": "integer", "minimum": MIN_MINUTES, "maximum": MAX_MINUTES,
                                            "default": 60},
                       "agenda": string(maxLength=MAX_AGENDA_LENGTH)},
    },
    "PromptInput": {
        "type": "object", "required": ["exact", "question"], "additionalProperties": False,
        "properties": {"exact": string("The words of the passage, as in the article's text.", minLength=1,
                                       maxLength=5000, pattern=NOT_BLANK),
                       "prefix": string(maxLength=200), "suffix": string(maxLength=200),
                       "question": string(minLength=1, maxLength=10_000, pattern=NOT_BLANK)},
    },
    "AttendanceInput": {"type": "object", "required": ["attended"], "additionalProperties": False,
                        "properties": {"attended": {"type": "boolean"}}},
    "Attendance": {"type": "object", "required": ["attended", "marked"],
                   "properties": {"attended": {"type": "boolean"}, "marked": NULLABLE_TIME}},
}
