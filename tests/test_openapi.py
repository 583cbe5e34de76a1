"""The OpenAPI document is the product's face: committed, complete, and never stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app().openapi()


def test_committed_document_matches_the_code(document):
    committed = json.loads(COMMITTED.read_text("utf-8"))
    assert committed == document, "openapi/openapi.json is stale: run `make openapi`"


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_is_documented(document):
    for name, operation in _operations(document):
        assert operation.get("summary"), name
        assert operation.get("description"), name
        assert operation.get("tags"), name
        assert operation.get("operationId"), name


def test_every_error_response_is_a_problem(document):
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and " /open311/" not in name:
                assert "application/problem+json" in response.get("content", {}), (name, status)


def test_open311_errors_are_georeport_error_lists(document):
    open311 = [(n, o) for n, o in _operations(document) if " /open311/v2/" in n]
    assert len(open311) == 7
    for name, operation in open311:
        errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
        assert errors, name
        for status, response in errors.items():
            content = response["content"]
            assert set(content) == {"application/json", "text/xml"}, (name, status)
            schema = content["application/json"]["schema"]
            assert schema["items"]["$ref"] == "#/components/schemas/ErrorItem", (name, status)


def test_operations_with_input_declare_their_errors(document):
    for name, operation in _operations(document):
        has_input = operation.get("parameters") or operation.get("requestBody")
        if has_input and not name.startswith("GET /problems"):
            errors = [s for s in operation["responses"] if s.startswith("4")]
            assert errors, name


def test_public_paths_of_the_contract_are_present(document):
    paths = document["paths"]
    for path, method in [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/v1/administrations", "get"),
        ("/api/v1/administrations/{code}", "get"),
        ("/api/v1/administrations/{code}/services", "get"),
        ("/api/v1/requests", "post"),
        ("/api/v1/tracking", "post"),
        ("/api/v1/requests/{tracking_number}", "get"),
        ("/api/v1/requests/{tracking_number}/messages", "get"),
        ("/api/v1/requests/{tracking_number}/messages", "post"),
        ("/api/v1/requests/{tracking_number}/close", "post"),
        ("/api/v1/requests/{tracking_number}/reopen", "post"),
        ("/api/v1/requests/{tracking_number}/rating", "put"),
        ("/api/v1/lifecycle", "get"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/backoffice/requests", "get"),
        ("/api/v1/backoffice/requests/{tracking_number}/actions/{action}", "post"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path}"


def test_problem_examples_show_no_raw_placeholders():
    document = create_app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    example = media.get("example")
                    if isinstance(example, dict) and "detail" in example:
                        text = f"{example['title']} {example['detail']}"
                        assert "{" not in text, (method, path, status, text)
