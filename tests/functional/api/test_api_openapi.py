"""The OpenAPI description is served, complete and well-formed."""
from __future__ import annotations

import re

from jsonschema import Draft202012Validator

from tests.functional.api.conftest import openapi_path

IGNORED_METHODS = {"HEAD"}


def _served_methods(rule) -> set[str]:
    """HEAD is GET's; Flask's automatic OPTIONS only lists methods, an OPTIONS a view answers is described."""
    automatic = {"OPTIONS"} if getattr(rule, "provide_automatic_options", True) else set()
    return rule.methods - IGNORED_METHODS - automatic


def test_every_api_route_and_method_is_described(app, api):
    document = api.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")

    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        path = openapi_path(rule.rule)
        for method in sorted(_served_methods(rule)):
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, f"undocumented API operations: {missing}"


def test_every_described_operation_exists(app, api):
    document = api.get("/api/openapi.json").get_json()
    served = {(openapi_path(r.rule), m.lower()) for r in app.url_map.iter_rules() for m in r.methods}
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert described <= served


def test_the_document_is_well_formed(api):
    document = api.get("/api/openapi.json").get_json()
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for path, operations in document["paths"].items():
        assert path.startswith("/api/")
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert operation["responses"], f"{method} {path} documents no response"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
            for response in operation["responses"].values():
                for media in response.get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    assert ref is None or ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_motivation_mapping_is_documented(api):
    description = api.get("/api/openapi.json").get_json()["info"]["description"]
    for pair in ("comment ↔ commenting", "question ↔ questioning", "critique ↔ assessing", "support ↔ linking",
                 "practice ↔ describing"):
        assert pair in description


def test_every_rule_a_body_or_query_must_follow_is_in_the_document(api):
    """What the handlers validate is what the document says: the same schemas, served."""
    document = api.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    text = schemas["AnnotationInput"]["properties"]["bodyValue"]
    assert text["maxLength"] == 10_000
    # Blank means white space to Python (the services' strip), spelled out so that any engine reads it so.
    assert re.search(text["pattern"], "\u2003 \x1c\n\t") is None and re.search(text["pattern"], " ok ")
    tag = schemas["TagBodyInput"]["properties"]["value"]
    assert tag["maxLength"] == 40
    log = {p["name"]: p["schema"] for p in document["paths"]["/api/moderation/log"]["get"]["parameters"]}
    assert log["annotation_id"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                                    "description": "About this annotation."}
    assert log["date_from"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    ids = [p for p in document["paths"]["/api/annotations/{annotation_id}"]["get"]["parameters"]
           if p["in"] == "path"]
    assert ids[0]["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


def test_the_configured_text_length_is_the_documented_one(another_app):
    client = another_app(ANNOTATION_MAX_LENGTH=500).test_client()
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["TextBodyInput"]["properties"]["value"]["maxLength"] == 500
