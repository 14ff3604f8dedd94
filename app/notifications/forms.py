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


def preferences_form(choices: dict, auto_follow: bool, formdata=None) -> FlaskForm:
    """Return the notification settings form: one choice per event type, and auto-follow."""
    from wtforms import BooleanField

    from app.services.preferences import DELIVERY_LABELS, EVENT_TYPES

    delivery_choices = [SelectChoice(d.value, label) for d, label in DELIVERY_LABELS.items()]

    class PreferencesForm(FlaskForm):
        auto_follow = BooleanField("Follow the threads I start or reply to",
                                   description="You then hear about new replies in them.")

    for key, event in EVENT_TYPES.items():
        setattr(PreferencesForm, key, RadioField(event.label, choices=delivery_choices, description=event.description,
                                                 validators=[DataRequired(message="Choose one.")]))
    if formdata is not None:  # a sent form says everything: nothing missing is filled in from the saved choices
        return PreferencesForm(formdata=formdata)
    data = {key: delivery.value for key, delivery in choices.items()}
    return PreferencesForm(formdata=None, data={**data, "auto_follow": auto_follow})
