from ragchat_common.settings import GrpcServiceSettings


class SessionSettings(GrpcServiceSettings):
    service_name: str = "session-service"
    grpc_port: int = 50052
    # A session keeps its newest N messages; older ones are trimmed on write (API.md §2).
    session_max_messages: int = 100
    # A session without activity for this many days is deleted by a TTL index.
    session_retention_days: float = 30.0
