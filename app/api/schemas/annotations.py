"""W3C Web Annotations as Postil serves them and as clients send them: one schema per shape.

Served shapes (Annotation, AnnotationPage, AnnotationCollection) describe exactly what the
serialisers write. Input shapes (AnnotationInput for POST and PUT, AnnotationPatch) hold every
rule of the API that JSON Schema can say: the context, the motivations, one text body (or
`bodyValue`) of at most the configured length, at most ten tags of forty characters, at most one
linked study, exactly one TextQuoteSelector, replies that target an annotation and link no study.
What depends on stored data (the quote is in the article, the linked study is one of its
references, the visibility does not change) stays with the handlers and services.
"""
from __future__ import annotations

from app.api import w3c
from app.api.schemas.base import (
    COUNT,
    INTEGER,
    IRI,
    IRI_INPUT,
    NOT_BLANK,
    NULLABLE_TIME,
    TIME,
    nullable,
    ref,
    string,
)
from app.models import AnnotationStatus, Visibility
from app.models.base import INTEGER_MAX
from app.services.annotations import MAX_TAG_LENGTH, MAX_TAGS

ANCHOR_STATES = ["anchored", "moved", "reworded", "changed", "orphaned"]
PAGE_SIZE = 200
MOTIVATIONS = [*w3c.MOTIVATION_OF_KIND.values(), w3c.REPLYING]
MOTIVATION_TABLE = ", ".join(f"{kind.value} ↔ {motivation}" for kind, motivation in w3c.MOTIVATION_OF_KIND.items())
VISIBILITIES = [v.value for v in Visibility]

# --- Served -------------------------------------------------------------------------------------

