"""Stopping an answer wherever it is generated (API.md §9.2), through Redis.

A stop is one atomic script: unless the answer's stream log already ends with ``done`` (finished:
nothing to stop), it sets the message's stop key (read by a worker that takes the job later, so a
queued job is dropped) and publishes on the message's control channel (heard by the worker that
holds the job now, and by no other: the channel is per message, not a broadcast).
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

from ragchat_common.events import stream_control_channel, stream_log_key, stream_stop_key

STOP_MESSAGE: Final = b"stop"

# KEYS: stream log, stop key. ARGV: control channel, stop key ttl (s). → 1 asked to stop, 0 finished.
_STOP_SCRIPT: Final = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local fields = last[1][2]
  for i = 2, #fields, 2 do
    if string.find(fields[i], '"type":"done"', 1, true) then return 0 end
  end
end
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[1], ARGV[3])
return 1
"""


async def request_stop(redis: Redis, namespace: str, message_id: str, *, ttl_s: int) -> bool:
    """Asks the answer to stop; False when its stream had already finished (nothing to stop).

    The caller checks that the message is the tenant's and not already stored.
    """
    result = await redis.eval(
        _STOP_SCRIPT,
        2,
        stream_log_key(namespace, message_id),
        stream_stop_key(namespace, message_id),
        stream_control_channel(namespace, message_id),
        str(ttl_s),
        STOP_MESSAGE,
    )
    return bool(int(result))
