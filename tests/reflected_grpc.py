"""A client of a gRPC server built from its server reflection only: no generated stubs, no .proto.

What a caller with nothing but ``grpcurl`` sees: the service list, the message types, calls
with JSON-shaped requests and answers.

    api = ReflectedClient("127.0.0.1:9390")
    api.services()                                   # ["grpc.health.v1.Health", ...]
    chat = api.call("ragchat.api.v1.ChatAssistants", "Create", {"name": "x"}, key=KEY)
    for event in api.stream("ragchat.api.v1.Completions", "Ask", {...}, key=KEY): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from google.rpc import status_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

STATUS_DETAILS_KEY = "grpc-status-details-bin"


class ReflectedClient:
    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self._database = ProtoReflectionDescriptorDatabase(self.channel)
        self.pool = descriptor_pool.DescriptorPool(self._database)

    def close(self) -> None:
        self.channel.close()

    def services(self) -> list[str]:
        return sorted(self._database.get_services())

    def methods(self, service: str) -> list[str]:
        return [m.name for m in self.pool.FindServiceByName(service).methods]

    def _method(self, service: str, method: str) -> tuple[type[Message], type[Message], bool]:
        descriptor = self.pool.FindServiceByName(service).methods_by_name[method]
        request = message_factory.GetMessageClass(descriptor.input_type)
        response = message_factory.GetMessageClass(descriptor.output_type)
        return request, response, descriptor.server_streaming

    @staticmethod
    def _metadata(key: str | None, extra: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return ((("authorization", f"Bearer {key}"),) if key is not None else ()) + extra

    def call(
        self,
        service: str,
        method: str,
        fields: dict[str, Any],
        *,
        key: str | None = None,
        metadata: tuple[tuple[str, str], ...] = (),
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        request_type, response_type, streaming = self._method(service, method)
        assert not streaming, f"{method} streams: use stream()"
        callable_ = self.channel.unary_unary(
            f"/{service}/{method}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        reply = callable_(
            json_format.ParseDict(fields, request_type()), metadata=self._metadata(key, metadata), timeout=timeout
        )
        return dict(json_format.MessageToDict(reply, preserving_proto_field_name=True))

    def stream(
        self,
        service: str,
        method: str,
        fields: dict[str, Any],
        *,
        key: str | None = None,
        metadata: tuple[tuple[str, str], ...] = (),
        timeout: float = 60.0,
    ) -> StreamCall:
        request_type, response_type, streaming = self._method(service, method)
        assert streaming, f"{method} answers once: use call()"
        callable_ = self.channel.unary_stream(
            f"/{service}/{method}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        call = callable_(
            json_format.ParseDict(fields, request_type()), metadata=self._metadata(key, metadata), timeout=timeout
        )
        return StreamCall(call)


class StreamCall:
    """A server-streaming call: iterate its events as dicts; ``cancel()`` leaves it."""

    def __init__(self, call: Any) -> None:
        self.call = call

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for message in self.call:
            yield dict(json_format.MessageToDict(message, preserving_proto_field_name=True))

    def cancel(self) -> None:
        self.call.cancel()


def status_details(error: grpc.RpcError) -> list[Message]:
    """The google.rpc details of a failed call, unpacked (RetryInfo, BadRequest, ...)."""
    from google.rpc import error_details_pb2

    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == STATUS_DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            unpacked: list[Message] = []
            for detail in status.details:
                for kind in (error_details_pb2.RetryInfo, error_details_pb2.BadRequest, error_details_pb2.ErrorInfo):
                    if detail.Is(kind.DESCRIPTOR):
                        message = kind()
                        detail.Unpack(message)
                        unpacked.append(message)
            return unpacked
    return []


def trailer(error: grpc.RpcError, name: str) -> str | None:
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == name:
            return str(value)
    return None
