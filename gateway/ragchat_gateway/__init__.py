"""ragchat gateway: the public HTTP API."""
