"""Stopping an answer wherever it is generated (API.md §9.2), through Redis.

A stop is one atomic script: unless the answer is complete (the worker claimed its end with
``claim_finish``, or its stream log ends with ``done``), it sets the message's stop key (read by a
worker that takes the job later, so a queued job is dropped) and publishes on the message's control
channel (heard by the worker that holds the job now, and by no other: the channel is per message,
not a broadcast). The worker's claim is atomic against it too, so the answer to the stop request
and the answer's ``stopped`` flag always agree.
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

from ragchat_common.events import stream_control_channel, stream_finishing_key, stream_log_key, stream_stop_key

STOP_MESSAGE: Final = b"stop"

# KEYS: stream log, stop key, finishing key. ARGV: control channel, stop key ttl (s), message.
# → 1 asked to stop, 0 finished.
_STOP_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
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
        3,
        stream_log_key(namespace, message_id),
        stream_stop_key(namespace, message_id),
        stream_finishing_key(namespace, message_id),
        stream_control_channel(namespace, message_id),
        str(ttl_s),
        STOP_MESSAGE,
    )
    return bool(int(result))


# KEYS: stop key, finishing key. ARGV: ttl (s). → 1 a stop came first, 0 the end is claimed.
_FINISH_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[1]))
return 0
"""


async def claim_finish(redis: Redis, namespace: str, message_id: str, *, ttl_s: int) -> bool:
    """The worker has the whole answer: from now on a stop is too late. True when a stop came
    first (the answer is then finished as stopped)."""
    result = await redis.eval(
        _FINISH_SCRIPT,
        2,
        stream_stop_key(namespace, message_id),
        stream_finishing_key(namespace, message_id),
        str(ttl_s),
    )
    return bool(int(result))
