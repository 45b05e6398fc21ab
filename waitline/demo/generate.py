"""A realistic demo waitlist, made through the domain code as real signups would be.

Six weeks of signups that grow towards the end, with weekends quieter and a launch-day
spike; about a third referred by someone already in line, chosen with preferential
attachment (people who referred before are likelier to refer again), so a few champions
bring many and chains run several levels deep; two A/B variants of the page copy with
their impressions; most people confirmed their email; the front of the line approved and
the first wave invited. Every entry goes through `entries.service.add_entry` (line,
referral credit, events) and every approval and invite through the same services as the
API, so positions, counts and analytics are what the product would compute.

Addresses use the reserved example domains, and no mail is queued except for the last
few signups, so a demo never mails anyone real but the mail log has something to show.
"""

import dataclasses
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from waitline.auth.service import create_user
from waitline.db.counters import bump
from waitline.db.models import Entry, User, VariantImpression, Waitlist, Workspace
from waitline.entries.admin import entry_for
from waitline.entries.emails import check_email
from waitline.entries.links import Links
from waitline.entries.service import NewEntry, WaitlistContext, add_entry, set_status
from waitline.invites.service import invite_next, next_in_line
from waitline.kit.crypto import SecretBox
from waitline.waitlists.schemas import VariantCreate, WaitlistCreate
from waitline.waitlists.service import create_waitlist
from waitline.waitlists.variants import create_variant
from waitline.workspaces import repository as workspaces
from waitline.workspaces.service import create_workspace

DAYS = 42
DEFAULT_SIGNUPS = 3000
OWNER_EMAIL = "owner@demo.example"
REFERRED_SHARE = 0.35
VERIFIED_SHARE = 0.86
APPROVED_SHARE = 0.08
INVITED_SHARE = 0.04
REJECTED_SHARE = 0.01
MAILED_LAST = 12  # the newest signups get their welcome mail, for the mail log

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Tim",
    "Radia",
    "Guido",
    "Hedy",
    "Edsger",
    "Katherine",
    "John",
    "Sophie",
    "Yukihiro",
    "Anita",
    "Bjarne",
    "Jean",
    "Donald",
    "Leslie",
    "Niklaus",
    "Shafi",
    "Whitfield",
    "Lynn",
    "Fernando",
    "Mary",
    "Vint",
    "Amara",
    "Kofi",
    "Ines",
    "Mateo",
    "Priya",
    "Arjun",
    "Mei",
    "Hiro",
    "Olga",
    "Lars",
    "Noor",
    "Omar",
    "Zara",
    "Luca",
    "Elena",
    "Tomas",
    "Aiko",
    "Sven",
    "Nia",
    "Diego",
    "Chloe",
    "Emeka",
    "Ingrid",
    "Rafael",
    "Yara",
    "Kenji",
    "Maya",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "Rossum",
    "Lamarr",
    "Dijkstra",
    "Johnson",
    "McCarthy",
    "Wilson",
    "Matsumoto",
    "Borg",
    "Stroustrup",
    "Sammet",
    "Knuth",
    "Lamport",
    "Wirth",
    "Goldwasser",
    "Diffie",
    "Conway",
    "Corbato",
    "Jackson",
    "Cerf",
    "Okafor",
    "Mensah",
    "Silva",
    "Garcia",
    "Sharma",
    "Patel",
    "Chen",
    "Tanaka",
    "Ivanova",
    "Nilsson",
    "Haddad",
    "Farouk",
    "Rossi",
    "Novak",
    "Kowalski",
]
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "corp.example")
COUNTRIES = Counter(
    {"US": 34, "GB": 11, "DE": 10, "FR": 7, "IN": 8, "CA": 6, "BR": 5, "NL": 4, "ES": 4,
     "JP": 3, "AU": 3, "SE": 2, "NG": 2, "PL": 1}
)  # fmt: skip
# (utm_source, the site they came from): share. None: they typed the address.
SOURCES = Counter(
    {
        ("newsletter", None): 22,
        ("twitter", "x.com"): 18,
        ("producthunt", "producthunt.com"): 12,
        ("linkedin", "linkedin.com"): 9,
        ("hackernews", "news.ycombinator.com"): 8,
        (None, None): 31,
    }
)
VARIANTS = (
    ("Get early access to Orbit", "Be first to try the calendar that plans itself."),
    ("Skip the line for Orbit", "Invite friends: every friend who joins moves you ahead."),
)


