"""The settings base every service's pydantic-settings class extends.

All variables carry the prefix ``RAGCHAT_`` (``RAGCHAT_MONGO_URL``, ``RAGCHAT_REDIS_URL``, ...).
A service declares only what it reads; the shared connection settings live here once.
"""

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAGCHAT_", extra="ignore")

    service_name: str = "ragchat"
    log_level: str = "INFO"
    log_json: bool = True
    # Prefix of every shared name on Redis and RabbitMQ (queues, channels, limiter keys), so
    # several stacks can share one broker: a deployment keeps the default, a test run its own.
    namespace: str = "ragchat"

    mongo_url: str = "mongodb://127.0.0.1:27017/?retryWrites=false"
    mongo_db: str = "ragchat"
    redis_url: str = "redis://127.0.0.1:6379/0"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"

    chat_service_addr: str = "127.0.0.1:50051"
    session_service_addr: str = "127.0.0.1:50052"
    retrieval_service_addr: str = "127.0.0.1:50053"

    # Seconds an internal gRPC call may take before the caller gives up (503 to the client).
    grpc_timeout_s: float = 10.0
    # Seconds a stopping process gives in-flight work before it exits.
    shutdown_grace_s: float = 20.0
    # Seconds between SIGTERM (readiness off at once) and refusing new work, so load balancers
    # stop routing here first (Kubernetes: a few seconds; local runs: 0).
    shutdown_drain_s: float = 0.0
    # Port of the Prometheus /metrics endpoint of a non-HTTP process; 0 turns it off.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"


class GrpcServiceSettings(ServiceSettings):
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
