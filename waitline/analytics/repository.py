"""Statements for analytics: every figure is an SQL aggregate, the same on SQLite and
PostgreSQL but for how a timestamp is cut down to its UTC day."""

from datetime import datetime

from sqlalchemy import Date, Row, and_, distinct, func, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from waitline.db.models import Entry, Variant, VariantImpression

TOP_REFERRERS = 10
SOURCE_GROUPS = 100
# The columns of a timeline row, in the order the statement selects them.
FIGURES = ("signups", "verified", "referred", "invited")

# A referred signup: its referral was credited, to a referrer still on the list (deleting
# a referrer sets referred_by_entry_id to NULL but leaves the flag).
CREDITED = and_(Entry.referral_credited.is_(True), Entry.referred_by_entry_id.is_not(None))


class utc_day(FunctionElement):  # lower case, like the SQL functions it compiles to
    """The UTC calendar day of a UTCDateTime column."""

    type = Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_on_sqlite(element, compiler, **kw) -> str:
    # UTCDateTime keeps naive UTC text on SQLite ("2026-03-02 09:00:00.000000").
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_on_postgresql(element, compiler, **kw) -> str:
    # timestamptz: the day on a UTC wall clock, whatever the session's TimeZone says.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def totals(session: Session, waitlist_id: str) -> Row:
    """Counts by state, and the referral counts, in one pass over the waitlist's entries."""
    count = func.count()
    stmt = select(
        count.label("signups"),
        count.filter(Entry.waiting.is_(True)).label("waiting"),
        count.filter(Entry.verified.is_(True)).label("verified"),
        count.filter(Entry.status == "approved").label("approved"),
        count.filter(Entry.status == "rejected").label("rejected"),
        count.filter(Entry.invited_at.is_not(None)).label("invited"),
        count.filter(Entry.unsubscribed_at.is_not(None)).label("unsubscribed"),
        count.filter(CREDITED).label("referred_signups"),
        func.count(distinct(Entry.referred_by_entry_id)).filter(CREDITED).label("referrers"),
    ).where(Entry.waitlist_id == waitlist_id)
    return session.execute(stmt).one()


def top_referrers(session: Session, waitlist_id: str) -> list[Row]:
    """Most credited referrals first, earlier signup first on ties (the leaderboard's index)."""
    stmt = (
        select(Entry.id, Entry.email, Entry.name, Entry.referral_count)
        .where(Entry.waitlist_id == waitlist_id, Entry.referral_count > 0)
        .order_by(Entry.referral_count.desc(), Entry.seq.asc())
        .limit(TOP_REFERRERS)
    )
    return list(session.execute(stmt))


def sources(session: Session, waitlist_id: str) -> list[Row]:
    """Signups per (referrer, utm.source), largest first."""
    # Grouped outside a subquery: PostgreSQL would not match the JSON key, a bound
    # parameter, in GROUP BY with the same expression in the select list.
    tagged = (
        select(Entry.referrer, Entry.utm["source"].as_string().label("utm_source"))
        .where(Entry.waitlist_id == waitlist_id)
        .subquery()
    )
    stmt = (
        select(tagged.c.referrer, tagged.c.utm_source, func.count().label("count"))
        .group_by(tagged.c.referrer, tagged.c.utm_source)
        .order_by(
            func.count().desc(),
            tagged.c.referrer.asc().nulls_last(),
            tagged.c.utm_source.asc().nulls_last(),
        )
        .limit(SOURCE_GROUPS)
    )
    return list(session.execute(stmt))


def countries(session: Session, waitlist_id: str) -> list[Row]:
    stmt = (
        select(Entry.country, func.count().label("count"))
        .where(Entry.waitlist_id == waitlist_id)
        .group_by(Entry.country)
        .order_by(func.count().desc(), Entry.country.asc().nulls_last())
    )
    return list(session.execute(stmt))


def variants(session: Session, waitlist_id: str) -> list[Row]:
    """Every variant of the waitlist with its impressions and signups, oldest first."""
    shown = (
        select(
            VariantImpression.variant_id,
            func.sum(VariantImpression.count).label("impressions"),
        )
        .join(Variant, Variant.id == VariantImpression.variant_id)
        .where(Variant.waitlist_id == waitlist_id)
        .group_by(VariantImpression.variant_id)
        .subquery()
    )
    joined = (
        select(Entry.variant_id, func.count().label("signups"))
        .where(Entry.waitlist_id == waitlist_id, Entry.variant_id.is_not(None))
        .group_by(Entry.variant_id)
        .subquery()
    )
    stmt = (
        select(
            Variant.id,
            Variant.kind,
            Variant.locale,
            func.coalesce(shown.c.impressions, 0).label("impressions"),
            func.coalesce(joined.c.signups, 0).label("signups"),
        )
        .outerjoin(shown, shown.c.variant_id == Variant.id)
        .outerjoin(joined, joined.c.variant_id == Variant.id)
        .where(Variant.waitlist_id == waitlist_id)
        .order_by(Variant.created_at, Variant.id)
    )
    return list(session.execute(stmt))


def timeline(session: Session, waitlist_id: str, since: datetime, until: datetime) -> list[Row]:
    """Per UTC day in [since, until): signups, referred signups, confirmations, invitations.

    Each is counted by its own timestamp, grouped on its own, then the groups are added up
    by day; days without any of them are absent (the service fills them in)."""
    zero = literal_column("0")

    def per_day(column, **counts):
        day = utc_day(column)
        figures = {name: counts.get(name, zero) for name in FIGURES}
        return (
            select(day.label("day"), *(value.label(name) for name, value in figures.items()))
            .where(Entry.waitlist_id == waitlist_id, column >= since, column < until)
            .group_by(day)
        )

    counted = union_all(
        per_day(Entry.created_at, signups=func.count(), referred=func.count().filter(CREDITED)),
        per_day(Entry.verified_at, verified=func.count()),
        per_day(Entry.invited_at, invited=func.count()),
    ).subquery()
    stmt = (
        select(counted.c.day, *(func.sum(counted.c[name]).label(name) for name in FIGURES))
        .group_by(counted.c.day)
        .order_by(counted.c.day)
    )
    return list(session.execute(stmt))