@dataclass
class DemoResult:
    workspace: Workspace
    waitlist: Waitlist
    signups: int
    referred: int
    verified: int
    approved: int
    invited: int
    owner_email: str | None = None
    owner_password: str | None = None  # set only when the demo created the owner


def fill_demo(
    session: Session,
    *,
    workspace_slug: str,
    signups: int,
    links: Links,
    box: SecretBox,
    now: datetime,
    seed: int | None = None,
) -> DemoResult:
    """A demo waitlist in the workspace (made if missing), signups ending at `now`."""
    rng = random.Random(seed)
    workspace = workspaces.by_slug(session, workspace_slug) or create_workspace(
        session, slug=workspace_slug, name=workspace_slug.replace("-", " ").title(), now=now
    )
    owner_email, password = _ensure_owner(session, workspace, now)
    start = now - timedelta(days=DAYS)
    waitlist = _make_waitlist(session, workspace, owner_email, box, start)
    variants = [
        create_variant(
            session,
            waitlist,
            VariantCreate.model_validate(
                {"kind": "ab", "copy": {"display_name": title, "description": text}}
            ),
            now=start,
        )
        for title, text in VARIANTS
    ]
    ctx = WaitlistContext.of(workspace, waitlist, links, start)
    times = signup_times(rng, start, signups)
    entries = _sign_up(session, ctx, rng, times, [v.id for v in variants])
    _count_impressions(session, rng, entries, [v.id for v in variants])
    approved, invited = _let_people_in(session, ctx, rng, entries, now)
    return DemoResult(
        workspace=workspace,
        waitlist=waitlist,
        signups=len(entries),
        referred=sum(1 for e in entries if e.referred_by_entry_id),
        verified=sum(1 for e in entries if e.verified),
        approved=approved,
        invited=invited,
        owner_email=owner_email,
        owner_password=password,
    )


def _ensure_owner(session: Session, workspace: Workspace, now: datetime):
    """The workspace's owner's email, and a new password if the demo had to make them."""
    owner = session.query(User).filter_by(workspace_id=workspace.id, role="owner").first()
    if owner is not None:
        return owner.email, None
    password = secrets.token_urlsafe(12)
    create_user(
        session,
        workspace_id=workspace.id,
        email=OWNER_EMAIL,
        password=password,
        role="owner",
        now=now,
    )
    return OWNER_EMAIL, password


def _make_waitlist(session, workspace, owner_email, box, start) -> Waitlist:
    taken = {w.slug for w in session.query(Waitlist).filter_by(workspace_id=workspace.id)}
    slug = next(s for s in ("orbit", *(f"orbit-{n}" for n in range(2, 1000))) if s not in taken)
    body = WaitlistCreate.model_validate(
        {
            "slug": slug,
            "display_name": "Orbit early access",
            "description": "The calendar that plans itself. Launching this spring.",
            "status": "open",
            "settings": {
                "double_opt_in": True,
                "referral_boost": 5,
                "emails": {"approved": True},
            },
        }
    )
    return create_waitlist(session, workspace, body, created_by=owner_email, box=box, now=start)


def signup_times(rng: random.Random, start: datetime, count: int) -> list[datetime]:
    """`count` moments over DAYS days from `start`, oldest first: growing week by week,
    quieter at weekends and at night, with a spike on a launch day."""
    weights = []
    for day in range(DAYS):
        moment = start + timedelta(days=day)
        weight = 1.0 + day / 8  # word of mouth: each week busier than the last
        weight *= 0.55 if moment.weekday() >= 5 else 1.0
        weight *= 3.5 if day == 23 else 1.0  # the Product Hunt launch
        weights.append(weight)
    days = rng.choices(range(DAYS), weights=weights, k=count)
    times = []
    for day in days:
        hour = min(23.99, max(0.0, rng.gauss(15, 4.5)))  # afternoons, mostly
        times.append(start + timedelta(days=day, hours=hour, seconds=rng.random()))
    return sorted(times)


