"""When the worker tries again: one schedule for webhook deliveries and email alike."""

from datetime import timedelta

# After the 1st, 2nd, ... failed attempt; after the last, the delivery or message is
# given up (8 attempts in all, over about 28 hours).
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
