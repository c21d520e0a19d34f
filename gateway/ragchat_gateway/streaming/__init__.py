"""The completion path at the gateway: AMQP job publisher, Redis stream hub, SSE framing.

- ``JobPublisher`` (publisher.py): one aio-pika connection + confirm channel per process.
- ``StreamHub`` (hub.py): one Redis pub/sub connection per process, fanning each answer's
  events out to the request waiting for them, with gap filling from the replay log.
- ``sse.py``: the exact bytes of API.md §5's event stream.

The completion path itself (prepare, relay) is the ``ragchat_gateway.completion`` package.
"""
