"""Rules for people on a waitlist: joining, their place in line, confirming, leaving."""

import dataclasses
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from waitline.db.counters import COUNTERS_ONLY
from waitline.db.models import Entry, Waitlist, Workspace
from waitline.db.session import Database
from waitline.email.outbox import new_message, queue_messages
from waitline.entries import line, repository
from waitline.entries.checks import CheckedJoin
from waitline.entries.emails import CheckedEmail
from waitline.entries.links import Links
from waitline.entries.referrals import change_credit, credit_allowed
from waitline.entries.schemas import Coupon, EntryOut
from waitline.entries.tokens import EntryToken, confirm_token_expired, read_token
from waitline.kit.errors import Conflict, NotFound, WaitlineError
from waitline.kit.fields import NUL
from waitline.kit.ids import new_id
from waitline.outbox.service import new_event, record_event, record_events
from waitline.waitlists.schemas import WaitlistSettings
from waitline.waitlists.service import settings_view
from waitline.workspaces import repository as workspaces
from waitline.workspaces.schemas import WorkspaceSettings
from waitline.workspaces.service import settings_of

DEFAULT_CONFIRMATION = "You're on the list! Share your referral link to move up."
TRANSACTIONAL_TEMPLATES = frozenset({"verify", "status_link"})
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
REFERRAL_CODE_LENGTH = 10
# Draws of a new entry's referral code before giving up: three draws all taken, on a
# waitlist of a million, is about one chance in 10^26 for a signup.
CODE_DRAWS = 3


class WorkspaceMoved(WaitlineError):
    """The workspace slug in the URL was renamed; the answer is a 308 to the new one."""

    status, code = 308, "moved"

    def __init__(self, old_slug: str, new_slug: str) -> None:
        super().__init__(f"This workspace is now at {new_slug!r}.")
        self.old_slug, self.new_slug = old_slug, new_slug


@dataclass(frozen=True)
class WaitlistContext:
    """A waitlist with what every rule about its entries needs to know."""

    workspace: Workspace
    waitlist: Waitlist
    settings: WaitlistSettings
    workspace_settings: WorkspaceSettings
    links: Links
    now: datetime
    # False for changes the team asked to make quietly (an import without `send_email`).
    send_email: bool = True

    @classmethod
    def of(cls, workspace: Workspace, waitlist: Waitlist, links: Links, now: datetime):
        return cls(
            workspace,
            waitlist,
            settings_view(waitlist.settings),
            settings_of(workspace),
            links,
            now,
        )

    def referral_link(self, code: str) -> str:
        return self.links.referral_link(
            self.settings.referral_url, self.workspace.slug, self.waitlist.slug, code
        )

    def status_url(self, entry_id: str) -> str:
        token = self.links.status_token(entry_id, self.waitlist.id, self.now)
        return self.links.status_url(self.workspace.slug, self.waitlist.slug, token)


# Built once: every public request starts with this lookup.
PUBLIC_WAITLIST = (
    select(Workspace, Waitlist)
    .join(Waitlist, Waitlist.workspace_id == Workspace.id)
    .where(
        Workspace.slug == bindparam("workspace_slug"), Waitlist.slug == bindparam("waitlist_slug")
    )
)


def public_waitlist(
    session: Session, workspace_slug: str, waitlist_slug: str
) -> tuple[Workspace, Waitlist]:
    """A waitlist the public may see: any status but draft."""
    if NUL in workspace_slug or NUL in waitlist_slug:  # no slug has one; PostgreSQL refuses it
        raise _no_waitlist()
    params = {"workspace_slug": workspace_slug, "waitlist_slug": waitlist_slug}
    found = session.execute(PUBLIC_WAITLIST, params).first()
    if found is None:
        if workspaces.by_slug(session, workspace_slug) is None:
            renamed = workspaces.by_previous_slug(session, workspace_slug)
            if renamed is not None:
                raise WorkspaceMoved(workspace_slug, renamed.slug)
        raise _no_waitlist()
    workspace, waitlist = found
    if waitlist.status == "draft":
        raise _no_waitlist()
    return workspace, waitlist


