"""Forms of the journal clubs' pages. Length limits mirror the models; the services apply the rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.models import GroupRole, JoinPolicy
from app.services.group_sessions import MAX_AGENDA_LENGTH, MAX_MINUTES, MAX_TITLE_LENGTH, MIN_MINUTES
from app.services.groups import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH

POLICY_CHOICES = [SelectChoice(JoinPolicy.INVITATION.value, "By invitation only: members join with an invitation"),
                  SelectChoice(JoinPolicy.OPEN.value, "Open: anyone signed in to Postil can join")]


class GroupForm(FlaskForm):
    """A group's name, description, join policy and pre-moderation."""

    name = StringField("Name", validators=[DataRequired(message="Give the group a name."),
                                           Length(max=MAX_NAME_LENGTH)],
                       description="For example “Oncology registrars' journal club”.")
    description = TextAreaField("Description", validators=[Length(max=MAX_DESCRIPTION_LENGTH)],
                                description="Who the group is for and when it meets. Members see it; so does anyone "
                                            "who may join an open group.")
    join_policy = RadioField("Who can join", choices=POLICY_CHOICES, default=JoinPolicy.INVITATION.value)
    premoderate_new_members = BooleanField("New members' first three annotations in the group wait for a group "
                                           "moderator")


class InviteEmailForm(FlaskForm):
    """An invitation sent to an email address."""

    email = EmailField("Email address", validators=[DataRequired(message="Enter the address to invite."),
                                                    Length(max=254)])


class RoleForm(FlaskForm):
    role = RadioField("Role", choices=[SelectChoice(GroupRole.MODERATOR.value, "Moderator"),
                                       SelectChoice(GroupRole.MEMBER.value, "Member")],
                      validators=[DataRequired(message="Choose a role.")])


class SessionForm(FlaskForm):
    """A session: the article, its title, local date and time in a time zone, how long, the agenda."""

    article = SelectField("Article", choices=[], validate_choice=False,
                          validators=[DataRequired(message="Choose the article to discuss.")])
    title = StringField("Title", validators=[Optional(), Length(max=MAX_TITLE_LENGTH)],
                        description="Leave empty to use the article's title.")
    day = DateField("Date", validators=[DataRequired(message="Enter the date, e.g. 2026-12-15.")])
    time = TimeField("Start time", validators=[DataRequired(message="Enter the start time, e.g. 18:30.")])
    time_zone = SelectField("Time zone", choices=[], validate_choice=False,
                            description="Members see the time in their own time zone.")
    duration_minutes = IntegerField("Length in minutes", default=60,
                                    validators=[DataRequired(message="Enter the length in minutes.")],
                                    description=f"From {MIN_MINUTES} to {MAX_MINUTES}; members' CPD records "
                                                "count it.")
    agenda = TextAreaField("Agenda", validators=[Length(max=MAX_AGENDA_LENGTH)],
                           description="Markdown: a list of what the group will discuss.")
    # When changing a session: what the editor started from (app.services.group_sessions.fingerprint).
    seen = HiddenField()


class PromptForm(FlaskForm):
    """A question pinned to a passage of the session's article."""

    exact = TextAreaField("Passage", validators=[DataRequired(message="Copy the words of the passage."),
                                                 Length(max=5000)],
                          description="Copy the exact words from the article.")
    body = TextAreaField("Question", validators=[DataRequired(message="Write the question for the group."),
                                                 Length(max=10_000)])
