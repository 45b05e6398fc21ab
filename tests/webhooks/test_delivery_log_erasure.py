"""Erasure (spec §3: DELETE of an entry scrubs the person from stored events and delivery
logs): the answers a receiver gave to an erased entry's events may echo the person."""

from waitline.outbox.service import record_event
from waitline.webhooks.service import erase_from_delivery_log


def test_answers_kept_for_an_erased_entrys_events_are_erased(
    app, tenant, clock, make_hook, emit, run_pass, receiver, reply, rows
):
    hook = make_hook()
    receiver.replies["/hook"] = [
        reply(200, body=b'{"received": "ada@example.com"}'),
        reply(200, body=b'{"received": "bob@example.com"}'),
    ]
    with app.state.db.transaction() as session:
        ada_event = record_event(
            session,
            workspace_id=tenant.id,
            type="entry.created",
            data={"email": "ada@example.com"},
            now=clock.now(),
            entry_id="00000000-0000-7000-8000-00000000ada0",
        )
    run_pass()
    emit("entry.created", email="bob@example.com")
    run_pass()

    with app.state.db.transaction() as session:
        erase_from_delivery_log(session, "00000000-0000-7000-8000-00000000ada0")

    kept = {a.event_id: a for a in rows.attempts(hook["id"])}
    assert kept[ada_event].response_body == "[erased]"
    assert kept[ada_event].status_code == 200
    (other,) = [a for event_id, a in kept.items() if event_id != ada_event]
    assert other.response_body == '{"received": "bob@example.com"}'
