from typing import Literal

from ragchat_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 9380
    # JSON bodies larger than this are refused with 413 / code 102.
    max_body_bytes: int = 1024 * 1024
    # Seconds an idle client connection stays open. Longer than the idle timeout of what sits in
    # front (ingress-nginx's upstream keep-alive and cloud load balancers: 60 s), so that side
    # closes first and never sends a request on a connection the gateway is closing (a reset, a
    # 502). uvicorn's own default is 5 s.
    http_keepalive_s: int = 75
    # One log line per HTTP request (logger `ragchat.access`, JSON with the rest): method, path,
    # route, status, duration, bytes, client address, the key's tenant and id. Probes and
    # /metrics are left out. Off when what sits in front logs every request already.
    access_log: bool = True
    # Per uploaded file (multipart), refused with 413 / code 102 when larger.
    max_upload_bytes: int = 50 * 1024 * 1024
    # Files in one upload request (multipart); more are refused with 102.
    max_upload_files: int = 10_000
    # Web pages added to a dataset (`POST .../documents?type=web`): seconds to fetch one, and
    # whether loopback/private addresses may be fetched (off: only public hosts, as RAGFlow).
    web_fetch_timeout_s: float = 10.0
    web_fetch_private_hosts: bool = False
    # Seconds an API key lookup is cached in-process while the replica hears the key-change
    # channel on Redis (revocations and changes reach every replica at once through it) ...
    auth_cache_s: float = 60.0
    # ... and while it does not (Redis down): changes then take effect within this.
    auth_cache_fallback_s: float = 2.0
    # Seconds a chat's settings are cached for completions while the replica hears the
    # chat-change channel (changes through any replica reach it at once) ...
    chat_cache_s: float = 60.0
    # ... and while it does not (Redis down): a change made on another replica shows within this.
    chat_cache_fallback_s: float = 1.0
    # A key's `last_used_at` is written at most this often (seconds).
    auth_last_used_interval_s: float = 60.0
    # Bearer token of the admin API (/api/v1/admin); empty turns the admin API off. In Kubernetes
    # it comes from a Secret; `ragchat dev` generates one into .ragchat/admin_token.
    admin_token: str = ""
    # RAGFlow dialect (API.md §9.1) of keys that have none of their own: "0.22" or "0.27".
    ragflow_version: Literal["0.22", "0.27"] = "0.22"

    # Rate limits per API key (API.md §2), shared by every replica through Redis; a key's own
    # limits (stored with the key) override these defaults. Sustained `ratelimit_rpm` requests
    # per `ratelimit_period_s` (60 s in production; tests shorten it), plus `ratelimit_burst`.
    ratelimit_rpm: int = 100
    ratelimit_burst: int = 50
    ratelimit_period_s: float = 60.0
    # Concurrent streaming completions per key; a stream's lease expires this long after its
    # gateway stops renewing it (a crashed replica's slots come back within this bound).
    ratelimit_max_streams: int = 10
    ratelimit_lease_ttl_s: float = 30.0
    # Redis unreachable: "fail-closed" answers 503, "fail-open" admits (logged and counted).
    ratelimit_on_redis_error: Literal["fail-closed", "fail-open"] = "fail-closed"
    ratelimit_redis_timeout_s: float = 1.0
    # Connections of the limiter's own Redis pool; requests beyond it wait (up to the timeout).
    ratelimit_redis_connections: int = 64
    # Tests only: read "now" (µs) from the Redis key `{namespace}:ratelimit:test-clock` when set.
    ratelimit_test_clock: bool = False

    # The public gRPC API (ragchat.api.v1, API.md §9.3), served by this process on its own port
    # next to HTTP, with the same keys, limits and stream slots.
    public_grpc_host: str = "127.0.0.1"
    public_grpc_port: int = 9390

    # Completions (API.md §5): SSE keepalive comment period, and how long a stream waits for its
    # answer to finish before it ends with an error event (queue backlog, lost worker).
    sse_ping_s: float = 15.0
    completion_timeout_s: float = 600.0
    # A stop asked for an answer not started yet is kept this long for the worker that takes the
    # job (API.md §9.2: a stopped queued job is never started).
    stream_stop_ttl_s: int = 3600
    # Seconds to connect to RabbitMQ / to get a publisher confirm before answering 503.
    amqp_connect_timeout_s: float = 3.0
    amqp_publish_timeout_s: float = 5.0
