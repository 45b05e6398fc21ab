"""Rotating a secret (24 h with both signatures), test events for one endpoint alone,
replaying a window of events, and the delivery log's pages."""

from sqlalchemy import select

from waitline.db.models import Event


def test_after_a_rotation_both_secrets_verify_for_24_hours_then_only_the_new(
    client, tenant, make_hook, emit, run_pass, receiver, clock
):
    hook = make_hook()
    old = hook["signing_secret"]
    clock.advance(hours=1)

    response = client.post(
        tenant.path(f"/webhooks/{hook['id']}/rotate-secret"), headers=tenant.auth
    )

    assert response.status_code == 200, response.text
    rotated = response.json()
    new = rotated["signing_secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated["previous_secret_expires_at"] == "2026-03-03T10:00:00Z"
    shown = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth).json()
    assert "signing_secret" not in shown
    receiver.secrets["/hook"] = [new, old]

    emit()
    run_pass()
    clock.advance(hours=24, seconds=-1)
    emit()
    run_pass()
    clock.advance(seconds=1)
    emit()
    run_pass()

    first, last_overlap, after = receiver.at("/hook")
    for during in (first, last_overlap):
        assert during.verified_with == [new, old]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert after.verified_with == [new]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    later = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth).json()
    assert later["previous_secret_expires_at"] is None


def test_a_test_event_goes_to_that_endpoint_alone_and_stays_out_of_the_log(
    client, tenant, make_hook, run_pass, receiver, app
):
    hook = make_hook("/tested")
    make_hook("/other")

    response = client.post(
        tenant.path(f"/webhooks/{hook['id']}/test"),
        json={"event": "entry.invited"},
        headers=tenant.auth,
    )

    assert response.status_code == 202, response.text
    event = response.json()
    assert set(event) == {"id", "type", "timestamp", "data"}
    assert event["type"] == "entry.invited"
    assert event["data"]["test"] is True
    assert event["data"]["email"] == "jane.doe@example.com"
    assert event["data"]["invited_at"] == "2026-03-02T09:00:00Z"

    run_pass()

    (got,) = receiver.at("/tested")
    assert got.webhook_id == event["id"]
    assert got.verified_with == [hook["signing_secret"]]
    assert got.json == {k: event[k] for k in ("type", "timestamp", "data")}
    assert receiver.at("/other") == []
    log = client.get(tenant.path("/events"), headers=tenant.auth).json()
    assert log["data"] == []
    with app.state.db.transaction(write=False) as session:
        (stored,) = session.scalars(select(Event))
        assert stored.fanned_out_at is not None


