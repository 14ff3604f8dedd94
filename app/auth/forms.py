"""Account forms. Length limits mirror the model; the services apply the rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

INTERESTS_CHOICES = [SelectChoice("none", "None declared"),
                     SelectChoice("declare", "I declare the following competing interests")]


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."),
                                                     Length(max=256)])
    remember = BooleanField("Keep me signed in on this device (14 days)")
    next = HiddenField()


class ProfileFields:
    """Fields shared by sign-up and profile editing."""

    display_name = StringField("Display name (your real name)",
                               validators=[DataRequired(message="Enter your name."), Length(max=100)])
    profession = StringField("Profession or specialty", validators=[Length(max=120)],
                             description='For example "Medical oncologist" or "Community pharmacist".')
    affiliation = StringField("Affiliation", validators=[Length(max=200)])
    interests_choice = RadioField("Competing interests", choices=INTERESTS_CHOICES, default="none",
                                  validators=[DataRequired(message="Choose whether you have competing interests.")])
    competing_interests = TextAreaField("Your competing interests", validators=[Length(max=2000)],
                                        description="Shown next to your public annotations.")


class SignUpForm(ProfileFields, FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Choose a password."), Length(max=256)],
                             description="At least 15 characters. A few unrelated words make a good one.")
    # The page the newcomer came from: confirming the address brings them back to it.
    next = HiddenField()


class ProfileForm(ProfileFields, FlaskForm):
    orcid = StringField("ORCID iD (optional)", validators=[Length(max=60)],
                        description="For example 0000-0002-1825-0097; shown on your public profile, linked to "
                                    "orcid.org.")
    # Checked by the accounts service (app.text.clock), which names an unknown zone.
    time_zone = SelectField("Time zone", choices=[], validate_choice=False,
                            description="Every time on Postil is shown to you in this time zone (your browser's "
                                        "until you choose one), and journal club sessions are entered in it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.text.clock import zone_names

        self.time_zone.choices = list(zone_names())


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(message="Enter your current "
                                                                                          "password.")])
    new_password = PasswordField("New password", validators=[DataRequired(message="Choose a new password."),
                                                             Length(max=256)],
                                 description="At least 15 characters. Other devices will be signed out.")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