_SERVED = {
    "TextQuoteSelector": {
        "type": "object", "required": ["type", "exact"],
        "properties": {"type": {"const": "TextQuoteSelector"}, "exact": string("The quoted passage."),
                       "prefix": string("Up to 32 code points before the passage."),
                       "suffix": string("Up to 32 code points after the passage.")},
    },
    "TextPositionSelector": {
        "type": "object", "required": ["type", "start", "end"],
        "description": "Offsets in Unicode code points into the article's `text` (its current version).",
        "properties": {"type": {"const": "TextPositionSelector"}, "start": COUNT, "end": COUNT},
    },
    "Selector": {"oneOf": [ref("TextQuoteSelector"), ref("TextPositionSelector")]},
    "ArticleTarget": {
        "type": "object", "required": ["source", "selector"],
        "properties": {
            "source": {**IRI, "description": "The article's `url`."},
            "selector": {"type": "array", "items": ref("Selector"), "minItems": 1,
                         "description": "Alternatives for the same passage. An orphan has only its "
                                        "TextQuoteSelector (its original quote)."},
        },
    },
    "TextualBody": {
        "type": "object", "required": ["type", "value"],
        "description": "The annotation text (Markdown), or a tag when `purpose` is \"tagging\".",
        "properties": {"type": {"const": "TextualBody"}, "value": string(),
                       "format": {"const": w3c.MARKDOWN}, "purpose": {"enum": [w3c.TAGGING]}},
    },
    "LinkingBody": {
        "type": "object", "required": ["type", "purpose", "source"],
        "description": "A link to one of the article's references (its `url` in GET /api/articles/{slug}).",
        "properties": {"type": {"const": "SpecificResource"}, "purpose": {"const": w3c.LINKING}, "source": IRI},
    },
    "Body": {"oneOf": [ref("TextualBody"), ref("LinkingBody")]},
    "Anchor": {
        "type": "object", "required": ["state", "article_version", "original"],
        "description": "Where the annotation stands in the current article version, judged against the words its "
                       "author vouched for: `anchored` (same words, same place), `moved` (same words elsewhere), "
                       "`reworded` (close wording, same figures), `changed` (the passage's figures, units, "
                       "negations or comparisons changed: not attached, its selector is the vouched quote and "
                       "`current` the passage now) or `orphaned` (no longer found). `original` is the quote as "
                       "written and the article version it was written on.",
        "properties": {
            "state": {"enum": ANCHOR_STATES}, "article_version": INTEGER,
            "original": {"type": "object", "required": ["exact", "article_version"],
                         "properties": {"exact": {"type": "string"}, "article_version": INTEGER}},
            "current": {"type": "object", "required": ["exact"], "properties": {"exact": {"type": "string"}}},
        },
    },
    "Annotation": {
        "type": "object",
        "required": ["@context", "id", "type", "motivation", "created", "modified", "creator", "body", "target",
                     "status", "visibility"],
        "description": "A W3C Web Annotation. Postil's own fields (`status`, `visibility`, `anchor`, "
                       "`body_html`, `edited`, `deleted`, `moderation_reason`, `open_flags`, and the creator's "
                       "`profession`, `affiliation`, `competing_interests`) have plain names, defined by the "
                       "second @context, Postil's (GET /api/context.jsonld). `moderation_reason` is shown only to "
                       "the author and moderators, `open_flags` only to moderators.",
        "properties": {
            "@context": {"type": "array", "minItems": 2, "prefixItems": [{"const": w3c.ANNO_CONTEXT}, IRI],
                         "description": "The W3C context, then Postil's (GET /api/context.jsonld)."},
            "id": {**IRI, "description": "The annotation's IRI: its container's IRI and its number."},
            "type": {"const": "Annotation"},
            "motivation": {"enum": MOTIVATIONS,
                           "description": f"Postil kind ↔ motivation: {MOTIVATION_TABLE}; replies: replying."},
            "created": TIME,
            "modified": TIME,
            "edited": {**NULLABLE_TIME, "description": "When the text was last edited."},
            "deleted": TIME,
            "creator": ref("Person"),
            "body": {"type": "array", "items": ref("Body"),
                     "description": "The text first, then tags, then at most one linking body."},
            "body_html": string("The text rendered from Markdown and sanitised; safe to insert as HTML."),
            "target": {"oneOf": [ref("ArticleTarget"),
                                 {**IRI, "description": "A reply targets the IRI of the annotation it answers."}]},
            "anchor": ref("Anchor"),
            "status": {"enum": [s.value for s in AnnotationStatus],
                       "description": "Moderation status; `pending` waits for a moderator."},
            "visibility": {"enum": VISIBILITIES,
                           "description": "public, private (only its author), or group (the members of "
                                          "`postil:group`)."},
            "postil:group": {**IRI, "description": "On a journal club's annotation: the group's IRI "
                                                   "(GET /api/groups/<slug>). Its members alone read it."},
            "canonical": {**IRI, "description": "The annotation's authoritative IRI, as its client sent it."},
            "via": {**IRI, "description": "The IRI the annotation was copied from (the `id` it was sent with)."},
            "moderation_reason": nullable(string()),
            "open_flags": COUNT,
            "helpful": {**COUNT, "description": "How many readers found it helpful (postil:helpful)."},
            "answer": {**nullable(IRI),
                       "description": "On a question: the IRI of the reply accepted as its answer, or null "
                                      "(postil:answer; absent on other kinds). Only an answer the caller may read."},
        },
    },
    "AnnotationPage": {
        "type": "object", "required": ["id", "type", "items", "startIndex", "partOf"],
        "description": "One page of a container: annotations, or only their IRIs in the container's "
                       "`?iris=1` form (Prefer: return=representation; include=\"http://www.w3.org/ns/oa#"
                       "PreferContainedIRIs\").",
        "properties": {
            "@context": {"const": w3c.ANNO_CONTEXT},
            "id": IRI, "type": {"const": "AnnotationPage"},
            "startIndex": COUNT,
            "items": {"type": "array", "items": {"anyOf": [ref("Annotation"), IRI]}, "maxItems": PAGE_SIZE},
            "next": IRI, "prev": IRI,
            "partOf": {"type": "object", "required": ["id", "total"], "properties": {"id": IRI, "total": COUNT}},
        },
    },
    "AnnotationCollection": {
        "type": "object", "required": ["@context", "id", "type", "total", "first", "last"],
        "description": f"An article's annotation container: the annotations and replies the caller may read "
                       f"(deleted ones left out), oldest first, {PAGE_SIZE} per page. `first` embeds the first "
                       "page, unless the client preferred a minimal container (then it is the page's IRI).",
        "properties": {
            "@context": {"const": [w3c.ANNO_CONTEXT, w3c.LDP_CONTEXT]},
            "id": IRI, "type": {"const": ["BasicContainer", "AnnotationCollection"]},
            "label": string(), "total": COUNT,
            "first": {"anyOf": [ref("AnnotationPage"), IRI]}, "last": IRI,
        },
    },
}

