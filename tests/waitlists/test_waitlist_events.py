"""Every waitlist change writes its event to the outbox in the same transaction."""

import json

import pytest

CAPTCHA = {"provider": "hcaptcha", "site_key": "site-key", "secret_key": "hcaptcha-secret-value"}


def _patch(client, tenant, waitlist, body, suffix=""):
    return client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}{suffix}"), json=body, headers=tenant.auth
    )


def test_creating_a_waitlist_records_one_waitlist_created(make_waitlist, tenant, events):
    waitlist = make_waitlist("launch", status="open")

    recorded = events()

    assert [e["type"] for e in recorded] == ["waitlist.created"]
    event = recorded[0]
    assert event["workspace_id"] == tenant.id
    assert event["waitlist_id"] == waitlist["id"]
    assert event["entry_id"] is None
    assert event["data"] == waitlist
    assert event["created_at"].isoformat() == "2026-03-02T09:00:00+00:00"


def test_a_patch_that_changes_fields_records_waitlist_updated_with_what_changed(
    client, tenant, make_waitlist, events, clock
):
    waitlist = make_waitlist("launch", description="Soon")
    clock.advance(minutes=3)

    response = _patch(
        client,
        tenant,
        waitlist,
        {
            "display_name": "Launch!",
            "description": "Soon",
            "slug": "launch",
            "settings": {"referral_boost": 2},
        },
    )

    assert response.status_code == 200
    updated = events("waitlist.updated")
    assert len(updated) == 1
    assert updated[0]["data"]["changed"] == ["display_name", "settings"]
    assert updated[0]["data"]["display_name"] == "Launch!"
    assert updated[0]["data"]["settings"]["referral_boost"] == 2
    assert updated[0]["data"]["updated_at"] == "2026-03-02T09:03:00Z"
    assert updated[0]["waitlist_id"] == waitlist["id"]


def test_changing_the_slug_and_description_names_both(client, tenant, make_waitlist, events):
    waitlist = make_waitlist("launch", description="Soon")

    _patch(client, tenant, waitlist, {"slug": "spring", "description": None})

    assert events("waitlist.updated")[0]["data"]["changed"] == ["slug", "description"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"display_name": "Launch"},
        {"slug": "launch", "description": None},
        {"settings": {}},
        {"settings": {"referral_boost": 1}},
        {"settings": {"referral_boost": None}},
        {"status": "draft"},
    ],
)
def test_a_patch_that_changes_nothing_records_nothing(client, tenant, make_waitlist, events, body):
    waitlist = make_waitlist("launch")

    response = _patch(client, tenant, waitlist, body)

    assert response.status_code == 200, response.text
    assert response.json() == waitlist
    assert [e["type"] for e in events()] == ["waitlist.created"]


def test_a_patch_resending_the_captcha_without_its_secret_records_nothing(
    client, tenant, make_waitlist, events
):
    waitlist = make_waitlist("launch", settings={"captcha": CAPTCHA})

    read_back = waitlist["settings"]["captcha"]
    response = _patch(client, tenant, waitlist, {"settings": {"captcha": read_back}})

    assert response.status_code == 200
    assert [e["type"] for e in events()] == ["waitlist.created"]


def test_a_patch_resending_the_same_captcha_secret_records_nothing(
    client, tenant, make_waitlist, events
):
    waitlist = make_waitlist("launch", settings={"captcha": CAPTCHA})

    response = _patch(client, tenant, waitlist, {"settings": {"captcha": CAPTCHA}})

    assert response.status_code == 200
    assert [e["type"] for e in events()] == ["waitlist.created"]


def test_a_new_captcha_secret_records_a_settings_change(client, tenant, make_waitlist, events):
    waitlist = make_waitlist("launch", settings={"captcha": CAPTCHA})

    _patch(client, tenant, waitlist, {"settings": {"captcha": {**CAPTCHA, "secret_key": "other"}}})

    assert [e["data"]["changed"] for e in events("waitlist.updated")] == [["settings"]]


def test_no_event_carries_the_captcha_secret(client, tenant, make_waitlist, events, clock):
    waitlist = make_waitlist("launch", settings={"captcha": CAPTCHA})
    clock.advance(seconds=1)
    _patch(
        client, tenant, waitlist, {"settings": {"captcha": {**CAPTCHA, "secret_key": "new-one"}}}
    )

    recorded = events()

    assert [e["type"] for e in recorded] == ["waitlist.created", "waitlist.updated"]
    dumped = json.dumps([e["data"] for e in recorded])
    assert CAPTCHA["secret_key"] not in dumped
    assert "new-one" not in dumped
    assert "secret_key_sealed" not in dumped


