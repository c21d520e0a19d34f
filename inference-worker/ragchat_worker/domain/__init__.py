"""The worker's logic: prompt assembly, citations, token batching, the answer pipeline.

Plain async functions and types; RabbitMQ, Redis, gRPC and HTTP stay in the adapters.
"""
