"""Erasure through the API (spec §3): after DELETE of an entry, no stored event payload,
webhook attempt or mail log row holds the person's email, name, phone or metadata, and a
delivery still to go sends the scrubbed payload."""

import asyncio
import json

from sqlalchemy import select

from waitline.db.models import Event, Message, WebhookAttempt
from waitline.email.sender import send_mail
from waitline.outbox.worker import Worker

EMAIL, NAME, PHONE = "ada.lovelace@example.com", "Ada Lovelace", "+44 20 7946 0958"
COMPANY = "Analytical Engines Ltd"
PERSONAL = (EMAIL, NAME, PHONE, COMPANY)


def stored_text(app) -> list[str]:
    """Every stored event payload, webhook attempt and mail log row, as text."""
    with app.state.db.transaction(write=False) as session:
        events = [json.dumps(e.data) for e in session.scalars(select(Event))]
        attempts = [
            f"{a.response_body} {a.error_message}" for a in session.scalars(select(WebhookAttempt))
        ]
        messages = [
            f"{m.to_address} {m.subject} {json.dumps(m.data)} {m.last_error}"
            for m in session.scalars(select(Message))
        ]
    return events + attempts + messages


def test_deleting_an_entry_scrubs_it_from_events_deliveries_and_mail(
    app, client, tenant, settings, clock, make_waitlist, make_hook, receiver, reply, run_pass
):
    waitlist = make_waitlist(status="open")
    run_pass()  # `waitlist.created` goes out before the endpoint exists
    make_hook()
    # The receiver echoes what it was sent about the person, as receivers often do.
    echo = f'{{"got": "{EMAIL} {NAME} {PHONE} {COMPANY}"}}'.encode()
    receiver.replies["/hook"] = [reply(200, body=echo) for _ in range(10)]
    joined = client.post(
        f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}/entries",
        json={"email": EMAIL, "name": NAME, "phone": PHONE},
    )
    assert joined.status_code == 201, joined.text
    entry_path = tenant.path(f"/waitlists/{waitlist['id']}/entries/{joined.json()['id']}")
    patched = client.patch(entry_path, json={"metadata": {"company": COMPANY}}, headers=tenant.auth)
    assert patched.status_code == 200, patched.text
    run_pass()
    asyncio.run(Worker(app.state.db, settings, clock, jobs=[send_mail]).run_once())
    # Not yet delivered when the entry is deleted: it must go out scrubbed.
    approved = client.patch(entry_path, json={"status": "approved"}, headers=tenant.auth)
    assert approved.status_code == 200, approved.text
    before = "\n".join(stored_text(app))
    assert all(value in before for value in PERSONAL), "the test stores each value first"

    deleted = client.delete(entry_path, headers=tenant.auth)

    assert deleted.status_code == 204, deleted.text
    after = "\n".join(stored_text(app))
    assert [line for line in after.splitlines() if any(v in line for v in PERSONAL)] == []
    sent_before = len(receiver.at("/hook"))
    run_pass()
    late = receiver.at("/hook")[sent_before:]
    assert {r.json["type"] for r in late} == {"entry.approved", "entry.deleted"}
    late_bodies = b"\n".join(r.body for r in late).decode()
    assert [value for value in PERSONAL if value in late_bodies] == []
    (approved_body,) = [r.json for r in late if r.json["type"] == "entry.approved"]
    assert approved_body["data"]["email"] == "[erased]"
    assert approved_body["data"]["metadata"] == {}
    assert approved_body["data"]["status"] == "approved"
    events = client.get(tenant.path("/events"), headers=tenant.auth).json()["data"]
    assert [value for value in PERSONAL if value in json.dumps(events)] == []