def context_for_token(
    session: Session, token: EntryToken, links: Links, now: datetime
) -> WaitlistContext:
    waitlist = session.get(Waitlist, token.waitlist_id)
    if waitlist is None:
        raise _invalid_token()
    workspace = session.get(Workspace, waitlist.workspace_id)
    return WaitlistContext.of(workspace, waitlist, links, now)


def ensure_accepting(ctx: WaitlistContext) -> None:
    if ctx.waitlist.status != "open":
        raise WaitlineError(
            "This waitlist is not taking signups right now.", status=403, code="waitlist_closed"
        )


@dataclass(frozen=True)
class NewEntry:
    """A person to put in line, already checked. A public signup joins now as a pending,
    unverified entry; an import brings people with the state and signup time they had."""

    email: CheckedEmail
    source: str
    name: str | None = None
    phone: str | None = None
    interest: str | None = None
    referrer: str | None = None
    utm: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # A promo code the person gave: its coupon is issued by the waitlist's promos as they
    # are when the entry is written.
    promo: str | None = None
    variant_id: str | None = None
    country: str | None = None
    ip_hash: str | None = None
    status: str = "pending"
    verified: bool = False
    verified_at: datetime | None = None
    invited_at: datetime | None = None
    invited_to_app_slug: str | None = None
    unsubscribed_at: datetime | None = None
    # When they signed up; None is now.
    created_at: datetime | None = None


@dataclass(frozen=True)
class Signup:
    """A signup that passed its checks, waiting for its transaction (`join_all`)."""

    ctx: WaitlistContext
    checked: CheckedJoin
    ip_hash: str | None
    country: str | None


def join_all(session: Session, signups: list[Signup]) -> list[tuple[Entry, int | None]]:
    """Put people who signed up in line, in one go (`add_entries`), crediting whoever
    referred them if they start waiting now. Signups batched together came to one waitlist
    while the one before was being written: they are written with the first one's context
    (the waitlist's settings are read again as the batch is written), each with its own
    signup time."""
    ctx = signups[0].ctx
    people = []
    for signup in signups:
        request = signup.checked.request
        referrer = (
            repository.referrer_by_code(
                session, ctx.waitlist.id, request.referral_code.strip().lower()
            )
            if request.referral_code
            else None
        )
        new = NewEntry(
            email=signup.checked.email,
            source=request.source,
            name=signup.checked.name,
            phone=request.phone,
            interest=request.interest,
            referrer=request.referrer,
            utm=request.utm.model_dump() if request.utm else None,
            metadata=signup.checked.metadata,
            promo=request.promo,
            variant_id=request.variant_id,
            country=signup.country,
            ip_hash=signup.ip_hash,
            created_at=signup.ctx.now,
        )
        people.append((new, referrer))
    return add_entries(session, ctx, people)


def awaits_confirmation(entry: Entry) -> bool:
    """Whether a new signup must click its verify link: it was written under double opt-in
    (the settings as they were at the write, which the request may not have seen)."""
    return not entry.verified and not entry.waiting and entry.status == "pending"


def add_entry(
    session: Session,
    ctx: WaitlistContext,
    new: NewEntry,
    *,
    referred_by: Any = None,
    signup: bool = True,
) -> tuple[Entry, int | None]:
    """`add_entries` for one person."""
    return add_entries(session, ctx, [(new, referred_by)], signup=signup)[0]


