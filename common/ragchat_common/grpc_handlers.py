"""Wrapping the behaviour of a gRPC method handler, whatever its kind.

Server interceptors (domain-error translation, metrics) each wrap a handler's behaviour; this
rebuilds the handler around the wrapped behaviour once, for every kind ragchat serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

UnaryBehaviour = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
StreamBehaviour = Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]


def rewrap_handler(
    handler: grpc.RpcMethodHandler,
    wrap_unary: Callable[[UnaryBehaviour], UnaryBehaviour],
    wrap_stream: Callable[[StreamBehaviour], StreamBehaviour],
) -> grpc.RpcMethodHandler:
    """The same handler with its behaviour wrapped: ``wrap_unary`` for calls that answer once
    (unary-unary, stream-unary), ``wrap_stream`` for calls that stream their answer."""
    serializers = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(wrap_unary(handler.unary_unary), **serializers)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(wrap_stream(handler.unary_stream), **serializers)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(wrap_unary(handler.stream_unary), **serializers)
    return handler  # stream-stream: no ragchat service has one
