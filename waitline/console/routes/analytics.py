"""The Analytics page of a waitlist: the same figures as the analytics API, drawn as SVG
charts on the server, each with a table of its figures beside it."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from waitline.analytics.schemas import Analytics, TimelineDay
from waitline.analytics.service import analytics, timeline, timeline_window
from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep
from waitline.console.render import render
from waitline.console.svg_charts import Bar, daily_and_cumulative, horizontal_bars, percent
from waitline.kit.dependencies import DbSession, Now
from waitline.waitlists.service import waitlist_for
from waitline.waitlists.variants import variants_of

router = APIRouter(prefix="/console", route_class=ConsoleRoute)

Instant = Annotated[str | None, Query(max_length=64)]


@router.get("/waitlists/{waitlist_id}/analytics")
def analytics_page(
    request: Request,
    waitlist_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    now: Now,
    since: Instant = None,
    until: Instant = None,
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    # Empty date inputs arrive as "": they mean "the default", as a missing parameter does.
    start, end = timeline_window(since or None, until or None, now)
    days = timeline(session, waitlist, start, end).data
    figures = analytics(session, waitlist)
    names = {v.id: (v.copy or {}).get("display_name") for v in variants_of(session, waitlist.id)}
    return render(
        request,
        "analytics.html",
        user,
        waitlist=waitlist,
        figures=figures,
        days=days,
        since=since or "",
        until=until or "",
        charts=_charts(figures, days, names),
        variant_names=names,
        percent=percent,
    )


def _charts(figures: Analytics, days: list[TimelineDay], names: dict) -> dict:
    totals, referrals = figures.totals, figures.referrals
    signups = sum(day.signups for day in days)
    return {
        "timeline": daily_and_cumulative(
            [(day.date.isoformat(), day.signups) for day in days],
            label=f"Signups per day (bars) and in total (line), {days[0].date} to "
            f"{days[-1].date}: {signups} signups",
        ),
        "shares": horizontal_bars(
            [
                Bar("Verified", figures.verification_rate, percent(figures.verification_rate)),
                Bar("Referred", referrals.k_factor, percent(referrals.k_factor)),
                Bar("Invited", _share(totals.invited, totals.signups), _pct(totals)),
            ],
            label="Share of all signups that verified, were referred, were invited",
            top=1.0,
        ),
        "referrers": horizontal_bars(
            [
                Bar(r.name or r.email, r.referral_count, str(r.referral_count))
                for r in referrals.top_referrers
            ],
            label="Top referrers by credited referrals",
        ),
        "sources": horizontal_bars(
            [
                Bar(source_label(s.referrer, s.utm_source), s.count, str(s.count))
                for s in figures.sources[:15]
            ],
            label="Signups by source (how they heard, utm_source)",
        ),
        "countries": horizontal_bars(
            [Bar(c.country or "Unknown", c.count, str(c.count)) for c in figures.countries[:15]],
            label="Signups by country",
        ),
        "variants": horizontal_bars(
            [
                Bar(variant_label(v, names), v.conversion_rate or 0, percent(v.conversion_rate))
                for v in figures.variants
            ],
            label="Conversion (signups per impression) of each variant",
            top=max((v.conversion_rate or 0 for v in figures.variants), default=0) or 1.0,
        ),
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(totals) -> str:
    return percent(_share(totals.invited, totals.signups))


def source_label(referrer: str | None, utm_source: str | None) -> str:
    given = [part for part in (referrer, f"utm {utm_source}" if utm_source else None) if part]
    return " · ".join(given) or "(none given)"


def variant_label(stats, names: dict) -> str:
    name = names.get(stats.variant_id)
    kind = stats.locale if stats.kind == "locale" else "A/B"
    return f"{name} ({kind})" if name else f"{kind} {stats.variant_id[:8]}"
