from ragchat_common.settings import GrpcServiceSettings


class SessionSettings(GrpcServiceSettings):
    service_name: str = "session-service"
    grpc_port: int = 50052
