"""The public leaderboard: the top referrers, masked, kept a few seconds per process.

It is the same for every visitor, and status pages load it on every refresh: each process
computes it at most once per waitlist and length every LEADERBOARD_SECONDS (by the app's
clock), for the JSON endpoint and the hosted status page alike."""

import threading

from cachetools import TTLCache
from sqlalchemy.orm import Session

from waitline.entries import service
from waitline.entries.masking import display_name, mask_email
from waitline.entries.schemas import LeaderboardRow
from waitline.entries.service import WaitlistContext
from waitline.kit.clock import Clock

LEADERBOARD_SECONDS = 5


class LeaderboardCache:
    def __init__(self, clock: Clock) -> None:
        self._rows: TTLCache = TTLCache(
            maxsize=4096, ttl=LEADERBOARD_SECONDS, timer=lambda: clock.now().timestamp()
        )
        self._lock = threading.Lock()

    def rows(self, session: Session, ctx: WaitlistContext, length: int) -> list[LeaderboardRow]:
        key = (ctx.waitlist.id, length)
        with self._lock:
            rows = self._rows.get(key)
        if rows is None:
            rows = [
                LeaderboardRow(
                    rank=rank,
                    position=position,
                    referral_count=entry.referral_count,
                    masked_email=mask_email(entry.email),
                    display_name=display_name(entry.name),
                )
                for rank, (entry, position) in enumerate(service.leaders(session, ctx, length), 1)
            ]
            with self._lock:
                self._rows[key] = rows
        return rows
