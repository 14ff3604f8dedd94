"""Forms for annotating without JavaScript, replying, editing and flagging (the flags service applies the rules)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.models import AnnotationKind, FlagReason
from app.services.flags import MAX_NOTE_LENGTH, REASON_LABELS

KIND_CHOICES = [SelectChoice(kind.value, kind.label) for kind in AnnotationKind]
VISIBILITY_CHOICES = [SelectChoice("public", "Public: everyone can read it"),
                      SelectChoice("private", "Only me: a private note")]
# A group's audience value in the form: "group:<slug>" (app.annotating.routes reads it).
GROUP_AUDIENCE_PREFIX = "group:"


def audience_choices(groups) -> list[SelectChoice]:
    """Return the annotate form's audiences: everyone, each of the reader's active groups, only me."""
    return [VISIBILITY_CHOICES[0],
            *(SelectChoice(GROUP_AUDIENCE_PREFIX + g.slug, f"{g.name}: members of this journal club only")
              for g in groups),
            VISIBILITY_CHOICES[1]]
BODY_HELP = ("Markdown: **bold**, *italic*, [link](https://…), lists and quotes. 10,000 characters at most. "
             "Type @ and a name to mention a colleague.")


class BodyFields:
    body = TextAreaField("Your annotation", validators=[DataRequired(message="Write your annotation."),
                                                        Length(max=10_000)], description=BODY_HELP)


class AppraisalField:
    # The appraisal's inputs are plain fields (templates/annotating/_appraisal.html) read by the view;
    # this one carries their data and error messages in the form.
    appraisal_tool = HiddenField()


class AnnotationForm(AppraisalField, BodyFields, FlaskForm):
    """A new annotation on a typed quote (the paragraph form) or a selection (the script)."""

    exact = TextAreaField("Passage you are annotating",
                          validators=[DataRequired(message="Paste or type the words you are annotating."),
                                      Length(max=5000)],
                          description="Copy the exact words from the paragraph.")
    start = HiddenField()
    end = HiddenField()
    prefix = HiddenField()
    suffix = HiddenField()
    kind = RadioField("Kind", choices=KIND_CHOICES, default="comment")
    tags = StringField("Tags", validators=[Optional(), Length(max=400)],
                       description="Separate tags with commas, e.g. preclinical models, taxanes.")
    study_id = SelectField("Linked study", choices=[SelectChoice("", "None")], validate_choice=False, default="")
    # Checked by the view, which names a group the reader may not write in rather than "not a valid choice".
    visibility = RadioField("Who can read it", choices=VISIBILITY_CHOICES, default="public", validate_choice=False)


class ReplyForm(BodyFields, FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired(message="Write your reply."),
                                                   Length(max=10_000)], description=BODY_HELP)


class EditForm(AppraisalField, BodyFields, FlaskForm):
    kind = RadioField("Kind", choices=KIND_CHOICES)
    tags = StringField("Tags", validators=[Optional(), Length(max=400)],
                       description="Separate tags with commas, e.g. preclinical models, taxanes.")
    # As on the create form: one of the article's references, or none.
    study_id = SelectField("Linked study", choices=[SelectChoice("", "None")], validate_choice=False, default="")
    # As on the create form; offered for top-level annotations only (a reply follows its thread).
    visibility = RadioField("Who can read it", choices=VISIBILITY_CHOICES, validate_choice=False)


class ReattachForm(FlaskForm):
    """Confirm a changed passage, pick a suggested one, or type the words to attach an annotation to."""

    candidate = RadioField("Attach it to one of these passages", choices=[], validate_choice=False,
                           validators=[Optional()])
    exact = TextAreaField("Or type the words to attach it to", validators=[Optional(), Length(max=5000)],
                          description="Copy the exact words from the article.")


class FlagForm(FlaskForm):
    """Why a reader reports an annotation to the moderators."""

    reason = RadioField("Why are you flagging this annotation?",
                        choices=[SelectChoice(r.value, REASON_LABELS[r]) for r in FlagReason],
                        validators=[DataRequired(message="Choose a reason.")])
    note = TextAreaField("Note for the moderators", validators=[Length(max=MAX_NOTE_LENGTH)],
                         description=f"Optional, except for \"Other\". {MAX_NOTE_LENGTH} characters at most. "
                                     "Only moderators see it; the author is not told who flagged.")
