"""The article editor form: the whole Markdown file, a revision note, and the version it was based on."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.services.authoring import NOTE_MAX_LENGTH

SOURCE_HELP = ("Markdown with YAML front matter between --- lines: title (required), standfirst, source, "
               "commented_work (a study key), tags (a list). Cite studies as [@key] or [@key1; @key2].")


class ArticleForm(FlaskForm):
    """Create or edit an article."""

    source = TextAreaField("Article (Markdown with front matter)",
                           validators=[DataRequired(message="Write the article: front matter with a title, "
                                                            "then the text."), Length(max=500_000)],
                           description=SOURCE_HELP)
    note = StringField("Revision note", validators=[Length(max=NOTE_MAX_LENGTH)],
                       description="A few words on what changed, e.g. \u201cAdded the 2019 follow-up\u201d.")
    base_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    base_fingerprint = HiddenField()


class StatusForm(FlaskForm):
    """Publish or unpublish (a button that POSTs)."""

    base_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
