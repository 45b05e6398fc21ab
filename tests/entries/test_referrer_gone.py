"""A referrer deleted after the referred entry was read (another request erased them and
committed in between) leaves nothing to withdraw: rejecting or deleting the referred entry
still works, and the line stays right (spec §1: rejecting or deleting the referred entry
withdraws the credit; here there is no one left to withdraw it from)."""

import pytest
from sqlalchemy import select

from waitline.db.models import Entry, Waitlist, Workspace
from waitline.entries import line, repository, service


@pytest.fixture
def proxy(behind_proxy):
    return behind_proxy()


@pytest.fixture
def credited(open_waitlist, join, proxy, stored):
    """ada, then bob, then cyd, who came through ada's link and was credited to her."""
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", via=proxy, ip="203.0.113.1")
    join(waitlist, "bob@example.com", via=proxy, ip="203.0.113.2")
    cyd = join(
        waitlist, "cyd@example.com", via=proxy, ip="203.0.113.3", referral_code=ada["referral_code"]
    )
    assert stored.entry(ada["id"]).referral_count == 1
    return waitlist, ada, cyd


def after_the_referrer_is_erased(app, clock, waitlist: dict, referred_id: str, act) -> None:
    """Read the referred entry, then erase its referrer as another request would (the
    database empties `referred_by_entry_id`; the entry already read keeps the old id), then
    `act(session, ctx, entry)`, all in one transaction."""
    with app.state.db.transaction() as session:
        row = session.get(Waitlist, waitlist["id"])
        ctx = service.WaitlistContext.of(
            session.get(Workspace, row.workspace_id), row, app.state.links, clock.now()
        )
        entry = repository.by_id(session, row.id, referred_id)
        referrer = repository.by_id(session, row.id, entry.referred_by_entry_id)
        service.delete_entry(session, ctx, referrer)
        assert entry.referred_by_entry_id == referrer.id  # as read before the erasure
        act(session, ctx, entry)


def positions(app, waitlist: dict) -> dict[str, int | None]:
    with app.state.db.transaction(write=False) as session:
        entries = session.scalars(select(Entry).where(Entry.waitlist_id == waitlist["id"]))
        return {e.email: service.position_of_entry(session, e) for e in entries}


def test_rejecting_an_entry_whose_referrer_is_gone_withdraws_nothing(app, clock, credited, stored):
    waitlist, _, cyd = credited

    after_the_referrer_is_erased(
        app,
        clock,
        waitlist,
        cyd["id"],
        lambda session, ctx, entry: service.set_status(session, ctx, entry, "rejected"),
    )

    entry = stored.entry(cyd["id"])
    assert (entry.status, entry.referred_by_entry_id) == ("rejected", None)
    assert [e.entry_id for e in stored.events("entry.rejected")] == [cyd["id"]]
    assert positions(app, waitlist) == {"bob@example.com": 1, "cyd@example.com": None}


def test_deleting_an_entry_whose_referrer_is_gone_withdraws_nothing(app, clock, credited, stored):
    waitlist, ada, cyd = credited

    after_the_referrer_is_erased(
        app,
        clock,
        waitlist,
        cyd["id"],
        lambda session, ctx, entry: service.delete_entry(session, ctx, entry),
    )

    assert [e.entry_id for e in stored.events("entry.deleted")] == [ada["id"], cyd["id"]]
    assert positions(app, waitlist) == {"bob@example.com": 1}
    with app.state.db.transaction(write=False) as session:
        assert line.waiting_count(session, waitlist["id"]) == 1
