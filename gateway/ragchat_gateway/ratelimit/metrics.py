"""Prometheus metrics of the limiter (default registry; the gateway's /metrics exposes them)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# reason: "rate" (request rate), "streams" (concurrent streams), "redis_unavailable" (fail-closed)
REJECTIONS = Counter(
    "ragchat_ratelimit_rejections_total",
    "Requests refused by the per-key limiter, by reason.",
    ["reason"],
)
# operation: "request" or "stream"; counted when Redis is unreachable under the fail-open policy
FAIL_OPEN_ADMISSIONS = Counter(
    "ragchat_ratelimit_fail_open_total",
    "Requests admitted without a limiter decision because Redis was unreachable (fail-open).",
    ["operation"],
)
REDIS_ERRORS = Counter(
    "ragchat_ratelimit_redis_errors_total",
    "Limiter and lease calls that failed because Redis was unreachable.",
    ["operation"],
)
ACTIVE_LEASES = Gauge(
    "ragchat_stream_leases_active",
    "Concurrent-stream leases held by this gateway process.",
)
DECISION_SECONDS = Histogram(
    "ragchat_ratelimit_decision_seconds",
    "Time the limiter's Redis round trip adds to a request.",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
