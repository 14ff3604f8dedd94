"""Exports of the discussion (per article and per person) and the import of annotations from other tools."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from app.exports import routes  # noqa: E402,F401