def test_a_status_change_records_status_changed_with_the_previous_status(
    client, tenant, make_waitlist, events, clock
):
    waitlist = make_waitlist("launch")

    _patch(client, tenant, waitlist, {"status": "open"}, "/status")
    clock.advance(seconds=1)
    _patch(client, tenant, waitlist, {"status": "paused"}, "/status")

    changes = events("waitlist.status_changed")
    assert [(e["data"]["previous_status"], e["data"]["status"]) for e in changes] == [
        ("draft", "open"),
        ("open", "paused"),
    ]
    assert all(e["waitlist_id"] == waitlist["id"] for e in changes)
    assert events("waitlist.updated") == []


def test_setting_the_same_status_records_nothing(client, tenant, make_waitlist, events):
    waitlist = make_waitlist("launch", status="open")

    response = _patch(client, tenant, waitlist, {"status": "open"}, "/status")

    assert response.status_code == 200
    assert [e["type"] for e in events()] == ["waitlist.created"]


def test_a_patch_with_fields_and_status_records_both_events(
    client, tenant, make_waitlist, events, clock
):
    waitlist = make_waitlist("launch")
    clock.advance(seconds=1)

    _patch(client, tenant, waitlist, {"display_name": "Now open", "status": "open"})

    updated, status_changed = events("waitlist.updated"), events("waitlist.status_changed")
    assert len(events()) == 3
    assert [e["data"]["changed"] for e in updated] == [["display_name"]]
    assert [(e["data"]["previous_status"], e["data"]["status"]) for e in status_changed] == [
        ("draft", "open")
    ]
    assert updated[0]["data"]["display_name"] == status_changed[0]["data"]["display_name"]


def test_deleting_records_waitlist_deleted_and_keeps_earlier_events(
    client, tenant, make_waitlist, events, clock
):
    waitlist = make_waitlist("launch")
    clock.advance(seconds=1)

    response = client.delete(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth)

    assert response.status_code == 204
    recorded = events()
    assert [e["type"] for e in recorded] == ["waitlist.created", "waitlist.deleted"]
    assert recorded[1]["waitlist_id"] == waitlist["id"]
    assert recorded[1]["data"]["id"] == waitlist["id"]
    assert recorded[1]["data"]["slug"] == "launch"


def test_events_belong_to_the_waitlists_workspace(make_waitlist, make_tenant, events):
    other = make_tenant("other")

    make_waitlist("theirs", owner=other)

    assert [e["workspace_id"] for e in events()] == [other.id]


# Outbox atomicity: a request that fails writes no event.


def test_a_create_refused_for_its_settings_records_nothing(client, tenant, events):
    response = client.post(
        tenant.path("/waitlists"),
        json={"slug": "launch", "display_name": "Launch", "settings": {"max_entries": 0}},
        headers=tenant.auth,
    )

    assert response.status_code == 422
    assert events() == []


def test_a_create_refused_for_its_slug_records_nothing_more(client, tenant, make_waitlist, events):
    make_waitlist("launch")

    response = client.post(
        tenant.path("/waitlists"), json={"slug": "launch", "display_name": "x"}, headers=tenant.auth
    )

    assert response.status_code == 409
    assert [e["type"] for e in events()] == ["waitlist.created"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"display_name": "Renamed", "settings": {"referral_boost": -1}}, 422),
        ({"display_name": "Renamed", "settings": {"nonsense": 1}}, 422),
        (
            {
                "slug": "renamed",
                "settings": {"captcha": {"provider": "turnstile", "site_key": "s"}},
            },
            422,
        ),
        ({"display_name": "Renamed", "slug": "taken"}, 409),
        ({"display_name": "Renamed", "status": "bogus"}, 422),
    ],
)
def test_a_refused_patch_records_nothing(client, tenant, make_waitlist, events, body, status):
    make_waitlist("taken")
    waitlist = make_waitlist("launch")
    before = events()

    response = _patch(client, tenant, waitlist, body)

    assert response.status_code == status, response.text
    assert events() == before


def test_a_patch_refused_after_its_update_event_was_written_leaves_no_trace(
    client, tenant, make_waitlist, events
):
    """The update is recorded before the status is checked; the 409 must roll both back."""
    waitlist = make_waitlist("launch", status="closed")
    before = events()

    response = _patch(client, tenant, waitlist, {"display_name": "Reopened", "status": "open"})

    assert response.status_code == 409
    assert events() == before
    stored = client.get(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.auth).json()
    assert stored == waitlist


def test_reopening_a_closed_waitlist_records_nothing(client, tenant, make_waitlist, events):
    waitlist = make_waitlist("launch", status="closed")

    response = _patch(client, tenant, waitlist, {"status": "open"}, "/status")

    assert response.status_code == 409
    assert [e["type"] for e in events()] == ["waitlist.created"]


def test_a_read_key_records_nothing(client, tenant, make_waitlist, events):
    waitlist = make_waitlist("launch")

    client.delete(tenant.path(f"/waitlists/{waitlist['id']}"), headers=tenant.read_auth)

    assert [e["type"] for e in events()] == ["waitlist.created"]