def test_a_test_event_for_a_real_waitlist(client, tenant, make_hook, make_waitlist, make_tenant):
    hook = make_hook()
    waitlist = make_waitlist("launch")
    path = tenant.path(f"/webhooks/{hook['id']}/test")

    entry = client.post(
        path, json={"event": "entry.created", "waitlist_id": waitlist["id"]}, headers=tenant.auth
    ).json()
    assert entry["data"]["waitlist_id"] == waitlist["id"]
    assert "/launch" in entry["data"]["referral_link"]

    updated = client.post(
        path, json={"event": "waitlist.updated", "waitlist_id": waitlist["id"]}, headers=tenant.auth
    ).json()
    assert updated["data"]["id"] == waitlist["id"]
    assert updated["data"]["slug"] == "launch"
    assert updated["data"]["changed"] == ["display_name"]

    made_up = client.post(path, json={"event": "waitlist.deleted"}, headers=tenant.auth).json()
    assert made_up["data"]["slug"] == "example"

    deleted = client.post(path, json={"event": "entry.deleted"}, headers=tenant.auth).json()
    assert set(deleted["data"]) == {"id", "waitlist_id", "test"}

    others = make_waitlist("theirs", owner=make_tenant("globex"))
    foreign = client.post(
        path, json={"event": "entry.created", "waitlist_id": others["id"]}, headers=tenant.auth
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "waitlist_not_found"
    unknown = client.post(path, json={"event": "entry.exploded"}, headers=tenant.auth)
    assert unknown.status_code == 422


def test_replay_sends_what_an_endpoint_missed(
    client, tenant, make_hook, emit, run_pass, receiver, clock
):
    hook = make_hook(active=False)
    missed = [emit(n=n) for n in range(3)]
    clock.advance(hours=1)
    later = emit(n=3)
    run_pass()
    assert receiver.received == [], "an inactive endpoint gets nothing"
    client.patch(tenant.path(f"/webhooks/{hook['id']}"), json={"active": True}, headers=tenant.auth)
    replay = tenant.path(f"/webhooks/{hook['id']}/replay")

    response = client.post(
        replay,
        json={"since": "2026-03-02T09:00:00Z", "until": "2026-03-02T10:00:00Z"},
        headers=tenant.auth,
    )

    assert response.status_code == 202, response.text
    assert response.json() == {"enqueued": 3}
    run_pass()
    assert sorted(r.webhook_id for r in receiver.at("/hook")) == sorted(missed)
    assert all(r.verified_with for r in receiver.at("/hook"))

    # Only what it has not received: the event after the window, once.
    window = {"since": "2026-03-02T09:00:00"}  # no offset: UTC
    assert client.post(replay, json=window, headers=tenant.auth).json() == {"enqueued": 1}
    assert client.post(replay, json=window, headers=tenant.auth).json() == {"enqueued": 0}
    run_pass()
    assert receiver.at("/hook")[-1].webhook_id == later
    assert client.post(replay, json=window, headers=tenant.auth).json() == {"enqueued": 0}

    # Everything again, when asked.
    every = client.post(replay, json={**window, "only_failed": False}, headers=tenant.auth)
    assert every.json() == {"enqueued": 4}
    run_pass()
    assert len(receiver.at("/hook")) == 8


def test_replay_resends_failed_deliveries_and_respects_the_subscription(
    client, tenant, make_hook, emit, run_pass, receiver, reply, clock
):
    hook = make_hook(events=["entry.created"])
    receiver.replies["/hook"] = [reply(500)] * 8
    failed = emit("entry.created")
    emit("entry.invited")
    run_pass()
    for _ in range(7):
        clock.advance(hours=10)
        run_pass()
    assert len(receiver.at("/hook")) == 8

    response = client.post(
        tenant.path(f"/webhooks/{hook['id']}/replay"),
        json={"since": "2026-03-01T00:00:00Z"},
        headers=tenant.auth,
    )

    assert response.json() == {"enqueued": 1}
    run_pass()
    assert receiver.at("/hook")[-1].webhook_id == failed


def test_replay_checks_its_window(client, tenant, make_hook):
    hook = make_hook()
    replay = tenant.path(f"/webhooks/{hook['id']}/replay")
    backwards = client.post(
        replay,
        json={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        headers=tenant.auth,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == {"until": ["must be after since"]}
    assert client.post(replay, json={}, headers=tenant.auth).status_code == 422
    assert client.post(replay, json={"since": "yesterday"}, headers=tenant.auth).status_code == 422


def test_the_delivery_log_pages_newest_first(
    client, tenant, make_hook, emit, run_pass, receiver, reply, clock
):
    hook = make_hook()
    receiver.replies["/hook"] = [reply(500)] * 5
    for _ in range(5):
        emit()
        run_pass()
        clock.advance(seconds=1)
    path = tenant.path(f"/webhooks/{hook['id']}/deliveries")

    first = client.get(f"{path}?limit=2", headers=tenant.auth).json()
    seen = list(first["data"])
    cursor = first["pagination"]["next_cursor"]
    while cursor:
        page = client.get(f"{path}?limit=2&cursor={cursor}", headers=tenant.auth).json()
        seen += page["data"]
        cursor = page["pagination"]["next_cursor"]

    assert len(seen) == 5
    assert len({a["id"] for a in seen}) == 5
    times = [a["created_at"] for a in seen]
    assert times == sorted(times, reverse=True)
    assert set(seen[0]) == {
        "id",
        "event_id",
        "event_type",
        "attempt_number",
        "status_code",
        "response_body",
        "error_message",
        "latency_ms",
        "created_at",
    }
