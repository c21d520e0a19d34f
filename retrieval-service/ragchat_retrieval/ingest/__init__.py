"""The Celery ingest worker: parse → chunk → embed → hand to retrieval-service over gRPC."""
