"""The public gRPC API (ragchat.api.v1, API.md §9.3), served by the gateway process next to HTTP."""
