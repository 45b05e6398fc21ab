"""Analytics of a waitlist: the figures the repository aggregates, and the ratios between
them. Definitions are in docs/api.md, "Analytics"."""

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from waitline.analytics import repository
from waitline.analytics.schemas import (
    Analytics,
    CountryCount,
    Referrals,
    SourceCount,
    Timeline,
    TimelineDay,
    TopReferrer,
    Totals,
    VariantStats,
)
from waitline.db.models import Waitlist
from waitline.kit.errors import field_error

DEFAULT_DAYS = 30
MAX_DAYS = 366
# ISO-8601 extended format: a date, or a date and time with an optional offset. Python's
# fromisoformat alone would also take other separators and the basic format.
ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)
ISO_HINT = "must be an ISO-8601 date (2026-03-01) or date-time (2026-03-01T09:30:00Z)"


def analytics(session: Session, waitlist: Waitlist) -> Analytics:
    totals = repository.totals(session, waitlist.id)
    return Analytics(
        totals=Totals(
            signups=totals.signups,
            waiting=totals.waiting,
            verified=totals.verified,
            approved=totals.approved,
            rejected=totals.rejected,
            invited=totals.invited,
            unsubscribed=totals.unsubscribed,
        ),
        verification_rate=_ratio(totals.verified, totals.signups) or 0.0,
        referrals=Referrals(
            referred_signups=totals.referred_signups,
            referrers=totals.referrers,
            k_factor=_ratio(totals.referred_signups, totals.signups) or 0.0,
            top_referrers=[
                TopReferrer(id=r.id, email=r.email, name=r.name, referral_count=r.referral_count)
                for r in repository.top_referrers(session, waitlist.id)
            ],
        ),
        sources=[
            SourceCount(referrer=r.referrer, utm_source=r.utm_source, count=r.count)
            for r in repository.sources(session, waitlist.id)
        ],
        variants=[
            VariantStats(
                variant_id=v.id,
                kind=v.kind,
                locale=v.locale,
                impressions=int(v.impressions),
                signups=v.signups,
                conversion_rate=_ratio(v.signups, int(v.impressions)),
            )
            for v in repository.variants(session, waitlist.id)
        ],
        countries=[
            CountryCount(country=c.country, count=c.count)
            for c in repository.countries(session, waitlist.id)
        ],
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def timeline_window(
    since: str | None, until: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The instants [since, until) a timeline covers: by default the 30 UTC days ending with
    today; with only `since`, up to the end of today; with only `until`, the 30 days before."""
    today = now.astimezone(UTC).date()
    end_of_today = datetime.combine(today + timedelta(days=1), time(), UTC)
    start = _instant("since", since) if since is not None else None
    end = _instant("until", until) if until is not None else end_of_today
    if start is None:
        try:
            start = end - timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            raise field_error("until", "is too early to count 30 days back from") from None
    # Name the field to correct: `until` when it was given, else the `since` that was.
    if end <= start:
        if until is not None:
            raise field_error("until", "must be after since")
        raise field_error("since", "must be before until (by default the end of today, UTC)")
    if end - start > timedelta(days=MAX_DAYS):
        if until is not None:
            raise field_error("until", f"must be at most {MAX_DAYS} days after since")
        raise field_error("since", f"must be at most {MAX_DAYS} days before the end of today")
    return start, end


def _instant(field: str, value: str) -> datetime:
    """An ISO-8601 date (midnight UTC) or date-time; one without an offset is UTC."""
    text = value.strip()
    try:
        if not ISO_INSTANT.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise field_error(field, ISO_HINT) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a moment before year 1 in UTC
        raise field_error(field, "is out of range") from None


def timeline(session: Session, waitlist: Waitlist, since: datetime, until: datetime) -> Timeline:
    """One row per UTC day the window touches, oldest first, days without activity included."""
    counted = {row.day: row for row in repository.timeline(session, waitlist.id, since, until)}
    first, last = since.date(), (until - timedelta(microseconds=1)).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return Timeline(data=[_day(day, counted.get(day)) for day in days])


def _day(day: date, row) -> TimelineDay:
    if row is None:
        return TimelineDay(date=day, signups=0, verified=0, referred=0, invited=0)
    return TimelineDay(date=day, **{name: int(getattr(row, name)) for name in repository.FIGURES})
