"""ragchat session-service."""
