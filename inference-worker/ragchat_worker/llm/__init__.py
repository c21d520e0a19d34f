"""LLM backends behind one interface (``ragchat_worker.domain.types.LLMBackend``)."""
