"""Client side of ragchat's public gRPC API (``ragchat.api.v1``).

The generated stubs are in ``ragchat_client.api.v1`` (``api_pb2`` messages, ``api_pb2_grpc``
service stubs). Every call carries the API key as ``authorization: Bearer <key>`` metadata;
``bearer(key)`` builds it.
"""

from __future__ import annotations

import grpc

__all__ = ["bearer", "retry_after_s"]


def bearer(api_key: str) -> tuple[tuple[str, str], ...]:
    """The call metadata that authenticates a call with ``api_key``."""
    return (("authorization", f"Bearer {api_key}"),)


def retry_after_s(error: grpc.RpcError) -> int | None:
    """Seconds to wait before retrying a RESOURCE_EXHAUSTED call (its ``retry-after`` trailer)."""
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == "retry-after":
            return int(value)
    return None
