"""Request models as FastAPI dependencies, and their place in the OpenAPI document.

A route takes ``body: CreateChatBody`` where ``CreateChatBody = Annotated[CreateChat,
json_body(CreateChat)]``; the body is read after authentication (a dependency declared before
it), parsed by ``parsing.parse_json_object`` and validated; any failure is an InvalidArgument
(102) with ``errors.describe``'s message. Queries work the same with ``query_params``.
``document_request_models`` puts both into ``/openapi.json``, so the document shows the models
the routes really use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Literal, TypeVar, get_args, get_origin

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ragchat_common.errors import InvalidArgument
from ragchat_gateway.request_models.parsing import parse_json_object, validate

M = TypeVar("M", bound=BaseModel)
_BODY_MODEL = "__request_body_model__"
_QUERY_MODEL = "__request_query_model__"
REF_TEMPLATE = "#/components/schemas/{model}"


def body_reader(model: type[M], *, required: bool = False) -> Callable[[Request], Awaitable[M]]:
    async def read_body(request: Request) -> M:
        raw = await request.body()
        if required and not raw.strip():
            raise InvalidArgument("A JSON body is required.")
        return validate(model, parse_json_object(raw))

    setattr(read_body, _BODY_MODEL, model)
    return read_body


def json_body(model: type[BaseModel], *, required: bool = False) -> Any:
    """``Depends`` marker reading the JSON body as ``model`` (an empty body is ``{}`` unless
    ``required``)."""
    return Depends(body_reader(model, required=required))


def _is_list_field(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list_field(arg) for arg in get_args(annotation))


def query_reader(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    list_fields = {
        field.alias or name for name, field in model.model_fields.items() if _is_list_field(field.annotation)
    }

    async def read_query(request: Request) -> M:
        params = request.query_params
        data: dict[str, Any] = {}
        for key in params:
            if key in list_fields:
                values = [v.strip() for v in params.getlist(key) if v.strip()]
                if values:
                    data[key] = values
            else:
                value = params[key].strip()
                if value:  # `?page=` means the default, as it did before
                    data[key] = value
        return validate(model, data)

    setattr(read_query, _QUERY_MODEL, model)
    return read_query


def query_params(model: type[BaseModel]) -> Any:
    """``Depends`` marker reading the query string as ``model`` (blank values are left out)."""
    return Depends(query_reader(model))


# ---- OpenAPI -------------------------------------------------------------------------------


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def route_models(route: APIRoute) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
    """The (body, query) request models a route reads, if any."""
    body = query = None
    for call in _dependencies(route.dependant):
        body = getattr(call, _BODY_MODEL, body)
        query = getattr(call, _QUERY_MODEL, query)
    return body, query


def _query_parameters(model: type[BaseModel], schema: dict[str, Any]) -> list[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in properties.items():
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if prop.get("type") == "array" or any(p.get("type") == "array" for p in prop.get("anyOf", [])):
            parameter["style"], parameter["explode"] = "form", True
        parameters.append(parameter)
    return parameters


def document_request_models(app: FastAPI) -> None:
    """Builds ``/openapi.json`` with every route's request models (once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, routes=app.routes)
        # (path, methods, models) of every API route, included routers' prefixes applied.
        routes = [
            (context.path_format, context.methods or set(), route_models(context.original_route))
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
        ]
        models = {m for _, _, pair in routes for m in pair if m is not None}
        keyed: list[tuple[type[BaseModel], Literal["validation"]]] = [
            (m, "validation") for m in sorted(models, key=lambda m: m.__name__)
        ]
        schemas, definitions = models_json_schema(keyed, ref_template=REF_TEMPLATE)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions.get("$defs", {}))
        for path, methods, (body, query) in routes:
            for method in methods:
                operation = document["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                if body is not None:
                    operation["requestBody"] = {
                        "required": False,
                        "content": {"application/json": {"schema": schemas[(body, "validation")]}},
                    }
                if query is not None:
                    flat = query.model_json_schema(ref_template=REF_TEMPLATE)
                    components.update(flat.pop("$defs", {}))
                    operation.setdefault("parameters", []).extend(_query_parameters(query, flat))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
