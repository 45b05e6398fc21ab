"""The event log for systems that poll (spec §3 Events): newest first, by cursor, by type,
each event as its webhooks carry it; any credential of the workspace, and only its own."""


def test_events_are_listed_newest_first_by_cursor(client, tenant, emit, clock):
    made = []
    for n in range(25):
        made.append(emit("entry.created" if n % 2 else "waitlist.created", n=n))
        if n % 5 == 0:
            clock.advance(seconds=1)  # some share a timestamp, some do not

    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=10" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(tenant.path(f"/events{query}"), headers=tenant.read_auth)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["data"]
        pages += 1
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if not cursor:
            break

    assert pages == 3
    assert [e["id"] for e in seen] == made[::-1]
    newest = seen[0]
    assert set(newest) == {"id", "type", "timestamp", "data"}
    assert newest["type"] == "waitlist.created"
    assert newest["data"] == {"n": 24}
    assert newest["timestamp"] == "2026-03-02T09:00:05Z"


def test_events_filtered_by_type(client, tenant, emit):
    invited = [emit("entry.invited", n=n) for n in range(3)]
    emit("entry.created")

    page = client.get(tenant.path("/events?type=entry.invited"), headers=tenant.auth).json()

    assert [e["id"] for e in page["data"]] == invited[::-1]
    unknown = client.get(tenant.path("/events?type=entry.exploded"), headers=tenant.auth)
    assert unknown.status_code == 422
    assert "type" in unknown.json()["errors"]


def test_events_recorded_by_the_api_are_in_the_log(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")

    (event,) = client.get(tenant.path("/events"), headers=tenant.auth).json()["data"]

    assert event["type"] == "waitlist.created"
    assert event["data"]["id"] == waitlist["id"]


def test_another_workspaces_events_are_not_seen(client, tenant, make_tenant, emit):
    other = make_tenant("globex")
    emit("entry.created", owner=other)
    mine = emit("entry.created")

    page = client.get(tenant.path("/events"), headers=tenant.auth).json()
    assert [e["id"] for e in page["data"]] == [mine]
    assert client.get(other.path("/events"), headers=tenant.auth).status_code == 404
    assert client.get(tenant.path("/events"), headers=other.auth).status_code == 404


def test_a_bad_cursor_or_limit_is_refused(client, tenant):
    for query in ("?cursor=nonsense", "?limit=0", "?limit=101"):
        response = client.get(tenant.path(f"/events{query}"), headers=tenant.auth)
        assert response.status_code == 422, query
