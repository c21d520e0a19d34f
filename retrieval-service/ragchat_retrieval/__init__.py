"""ragchat retrieval-service."""
