"""Response models for analytics; each figure's definition is in docs/api.md, "Analytics"."""

import datetime as dt

from pydantic import BaseModel, Field


class Totals(BaseModel):
    signups: int = Field(description="Entries on the waitlist now, in any state.")
    waiting: int = Field(description="Entries in the line now (those that have a position).")
    verified: int = Field(description="Entries that confirmed their email.")
    approved: int
    rejected: int
    invited: int = Field(description="Entries that were invited (`invited_at` set).")
    unsubscribed: int


class TopReferrer(BaseModel):
    id: str
    email: str
    name: str | None
    referral_count: int = Field(description="Credited referrals.")


class Referrals(BaseModel):
    referred_signups: int = Field(
        description="Entries whose referral was credited to a referrer still on the list."
    )
    referrers: int = Field(description="Distinct entries with at least one credited referral.")
    k_factor: float = Field(description="referred_signups / signups; 0 without signups.")
    top_referrers: list[TopReferrer] = Field(
        description="At most 10: most credited referrals first, earlier signup first on ties."
    )


class SourceCount(BaseModel):
    referrer: str | None = Field(description="The free-text `referrer` as given; null if none.")
    utm_source: str | None = Field(description="`utm.source` as given; null if none.")
    count: int


class VariantStats(BaseModel):
    variant_id: str
    kind: str
    locale: str | None
    impressions: int = Field(description="Times the public info showed this variant.")
    signups: int = Field(description="Entries that joined carrying this variant_id.")
    conversion_rate: float | None = Field(
        description="signups / impressions; null without impressions."
    )


class CountryCount(BaseModel):
    country: str | None = Field(description="ISO 3166 alpha-2 code; null when unknown.")
    count: int


class Analytics(BaseModel):
    totals: Totals
    verification_rate: float = Field(description="verified / signups; 0 without signups.")
    referrals: Referrals
    sources: list[SourceCount] = Field(description="At most 100 groups, largest first.")
    variants: list[VariantStats] = Field(description="Every variant, oldest first.")
    countries: list[CountryCount] = Field(description="Largest first.")


class TimelineDay(BaseModel):
    date: dt.date
    signups: int = Field(description="Entries created on this day.")
    verified: int = Field(description="Entries that confirmed their email on this day.")
    referred: int = Field(description="Of the day's signups, those counted as referred_signups.")
    invited: int = Field(description="Entries invited on this day.")


class Timeline(BaseModel):
    data: list[TimelineDay]
