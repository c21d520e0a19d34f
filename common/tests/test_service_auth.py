"""The service token between ragchat's own processes: attached by every internal channel, required
by every internal server (health excepted), for all four kinds of call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from ragchat_common.grpc_utils import GrpcServer, insecure_channel
from ragchat_common.service_auth import SERVICE_TOKEN_METADATA, MissingServiceToken, ServiceTokenInterceptor

TOKEN = "s3cret-token"


def _echo_handlers() -> grpc.GenericRpcHandler:
    async def unary_unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return request

    async def unary_stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        for _ in range(2):
            yield request

    async def stream_unary(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
        return b"".join([r async for r in requests])

    async def stream_stream(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        async for request in requests:
            yield request

    same = {"request_deserializer": None, "response_serializer": None}
    return grpc.method_handlers_generic_handler(
        "test.Echo",
        {
            "UnaryUnary": grpc.unary_unary_rpc_method_handler(unary_unary, **same),
            "UnaryStream": grpc.unary_stream_rpc_method_handler(unary_stream, **same),
            "StreamUnary": grpc.stream_unary_rpc_method_handler(stream_unary, **same),
            "StreamStream": grpc.stream_stream_rpc_method_handler(stream_stream, **same),
        },
    )


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    running = GrpcServer("127.0.0.1", 0, service_token=TOKEN)
    running.server.add_generic_rpc_handlers((_echo_handlers(),))
    await running.start()
    yield running
    await running.server.stop(0)


async def _calls(channel: grpc.aio.Channel, metadata: Any = None) -> list[Any]:
    async def requests() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    results: list[Any] = []
    kinds = [
        lambda: channel.unary_unary("/test.Echo/UnaryUnary")(b"x", metadata=metadata),
        lambda: _collect(channel.unary_stream("/test.Echo/UnaryStream")(b"x", metadata=metadata)),
        lambda: channel.stream_unary("/test.Echo/StreamUnary")(requests(), metadata=metadata),
        lambda: _collect(channel.stream_stream("/test.Echo/StreamStream")(requests(), metadata=metadata)),
    ]
    for call in kinds:
        try:
            results.append(await call())
        except grpc.aio.AioRpcError as error:
            results.append(error.code())
    return results


async def _collect(call: Any) -> list[bytes]:
    return [item async for item in call]


async def test_every_kind_of_call_carries_the_token_and_is_served(server: GrpcServer) -> None:
    async with insecure_channel(f"127.0.0.1:{server.port}", service_token=TOKEN) as channel:
        assert await _calls(channel) == [b"x", [b"x", b"x"], b"ab", [b"a", b"b"]]
        # Metadata of the caller's own is kept beside the token.
        assert await _calls(channel, (("x-other", "1"),)) == [b"x", [b"x", b"x"], b"ab", [b"a", b"b"]]


async def test_calls_without_the_token_or_with_another_are_unauthenticated(server: GrpcServer) -> None:
    refused = [grpc.StatusCode.UNAUTHENTICATED] * 4
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        assert await _calls(channel) == refused
        assert await _calls(channel, ((SERVICE_TOKEN_METADATA, "guess"),)) == refused
        assert await _calls(channel, ((SERVICE_TOKEN_METADATA, TOKEN[:-1]),)) == refused
    async with insecure_channel(f"127.0.0.1:{server.port}", service_token="another-deployment") as channel:
        assert await _calls(channel) == refused


async def test_health_stays_open_for_probes(server: GrpcServer) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as info:  # reflection is not open
            await channel.unary_unary("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")(b"")
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_process_without_a_token_does_not_start() -> None:
    with pytest.raises(MissingServiceToken, match="RAGCHAT_SERVICE_TOKEN is not set"):
        ServiceTokenInterceptor("")
    with pytest.raises(MissingServiceToken):
        insecure_channel("127.0.0.1:1", service_token="")
