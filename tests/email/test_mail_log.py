"""The mail log (GET /v1/workspaces/{wid}/messages): every message queued and what became
of it, newest first, filtered by status, paged by cursor; a workspace sees only its own."""

FIELDS = {
    "id",
    "template",
    "to_address",
    "subject",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "created_at",
    "sent_at",
    "entry_id",
    "waitlist_id",
}


def test_the_log_lists_messages_newest_first_with_what_became_of_them(
    client, tenant, smtp, deliver, open_waitlist, join, clock
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")
    clock.advance(minutes=1)
    bob = join(waitlist, "bob@example.com")
    deliver(smtp)

    response = client.get(tenant.path("/messages"), headers=tenant.read_auth)

    assert response.status_code == 200
    body = response.json()
    assert [m["entry_id"] for m in body["data"]] == [bob["id"], ada["id"]]
    first = body["data"][1]
    assert set(first) == FIELDS
    assert first == {
        "id": first["id"],
        "template": "welcome",
        "to_address": "ada@example.com",
        "subject": "You're on the Launch waitlist (#1)",
        "status": "sent",
        "attempts": 1,
        "last_error": None,
        "next_attempt_at": "2026-03-02T09:00:00Z",
        "created_at": "2026-03-02T09:00:00Z",
        "sent_at": "2026-03-02T09:01:00Z",
        "entry_id": ada["id"],
        "waitlist_id": waitlist["id"],
    }
    assert body["pagination"] == {"next_cursor": None, "has_more": False}


def test_the_log_filters_by_status_and_pages(
    client, tenant, smtp, deliver, open_waitlist, join, clock
):
    waitlist = open_waitlist()
    for n in range(3):
        join(waitlist, f"p{n}@example.com")
        clock.advance(seconds=1)
    deliver(smtp)
    smtp.refusal = "550 No"
    join(waitlist, "late@example.com")
    deliver(smtp)

    queued = client.get(tenant.path("/messages"), params={"status": "queued"}, headers=tenant.auth)
    assert [(m["to_address"], m["attempts"]) for m in queued.json()["data"]] == [
        ("late@example.com", 1)
    ]
    assert queued.json()["data"][0]["last_error"] == "SMTP 550: No"

    first = client.get(tenant.path("/messages"), params={"limit": 2}, headers=tenant.auth).json()
    second = client.get(
        tenant.path("/messages"),
        params={"limit": 2, "cursor": first["pagination"]["next_cursor"]},
        headers=tenant.auth,
    ).json()
    assert [m["to_address"] for m in first["data"] + second["data"]] == [
        "late@example.com",
        "p2@example.com",
        "p1@example.com",
        "p0@example.com",
    ]
    assert second["pagination"]["has_more"] is False


def test_an_unknown_status_is_422(client, tenant):
    response = client.get(tenant.path("/messages"), params={"status": "lost"}, headers=tenant.auth)

    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_another_workspace_sees_none_of_the_log(client, tenant, make_tenant, open_waitlist, join):
    other = make_tenant("other")
    join(open_waitlist(), "ada@example.com")

    assert client.get(tenant.path("/messages"), headers=other.auth).status_code == 404
    own = client.get(other.path("/messages"), headers=other.auth)
    assert own.json()["data"] == []
