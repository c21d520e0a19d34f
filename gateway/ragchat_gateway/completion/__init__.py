"""The completion path at the gateway, over typed ports (ARCHITECTURE.md, steps 2-4 and 7).

- ``request.py``: what is asked (``CompletionRequest``, ``StatelessRequest``), transport-free.
- ``variables.py``: the one home of the prompt-variable and opener rules.
- ``ports.py``: what the path needs (chats, sessions, job bus, answer streams) and the binding
  to the gateway's connections (``backend_ports``).
- ``prepare.py``: read the chat, write the question, subscribe, publish (the publish race).
- ``relay.py``: the events as transport-free items, and ``aggregate`` for non-streaming calls.
- ``sse.py``: the RAGFlow SSE relay; the OpenAI chunks live with their routes, a gRPC relay
  sits over ``relay`` the same way.
"""
