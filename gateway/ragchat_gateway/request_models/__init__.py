"""Every request the gateway reads, declared as pydantic v2 models (API.md §1-§7).

- ``fields.py``: shared field types and limits (Text, Name, Id, IdList, LenientBool, JsonObject,
  FiniteFloat...). A new model uses these, so its limits are the same as everyone's.
- ``base.py``: ``RequestModel`` (unknown keys ignored) and ``OpenRequestModel`` (kept, checked).
- ``common.py``: list queries and bulk deletes; one module per domain beside it (chats,
  sessions, completions, openai, datasets, admin_keys). Add a domain as a new module.
- ``parsing.py``: bytes → JSON object (no NaN, no infinity, no recursion overflow) → model.
- ``errors.py``: the one place a validation failure becomes a 102 message.
- ``binding.py``: ``json_body(Model)`` / ``query_params(Model)`` FastAPI dependencies, and the
  OpenAPI document built from them.

A route declares ``body: XBody`` with ``XBody = Annotated[X, json_body(X)]`` after its
``AuthDep``, so the body is read once the caller is known. The public gRPC API validates
the same models with ``parsing.validate(Model, data)``.
"""

from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.errors import describe
from ragchat_gateway.request_models.parsing import parse_json_object, validate

__all__ = ["describe", "json_body", "parse_json_object", "query_params", "validate"]