# --- Sent by clients -------------------------------------------------------------------------------


def _is(type_name: str, **properties) -> dict:
    """A condition: the object's `type` is `type_name` and the given properties have the given values."""
    props = {"type": {"const": type_name}, **{k: {"const": v} for k, v in properties.items()}}
    return {"type": "object", "required": list(props), "properties": props}


IS_TAG = _is("TextualBody", purpose=w3c.TAGGING)
IS_TEXT = {**_is("TextualBody"), "not": {"required": ["purpose"], "properties": {"purpose": {"const": w3c.TAGGING}}}}
IS_LINK = _is("SpecificResource")
IS_QUOTE = _is("TextQuoteSelector")
IS_POSITION = _is("TextPositionSelector")
IS_REPLY = {"required": ["motivation"], "properties": {"motivation": {"anyOf": [
    {"const": w3c.REPLYING}, {"type": "array", "contains": {"const": w3c.REPLYING}}]}}}
POSITION = {"type": "integer", "minimum": 0, "maximum": INTEGER_MAX}
_ONE_QUOTE = "needs exactly one TextQuoteSelector (and at most one TextPositionSelector)."


def _text(max_length: int) -> dict:
    return string(f"The annotation text, Markdown, at most {max_length:,} characters.", maxLength=max_length,
                  pattern=NOT_BLANK, **{"x-errors": {
                      "pattern": "is empty: write the annotation text.",
                      "maxLength": f"is too long: {max_length:,} characters at most."}})


def _counted(condition: dict, at_most: int, message: str, at_least: int = 0) -> dict:
    """An array schema: between `at_least` and `at_most` items meet `condition`."""
    return {"contains": condition, "minContains": at_least, "maxContains": at_most,
            "x-errors": dict.fromkeys(("contains", "minContains", "maxContains"), message)}


