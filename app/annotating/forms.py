"""Forms for annotating without JavaScript, replying and editing."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

KIND_CHOICES = [
    SelectChoice("comment", "Comment"),
    SelectChoice("question", "Question"),
    SelectChoice("critique", "Critique of evidence"),
    SelectChoice("support", "Supporting evidence"),
    SelectChoice("practice", "Clinical practice note"),
]
VISIBILITY_CHOICES = [SelectChoice("public", "Public: everyone can read it"),
                      SelectChoice("private", "Only me: a private note")]
BODY_HELP = ("Markdown: **bold**, *italic*, [link](https://…), lists and quotes. 10,000 characters at most. "
             "Type @ and a name to mention a colleague.")


class BodyFields:
    body = TextAreaField("Your annotation", validators=[DataRequired(message="Write your annotation."),
                                                        Length(max=10_000)], description=BODY_HELP)


class AnnotationForm(BodyFields, FlaskForm):
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
    visibility = RadioField("Who can read it", choices=VISIBILITY_CHOICES, default="public")


class ReplyForm(BodyFields, FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired(message="Write your reply."),
                                                   Length(max=10_000)], description=BODY_HELP)


class EditForm(BodyFields, FlaskForm):
    kind = RadioField("Kind", choices=KIND_CHOICES)
    tags = StringField("Tags", validators=[Optional(), Length(max=400)])


class ReattachForm(FlaskForm):
    exact = TextAreaField("Passage to attach the annotation to",
                          validators=[DataRequired(message="Type the words to attach it to."), Length(max=5000)])