def add_entries(
    session: Session,
    ctx: WaitlistContext,
    people: list[tuple[NewEntry, Any]],
    *,
    signup: bool = True,
) -> list[tuple[Entry, int | None]]:
    """The one way entries are born: each one's seq, its place in line, the referral credit
    it gives (each person comes with the row of whoever referred them, with `id` and
    `ip_hash`, or None), its event and its first email. `signup=False` is the team adding
    people (an import): the waitlist need not be open, though `max_entries` still holds.

    Many people are written with a statement per kind of row, not per person: a batch of
    signups. If one of them is refused, all are (the caller writes them again one by one to
    find which, as `Database.write_together` does).

    Every rule is applied as the waitlist's settings are inside this transaction, not as
    they were when the request began: a change committed in between (double opt-in turned
    on, a lower `max_entries`) holds for these entries too.

    A refusal may leave changes behind (the seqs taken): the caller rolls back, to a
    savepoint or all of it, as `Database.write` and imports do."""
    waitlist = ctx.waitlist
    try:
        last_seq, ctx = _take_seqs(session, ctx, len(people), require_open=signup)
    except WaitlineError:  # closed or full; but someone already on the list hears so first
        for new, _ in people:
            if repository.email_taken(session, waitlist.id, new.email.normalized):
                raise _already_registered() from None
        raise
    first_seq = last_seq - len(people) + 1
    rows = [
        _entry_row(ctx, new, seq, referred_by)
        for seq, (new, referred_by) in enumerate(people, start=first_seq)
    ]
    _insert_new_entries(session, waitlist.id, rows)
    entries = [Entry(**{_attribute(k): v for k, v in row.items()}) for row in rows]
    waiting = [entry for entry in entries if entry.waiting]
    line.add_to_buckets(session, waitlist.id, [entry.score for entry in waiting])
    for entry, (new, referred_by) in zip(entries, people, strict=True):
        if (
            entry.waiting
            and referred_by
            and credit_allowed(
                referred_by.ip_hash, new.ip_hash, ctx.settings.referral_same_ip_credit
            )
        ):
            _credit(session, ctx, referrer_id=referred_by.id, referred=entry)
    # New entries are last in line, in the order of their seqs: each one's score is its seq,
    # the highest, and everyone else's score is at most their own, lower, seq. So the last
    # one's position is the number waiting, which needs no walk of the index in its bucket.
    positions: dict[str, int] = {}
    if waiting:
        count = line.waiting_count(session, waitlist.id)
        first = count - len(waiting) + 1
        positions = {entry.id: position for position, entry in enumerate(waiting, start=first)}
    placed = [(entry, positions.get(entry.id)) for entry in entries]
    record_events(
        session,
        [entry_event(ctx, "entry.created", entry, position) for entry, position in placed],
    )
    queue_messages(
        session, [m for entry, position in placed if (m := _first_message(ctx, entry, position))]
    )
    return placed


