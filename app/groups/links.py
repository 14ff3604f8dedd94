"""Absolute addresses of journal clubs' pages that leave Postil (in emails, in API answers)."""
from __future__ import annotations

from flask import url_for


def invitation_url(token: str) -> str:
    """Return the absolute address of an invitation link (built from POSTIL_BASE_URL, never from Host)."""
    return url_for("groups.accept", token=token, _external=True)
