"""Conversions between JSON-like dicts and ``google.protobuf.Struct``.

Struct stores every number as a double; integral values come back as ``int`` so that
``top_n: 6`` is echoed as ``6``, not ``6.0``.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


def to_struct(data: dict[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if data:
        struct.update(data)
    return struct


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    result: dict[str, Any] = _normalise(json_format.MessageToDict(struct))
    return result


def to_list_value(items: list[Any] | None) -> struct_pb2.ListValue:
    values = struct_pb2.ListValue()
    if items:
        values.extend(items)
    return values


def from_list_value(values: struct_pb2.ListValue) -> list[Any]:
    result: list[Any] = _normalise(json_format.MessageToDict(values))
    return result
