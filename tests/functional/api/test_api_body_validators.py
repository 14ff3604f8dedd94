"""The two validators of a request body (app.api.contract.BodyCheck) give the same verdicts.

The compiled validator alone accepts a body, so it must never accept one jsonschema refuses: every
operation's bodies, generated from the served OpenAPI document both fitting it and breaking it, and
every character Python counts as white space where the schemas forbid it, get one verdict from both.
"""
from __future__ import annotations

import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.api.contract import body_check
from app.api.schemas.base import WHITE_SPACE

EXAMPLES = 15  # per operation and mode
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
# Characters other engines count as white space and Python does not: text, not blanks, for Postil.
NOT_SPACES_HERE = ["\ufeff", "\u200b", "\u180e"]


def _operations_with_bodies(app):
    with app.test_request_context():
        document = app.test_client().get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        body = operation.definition.raw.get("requestBody")
        if body:
            name = next(iter(body["content"].values()))["schema"]["$ref"].rsplit("/", 1)[1]
            found.append((operation, name))
    return found


def _agree(name: str, data) -> None:
    check = body_check(name)
    assert check.fast.is_valid(data) == check.full.is_valid(data), (name, data)


def test_both_validators_give_every_generated_body_one_verdict(app):
    operations = _operations_with_bodies(app)
    assert {name for _, name in operations} >= {"AnnotationInput", "AnnotationPatch"}
    for operation, name in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _explore(app, operation, name, mode)


def _explore(app, operation, name: str, mode: GenerationMode) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def agree(case):
        try:
            json.dumps(case.body)
        except (TypeError, ValueError):
            return  # not a JSON document (no body, raw bytes): the API refuses it before any schema
        with app.test_request_context():
            _agree(name, case.body)

    agree()


def _annotation(text: str = "A comment.", exact: str = "neoadjuvant", via: str = "https://example.org/a/1") -> dict:
    return {"@context": "http://www.w3.org/ns/anno.jsonld", "id": via,
            "body": {"type": "TextualBody", "value": text, "format": "text/markdown"},
            "target": {"source": "http://localhost/articles/x", "selector": {"type": "TextQuoteSelector",
                                                                              "exact": exact}}}


def test_the_schemas_white_space_is_python_s():
    assert SPACES == [c for c in map(chr, range(0x110000)) if re.fullmatch(f"[{WHITE_SPACE}]", c)]


@pytest.mark.parametrize("space", SPACES + NOT_SPACES_HERE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_blank_text_quote_or_iri_gets_one_verdict_whatever_the_white_space(app, space):
    with app.test_request_context():
        check = body_check("AnnotationInput")
        assert check.fast.is_valid(_annotation())
        for body in (_annotation(text=space * 2), _annotation(exact=space), _annotation(via=f"https://a{space}b")):
            _agree("AnnotationInput", body)
            assert check.fast.is_valid(body) == (space in NOT_SPACES_HERE)
