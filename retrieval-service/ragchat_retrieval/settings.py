from ragchat_common.settings import GrpcServiceSettings


class RetrievalSettings(GrpcServiceSettings):
    service_name: str = "retrieval-service"
    grpc_port: int = 50053
