"""Accounts in the browser: sign up, sign in and out, profile and password."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes, tokens  # noqa: E402,F401
