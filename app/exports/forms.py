"""The form importing W3C JSON-LD annotations into an article."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

VISIBILITY_CHOICES = [SelectChoice("private", "Only me: private notes (you can publish each one later)"),
                      SelectChoice("public", "Public: everyone can read them (a new account's first public "
                                             "annotations wait for a moderator)")]


class ImportAnnotationsForm(FlaskForm):
    """Upload a JSON-LD file of annotations."""

    file = FileField("Annotations file (JSON)", validators=[FileRequired(message="Choose a file to import.")],
                     description="W3C Web Annotation JSON-LD (an AnnotationCollection, or a list of annotations), "
                                 "or a Hypothesis export. Each annotation is placed on the words it quotes.")
    visibility = RadioField("Who can read the imported annotations", choices=VISIBILITY_CHOICES, default="private")
