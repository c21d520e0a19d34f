"""The public gRPC server of a gateway process: ragchat.api.v1 with health and reflection."""

from __future__ import annotations

from ragchat_client.api.v1 import api_pb2, api_pb2_grpc
from ragchat_common.grpc_utils import GrpcServer
from ragchat_gateway.backends import Backends
from ragchat_gateway.public_grpc.edge import GrpcEdge
from ragchat_gateway.public_grpc.services import ChatAssistants, Completions, Knowledge, Sessions


def _full_name(service: str) -> str:
    full_name: str = api_pb2.DESCRIPTOR.services_by_name[service].full_name
    return full_name


def build_public_server(backends: Backends) -> GrpcServer:
    """Not started yet. No service token: every method admits its caller by API key instead."""
    settings = backends.settings
    server = GrpcServer(settings.public_grpc_host, settings.public_grpc_port, service_token=None)
    edge = GrpcEdge(backends)
    server.add(api_pb2_grpc.add_ChatAssistantsServicer_to_server, ChatAssistants(edge), _full_name("ChatAssistants"))
    server.add(api_pb2_grpc.add_SessionsServicer_to_server, Sessions(edge), _full_name("Sessions"))
    server.add(api_pb2_grpc.add_CompletionsServicer_to_server, Completions(edge), _full_name("Completions"))
    server.add(api_pb2_grpc.add_KnowledgeServicer_to_server, Knowledge(edge), _full_name("Knowledge"))
    return server
