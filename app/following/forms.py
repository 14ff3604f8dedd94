"""The follow and unfollow form: what to follow and where to go back to."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class FollowForm(FlaskForm):
    """One target: its type (article, thread, study, tag, person) and its id (or the tag)."""

    type = HiddenField(validators=[DataRequired(message="Say what to follow.")])
    target = StringField("Tag", validators=[DataRequired(message="Say what to follow."), Length(max=120)])
    next = HiddenField()
