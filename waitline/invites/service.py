"""Rules for letting people in: invite codes, invites one by one and in waves, redemption."""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.models import Entry
from waitline.entries import service
from waitline.entries.admin import entry_for
from waitline.entries.service import WaitlistContext
from waitline.invites.schemas import BulkResult, ItemError, ItemResult
from waitline.kit.errors import Conflict, NotFound, ValidationFailed, WaitlineError
from waitline.workspaces.schemas import AppConfig

INVITE_LIFETIME = timedelta(days=30)


def app_for(ctx: WaitlistContext, app_slug: str | None) -> AppConfig | None:
    """The app to invite into: the one named, else the workspace's default, else none."""
    slug = app_slug or ctx.workspace_settings.default_app_slug
    if slug is None:
        return None
    app = next((a for a in ctx.workspace_settings.apps if a.slug == slug), None)
    if app is None:
        raise ValidationFailed({"app_slug": [f"No app {slug!r} in the workspace settings."]})
    return app


def invite(
    session: Session, ctx: WaitlistContext, entry: Entry, *, app_slug: str | None, send_email: bool
) -> str | None:
    """Invite one entry; the invite URL, when the app has a template."""
    if entry.invited_at is not None:
        raise Conflict("This entry is already invited.")
    if entry.status == "rejected":
        raise Conflict("A rejected entry cannot be invited; approve it first.")
    if entry.unsubscribed_at is not None:
        raise Conflict("This person unsubscribed and left the waitlist.")
    if ctx.settings.approval_required and entry.status != "approved":
        raise Conflict("This waitlist requires approval before an invite; approve the entry first.")
    app = app_for(ctx, app_slug)
    code = secrets.token_urlsafe(18)
    service.mark_invited(session, ctx, entry, app_slug=app.slug if app else None, code=code)
    url = invite_url(app, code)
    if send_email:
        service.mail(session, ctx, entry, "invited", None, **({"invite_url": url} if url else {}))
    return url


def invite_url(app: AppConfig | None, code: str | None) -> str | None:
    if app is None or code is None:
        return None
    return app.invite_url_template.replace("{code}", code)


def next_in_line(session: Session, ctx: WaitlistContext, count: int) -> list[Entry]:
    """The first `count` waiting entries by position, locked: a concurrent wave skips them."""
    stmt = (
        select(Entry)
        .where(Entry.waitlist_id == ctx.waitlist.id, Entry.waiting == True)  # noqa: E712
        .order_by(Entry.score, Entry.seq)
        .limit(count)
        .with_for_update(skip_locked=True)
    )
    if ctx.settings.approval_required:
        stmt = stmt.where(Entry.status == "approved")
    return list(session.scalars(stmt))


def invite_next(
    session: Session, ctx: WaitlistContext, count: int, *, app_slug: str | None, send_email: bool
) -> BulkResult:
    """Let the next `count` people in, in position order: an invite wave."""
    app_for(ctx, app_slug)  # refuse an unknown app before inviting anyone
    entries = next_in_line(session, ctx, count)
    return each(
        session,
        [entry.id for entry in entries],
        lambda entry_id: invite(
            session,
            ctx,
            entry_for(session, ctx, entry_id),
            app_slug=app_slug,
            send_email=send_email,
        ),
    )


def each(session: Session, ids: list[str], act: Callable[[str], object]) -> BulkResult:
    """Act on each id in its own savepoint, so that one failure fails alone."""
    unique = list(dict.fromkeys(ids))
    results = []
    for entry_id in unique:
        try:
            with session.begin_nested():
                act(entry_id)
        except WaitlineError as error:
            results.append(
                ItemResult(
                    id=entry_id,
                    status="error",
                    error=ItemError(code=error.code, message=error.detail),
                )
            )
        else:
            results.append(ItemResult(id=entry_id, status="ok"))
    succeeded = sum(1 for r in results if r.status == "ok")
    return BulkResult(
        requested=len(unique), succeeded=succeeded, failed=len(unique) - succeeded, results=results
    )


def by_code(session: Session, workspace_id: str, code: str, *, lock: bool = False) -> Entry:
    """The entry an invite code of this workspace belongs to. With `lock`, held until the
    transaction ends, so that of two redemptions at once the second sees the first."""
    stmt = select(Entry).where(Entry.workspace_id == workspace_id, Entry.invite_code == code)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    entry = session.scalar(stmt)
    if entry is None:
        raise NotFound("No invite with this code.")
    return entry


def is_expired(now: datetime, entry: Entry) -> bool:
    return entry.invited_at is not None and now - entry.invited_at > INVITE_LIFETIME


def redeem(session: Session, ctx: WaitlistContext, entry: Entry) -> Entry:
    if entry.invite_redeemed_at is not None:
        raise Conflict("This invite was already redeemed.")
    if is_expired(ctx.now, entry):
        raise Conflict("This invite has expired.", code="invite_expired")
    entry.invite_redeemed_at = ctx.now
    entry.updated_at = ctx.now
    session.flush()
    service.record_entry_event(session, ctx, "entry.invite_redeemed", entry, None)
    return entry
