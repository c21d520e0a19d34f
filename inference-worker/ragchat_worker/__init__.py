"""ragchat inference-worker."""
