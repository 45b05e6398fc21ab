"""The endpoints API (spec §3 Webhooks): create with a secret shown once and sealed at
rest, read, list, change, delete; write credentials for changes; other workspaces' ids
are 404."""

import base64

from waitline.outbox.service import EVENT_TYPES

ROW_FIELDS = {
    "id",
    "url",
    "description",
    "events",
    "active",
    "failure_count",
    "last_status_code",
    "last_attempt_at",
    "first_failure_at",
    "auto_disabled_at",
    "previous_secret_expires_at",
    "created_at",
    "updated_at",
}


def test_creating_an_endpoint_shows_its_secret_once_and_keeps_it_sealed(
    client, tenant, receiver, app, rows
):
    response = client.post(
        tenant.path("/webhooks"),
        json={"url": receiver.url("/hook"), "description": "CRM sync"},
        headers=tenant.auth,
    )

    assert response.status_code == 201, response.text
    hook = response.json()
    assert set(hook) == ROW_FIELDS | {"signing_secret"}
    assert hook["url"] == receiver.url("/hook")
    assert hook["events"] == []
    assert hook["active"] is True
    assert hook["failure_count"] == 0
    assert hook["created_at"] == "2026-03-02T09:00:00Z"
    assert hook["last_status_code"] is hook["auto_disabled_at"] is None
    secret = hook["signing_secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24

    shown = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth).json()
    assert set(shown) == ROW_FIELDS
    listed = client.get(tenant.path("/webhooks"), headers=tenant.auth).json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]]
    assert "signing_secret" not in listed["data"][0]

    stored = rows.endpoint(hook["id"])
    assert secret not in stored.secret_sealed
    assert app.state.secret_box.open(stored.secret_sealed) == secret


def test_an_endpoint_subscribes_to_some_event_types_or_to_all(client, tenant, receiver):
    some = client.post(
        tenant.path("/webhooks"),
        json={
            "url": receiver.url("/a"),
            "events": ["entry.created", "entry.invited", "entry.created"],
        },
        headers=tenant.auth,
    )
    assert some.status_code == 201
    assert some.json()["events"] == ["entry.created", "entry.invited"]

    unknown = client.post(
        tenant.path("/webhooks"),
        json={"url": receiver.url("/b"), "events": ["entry.exploded"]},
        headers=tenant.auth,
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "validation_error"
    assert "events.0" in unknown.json()["errors"]
    assert len(EVENT_TYPES) == 13


def test_changing_an_endpoint(client, tenant, receiver, make_hook, clock):
    hook = make_hook("/a")
    clock.advance(minutes=1)

    response = client.patch(
        tenant.path(f"/webhooks/{hook['id']}"),
        json={"url": receiver.url("/b"), "events": ["waitlist.created"], "description": "new"},
        headers=tenant.auth,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["url"] == receiver.url("/b")
    assert changed["events"] == ["waitlist.created"]
    assert changed["description"] == "new"
    assert changed["updated_at"] == "2026-03-02T09:01:00Z"

    cleared = client.patch(
        tenant.path(f"/webhooks/{hook['id']}"), json={"description": None}, headers=tenant.auth
    ).json()
    assert cleared["description"] is None
    assert cleared["events"] == ["waitlist.created"]

    for body in ({"url": None}, {"active": None}, {"events": None}, {"secret": "x"}):
        refused = client.patch(
            tenant.path(f"/webhooks/{hook['id']}"), json=body, headers=tenant.auth
        )
        assert refused.status_code == 422, body


def test_deleting_an_endpoint(client, tenant, make_hook, emit, run_pass, rows):
    hook = make_hook()
    emit()
    run_pass()
    assert len(rows.attempts(hook["id"])) == 1

    response = client.delete(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth)

    assert response.status_code == 204
    gone = client.get(tenant.path(f"/webhooks/{hook['id']}"), headers=tenant.auth)
    assert gone.status_code == 404
    assert rows.deliveries(hook["id"]) == []
    assert rows.attempts(hook["id"]) == []
    events = client.get(tenant.path("/events"), headers=tenant.auth).json()["data"]
    assert len(events) == 1


def test_endpoints_are_listed_newest_first_by_cursor(client, tenant, make_hook, clock):
    made = []
    for n in range(5):
        made.append(make_hook(f"/h{n}")["id"])
        clock.advance(seconds=1)

    first = client.get(tenant.path("/webhooks?limit=2"), headers=tenant.auth).json()
    assert [h["id"] for h in first["data"]] == made[::-1][:2]
    assert first["pagination"]["has_more"] is True
    seen = [h["id"] for h in first["data"]]
    cursor = first["pagination"]["next_cursor"]
    while cursor:
        page = client.get(
            tenant.path(f"/webhooks?limit=2&cursor={cursor}"), headers=tenant.auth
        ).json()
        seen += [h["id"] for h in page["data"]]
        cursor = page["pagination"]["next_cursor"]
    assert seen == made[::-1]


def test_a_read_credential_reads_but_changes_nothing(client, tenant, make_hook, receiver):
    hook = make_hook()
    path = tenant.path(f"/webhooks/{hook['id']}")

    assert client.get(tenant.path("/webhooks"), headers=tenant.read_auth).status_code == 200
    assert client.get(path, headers=tenant.read_auth).status_code == 200
    assert client.get(f"{path}/deliveries", headers=tenant.read_auth).status_code == 200
    for method, url, body in (
        ("POST", tenant.path("/webhooks"), {"url": receiver.url("/x")}),
        ("PATCH", path, {"active": False}),
        ("DELETE", path, None),
        ("POST", f"{path}/rotate-secret", None),
        ("POST", f"{path}/test", {"event": "entry.created"}),
        ("POST", f"{path}/replay", {"since": "2026-03-01T00:00:00Z"}),
    ):
        response = client.request(method, url, json=body, headers=tenant.read_auth)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "forbidden"


def test_another_workspaces_endpoint_does_not_exist(client, tenant, make_tenant, make_hook):
    other = make_tenant("globex")
    hook = make_hook()
    path = f"/webhooks/{hook['id']}"

    for method, rest, body in (
        ("GET", path, None),
        ("PATCH", path, {"active": False}),
        ("DELETE", path, None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/rotate-secret", None),
        ("POST", f"{path}/test", {"event": "entry.created"}),
        ("POST", f"{path}/replay", {"since": "2026-03-01T00:00:00Z"}),
    ):
        response = client.request(method, other.path(rest), json=body, headers=other.auth)
        assert response.status_code == 404, (method, rest)
        assert response.json()["code"] == "not_found"
    # ... and through its own workspace's path, another's credential is turned away too.
    assert client.get(tenant.path(path), headers=other.auth).status_code == 404
    assert client.get(other.path("/webhooks"), headers=other.auth).json()["data"] == []
    assert client.get(other.path("/webhooks/not-a-uuid"), headers=other.auth).status_code == 404
