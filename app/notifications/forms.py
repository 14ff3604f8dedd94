"""The flag form. The flags service applies the rules (an "other" flag needs a note)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.models import FlagReason
from app.services.flags import MAX_NOTE_LENGTH, REASON_LABELS


class FlagForm(FlaskForm):
    """Why a reader reports an annotation to the moderators."""

    reason = RadioField("Why are you flagging this annotation?",
                        choices=[SelectChoice(r.value, REASON_LABELS[r]) for r in FlagReason],
                        validators=[DataRequired(message="Choose a reason.")])
    note = TextAreaField("Note for the moderators", validators=[Length(max=MAX_NOTE_LENGTH)],
                         description=f"Optional, except for \"Other\". {MAX_NOTE_LENGTH} characters at most. "
                                     "Only moderators see it; the author is not told who flagged.")
