"""ragchat.api.v1 messages ⇄ what the HTTP edge reads and the internal services answer.

Requests become the JSON-shaped bodies and query parameters the HTTP routes read, so the same
edge functions validate them and a bad request gets the same message over both transports.
Answers of the internal services become the public messages field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_client.api.v1 import api_pb2 as api
from ragchat_common.events import FinalEvent, Usage
from ragchat_common.structs import from_struct
from ragchat_gateway.request_models.completions import CompletionBody

# ---- requests → bodies ------------------------------------------------------------------------


def set_fields(message: Message) -> dict[str, Any]:
    """The fields a caller set, as JSON values under their proto names (unset ones left out)."""
    fields: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return fields


def _settings_body(fields: dict[str, Any]) -> dict[str, Any]:
    """llm / prompt sections in the stored shape: variables as a list of {key, optional}."""
    prompt = fields.get("prompt")
    if isinstance(prompt, dict) and "variables" in prompt:
        items = prompt["variables"].get("items", [])
        prompt["variables"] = [{"key": v.get("key", ""), "optional": bool(v.get("optional", False))} for v in items]
    if "dataset_ids" in fields:
        fields["dataset_ids"] = fields["dataset_ids"].get("ids", [])
    return fields


def chat_body(request: api.CreateChatAssistantRequest | api.UpdateChatAssistantRequest) -> dict[str, Any]:
    """The HTTP body (API.md §3) a create or update request stands for."""
    fields = set_fields(request)
    fields.pop("chat_id", None)
    return _settings_body(fields)


def ask_body(request: api.AskRequest) -> dict[str, Any]:
    """The completion body (API.md §5) of an Ask: its fields, and its variables as top-level keys
    (a variable named like a field of the body is not a variable and is left out)."""
    fields = set_fields(request)
    fields.pop("chat_id", None)
    variables = fields.pop("variables", {})
    declared = CompletionBody.model_fields
    return {**{k: v for k, v in variables.items() if k not in declared}, **fields}


def list_params(options: api.ListOptions, **filters: str | None) -> dict[str, str]:
    """The query parameters (API.md §3 `GET /chats`) of a list request; defaults left out."""
    params: dict[str, str] = {}
    if options.page:
        params["page"] = str(options.page)
    if options.page_size:
        params["page_size"] = str(options.page_size)
    if options.orderby:
        params["orderby"] = options.orderby
    if options.HasField("desc"):
        params["desc"] = "true" if options.desc else "false"
    for key in ("id", "name"):
        if options.HasField(key):
            params[key] = getattr(options, key)
    params.update({key: value for key, value in filters.items() if value is not None})
    return params


def optional(message: Message, field: str) -> Any:
    """A proto3 optional field's value, None when unset."""
    return getattr(message, field) if message.HasField(field) else None


# ---- internal answers → public messages -------------------------------------------------------


def _parse_known(values: Mapping[str, Any], target: Message) -> None:
    """Fills ``target`` with the values it has fields for; a stored value of the wrong type is
    left out (settings written through HTTP may hold anything ragflow-sdk sent)."""
    names = {field.name for field in target.DESCRIPTOR.fields}
    for key, value in values.items():
        if key not in names or value is None:
            continue
        try:
            json_format.ParseDict({key: value}, target, ignore_unknown_fields=True)
        except json_format.ParseError:
            target.ClearField(key)


def chat_assistant(chat: chat_pb2.Chat) -> api.ChatAssistant:
    message = api.ChatAssistant(
        id=chat.id,
        name=chat.name,
        description=chat.description,
        avatar=chat.avatar,
        dataset_ids=list(chat.dataset_ids),
        datasets=[api.DatasetRef(id=d.id, name=d.name) for d in chat.datasets],
        create_time=chat.create_time,
        update_time=chat.update_time,
    )
    _parse_known(from_struct(chat.llm), message.llm)
    prompt = from_struct(chat.prompt)
    variables = prompt.pop("variables", None)
    _parse_known(prompt, message.prompt)
    if isinstance(variables, list):
        message.prompt.variables.SetInParent()
        for item in variables:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                message.prompt.variables.items.add(key=item["key"], optional=bool(item.get("optional")))
    return message


def reference(values: Mapping[str, Any] | None) -> api.Reference:
    """A stored or streamed reference (API.md §5 shape) as a message."""
    message = api.Reference()
    if not values:
        return message
    total = values.get("total")
    if isinstance(total, int | float):
        message.total = int(total)
    for chunk in values.get("chunks") or []:
        if isinstance(chunk, dict):
            _parse_known(chunk, message.chunks.add())
    for agg in values.get("doc_aggs") or []:
        if isinstance(agg, dict):
            _parse_known(agg, message.doc_aggs.add())
    return message


def session(stored: session_pb2.Session) -> api.Session:
    message = api.Session(
        id=stored.id,
        chat_id=stored.chat_id,
        name=stored.name,
        user_id=stored.user_id,
        create_time=stored.create_time,
        update_time=stored.update_time,
    )
    for item in stored.messages:
        added = message.messages.add(id=item.id, role=item.role, content=item.content, created_at=item.created_at)
        if item.HasField("reference"):
            added.reference.CopyFrom(reference(from_struct(item.reference)))
        if item.HasField("usage"):
            used = Usage(prompt_tokens=item.usage.prompt_tokens, completion_tokens=item.usage.completion_tokens)
            added.usage.CopyFrom(usage(used))
        added.stopped = item.stopped
    return message


def usage(used: Usage) -> api.Usage:
    return api.Usage(
        prompt_tokens=used.prompt_tokens,
        completion_tokens=used.completion_tokens,
        total_tokens=used.total_tokens,
    )


def final(event: FinalEvent, answer: str) -> api.AnswerFinal:
    return api.AnswerFinal(
        answer=answer,
        reference=reference(event.reference),
        usage=usage(event.usage),
        created_at=event.created_at,
        model=event.model,
        stopped=event.stopped,
        answer_rewritten=event.answer_rewritten,
    )


def retrieved(found: Mapping[str, Any]) -> api.RetrieveResponse:
    """The ``/retrieval`` answer (``{chunks, doc_aggs, total}``) as a message."""
    message = api.RetrieveResponse(total=int(found.get("total") or 0))
    for chunk in found.get("chunks") or []:
        _parse_known(chunk, message.chunks.add())
    for agg in found.get("doc_aggs") or []:
        _parse_known(agg, message.doc_aggs.add())
    return message
