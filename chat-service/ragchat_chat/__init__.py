"""ragchat chat-service."""
