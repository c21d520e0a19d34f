from ragchat_common.settings import GrpcServiceSettings


class ChatSettings(GrpcServiceSettings):
    service_name: str = "chat-service"
    grpc_port: int = 50051
