"""A person's public profile and the people search for @mentions."""
from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_login import current_user

from app.auth.forms import EmptyForm
from app.extensions import login_manager
from app.models import FollowTarget
from app.people import bp
from app.services import follows, people
from app.services.pagination import page_number
from app.text.mentions import mention_token


@bp.route("/people/<int:user_id>")
def show(user_id: int):
    """Show a person's profile and their public annotations, paged."""
    viewer = current_user if current_user.is_authenticated else None
    person = people.find(user_id, viewer)
    if person is None:
        abort(404, description="There is no one here whose profile you can see.")
    annotations = people.public_annotations(person, page_number(request.args.get("page")))
    following = viewer is not None and follows.find(viewer.id, FollowTarget.PERSON, str(person.id)) is not None
    return render_template("people/show.html", person=person, annotations=annotations, following=following,
                           form=EmptyForm())


@bp.route("/people/search")
def search():
    """Return people whose name matches `q`, for the @mention combobox (signed-in readers only)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    found = people.search(request.args.get("q", ""), current_user)
    return jsonify({"people": [{"id": p.id, "name": p.display_name, "profession": p.profession or "",
                                "mention": mention_token(p.display_name, p.id)} for p in found]})