def _input(max_length: int) -> dict:
    one_text = "needs the annotation text once: one TextualBody without a purpose (or `bodyValue`)."
    body_array = {"type": "array", "items": ref("BodyInput"), "allOf": [
        _counted(IS_TAG, MAX_TAGS, f"holds too many tags: {MAX_TAGS} at most."),
        _counted(IS_LINK, 1, "links more than one study: an annotation links to at most one.")]}
    return {
        "TextBodyInput": {
            "type": "object", "required": ["type", "value"],
            "properties": {"type": {"const": "TextualBody"}, "value": _text(max_length),
                           "format": {"const": w3c.MARKDOWN, "default": w3c.MARKDOWN},
                           "purpose": {"enum": sorted(set(w3c.W3C_MOTIVATIONS) - {w3c.TAGGING})},
                           "language": string(maxLength=35)},
        },
        "TagBodyInput": {
            "type": "object", "required": ["type", "purpose", "value"],
            "properties": {"type": {"const": "TextualBody"}, "purpose": {"const": w3c.TAGGING},
                           "value": string(f"A tag, at most {MAX_TAG_LENGTH} characters.", pattern=NOT_BLANK,
                                           maxLength=MAX_TAG_LENGTH, **{"x-errors": {"pattern": "is an empty tag."}})},
        },
        "LinkBodyInput": {
            "type": "object", "required": ["type", "source"],
            "description": "A link to one of the article's references: a reference's `url` from GET "
                           "/api/articles/{slug}, the study's page or its DOI URL.",
            "properties": {"type": {"const": "SpecificResource"}, "purpose": {"const": w3c.LINKING},
                           "source": IRI_INPUT},
        },
        "BodyInput": {
            "type": "object", "required": ["type"],
            "description": "The text (a TextualBody without a purpose), a tag (a TextualBody with purpose "
                           "\"tagging\") or a linked study (a SpecificResource).",
            "properties": {"type": {"enum": ["TextualBody", "SpecificResource"]}},
            "allOf": [{"if": IS_TAG, "then": ref("TagBodyInput")},
                      {"if": IS_TEXT, "then": ref("TextBodyInput")},
                      {"if": IS_LINK, "then": ref("LinkBodyInput")}],
            "x-errors": {"enum": "must be a TextualBody (the text, or a tag) or a SpecificResource (a study)."},
        },
        "QuoteSelectorInput": {
            "type": "object", "required": ["type", "exact"],
            "properties": {"type": {"const": "TextQuoteSelector"},
                           "exact": string("The quoted words, as in the article's `text`.", pattern=NOT_BLANK,
                                           **{"x-errors": {"pattern": "is empty: quote the words annotated."}}),
                           "prefix": string(), "suffix": string()},
        },
        "SelectorInput": {
            "description": "A TextQuoteSelector, or a list with exactly one TextQuoteSelector and at most one "
                           "TextPositionSelector (offsets in code points into the article's `text`).",
            "anyOf": [ref("QuoteSelectorInput"), {
                "type": "array", "minItems": 1,
                "items": {"type": "object", "required": ["type"], "properties": {"type": string()},
                          "allOf": [{"if": IS_QUOTE, "then": ref("QuoteSelectorInput")},
                                    {"if": IS_POSITION, "then": {
                                        "required": ["start", "end"],
                                        "properties": {"start": POSITION, "end": POSITION}}}]},
                "contains": IS_QUOTE, "minContains": 1, "maxContains": 1,
                "allOf": [_counted(IS_POSITION, 1, _ONE_QUOTE)]}],
            "x-errors": {"anyOf": _ONE_QUOTE},
        },
        "PassageTargetInput": {
            "type": "object", "required": ["source", "selector"],
            "properties": {"source": {**IRI_INPUT, "description": "The article's `url`."},
                           "selector": ref("SelectorInput")},
            "x-errors": {"type": "must be the passage: {\"source\": the article's url, \"selector\": [...]}."},
        },
        "ReplyTargetInput": {
            "description": "The IRI of the annotation answered (or an object with it as `id` or `source`).",
            "anyOf": [IRI_INPUT,
                      {"type": "object", "required": ["id"], "properties": {"id": IRI_INPUT}},
                      {"type": "object", "required": ["source"], "properties": {"source": IRI_INPUT},
                       "not": {"required": ["selector"]}}],
            "x-errors": {"anyOf": "of a reply must be the IRI of the annotation it answers."},
        },
        "AnnotationInput": {
            "type": "object", "required": ["@context", "target"],
            "description": "A W3C Web Annotation to create (POST) or the whole new state of one (PUT). For a "
                           "passage: `target` {source: the article's url, selector: [TextQuoteSelector "
                           "(required), TextPositionSelector (optional, code points)]}. For a reply: `motivation` "
                           "\"replying\" and `target` the IRI of the annotation answered; a reply links no study. "
                           f"The text is one TextualBody without a purpose (or `bodyValue`), at most "
                           f"{max_length:,} characters; tags are TextualBodies with purpose \"tagging\" ({MAX_TAGS} "
                           f"at most, {MAX_TAG_LENGTH} characters each); a study is linked with one "
                           "SpecificResource body. `canonical` is kept as sent and an `id` is kept as `via`; "
                           "other server-managed fields (`type`, `creator`, `created`, `modified`, `status`, "
                           "`anchor`, `moderation_reason`, `role`, ...) are ignored.",
            "properties": {
                "@context": {"description": f"\"{w3c.ANNO_CONTEXT}\", or a list including it.",
                             "anyOf": [{"const": w3c.ANNO_CONTEXT},
                                       {"type": "array", "contains": {"const": w3c.ANNO_CONTEXT}}],
                             "x-errors": {"anyOf": f"must be (or include) \"{w3c.ANNO_CONTEXT}\"."}},
                "id": {**IRI_INPUT, "description": "The annotation's IRI elsewhere: kept as `via`."},
                "motivation": {"anyOf": [{"enum": MOTIVATIONS},
                                         {"type": "array", "items": {"enum": MOTIVATIONS}, "minItems": 1,
                                          "maxItems": 1}],
                               "default": "commenting",
                               "x-errors": {"anyOf": "must be one of " + ", ".join(MOTIVATIONS) + "."}},
                "body": {"anyOf": [ref("BodyInput"), body_array]},
                "bodyValue": _text(max_length),
                "target": {"description": "The passage annotated, or for a reply the annotation answered."},
                "visibility": {"enum": VISIBILITIES, "default": "public",
                               "description": "private: only the author sees it (never moderated); group: the "
                                              "members of `postil:group`. It cannot change after posting; a reply "
                                              "stays in its parent's audience."},
                "postil:group": {**IRI_INPUT, "description": "The IRI of a journal club the caller belongs to "
                                                             "(GET /api/groups): the annotation is for its "
                                                             "members only. Implies visibility \"group\"."},
                "canonical": {**IRI_INPUT, "description": "The annotation's authoritative IRI; kept unchanged."},
                "via": {**IRI_INPUT, "description": "The IRI it was copied from (an `id`, if sent, wins)."},
            },
            "allOf": [
                {"if": {"required": ["bodyValue"]},
                 "then": {"properties": {"body": {
                     "anyOf": [{"type": "object", "not": IS_TEXT}, {"type": "array", "not": {"contains": IS_TEXT}}],
                     "x-errors": {"anyOf": "holds a second text: send the text in `bodyValue` or in one "
                                           "TextualBody, not both."}}}},
                 "else": {"required": ["body"], "properties": {"body": {
                     "anyOf": [IS_TEXT, {"type": "array", **_counted(IS_TEXT, 1, one_text, at_least=1)}],
                     "x-errors": {"anyOf": one_text}}}, "x-errors": {"required": one_text}}},
                {"if": IS_REPLY,
                 "then": {"properties": {"target": {"anyOf": [ref("ReplyTargetInput"), {
                     "type": "array", "items": ref("ReplyTargetInput"), "minItems": 1, "maxItems": 1}],
                     "x-errors": {"anyOf": "of a reply must be the IRI of the annotation it answers."}},
                     "body": {"not": {"anyOf": [IS_LINK, {"type": "array", "contains": IS_LINK}]},
                              "x-errors": {"not": "of a reply cannot link a study; link it from an annotation "
                                                  "on the passage."}}}},
                 "else": {"properties": {"target": {"anyOf": [ref("PassageTargetInput"), {
                     "type": "array", "items": ref("PassageTargetInput"), "minItems": 1, "maxItems": 1}],
                     "x-errors": {"anyOf": "must be the passage: {\"source\": the article's url, "
                                           "\"selector\": [a TextQuoteSelector, ...]} (a reply has the motivation "
                                           "\"replying\")."}}}}},
            ],
            "x-errors": {"type": "must be a JSON object (a Web Annotation)."},
        },
        "AnnotationPatch": {
            "type": "object", "minProperties": 1,
            "description": "Change some of an annotation: `motivation` (its kind; a reply stays \"replying\") "
                           "and the bodies (`body` or `bodyValue`). Bodies, when sent, replace the text and the "
                           "tags (send the tags you keep). The target, the linked study, the visibility, "
                           "`canonical` and `via` cannot change (409 if sent different).",
            "properties": {
                "motivation": {"anyOf": [{"enum": MOTIVATIONS},
                                         {"type": "array", "items": {"enum": MOTIVATIONS}, "minItems": 1,
                                          "maxItems": 1}],
                               "x-errors": {"anyOf": "must be one of " + ", ".join(MOTIVATIONS) + "."}},
                "body": {"anyOf": [ref("BodyInput"), body_array]},
                "bodyValue": _text(max_length),
                "visibility": {"enum": VISIBILITIES},
                "postil:group": IRI_INPUT,
                "canonical": IRI_INPUT, "via": IRI_INPUT,
            },
            "anyOf": [{"required": ["motivation"]}, {"required": ["body"]}, {"required": ["bodyValue"]}],
            "allOf": [{"if": {"required": ["body"]}, "then": {"properties": {"body": {
                "anyOf": [IS_TEXT, {"type": "array", **_counted(IS_TEXT, 1, one_text, at_least=1)}],
                "x-errors": {"anyOf": one_text}}}, "not": {"required": ["bodyValue"]},
                "x-errors": {"not": "sends the text twice: in `bodyValue` or in `body`, not both."}}}],
            "x-errors": {"type": "must be a JSON object.",
                         "minProperties": "changes nothing: send `body` (text and tags) and/or `motivation`.",
                         "anyOf": "changes nothing: send `body` (text and tags) and/or `motivation`."},
        },
    }


def schemas(max_length: int) -> dict[str, dict]:
    """Return the annotation schemas, the input ones allowing texts of `max_length` characters."""
    return {**_SERVED, **_input(max_length)}
