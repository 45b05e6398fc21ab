"""The data of a test event: an entry or a waitlist shaped exactly as real events carry
them, made up unless the test names a real waitlist, and marked `"test": true`."""

from datetime import datetime
from typing import Any

from waitline.db.models import Entry, Waitlist, Workspace
from waitline.entries.links import Links
from waitline.entries.service import WaitlistContext, entry_out
from waitline.kit.ids import new_id
from waitline.outbox.repository import TEST_MARK
from waitline.waitlists.service import waitlist_out

SAMPLE_CODE = "EXAMPLE1"


def sample_waitlist(workspace: Workspace, now: datetime) -> Waitlist:
    """A waitlist that exists only in this event (never added to a session)."""
    return Waitlist(
        id=new_id(),
        workspace_id=workspace.id,
        slug="example",
        display_name="Example waitlist",
        description="A made-up waitlist for a test event.",
        status="open",
        settings={},
        created_by=None,
        created_at=now,
        updated_at=now,
    )


def synthetic_event_data(
    event_type: str, workspace: Workspace, waitlist: Waitlist, links: Links, now: datetime
) -> dict[str, Any]:
    if event_type.startswith("waitlist."):
        data = waitlist_out(waitlist, workspace).model_dump(mode="json")
        if event_type == "waitlist.updated":
            data["changed"] = ["display_name"]
        elif event_type == "waitlist.status_changed":
            data["previous_status"] = "draft"
        return data | {TEST_MARK: True}
    entry = _sample_entry(event_type, workspace, waitlist, now)
    if event_type == "entry.deleted":
        return {"id": entry.id, "waitlist_id": waitlist.id, TEST_MARK: True}
    ctx = WaitlistContext.of(workspace, waitlist, links, now)
    position = 1 if event_type in ("entry.created", "entry.verified", "entry.approved") else None
    data = entry_out(ctx, entry, position).model_dump(mode="json")
    if event_type == "entry.referral_credited":
        data["referred_entry_id"] = new_id()
    return data | {TEST_MARK: True}


def _sample_entry(event_type: str, workspace: Workspace, waitlist: Waitlist, now: datetime):
    invited = event_type in ("entry.invited", "entry.invite_redeemed")
    return Entry(
        id=new_id(),
        waitlist_id=waitlist.id,
        workspace_id=workspace.id,
        email="jane.doe@example.com",
        name="Jane Doe",
        phone=None,
        interest=None,
        referrer=None,
        source="form",
        utm=None,
        referral_code=SAMPLE_CODE,
        referral_count=1 if event_type == "entry.referral_credited" else 0,
        referred_by_entry_id=None,
        status={"entry.approved": "approved", "entry.rejected": "rejected"}.get(
            event_type, "pending"
        ),
        verified=event_type != "entry.created",
        verified_at=None if event_type == "entry.created" else now,
        invited_at=now if invited else None,
        invited_to_app_slug=None,
        invite_code="example-invite-code" if invited else None,
        unsubscribed_at=now if event_type == "entry.unsubscribed" else None,
        coupon=None,
        variant_id=None,
        country=None,
        metadata_={},
        created_at=now,
        updated_at=now,
    )
