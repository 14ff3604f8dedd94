"""Moderation panel forms. The services apply the rules; these only carry the fields and the CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.models import Role
from app.services.moderation import MAX_REASON_LENGTH


class ActionForm(FlaskForm):
    """One decision on one annotation; the clicked button's name="action" value names the action."""

    action = StringField("Action", validators=[DataRequired(message="Choose an action.")])
    reason = StringField("Reason", validators=[Length(max=MAX_REASON_LENGTH)],
                         description="Required to hide or remove; shown to the author.")
    if_modified = HiddenField(validators=[DataRequired(message="The form lacks the annotation's timestamp: reload "
                                                              "the page and try again.")])
    next = HiddenField()


class BulkForm(FlaskForm):
    """One action on the selected annotations (ids and their `modified-<id>` come from the checkboxes)."""

    action = SelectField("With the selected annotations",
                         choices=[SelectChoice(value, label) for value, label in (
                             ("approve", "Approve"), ("hide", "Hide"), ("restore", "Restore"),
                             ("dismiss_flags", "Dismiss flags"), ("remove", "Remove"))])
    reason = StringField("Reason", validators=[Length(max=MAX_REASON_LENGTH)],
                         description="Required to hide or remove; shown to each author.")
    next = HiddenField()


class SuspendForm(FlaskForm):
    """Suspend an account until a date, or indefinitely when no date is given."""

    until = DateField("Until", validators=[Optional()],
                      description="The suspension ends at the start of this day (UTC). Leave empty to "
                                  "suspend indefinitely.")
    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason: the person is shown it."),
                                                 Length(max=MAX_REASON_LENGTH)])


class ReasonForm(FlaskForm):
    """An optional reason, for lifting a suspension or changing trust."""

    reason = StringField("Reason", validators=[Length(max=MAX_REASON_LENGTH)])


class RoleForm(FlaskForm):
    """Give an account another role."""

    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.capitalize()) for r in Role])
    reason = StringField("Reason", validators=[Length(max=MAX_REASON_LENGTH)])