def _sign_up(
    session: Session,
    ctx: WaitlistContext,
    rng: random.Random,
    times: list[datetime],
    variant_ids: list[str],
) -> list[Entry]:
    entries: list[Entry] = []
    # Preferential attachment: one ticket per entry, plus four per referral it has made, so
    # those who referred before are likelier to refer again (a few champions emerge).
    tickets: list[int] = []
    countries, country_weights = zip(*COUNTRIES.items(), strict=True)
    sources, source_weights = zip(*SOURCES.items(), strict=True)
    for number, moment in enumerate(times):
        referrer = referrer_at = None
        if entries and rng.random() < REFERRED_SHARE:
            referrer_at = rng.choice(tickets)
            referrer = entries[referrer_at]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{number}@{rng.choice(DOMAINS)}".lower()
        (source, referrer_site) = rng.choices(sources, source_weights)[0]
        verified = rng.random() < VERIFIED_SHARE
        new = NewEntry(
            email=check_email(email),
            source=rng.choices(("form", "widget"), (7, 3))[0],
            name=f"{first} {last}",
            referrer=None if referrer else (f"https://{referrer_site}/" if referrer_site else None),
            utm={"source": source, "medium": "social" if source != "newsletter" else "email"}
            if source and not referrer
            else None,
            variant_id=rng.choice(variant_ids),
            country=rng.choices(countries, country_weights)[0],
            ip_hash=f"{rng.getrandbits(64):016x}",  # all different: every credit counts
            verified=verified,
            verified_at=moment + timedelta(minutes=rng.randint(1, 90)) if verified else None,
            created_at=moment,
        )
        quiet = number < len(times) - MAILED_LAST
        at = dataclasses.replace(ctx, now=moment, send_email=not quiet)
        entry, _ = add_entry(session, at, new, referred_by=referrer, signup=False)
        entries.append(entry)
        tickets.append(number)
        if referrer_at is not None:
            tickets.extend([referrer_at] * 4)
    return entries


def _count_impressions(
    session: Session, rng: random.Random, entries: list[Entry], variant_ids: list[str]
) -> None:
    """Page views per variant and day: each signup had a few visits before it, and the
    second copy converts better, so the analytics have a winner to show."""
    signups = Counter((e.variant_id, e.created_at.date()) for e in entries)
    views_per_signup = dict(zip(variant_ids, (4.2, 3.1), strict=True))
    for (variant_id, day), count in sorted(signups.items()):
        views = round(count * views_per_signup[variant_id] * rng.uniform(0.85, 1.15))
        bump(session, VariantImpression, {"variant_id": variant_id, "day": day}, "count", views)


def _let_people_in(
    session: Session,
    ctx: WaitlistContext,
    rng: random.Random,
    entries: list[Entry],
    now: datetime,
) -> tuple[int, int]:
    """The team's work a week ago: a few spammers rejected, the front of the line
    approved; and the first wave invited two days ago. How many approved and invited."""
    total = len(entries)
    reviewing = dataclasses.replace(ctx, now=now - timedelta(days=7), send_email=False)
    for picked in rng.sample(entries[total // 3 :], round(total * REJECTED_SHARE)):
        set_status(session, reviewing, entry_for(session, reviewing, picked.id), "rejected")
    front = next_in_line(session, reviewing, round(total * APPROVED_SHARE))
    for entry in front:
        set_status(session, reviewing, entry, "approved")
    wave = dataclasses.replace(ctx, now=now - timedelta(days=2), send_email=False)
    result = invite_next(
        session, wave, round(total * INVITED_SHARE), app_slug=None, send_email=False
    )
    return len(front), result.succeeded