def _insert_new_entries(session: Session, waitlist_id: str, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, or refuse them all if an email is already on the list (each email's
    uniqueness is checked by the insert itself, concurrent signups included).

    A referral code already taken is drawn again. Ten characters of 31 make a collision
    unlikely for any one signup, but not over a launch: among a million codes, about one
    chance in 1,600 that two are alike."""
    left = rows
    for _ in range(CODE_DRAWS):
        inserted = repository.insert_entries(session, left)
        left = [row for row in left if row["id"] not in inserted]
        if not left:
            return
        if any(repository.email_taken(session, waitlist_id, r["email_normalized"]) for r in left):
            raise _already_registered()
        for row in left:
            row["referral_code"] = random_code(REFERRAL_CODE_LENGTH)
    # Not the code, then, three times: a unique key the rows never conflict on (id, seq).
    raise RuntimeError(f"entries refused {CODE_DRAWS} times, not for their email")


def _entry_row(ctx: WaitlistContext, new: NewEntry, seq: int, referred_by: Any) -> dict[str, Any]:
    """The entries row of a new entry, by column name."""
    now = ctx.now
    return {
        "id": new_id(),
        "waitlist_id": ctx.waitlist.id,
        "workspace_id": ctx.waitlist.workspace_id,
        "seq": seq,
        "email": new.email.address,
        "email_normalized": new.email.normalized,
        "name": new.name,
        "phone": new.phone,
        "interest": new.interest,
        "referrer": new.referrer,
        "source": new.source,
        "utm": new.utm,
        "referral_code": random_code(REFERRAL_CODE_LENGTH),
        "referral_count": 0,
        "referred_by_entry_id": referred_by.id if referred_by else None,
        "referral_credited": False,
        "score": seq,
        "waiting": line.is_waiting(
            status=new.status,
            invited=new.invited_at is not None,
            unsubscribed=new.unsubscribed_at is not None,
            verified=new.verified,
            double_opt_in=ctx.settings.double_opt_in,
        ),
        "status": new.status,
        "verified": new.verified,
        "verified_at": new.verified_at,
        "invited_at": new.invited_at,
        "invited_to_app_slug": new.invited_to_app_slug,
        "unsubscribed_at": new.unsubscribed_at,
        "coupon": _coupon(ctx.settings, new.promo, seq, now),
        "variant_id": new.variant_id,
        "country": new.country,
        "metadata": new.metadata,
        "ip_hash": new.ip_hash,
        "created_at": new.created_at or now,
        "updated_at": now,
    }


def _first_message(ctx: WaitlistContext, entry: Entry, position: int | None):
    """A new entry's first email: the link to confirm under double opt-in, else a welcome
    once it waits; None if there is none to send."""
    if ctx.settings.double_opt_in and not entry.verified:
        confirm_url = ctx.links.confirm_url(entry.id, ctx.waitlist.id, ctx.now)
        return message_for(ctx, entry, "verify", position, confirm_url=confirm_url)
    if entry.waiting:
        return message_for(ctx, entry, "welcome", position)
    return None


_waitlists = Waitlist.__table__
TAKE_SEQ = (
    update(_waitlists)
    .where(_waitlists.c.id == bindparam("waitlist_id"))
    .values(
        last_seq=_waitlists.c.last_seq + bindparam("count"),
        entry_count=_waitlists.c.entry_count + bindparam("count"),
    )
    .returning(
        _waitlists.c.last_seq,
        _waitlists.c.entry_count,
        _waitlists.c.status,
        _waitlists.c.settings,
    )
    .execution_options(**COUNTERS_ONLY)
)


def _take_seqs(
    session: Session, ctx: WaitlistContext, count: int, *, require_open: bool = True
) -> tuple[int, WaitlistContext]:
    """The last of the next `count` signup orders, and the context with the waitlist's
    settings as they are now.

    The update locks the waitlist's row until the transaction ends, so the status and
    settings it returns are the last committed ones and stay so while the entry is
    written; `status` and `max_entries` are enforced here for that reason."""
    params = {"waitlist_id": ctx.waitlist.id, "count": count}
    counters = session.connection().execute(TAKE_SEQ, params).first()
    if counters is None:  # deleted since the request (or this process's cache) found it
        raise _no_waitlist()
    if counters.settings != ctx.waitlist.settings:  # changed since the request read them
        ctx = dataclasses.replace(ctx, settings=settings_view(counters.settings))
    if require_open and counters.status != "open":
        raise WaitlineError(
            "This waitlist is not taking signups right now.", status=403, code="waitlist_closed"
        )
    max_entries = ctx.settings.max_entries
    if max_entries is not None and counters.entry_count > max_entries:
        raise WaitlineError("This waitlist is full.", status=403, code="waitlist_full")
    return counters.last_seq, ctx


LOCKED_BY_ID = repository.BY_ID.with_for_update().execution_options(populate_existing=True)


def entry_by_id(
    session: Session, waitlist_id: str, entry_id: str, *, lock: bool = False
) -> Entry | None:
    """An entry of this waitlist, or None.

    With `lock`, the row is held until the transaction ends and read as the last commit
    left it, so that two requests changing one entry take turns: otherwise both would see
    it as it was, and both would act (confirm it twice, crediting its referrer twice;
    invite it twice, with two codes), each moving it in the line's buckets. SQLite has one
    writer at a time, so there the lock is the write transaction itself."""
    params = {"entry_id": entry_id, "waitlist_id": waitlist_id}
    return session.scalar(LOCKED_BY_ID if lock else repository.BY_ID, params)


def standing_for_token(db: Database, ctx: WaitlistContext, token: str):
    """The entry a status token names, with its position and the line's waiting count
    (`line.entry_standing`)."""
    claims = read_token(ctx.links.secret_key, "status", token)
    if claims is None or claims.waitlist_id != ctx.waitlist.id:
        raise _invalid_token(404)
    entry = line.entry_standing(db, ctx.waitlist.id, claims.entry_id)
    if entry is None:
        raise _invalid_token(404)
    return entry


def position_of_entry(session: Session, entry: Entry) -> int | None:
    return (
        line.position_of(session, entry.waitlist_id, entry.score, entry.seq)
        if entry.waiting
        else None
    )


def confirm(
    session: Session, token: str, links: Links, now: datetime
) -> tuple[WaitlistContext, Entry, int | None]:
    """Mark an email confirmed (idempotently); under double opt-in the entry joins the line."""
    claims = read_token(links.secret_key, "confirm", token)
    if claims is None or confirm_token_expired(claims, now):
        raise _invalid_token()
    ctx = context_for_token(session, claims, links, now)
    entry = entry_by_id(session, ctx.waitlist.id, claims.entry_id, lock=True)
    if entry is None:
        raise _invalid_token()
    if not entry.verified:
        entry.verified, entry.verified_at, entry.updated_at = True, now, now
        session.flush()
        sync_line(session, ctx, entry)
        position = position_of_entry(session, entry)
        record_entry_event(session, ctx, "entry.verified", entry, position)
        if ctx.settings.double_opt_in:
            mail(session, ctx, entry, "welcome", position)
    return ctx, entry, position_of_entry(session, entry)


def unsubscribe(session: Session, token: str, links: Links, now: datetime) -> Entry:
    claims = read_token(links.secret_key, "unsubscribe", token)
    if claims is None:
        raise _invalid_token()
    ctx = context_for_token(session, claims, links, now)
    entry = entry_by_id(session, ctx.waitlist.id, claims.entry_id, lock=True)
    if entry is None:
        raise _invalid_token()
    if entry.unsubscribed_at is None:
        entry.unsubscribed_at, entry.updated_at = now, now
        session.flush()
        sync_line(session, ctx, entry)
        record_entry_event(session, ctx, "entry.unsubscribed", entry, None)
    return entry


def request_status_link(
    session: Session, ctx: WaitlistContext, email_normalized: str | None
) -> None:
    """Mail the status link to the address if it is on the list; say nothing either way."""
    entry = (
        repository.by_email(session, ctx.waitlist.id, email_normalized)
        if email_normalized
        else None
    )
    if entry is not None:
        mail(session, ctx, entry, "status_link", position_of_entry(session, entry))


def sync_line(session: Session, ctx: WaitlistContext, entry: Entry) -> None:
    """After any change to an entry's state: its place in the line and its referral credit.

    Credit is given at the moment the entry starts waiting (spec §1), not whenever it is
    found waiting uncredited: one that waited without giving credit (referrals were off,
    or it came from its referrer's IP) gives none when the team approves it later."""
    should_wait = line.entry_is_waiting(entry, ctx.settings.double_opt_in)
    starts_waiting = should_wait and not entry.waiting
    if should_wait != entry.waiting:
        line.add_to_bucket(session, entry.waitlist_id, entry.score, +1 if should_wait else -1)
        entry.waiting = should_wait
        session.flush()
    referrer_id = entry.referred_by_entry_id
    if referrer_id is None:
        return
    if entry.referral_credited and entry.status == "rejected":
        change_credit(
            session,
            waitlist_id=entry.waitlist_id,
            referrer_id=referrer_id,
            referred_id=entry.id,
            boost=ctx.settings.referral_boost,
            delta=-1,
            now=ctx.now,
        )
        entry.referral_credited = False
    elif starts_waiting:
        credit_referral(session, ctx, entry)


def credit_referral(session: Session, ctx: WaitlistContext, entry: Entry) -> None:
    """Credit a waiting entry's referrer, unless already done or refused by the IP rule.
    Called as the entry starts waiting, and by an import that learns who referred an
    entry it has just put in line (the referrer came later in the file)."""
    referrer_id = entry.referred_by_entry_id
    if referrer_id is None or entry.referral_credited or not entry.waiting:
        return
    referrer_ip = session.scalar(select(Entry.ip_hash).where(Entry.id == referrer_id))
    if credit_allowed(referrer_ip, entry.ip_hash, ctx.settings.referral_same_ip_credit):
        entry.referral_credited = _credit(session, ctx, referrer_id=referrer_id, referred=entry)


def withdraw_credit_of_deleted(session: Session, ctx: WaitlistContext, entry: Entry) -> None:
    if entry.referral_credited and entry.referred_by_entry_id:
        change_credit(
            session,
            waitlist_id=entry.waitlist_id,
            referrer_id=entry.referred_by_entry_id,
            referred_id=entry.id,
            boost=ctx.settings.referral_boost,
            delta=-1,
            now=ctx.now,
        )


def _credit(session: Session, ctx: WaitlistContext, *, referrer_id: str, referred: Entry) -> bool:
    """Credit the referrer of an entry that starts waiting; whether a credit was given.

    None is given while referrals are off (`referral_boost` 0, spec §1): a credit would move no
    one, yet tell the referrer they moved up, and would count the day referrals are turned
    back on. Nor is one given to a referrer deleted since the entry was read."""
    if ctx.settings.referral_boost == 0:
        return False
    referrer = change_credit(
        session,
        waitlist_id=ctx.waitlist.id,
        referrer_id=referrer_id,
        referred_id=referred.id,
        boost=ctx.settings.referral_boost,
        delta=+1,
        now=ctx.now,
    )
    if referrer is None:
        return False
    position = position_of_entry(session, referrer)
    record_entry_event(
        session, ctx, "entry.referral_credited", referrer, position, referred_entry_id=referred.id
    )
    mail(session, ctx, referrer, "referral_credited", position)
    return True


def entry_out(ctx: WaitlistContext, entry: Entry, position: int | None) -> EntryOut:
    return EntryOut(
        id=entry.id,
        waitlist_id=entry.waitlist_id,
        workspace_id=entry.workspace_id,
        email=entry.email,
        name=entry.name,
        phone=entry.phone,
        interest=entry.interest,
        referrer=entry.referrer,
        source=entry.source,
        utm=entry.utm,
        referral_code=entry.referral_code,
        referral_link=ctx.referral_link(entry.referral_code),
        referral_count=entry.referral_count,
        referred_by_entry_id=entry.referred_by_entry_id,
        position=position,
        priority=None if position is None else position - 1,
        status=entry.status,
        verified=entry.verified,
        verified_at=entry.verified_at,
        invited_at=entry.invited_at,
        invited_to_app_slug=entry.invited_to_app_slug,
        invite_code=entry.invite_code,
        unsubscribed_at=entry.unsubscribed_at,
        coupon=entry.coupon,
        variant_id=entry.variant_id,
        country=entry.country,
        metadata=entry.metadata_ or {},
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def entry_event(
    ctx: WaitlistContext,
    type_: str,
    entry: Entry,
    position: int | None,
    **extra: Any,
) -> dict[str, Any]:
    """An event about an entry, for `record_events`."""
    return new_event(
        workspace_id=ctx.workspace.id,
        waitlist_id=ctx.waitlist.id,
        entry_id=entry.id,
        type=type_,
        data=entry_out(ctx, entry, position).model_dump(mode="json") | extra,
        now=ctx.now,
    )


def record_entry_event(
    session: Session,
    ctx: WaitlistContext,
    type_: str,
    entry: Entry,
    position: int | None,
    **extra: Any,
) -> None:
    record_events(session, [entry_event(ctx, type_, entry, position, **extra)])


def message_for(
    ctx: WaitlistContext,
    entry: Entry,
    template: str,
    position: int | None,
    **links: str,
) -> dict[str, Any] | None:
    """A message to queue (`queue_messages`), or None: the person left, the team switched
    this kind of email off, or the change is being made quietly."""
    if not ctx.send_email or entry.unsubscribed_at is not None:
        return None
    if template not in TRANSACTIONAL_TEMPLATES and not (
        ctx.workspace_settings.notifications_enabled and getattr(ctx.settings.emails, template)
    ):
        return None
    data = {
        "name": entry.name,
        "email": entry.email,
        "waitlist_name": ctx.waitlist.display_name,
        "position": position,
        "referral_count": entry.referral_count,
        "referral_link": ctx.referral_link(entry.referral_code),
        "status_url": ctx.status_url(entry.id),
        "unsubscribe_url": ctx.links.unsubscribe_url(entry.id, ctx.waitlist.id, ctx.now),
        **links,
    }
    return new_message(
        workspace_id=ctx.workspace.id,
        waitlist_id=ctx.waitlist.id,
        entry_id=entry.id,
        template=template,
        to_address=entry.email,
        data=data,
        now=ctx.now,
    )


def mail(
    session: Session,
    ctx: WaitlistContext,
    entry: Entry,
    template: str,
    position: int | None,
    **links: str,
) -> None:
    """Queue a message (`message_for`), if there is one to send."""
    message = message_for(ctx, entry, template, position, **links)
    if message is not None:
        queue_messages(session, [message])


def _coupon(
    settings: WaitlistSettings, promo_code: str | None, seq: int, now: datetime
) -> dict[str, Any] | None:
    """The coupon an active promo gives the entry with this seq. Its code is unguessable
    (eight random characters) and unique in the waitlist by construction (the seq follows
    them): drawn at random alone, a million codes of eight characters would more likely
    than not include two alike."""
    if not promo_code:
        return None
    wanted = promo_code.strip().lower()
    promo = next((p for p in settings.promos if p.active and p.code.lower() == wanted), None)
    if promo is None:
        return None
    coupon = Coupon(
        code=f"{promo.code.upper()}-{random_code(8).upper()}{_in_code_alphabet(seq).upper()}",
        discount_type=promo.discount_type,
        discount_value=promo.discount_value,
        currency=promo.currency,
        expires_at=now + timedelta(days=promo.valid_days) if promo.valid_days else None,
    )
    return coupon.model_dump(mode="json")


def _in_code_alphabet(number: int) -> str:
    """A non-negative number written in CODE_ALPHABET's characters, as digits of its base."""
    digits = ""
    while True:
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits = CODE_ALPHABET[digit] + digits
        if number == 0:
            return digits


def random_code(length: int) -> str:
    """Unguessable, and free of look-alike characters (0/o, 1/l/i) for people who type it.

    Drawn from one read of the system's randomness instead of one per character (each
    `secrets.choice` is a system call). Bytes at or above the largest multiple of the
    alphabet's size are dropped, so every character stays equally likely."""
    size = len(CODE_ALPHABET)
    usable = 256 - 256 % size
    chars: list[str] = []
    while len(chars) < length:
        chars += (CODE_ALPHABET[b % size] for b in secrets.token_bytes(length) if b < usable)
    return "".join(chars[:length])


def _attribute(column: str) -> str:
    """The Entry attribute of a column: `metadata` is a name SQLAlchemy keeps for itself."""
    return "metadata_" if column == "metadata" else column


def _no_waitlist() -> NotFound:
    return NotFound("No such waitlist.", code="waitlist_not_found")


def _invalid_token(status: int = 400) -> WaitlineError:
    return WaitlineError(
        "This link is not valid or has expired.", status=status, code="invalid_token"
    )


def _already_registered() -> Conflict:
    return Conflict("This email address is already on the waitlist.", code="already_registered")


SIGNUP_COUNT = select(_waitlists.c.entry_count).where(_waitlists.c.id == bindparam("id"))


def signup_count(session: Session, waitlist_id: str) -> int:
    count = session.connection().execute(SIGNUP_COUNT, {"id": waitlist_id}).scalar()
    if count is None:  # deleted since this process's cache found it
        raise _no_waitlist()
    return count


def waiting_count(session: Session, ctx: WaitlistContext) -> int:
    return line.waiting_count(session, ctx.waitlist.id)


def leaders(session: Session, ctx: WaitlistContext, limit: int) -> list[tuple[Entry, int | None]]:
    entries = repository.leaders(session, ctx.waitlist.id, limit)
    positions = line.positions_of_entries(session, ctx.waitlist.id, [e.id for e in entries])
    return [(entry, positions.get(entry.id)) for entry in entries]


def confirm_error_url(session: Session, token: str, links: Links) -> str | None:
    """Where a failed confirmation goes: `confirm_error_url` of the waitlist the token names."""
    claims = read_token(links.secret_key, "confirm", token)
    waitlist = session.get(Waitlist, claims.waitlist_id) if claims else None
    return settings_view(waitlist.settings).confirm_error_url if waitlist else None


def set_status(session: Session, ctx: WaitlistContext, entry: Entry, status: str) -> Entry:
    """Approve or reject; rejecting leaves the line and withdraws the referral credit given."""
    if entry.status == status:
        return entry
    entry.status, entry.updated_at = status, ctx.now
    session.flush()
    sync_line(session, ctx, entry)
    position = position_of_entry(session, entry)
    record_entry_event(session, ctx, f"entry.{status}", entry, position)
    # The `approved` and `rejected` messages, when the waitlist's `emails` switches them on.
    mail(session, ctx, entry, status, position)
    return entry


def mark_invited(
    session: Session, ctx: WaitlistContext, entry: Entry, *, app_slug: str | None, code: str
) -> Entry:
    """Let a person in: they leave the line, and everyone behind them moves up."""
    entry.invited_at, entry.invited_to_app_slug, entry.invite_code = ctx.now, app_slug, code
    entry.updated_at = ctx.now
    session.flush()
    sync_line(session, ctx, entry)
    record_entry_event(session, ctx, "entry.invited", entry, None)
    return entry


def delete_entry(session: Session, ctx: WaitlistContext, entry: Entry) -> None:
    """Erase a person: out of the line, the credit they gave withdrawn, the row gone."""
    if entry.waiting:
        line.add_to_bucket(session, entry.waitlist_id, entry.score, -1)
    withdraw_credit_of_deleted(session, ctx, entry)
    # The person is being erased: the event names the entry, not who they were.
    record_event(
        session,
        workspace_id=ctx.workspace.id,
        waitlist_id=ctx.waitlist.id,
        entry_id=entry.id,
        type="entry.deleted",
        data={"id": entry.id, "waitlist_id": entry.waitlist_id},
        now=ctx.now,
    )
    session.execute(
        update(Waitlist)
        .where(Waitlist.id == entry.waitlist_id)
        .values(entry_count=Waitlist.entry_count - 1)
        .execution_options(synchronize_session=False, **COUNTERS_ONLY)
    )
    session.delete(entry)
    session.flush()
