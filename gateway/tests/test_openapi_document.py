"""The gateway's /openapi.json is a valid OpenAPI document with one id per operation, so
generators (openapi-generator, schemathesis) accept it as it is."""

from __future__ import annotations

from collections import Counter

from openapi_spec_validator import validate

from ragchat_gateway.main import create_app


def test_openapi_document_is_valid_and_operation_ids_are_unique() -> None:
    document = create_app().openapi()
    validate(document)  # raises with the offending path when the document is not valid
    operations = [op for item in document["paths"].values() for op in item.values() if isinstance(op, dict)]
    ids = Counter(op["operationId"] for op in operations)
    assert [name for name, count in ids.items() if count > 1] == []
    assert "/api/v1/chats/{chat_id}/completions" in document["paths"]
