"""schemathesis against a live Postil: generated requests for every operation, as three kinds of caller.

A real HTTP server (Werkzeug's, in a thread) serves the session's app and database; schemathesis
reads /api/openapi.json from it and, for every operation, sends requests that fit the document
(positive) and requests that break it (negative), as an admin, a reader and an anonymous caller,
and checks each answer: never a 5xx, only documented statuses and media types, documented headers
present and well-formed, bodies matching their schemas, and nothing that breaks the document
accepted. Positive requests name real articles and annotations half of the time (random ids are
almost always "not found"). Hypothesis runs derandomised, without its example database, with a
bounded number of examples: the same requests on every run. (schemathesis leaves out the operation
that serves the document itself; the other API tests check it.)
"""
from __future__ import annotations

import logging
import threading

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from app.models import AnnotationStatus, Role, Visibility
from tests.functional.api.conftest import QUOTE, SECOND_QUOTE

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
EXAMPLES = 4  # per operation and mode, each sent as three callers: about 26 operations x 24 requests
CALLERS = ("admin", "reader", "anonymous")


@pytest.fixture
def live_server(app):
    """Serve the session's app over real HTTP on a free port for the length of a test."""
    quiet = logging.getLogger("werkzeug")
    level, quiet.level = quiet.level, logging.WARNING  # one access-log line per generated request is noise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-postil", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=30)
        quiet.setLevel(level)


@pytest.fixture
def scene(make, slug, token_for):
    """A world worth exploring: published, private, pending and replied-to annotations, and the callers' tokens."""
    reader, newcomer = make.user(trusted=True), make.user(trusted=False)
    admin = make.user(role=Role.ADMIN)
    published = make.annotation(reader, slug, QUOTE, body="Mouse models may not transfer.")
    ids = [published, make.annotation(reader, slug, SECOND_QUOTE, visibility=Visibility.PRIVATE),
           make.annotation(newcomer, slug, QUOTE, status=AnnotationStatus.PENDING)]
    headers = {"admin": {"Authorization": f"Bearer {token_for(admin)}"},
               "reader": {"Authorization": f"Bearer {token_for(reader)}"}, "anonymous": {}}
    return {"slug": slug, "annotation_ids": ids, "user_ids": [reader.id, newcomer.id, admin.id],
            "headers": headers}


def _known(case, data, scene) -> None:
    """Point half of the positive requests at objects that exist."""
    real = {"slug": [scene["slug"]], "annotation_id": scene["annotation_ids"], "user_id": scene["user_ids"],
            "study_id": [1, 2, 3]}
    for name in list(case.path_parameters or {}):
        if name in real and data.draw(st.booleans(), label=f"real {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(real[name]), label=name)


def _explore(operation, mode: GenerationMode, base_url: str, scene) -> None:
    session = requests.Session()

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        if mode.is_positive:
            _known(case, data, scene)
        for caller in CALLERS:
            case.call_and_validate(base_url=base_url, session=session, headers=scene["headers"][caller],
                                   checks=CHECKS)

    run()


def test_generated_requests_find_nothing_wrong(live_server, scene):
    schema = schemathesis.openapi.from_url(f"{live_server}/api/openapi.json")
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20, "the document lists fewer operations than the API serves"
    for operation in operations:
        takes_input = bool(operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody"))
        # An operation that takes no input has no input to get wrong.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,):
            try:
                _explore(operation, mode, live_server, scene)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's findings together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, f"{len(failures)} operations answered wrongly:\n\n" + "\n\n".join(failures)
