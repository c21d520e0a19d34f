"""The Lua scripts behind the limiter and the stream leases, and how they are called.

Each decision is one script, so it is atomic across every gateway replica, and each takes its
clock from Redis (`TIME`), so replicas with skewed clocks still agree.
"""

from __future__ import annotations

import hashlib
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

# `now` in µs, and whether it is frozen: Redis's clock, or (tests only) the value of KEYS[2].
CLOCK_LUA = """local now
local frozen = false
if KEYS[2] then
  local value = redis.call('GET', KEYS[2])
  if value then
    now = tonumber(value)
    frozen = true
  end
end
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""

# GCRA (generic cell rate algorithm): a token bucket with continuous refill, stored as one
# number, the "theoretical arrival time" (TAT) in µs. interval = period / rate; the bucket holds
# `capacity` requests, so a request is admitted when new_tat - now <= capacity * interval.
# KEYS[1] bucket; KEYS[2] (tests only) a key holding a frozen "now" in µs.
# ARGV[1] interval µs, ARGV[2] capacity.
# Returns {admitted 0/1, remaining, retry_after_us, full_after_us, now_us}.
GCRA_LUA = (
    """
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
"""
    + CLOCK_LUA
    + """local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = math.max(tonumber(stored), now)
end
local new_tat = tat + interval
local allow_at = new_tat - capacity * interval
if capacity <= 0 or allow_at > now then
  local wait = allow_at - now
  if capacity <= 0 then wait = interval end
  return {0, 0, math.ceil(wait), math.ceil(tat - now), now}
end
-- The key expires exactly when the bucket would be full again (a missing key is a full bucket).
-- Key expiry runs on real time: under a frozen test clock, keep the key for an hour instead.
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
if frozen then ttl_ms = 3600000 end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
local remaining = math.floor((now - allow_at) / interval + 1e-9)
return {1, remaining, 0, math.ceil(new_tat - now), now}
"""
)

# A key's limits changed: its stored TAT is in the old interval's units, so a key raised from
# 100/min to 6000/min would stay blocked for as long as its old debt lasted. The debt is kept in
# requests instead, TAT' = now + (TAT - now) * new_interval / old_interval, and at most a whole
# new bucket (as GCRA itself never lets it grow past): a key lowered to 1/min waits a minute, not
# the hours its old burst would cost at the new rate.
# KEYS[1] bucket; KEYS[2] (tests only) the frozen clock.
# ARGV[1] old interval µs, ARGV[2] new interval µs, ARGV[3] new capacity.
# Returns 1 when a bucket in debt was rescaled, else 0.
GCRA_RESCALE_LUA = (
    """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
"""
    + CLOCK_LUA
    + """local tat = tonumber(stored)
if tat <= now then return 0 end
local new_tat = now + (tat - now) * tonumber(ARGV[2]) / tonumber(ARGV[1])
new_tat = math.min(new_tat, now + tonumber(ARGV[3]) * tonumber(ARGV[2]))
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
if frozen then ttl_ms = 3600000 end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return 1
"""
)

# Stream leases: a ZSET of lease ids scored by their expiry (ms, Redis clock). Expired leases are
# dropped before counting, so a crashed gateway's slots stop counting once their expiry passes,
# and the set itself expires when its newest lease would have.
# KEYS[1] lease set. ARGV[1] lease id, ARGV[2] max concurrent, ARGV[3] ttl ms.
# Returns {acquired 0/1, held after the call, ms until the earliest live lease expires}.
LEASE_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = 0
  if first[2] then wait = tonumber(first[2]) - now end
  return {0, held, wait}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1000)
return {1, held + 1, 0}
"""

# Renewal: pushes a live lease's expiry forward; 0 when the lease is gone (expired or released).
# KEYS[1] lease set. ARGV[1] lease id, ARGV[2] ttl ms.
LEASE_RENEW_LUA = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1000)
return 1
"""


class LuaScript:
    """A script run by EVALSHA; a server that lost its script cache (restart, SCRIPT FLUSH,
    failover) answers NOSCRIPT, and the call falls back to EVAL, which caches it again."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()

    async def __call__(self, redis: Redis, keys: list[str], args: list[Any]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)


GCRA = LuaScript(GCRA_LUA)
GCRA_RESCALE = LuaScript(GCRA_RESCALE_LUA)
LEASE_ACQUIRE = LuaScript(LEASE_ACQUIRE_LUA)
LEASE_RENEW = LuaScript(LEASE_RENEW_LUA)
