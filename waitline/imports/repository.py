"""Statements for import jobs and for the rows an export adds to each entry."""

from datetime import datetime

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from waitline.db.models import Entry, ImportJob, Waitlist, Workspace


def job_of(session: Session, waitlist_id: str, job_id: str) -> ImportJob | None:
    return session.scalar(
        select(ImportJob).where(ImportJob.id == job_id, ImportJob.waitlist_id == waitlist_id)
    )


def claim(
    session: Session,
    job_id: str,
    *,
    from_statuses: tuple[str, ...],
    now: datetime,
    stale_before: datetime | None = None,
) -> bool:
    """Mark the job running if it is in one of `from_statuses` (or running with no progress
    saved since `stale_before`: its runner died); False if someone else has it or it is
    over. One statement, so two runners never both get it."""
    claimable = ImportJob.status.in_(from_statuses)
    if stale_before is not None:
        claimable = or_(
            claimable, and_(ImportJob.status == "running", ImportJob.updated_at < stale_before)
        )
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, claimable)
        .values(status="running", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def next_job_id(session: Session, *, stale_before: datetime) -> str | None:
    """The oldest job waiting to run: queued, or running with no progress saved since
    `stale_before`."""
    return session.scalar(
        select(ImportJob.id)
        .where(
            or_(
                ImportJob.status == "queued",
                and_(ImportJob.status == "running", ImportJob.updated_at < stale_before),
            )
        )
        .order_by(ImportJob.created_at, ImportJob.id)
        .limit(1)
    )


def waitlist_by_slugs(
    session: Session, workspace_slug: str, waitlist_slug: str
) -> tuple[Workspace, Waitlist] | None:
    """Any waitlist, whatever its status: for the command line, which runs as the owner."""
    found = session.execute(
        select(Workspace, Waitlist)
        .join(Waitlist, Waitlist.workspace_id == Workspace.id)
        .where(Workspace.slug == workspace_slug, Waitlist.slug == waitlist_slug)
    ).first()
    return (found[0], found[1]) if found else None


def referrer_emails(session: Session, entry_ids: list[str]) -> dict[str, str]:
    """For entries that were referred: entry id -> the referrer's email."""
    if not entry_ids:
        return {}
    referrer = aliased(Entry)
    rows = session.execute(
        select(Entry.id, referrer.email)
        .join(referrer, referrer.id == Entry.referred_by_entry_id)
        .where(Entry.id.in_(entry_ids))
    )
    return {entry_id: email for entry_id, email in rows}


def referrer_by_email(session: Session, waitlist_id: str, email_normalized: str) -> Row | None:
    """The entry with this address, as `add_entry` takes a referrer: id and ip_hash."""
    return session.execute(
        select(Entry.id, Entry.ip_hash).where(
            Entry.waitlist_id == waitlist_id, Entry.email_normalized == email_normalized
        )
    ).first()
