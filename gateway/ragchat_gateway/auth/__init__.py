"""API keys and tenants: who is calling."""
