"""Public routes find their waitlist in memory (entries/waitlist_cache.py): what the team
changes through this process shows at once, another process's change within TTL_SECONDS,
and signups, which bump the waitlist's counters, do not throw the cache away."""

import time

import pytest
from sqlalchemy import event, text

from waitline.db.session import Database
from waitline.entries import waitlist_cache


@pytest.fixture
def other_process(database_url):
    """The same database through an engine of its own, as another app process has."""
    db = Database(database_url)
    yield db
    db.dispose()


def rename_elsewhere(db: Database, waitlist_id: str, name: str) -> None:
    with db.transaction() as session:
        session.execute(
            text("UPDATE waitlists SET display_name = :name WHERE id = :id"),
            {"name": name, "id": waitlist_id},
        )


def name_shown(client, url, waitlist: dict) -> str:
    response = client.get(url(waitlist))
    assert response.status_code == 200, response.text
    return response.json()["display_name"]


def test_a_change_made_through_this_process_shows_on_the_next_request(
    client, tenant, url, open_waitlist
):
    waitlist = open_waitlist()
    name_shown(client, url, waitlist)
    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"),
        json={"display_name": "Renamed here"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert name_shown(client, url, waitlist) == "Renamed here"


def test_settings_changed_through_this_process_hold_on_the_next_request(
    client, tenant, url, open_waitlist
):
    """The settings are parsed once while the waitlist is kept: they are dropped with it."""
    waitlist = open_waitlist()
    origin = {"Origin": "https://acme.example.com"}
    first = client.post(
        url(waitlist, "/entries"), json={"email": "ada@example.com"}, headers=origin
    )
    assert first.headers["access-control-allow-origin"] == "https://acme.example.com"
    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"),
        json={"settings": {"allowed_origins": ["https://other.example.com"]}},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    then = client.post(url(waitlist, "/entries"), json={"email": "bob@example.com"}, headers=origin)
    assert then.status_code == 201, then.text
    assert "access-control-allow-origin" not in then.headers


def test_another_process_s_change_shows_within_the_ttl(
    client, url, open_waitlist, other_process, monkeypatch
):
    monkeypatch.setattr(waitlist_cache, "TTL_SECONDS", 0.3)
    waitlist = open_waitlist()
    before = name_shown(client, url, waitlist)
    rename_elsewhere(other_process, waitlist["id"], "Renamed elsewhere")
    assert name_shown(client, url, waitlist) == before  # kept in memory...
    time.sleep(0.35)
    assert name_shown(client, url, waitlist) == "Renamed elsewhere"  # ...for the TTL only


def test_signups_keep_the_cache_and_the_signup_count_is_read_fresh(
    client, url, open_waitlist, join, other_process
):
    waitlist = open_waitlist()
    before = name_shown(client, url, waitlist)
    rename_elsewhere(other_process, waitlist["id"], "Renamed elsewhere")
    join(waitlist, "ada@example.com")
    join(waitlist, "bob@example.com")
    info = client.get(url(waitlist)).json()
    assert info["display_name"] == before
    assert info["signup_count"] == 2


def test_a_removed_waitlist_is_gone_at_once(client, tenant, url, open_waitlist):
    waitlist = open_waitlist()
    name_shown(client, url, waitlist)
    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}"), json={"status": "draft"}, headers=tenant.auth
    )
    assert response.status_code == 200, response.text
    assert client.get(url(waitlist)).status_code == 404


def test_a_waitlist_deleted_by_another_process_is_a_404_while_still_kept_here(
    client, url, open_waitlist, other_process
):
    waitlist = open_waitlist()
    name_shown(client, url, waitlist)
    with other_process.transaction() as session:
        session.execute(text("DELETE FROM waitlists WHERE id = :id"), {"id": waitlist["id"]})
    assert client.get(url(waitlist)).status_code == 404
    joined = client.post(url(waitlist, "/entries"), json={"email": "ada@example.com"})
    assert joined.status_code == 404, joined.text


def test_a_miss_in_a_caller_s_transaction_reads_there_not_on_a_second_connection(
    app, tenant, open_waitlist
):
    """The hosted pages look their waitlist up inside their own read: a miss there must
    not hold a second pooled connection, which under load could empty the pool."""
    waitlist = open_waitlist()
    db = app.state.db
    fresh = waitlist_cache.WaitlistCache(db.engine)  # nothing kept: a miss
    checkouts = []

    def count(*_) -> None:
        checkouts.append(1)

    with db.transaction(write=False) as session:
        session.connection()
        event.listen(db.engine, "checkout", count)
        try:
            found = fresh.public_waitlist(db, tenant.slug, waitlist["slug"], session=session)
        finally:
            event.remove(db.engine, "checkout", count)
    assert found.waitlist.id == waitlist["id"]
    assert checkouts == []
