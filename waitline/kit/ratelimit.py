"""Rate limits with the `limits` package: in memory, or in Redis to share across processes."""

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from waitline.kit.errors import WaitlineError
from waitline.kit.middleware import add_response_headers

log = logging.getLogger("waitline.ratelimit")
REDIS_TIMEOUT = 0.25


@dataclass(frozen=True)
class RateLimitResult:
    policy: str
    limit: int
    window: int
    remaining: int
    reset_in: int
    reset_at: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset_in}',
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_in))
        return headers


class MemoryCounters(MemoryStorage):
    """`limits`' memory storage, its expired counters swept at most once a second.

    Its own sweep runs on a new thread 10 ms after a count, once the last sweep has ended:
    under load, a thread started every 10 ms or so. Each start is a hand-off of the GIL
    that the event loop waits out (in one process, the rate limit was a seventh of a
    status lookup, most of it starting threads), and each sweep a pass over every counter
    (with 100,000 client IPs, ~13% of a process's time). Counters expire when read
    regardless (`MemoryStorage.get`): the sweep only frees their memory.

    `limits` keeps its scheduler private; this replaces it by its mangled name. The
    package is pinned, and tests/kit/test_rate_limits.py checks both the schedule and the
    sweep."""

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        self._next_sweep = 0.0
        super().__init__()

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or self.timer.is_alive():
            return
        self._next_sweep = now + self.SWEEP_SECONDS
        self.timer = threading.Timer(0, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()


class RateLimiter:
    def __init__(self, storage_url: str | None = None) -> None:
        # Public routes count requests on the event loop: a Redis that stops answering
        # must cost a fraction of a second, not a hung loop.
        options = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
        self._storage = (
            storage_from_string(storage_url, **options) if storage_url else MemoryCounters()
        )
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {}

    def hit(self, policy: str, limit: str, key: str) -> RateLimitResult | None:
        """Count one request; None when the counters cannot be reached."""
        item = self._items.get(limit) or self._items.setdefault(limit, parse(limit))
        try:
            allowed = self._strategy.hit(item, policy, key)
            stats = self._strategy.get_window_stats(item, policy, key)
        except (RedisError, ConnectionError, TimeoutError):
            # A launch should not go down with its rate-limit store: let the request
            # through, unlimited, and say so in the log.
            log.warning("rate-limit storage unreachable; %s requests pass unlimited", policy)
            return None
        now = time.time()
        return RateLimitResult(
            policy=policy,
            limit=item.amount,
            window=item.get_expiry(),
            remaining=max(0, stats.remaining),
            reset_in=max(0, math.ceil(stats.reset_time - now)),
            reset_at=math.ceil(stats.reset_time),
            allowed=allowed,
        )

    def enforce(self, state, policy: str, limit: str, key: str) -> None:
        """Count one request; remember the headers for the response; refuse when over."""
        result = self.hit(policy, limit, key)
        if result is None:
            return
        add_response_headers(state, result.headers())
        if not result.allowed:
            raise WaitlineError(
                f"Too many requests: the limit is {limit}. Try again in {result.reset_in} s.",
                status=429,
                code="rate_limited",
                headers=result.headers(),
            )
