"""Clock helpers: the contract speaks epoch milliseconds for objects, epoch seconds for messages."""

import time


def now_ms() -> int:
    return int(time.time() * 1000)


def now_s() -> float:
    return time.time()
