"""The notification settings form: one delivery choice per event type, built from the event table."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired


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
